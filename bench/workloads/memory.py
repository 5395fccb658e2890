"""B7, makeparallel side, run as its own process: `./makeparallel bench/workloads/memory.py`.

A fresh process, because RSS only means something against a clean baseline: the orchestrator
has long since grown its heap. Measures VmRSS as worker interpreters are added one by one, then
across many finished tasks whose handles are dropped. Beside RSS it takes the live Java heap
after a full GC (jcmd), and counts the task and handle objects still alive: RSS alone cannot
tell a leak from a heap that grew once and kept its pages.
"""
import argparse
import gc
import time

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel
from benchlib import emit, jvm_live_heap, now, proc_status
from workloads.kernels import noop

noop_task = makeparallel.parallel(backend="threads")(noop)

# Objects that one finished task leaves behind if something keeps a reference to it.
TRACKED = ("io.makeparallel.task.Task", "io.makeparallel.python.HostHandle")


def rss_after_gc():
    # Two collections and a pause let the JVM finish reference processing before sampling.
    gc.collect()
    gc.collect()
    time.sleep(0.3)
    return proc_status()["VmRSS_mb"]


def heap():
    h = jvm_live_heap(classes=TRACKED)
    return h and {"live_heap_mb": h["live_mb"], "compiler_heap_mb": h["compiler_mb"],
                  "live_objects": h["instances"]}


def workers_curve(max_workers):
    points = [dict(interpreters=0, start_s=0.0, rss_mb=rss_after_gc(), **(heap() or {}))]
    for k in range(1, max_workers + 1):
        t = now()
        makeparallel.configure(interpreters=k, warmup=True)
        points.append(dict(interpreters=k, start_s=now() - t, rss_mb=rss_after_gc(), **(heap() or {})))
    return points


def dropped_handles(tasks, batch=1000, checkpoints=4):
    def one_batch():
        handles = [noop_task() for _ in range(batch)]
        for h in handles:
            h.get()
        # the handles go out of scope here, as in a loop that never keeps them

    one_batch()  # warm-up: first-use allocations are not growth
    series = [dict(tasks=0, rss_mb=rss_after_gc(), **(heap() or {}))]
    batches = max(1, tasks // batch)
    every = max(1, batches // checkpoints)
    t = now()
    for i in range(1, batches + 1):
        one_batch()
        if i % every == 0 or i == batches:
            series.append(dict(tasks=i * batch, rss_mb=rss_after_gc(), **(heap() or {})))
    return {"series": series, "elapsed_s": now() - t, "active_after": makeparallel.get_active_task_count()}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--max-workers", type=int, default=6)
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--checkpoints", type=int, default=4, help="samples taken along the tasks")
    a = ap.parse_args()
    emit({"workers": workers_curve(a.max_workers), "handles": dropped_handles(a.tasks, checkpoints=a.checkpoints)})


if __name__ == "__main__":
    main()
