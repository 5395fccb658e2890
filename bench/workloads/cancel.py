"""B6, makeparallel side: time out runaway pure-Python loops on the interpreters backend.

No CPython peer can do this (a thread cannot be stopped, and a process pool cannot stop one
task without losing its worker), so only the makeparallel figures are taken.
"""
import gc
import math
import threading
import time

import makeparallel
from benchlib import now, proc_status
from workloads.kernels import noop, spin_forever

spin_task = makeparallel.parallel(backend="interpreters")(spin_forever)
small_task = makeparallel.parallel(backend="interpreters")(noop)


def counts():
    """Everything a leaked cancel could leave behind, as the runtime and the OS see it."""
    info = makeparallel.get_thread_pool_info()
    return {
        "open_worker_contexts": makeparallel._bridge.diagnostics.openWorkerContexts(),
        # After the first cancel one standby context is kept ready (not a leak, at most one);
        # it counts as standby from the moment its build starts.
        "spare_worker_contexts": makeparallel._bridge.diagnostics.spareWorkerContexts(),
        "ready_spare_worker_contexts": makeparallel._bridge.diagnostics.readySpareWorkerContexts(),
        "live_interpreters": info["live_interpreters"],
        "interpreters": info["interpreters"],
        "python_threads": threading.active_count(),
        "jvm_threads": proc_status().get("threads"),
        "active_tasks": makeparallel.get_active_task_count(),
    }


def _settle(workers, limit=15.0):
    # Replacement contexts and the standby one are built in the background: wait until the
    # pool is whole again and the standby context (if any) is ready, or give up, which then
    # shows in the counts, before comparing.
    b = makeparallel._bridge.diagnostics
    deadline = now() + limit
    while now() < deadline:
        spare = b.spareWorkerContexts()
        if (b.openWorkerContexts() - spare >= workers and spare == b.readySpareWorkerContexts()
                and makeparallel.get_active_task_count() == 0):
            break
        time.sleep(0.02)
    gc.collect()
    time.sleep(0.2)


def run(cancels, timeout=0.3, warmup_rounds=1):
    """Times out ``cancels`` runaway tasks, every worker at once in each round.

    Occupying every worker means the small task that follows can only run on a replacement
    interpreter, so its completion time is the "replacement worker ready" figure. The first
    ``warmup_rounds`` are reported apart: the first cancel and the first replacement pay for
    code that has never run before, and start the thread pools a cancel uses (created on first
    use, bounded, idle threads retire after 30-60 s) and the standby context. What is left
    behind is judged from the end of the warm-up rounds to the end ("before" and "after"), so
    anything that grows with the number of cancels shows; the counts before any cancel are kept
    as ``before_any_cancel``.
    """
    workers = makeparallel.get_thread_pool_info()["interpreters"]
    makeparallel.configure(warmup=True)
    small_task().get()
    _settle(workers)
    before_any = counts()
    before = None
    samples = {"warmup": ([], []), "steady": ([], [])}
    t_all = now()
    for rnd in range(math.ceil(cancels / workers)):
        if rnd == warmup_rounds:
            _settle(workers)
            before = counts()
        latency, replacement = samples["warmup" if rnd < warmup_rounds else "steady"]
        submitted = [(now(), spin_task(timeout=timeout)) for _ in range(workers)]
        for t0, h in submitted:
            try:
                h.get()
            except makeparallel.TaskTimeoutError:
                latency.append(now() - (t0 + timeout))
            else:
                raise AssertionError("a runaway task returned")
        t_resolved = now()
        small_task().get()
        replacement.append(now() - t_resolved)
    _settle(workers)
    return {
        "workers": workers,
        "cancels": sum(len(lat) for lat, _ in samples.values()),
        "timeout_s": timeout,
        "latency_s": samples["steady"][0],
        "replacement_s": samples["steady"][1],
        "warmup_latency_s": samples["warmup"][0],
        "warmup_replacement_s": samples["warmup"][1],
        "before_any_cancel": before_any,
        "before": before if before is not None else before_any,
        "after": counts(),
        "total_s": now() - t_all,
    }
