"""makeparallel benchmark suite (B1-B7 of shared/BENCHMARKS.md): `./makeparallel bench/run.py`.

    ./makeparallel bench/run.py [--quick] [--json FILE] [--only B1,B3] [--reps N] [--set KEY=VALUE]

Runs on GraalPy. The makeparallel side runs here, in-process; the CPython peers run in one
`python3 bench/peers/server.py` process that this script drives over a local socket, so the two
sides alternate repetition by repetition in one run. Whole-process figures (start-up included)
are timed by that CPython process too (see server.py for why).

Writes FILE (default bench/results/latest.json) with FILE's .md and .png beside it. A run
restricted with --only goes to bench/results/tmp/ unless --json says otherwise, so that
bench/results/latest.* always hold a complete run.
"""
import argparse
import datetime
import gc
import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import time

import makeparallel
from benchlib import BENCH_DIR, REPO_DIR, now, proc_status, summarize
from workloads import cancel, cpu, dispatch, mapping, sleep_io

CORES = os.cpu_count() or 1
LAUNCHER = os.path.join(REPO_DIR, "makeparallel")
TMP_DIR = os.path.join(BENCH_DIR, "results", "tmp")  # scratch, git-ignored
PY3 = "python3"
MB = 1.0

# Sizes. Quick mode must finish within 5 minutes on a 2-core machine shared with other work,
# so it trims sizes where makeparallel is slow today (see README) but keeps 5 repetitions.
PROFILES = {
    "quick": {
        "reps": 5, "max_warmup": 3,
        "b1_n": None, "b1_task_s": 0.1, "b1_tasks": 4 * CORES, "b1_e2e_reps": 0, "b1_e2e_cpython_s": 10.0,
        "b2_tasks": 1_000,
        "b3_items": 20_000, "b3_max_warmup": 2,
        "b4_tasks": 200, "b4_sleep": 0.05, "b4_threads": 32,
        "b5_reps": 5, "b5_reps_jit_off": 0,
        "b6_cancels": 20,
        "b7_workers": 2, "b7_tasks": 10_000, "b7_checkpoints": 2,
        "e2e_others": False,
        "b8_scale": 0.25, "b8_reps": 1, "b8_warm_runs": 3,
    },
    "full": {
        "reps": 7, "max_warmup": 6,
        "b1_n": None, "b1_task_s": 0.4, "b1_tasks": 4 * CORES, "b1_e2e_reps": 5, "b1_e2e_cpython_s": 12.0,
        "b2_tasks": 10_000,
        "b3_items": 1_000_000, "b3_max_warmup": 3,
        "b4_tasks": 200, "b4_sleep": 0.05, "b4_threads": 32,
        "b5_reps": 10, "b5_reps_jit_off": 10,
        "b6_cancels": 100,
        "b7_workers": 6, "b7_tasks": 100_000, "b7_checkpoints": 4,
        "e2e_others": True,
        "b8_scale": 1.0, "b8_reps": 3, "b8_warm_runs": 5,
    },
}


def log(msg):
    print("[%7.1fs] %s" % (now() - T0, msg), file=sys.stderr, flush=True)


T0 = now()
DISTURBED = []  # whole-process samples redone because of a concurrent rebuild


# ---- the CPython side ------------------------------------------------------------------------


class Peer:
    """The `python3 bench/peers/server.py` process and the socket to it."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(120)
        port = self.listener.getsockname()[1]
        os.makedirs(os.path.join(BENCH_DIR, "results", "tmp"), exist_ok=True)
        self.log_path = os.path.join(BENCH_DIR, "results", "tmp", "peer-server.log")
        self.log_file = open(self.log_path, "w")
        self.server = subprocess.Popen([PY3, os.path.join(BENCH_DIR, "peers", "server.py"), str(port)],
                                     stdout=self.log_file, stderr=self.log_file)
        self.sock, _ = self.listener.accept()
        self.sock.settimeout(None)
        self.rfile = self.sock.makefile("r", encoding="utf-8")
        self.wfile = self.sock.makefile("w", encoding="utf-8")

    def call(self, **req):
        self.wfile.write(json.dumps(req) + "\n")
        self.wfile.flush()
        line = self.rfile.readline()
        if not line:
            raise RuntimeError("the peer server went away; see %s" % self.log_path)
        resp = json.loads(line)
        if "error" in resp:
            raise RuntimeError("peer error on %r:\n%s" % (req, resp["error"]))
        return resp

    def run(self, target, setup=None, **kwargs):
        return self.call(op="run", target=target, setup=setup, kwargs=kwargs)

    def proc(self, argv, env=None, timeout=900.0, retries=2):
        """One whole process.

        A sample during which the launcher rebuilt the runtime, or whose classes vanished
        because another build replaced target/dist under it (this checkout is shared), is
        void: it is redone after a pause, and the run's notes say so.
        """
        for attempt in range(retries + 1):
            r = self.call(op="proc", argv=argv, env=env, timeout=timeout)
            disturbed = r["rebuilt"] or (r["rc"] != 0 and any(
                s in r["stderr_tail"] for s in ("NoClassDefFoundError", "ClassNotFoundException", "build failed")))
            if not disturbed:
                break
            DISTURBED.append("%s (attempt %d): %s" % (" ".join(argv), attempt + 1,
                                                      r["stderr_tail"].strip().splitlines()[-1:]))
            log("  (a concurrent rebuild disturbed this sample: redone)")
            time.sleep(30)
        if r["rc"] != 0:
            raise RuntimeError("%s exited with %s: %s" % (" ".join(argv), r["rc"], r["stderr_tail"][-600:]))
        return r

    def close(self):
        # Closing the file objects too: a socket with an open makefile() is not really closed,
        # and the server would never see end-of-file.
        for f in (self.wfile, self.rfile):
            f.close()
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.listener.close()
        self.server.wait()
        self.log_file.close()


# ---- measuring -------------------------------------------------------------------------------


def _rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def measure(sides, reps, max_warmup, tol=0.15):
    """Alternates the sides, repetition by repetition, warm-up first.

    ``sides`` is a list of ``(label, fn)``; ``fn()`` returns a dict with ``t`` (seconds). Each
    side warms up until two consecutive runs agree within ``tol`` or ``max_warmup`` runs are
    done; the warm-up runs are reported apart from the ``reps`` steady-state runs. The order of
    the sides rotates every round, so neither always runs right after the other.
    """
    res = {label: {"warmup": [], "steady": [], "checks": set(), "setup_s": None} for label, _ in sides}

    def once(label, fn, phase):
        out = fn()
        res[label][phase].append(out["t"])
        if "check" in out:
            res[label]["checks"].add(out["check"])
        if out.get("setup_s") is not None:
            res[label]["setup_s"] = out["setup_s"]

    def warm(label):
        w = res[label]["warmup"]
        return len(w) >= max_warmup or (len(w) >= 2 and abs(w[-1] - w[-2]) <= tol * w[-2])

    rnd = 0
    pending = list(sides)
    while pending:
        for label, fn in _rotated(pending, rnd):
            once(label, fn, "warmup")
        rnd += 1
        pending = [s for s in pending if not warm(s[0])]
    for r in range(reps):
        for label, fn in _rotated(list(sides), r):
            once(label, fn, "steady")
    return res


def side_summary(m, scale=1.0):
    return {
        "steady": summarize(m["steady"], scale),
        "warmup": summarize(m["warmup"], scale),
        "setup_s": m["setup_s"],
    }


def med(m, scale=1.0):
    return summarize(m["steady"], scale)["median"]


def whole_process(peer, cmds, reps):
    """Whole processes, alternated round by round: ``cmds`` is a list of ``(label, argv, env)``
    or ``(label, argv, env, reps)`` for a command that takes part in fewer rounds."""
    cmds = [c if len(c) == 4 else tuple(c) + (reps,) for c in cmds]
    # Cold runs unless a command asks for the warm daemon (MAKEPARALLEL_DAEMON=None): a daemon
    # started by one sample would make the next ones warm.
    cmds = [(label, argv, dict({"MAKEPARALLEL_DAEMON": "0"}, **(env or {})), n) for label, argv, env, n in cmds]
    res = {c[0]: [] for c in cmds}
    for r in range(max(c[3] for c in cmds)):
        for label, argv, env, _ in _rotated([c for c in cmds if c[3] > r], r):
            res[label].append(peer.proc(argv, env))
    return {
        label: {
            "wall_s": summarize([s["wall_s"] for s in res[label]]),
            "maxrss_mb": summarize([s["maxrss_mb"] for s in res[label]], digits=1),
            "inproc_s": summarize([s["emitted"]["t_inproc"] for s in res[label]
                                   if s["emitted"] and "t_inproc" in s["emitted"]]),
            "argv": " ".join(argv),
            "env": env,
            "emitted_last": res[label][-1]["emitted"] if res[label] else None,
        }
        for label, argv, env, _ in cmds
    }


# ---- targets ---------------------------------------------------------------------------------


def criterion(name, value, op, limit, unit, note=None, counts=True):
    """One target check. ``op`` is "<=", "<" or ">="; says by how much a miss misses."""
    if value is None:
        met, miss = None, note or "not measured"
    else:
        met = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
        miss = None
        if not met:
            miss = _miss(value, op, limit, unit)
    return {"name": name, "value": value, "op": op, "limit": limit, "unit": unit, "met": met,
            "miss": miss, "note": note, "counts": counts}


def _miss(value, op, limit, unit):
    u = unit if unit == "x" else " " + unit
    got = "%s%s, target %s %s%s" % (fmt(value), u, op, fmt(limit), u)
    if op == ">=":
        return "%s: %.0f%% short" % (got, 100.0 * (limit - value) / limit)
    if limit <= 0:
        return "%s: over by %s%s" % (got, fmt(value - limit), u)
    if value / limit >= 2:
        return "%s: %.1f times the limit" % (got, value / limit)
    return "%s: %.0f%% over" % (got, 100.0 * (value - limit) / limit)


def verdict(criteria):
    judged = [c for c in criteria if c["counts"] and c["met"] is not None]
    if not judged:
        return None, None
    missed = [c for c in judged if not c["met"]]
    return not missed, ("; ".join("%s: %s" % (c["name"], c["miss"]) for c in missed) or None)


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    ax = abs(x)
    if ax >= 100:
        return "%.0f" % x
    if ax >= 10:
        return "%.1f" % x
    if ax >= 1:
        return "%.2f" % x
    return "%.3g" % x


def ratio(a, b):
    return None if a is None or not b else a / b


def entry(bid, title, ours, peer, unit, target, criteria, headline, target_ratio=None, **rest):
    """One benchmark's record. ``target_ratio``: the ours/peer ratio the target asks for, when
    the target is a ratio (kept in the JSON; the chart draws each criterion against its limit)."""
    met, miss = verdict(criteria)
    d = {"id": bid, "title": title, "headline": headline, "ours": ours, "peer": peer,
         "ratio": ratio(ours, peer), "unit": unit, "target": target, "target_ratio": target_ratio,
         "met": met, "miss": miss, "criteria": criteria}
    d.update(rest)
    return d


# ---- the benchmarks --------------------------------------------------------------------------


def calibrate_fib(peer, target_s):
    """The smallest n for which CPython's fib(n) takes >= ``target_s`` here, now.

    The spec sizes B1's tasks by CPython time (0.2-1 s each), and what n gives that depends on
    the machine and on how busy it is; the n found and the times are recorded.
    """
    times = {}
    for n in range(20, 40):
        times[n] = min(peer.run("cpu.serial", n=n, tasks=1)["t"] for _ in range(3))
        if times[n] >= target_s:
            return n, times
    return n, times


def b1(peer, P):
    tasks = P["b1_tasks"]
    n, calib = P["b1_n"], None
    if n is None:
        n, calib = calibrate_fib(peer, P["b1_task_s"])
    log("B1 cpu: fib(%d) x %d tasks (CPython fib(%d): %.2fs)" % (n, tasks, n, calib[n] if calib else float("nan")))
    par = cpu.Parallel(CORES)
    log("  %d worker interpreters started in %.2fs" % (CORES, par.setup_s))
    ser = cpu.Serial()
    in_worker, in_caller = cpu.CallInWorker(), cpu.CallInCaller()
    m = measure([
        ("ours_interpreters", lambda: par.run(n, tasks)),
        ("ours_serial", lambda: ser.run(n, tasks)),
        ("peer_pool", lambda: peer.run("cpu.pool", {"workers": CORES}, n=n, tasks=tasks)),
        ("peer_serial", lambda: peer.run("cpu.serial", n=n, tasks=tasks)),
        ("ours_call_in_worker", lambda: in_worker.run(n)),
        ("ours_call_in_caller", lambda: in_caller.run(n)),
    ], P["reps"], P["max_warmup"])
    peer.call(op="close", target="cpu.pool")
    ours, ours_ser, p_pool, p_ser = (med(m[k]) for k in ("ours_interpreters", "ours_serial", "peer_pool", "peer_serial"))
    speedup = ratio(ours_ser, ours)
    peer_speedup = ratio(p_ser, p_pool)
    call_ratio = ratio(med(m["ours_call_in_worker"]), med(m["ours_call_in_caller"]))

    # End to end: whole processes, start-up, worker creation and JIT warm-up included. The
    # target speaks of a job CPython needs >= 10 s for: the full profile sizes the job so that
    # the pool, scaling perfectly, would need b1_e2e_cpython_s (12 s), from CPython's fastest
    # time for one task seen here (the calibration ran alone; the in-process figures share the
    # cores with our JIT, and sizing from them gave the pool a 9.6 s job, too short to judge).
    # The quick profile leaves it out (one makeparallel run of it takes longer than a minute
    # today, see README); B5 still gives a whole-process figure.
    per_task = p_ser / tasks
    fastest = min([per_task] + ([calib[n]] if calib and n in calib else []))
    e2e_tasks = max(tasks, CORES * math.ceil(P["b1_e2e_cpython_s"] / fastest))
    e2e, e2e_ratio, note = None, None, "not measured in the quick profile"
    if P["b1_e2e_reps"]:
        log("  whole process: fib(%d) x %d, %d reps" % (n, e2e_tasks, P["b1_e2e_reps"]))
        e2e = whole_process(peer, [
            ("ours", [LAUNCHER, "bench/workloads/cpu.py", "--n", str(n), "--tasks", str(e2e_tasks)], None),
            ("peer", [PY3, "bench/peers/cpu.py", "--n", str(n), "--tasks", str(e2e_tasks), "--mode", "pool"], None),
        ], P["b1_e2e_reps"])
        e2e_peer = e2e["peer"]["wall_s"]["median"]
        e2e_ratio = ratio(e2e["ours"]["wall_s"]["median"], e2e_peer)
        note = "job: fib(%d) x %d; CPython ProcessPoolExecutor needs %.1f s for it%s" % (
            n, e2e_tasks, e2e_peer, "" if e2e_peer >= 10 else " (< 10 s: not judged)")
    criteria = [
        criterion("wall vs CPython ProcessPoolExecutor (steady state)", ratio(ours, p_pool), "<=", 0.5, "x"),
        criterion("speed-up over serial makeparallel, same process", speedup, ">=", 0.9 * CORES, "x"),
        criterion("that speed-up vs ProcessPoolExecutor's over serial CPython, same run",
                  ratio(speedup, peer_speedup), ">=", 0.9, "x"),
        criterion("one call's time in a worker vs in the caller (warm, one task at a time)",
                  call_ratio, "<=", 1.15, "x"),
        criterion("whole process vs CPython ProcessPoolExecutor", e2e_ratio, "<", 1.0, "x", note=note,
                  counts=bool(e2e) and e2e["peer"]["wall_s"]["median"] >= 10),
    ]
    checks_ok = len(set().union(*(m[k]["checks"] for k in m))) == 1
    return entry("B1", "cpu", ours, p_pool, "s", "<= 0.5 x ProcessPoolExecutor wall; speed-up >= %.1f x; "
                 "faster end to end on a >= 10 s job" % (0.9 * CORES), criteria,
                 "parallel_map(fib, ..., backend='interpreters') wall vs ProcessPoolExecutor(%d).map, warm" % CORES,
                 target_ratio=0.5,
                 params={"n": n, "tasks": tasks, "workers": CORES, "cpython_s_per_task": per_task,
                         "e2e_tasks": e2e_tasks if e2e else None},
                 measurements={k: side_summary(v) for k, v in m.items()},
                 extra={"speedup_vs_serial_ours": speedup, "ours_serial_vs_cpython_serial": ratio(ours_ser, p_ser),
                        "peer_pool_speedup": peer_speedup,
                        "call_in_worker_vs_caller": call_ratio, "worker_start_s": par.setup_s,
                        "results_agree": checks_ok,
                        "calibration_cpython_fib_s": {str(k): round(v, 4) for k, v in (calib or {}).items()}},
                 whole_process=e2e)


def b2(peer, P):
    tasks = P["b2_tasks"]
    log("B2 dispatch: %d no-op tasks" % tasks)
    one, bulk = dispatch.OneAtATime(), dispatch.Bulk()
    m = measure([
        ("ours_one", lambda: one.run(tasks)),
        ("peer_one", lambda: peer.run("dispatch.one", tasks=tasks)),
        ("ours_bulk", lambda: bulk.run(tasks)),
        ("peer_bulk", lambda: peer.run("dispatch.bulk", tasks=tasks)),
    ], P["reps"], P["max_warmup"])
    for t in ("dispatch.one", "dispatch.bulk"):
        peer.call(op="close", target=t)
    us = 1e6 / tasks
    o1, p1, ob, pb = (med(m[k], us) for k in ("ours_one", "peer_one", "ours_bulk", "peer_bulk"))
    criteria = [
        criterion("one at a time vs ThreadPoolExecutor", ratio(o1, p1), "<=", 0.5, "x"),
        criterion("bulk vs ThreadPoolExecutor", ratio(ob, pb), "<=", 1.0, "x"),
    ]
    res = entry("B2", "dispatch", o1, p1, "us/task", "<= 0.5 x one at a time; <= 1.0 x in bulk", criteria,
                "@parallel submit + get() one at a time vs ThreadPoolExecutor.submit().result(), per task",
                target_ratio=0.5, params={"tasks": tasks},
                measurements={k: side_summary(v, us) for k, v in m.items()},
                extra={"bulk_ours_us": ob, "bulk_peer_us": pb, "bulk_ratio": ratio(ob, pb)})
    if P["e2e_others"]:
        res["whole_process"] = whole_process(peer, [
            ("ours", [LAUNCHER, "bench/workloads/dispatch.py", "--tasks", str(tasks)], None),
            ("peer", [PY3, "bench/peers/dispatch.py", "--tasks", str(tasks)], None)], P["reps"])
    return res


def b3(peer, P):
    items = P["b3_items"]
    log("B3 map: %d items" % items)
    thr, itp, itp_def = mapping.Map("threads"), mapping.Map("interpreters"), mapping.MapImportable("interpreters")
    m = measure([
        ("ours_threads", lambda: thr.run(items)),
        ("ours_interpreters", lambda: itp.run(items)),
        ("peer_pool_map", lambda: peer.run("mapping.pool_map", {"workers": CORES}, items=items)),
        ("ours_interpreters_importable_fn", lambda: itp_def.run(items)),
    ], P["reps"], P["b3_max_warmup"])
    peer.call(op="close", target="mapping.pool_map")
    us = 1e6 / items
    t, i, p, idef = (med(m[k], us) for k in ("ours_threads", "ours_interpreters", "peer_pool_map",
                                            "ours_interpreters_importable_fn"))
    criteria = [
        criterion("threads: per item", t, "<=", 1.0, "us"),
        criterion("threads vs Pool.map", ratio(t, p), "<=", 1.0, "x"),
        criterion("interpreters: per item", i, "<=", 1.0, "us"),
        criterion("interpreters vs Pool.map", ratio(i, p), "<=", 1.0, "x"),
        criterion("interpreters, importable def inc (diagnostic)", idef, "<=", 1.0, "us",
                  note="not the spec's lambda: shows the cost of shipping the lambda by value", counts=False),
    ]
    res = entry("B3", "map", t, p, "us/item", "<= 1 us per item and not slower than Pool.map (both backends)",
                criteria, "parallel_map(lambda x: x + 1, range(N)) threads backend vs multiprocessing.Pool(%d).map, per item" % CORES,
                target_ratio=1.0, params={"items": items},
                measurements={k: side_summary(v, us) for k, v in m.items()},
                extra={"interpreters_us": i, "interpreters_ratio": ratio(i, p)})
    if P["e2e_others"]:
        res["whole_process"] = whole_process(peer, [
            ("ours_threads", [LAUNCHER, "bench/workloads/mapping.py", "--items", str(items)], None),
            ("ours_interpreters", [LAUNCHER, "bench/workloads/mapping.py", "--items", str(items),
                                   "--backend", "interpreters"], None),
            ("peer", [PY3, "bench/peers/mapping.py", "--items", str(items)], None)], P["reps"])
    return res


def b4(peer, P):
    tasks, secs, threads = P["b4_tasks"], P["b4_sleep"], P["b4_threads"]
    ideal = math.ceil(tasks / threads) * secs
    log("B4 io: %d x sleep(%.2f) on %d threads (ideal %.2fs)" % (tasks, secs, threads, ideal))
    ours = sleep_io.Threads32(threads)
    m = measure([
        ("ours", lambda: ours.run(tasks, secs)),
        ("peer", lambda: peer.run("sleep_io.threads32", {"threads": threads}, tasks=tasks, seconds=secs)),
    ], P["reps"], P["max_warmup"])
    peer.call(op="close", target="sleep_io.threads32")
    o, p = med(m["ours"]), med(m["peer"])
    criteria = [
        criterion("wall vs ideal %.2f s" % ideal, o, "<=", 1.2 * ideal, "s"),
        criterion("peer wall vs ideal (reference)", p, "<=", 1.2 * ideal, "s", counts=False),
    ]
    res = entry("B4", "io", o, p, "s", "wall <= 1.2 x ideal %.2f s = %.2f s" % (ideal, 1.2 * ideal), criteria,
                "200 x time.sleep(0.05) via @parallel on 32 threads vs ThreadPoolExecutor(32), wall",
                params={"tasks": tasks, "sleep_s": secs, "threads": threads, "ideal_s": ideal},
                measurements={k: side_summary(v) for k, v in m.items()})
    if P["e2e_others"]:
        res["whole_process"] = whole_process(peer, [
            ("ours", [LAUNCHER, "bench/workloads/sleep_io.py"], None),
            ("peer", [PY3, "bench/peers/sleep_io.py"], None)], P["reps"])
    return res


def _prime_start_up_cache(peer, env, cache, variants):
    """One untimed launch per variant, then wait for the launcher's background preparation.

    After a first launch the launcher prepares, once, in a detached background job: the
    class-data archive (AOT cache) and, with the JIT, a linked runtime image that lets the
    archive work with the JIT. Timing launches while it runs would measure that job (and its
    CPU load) instead of the start-up a user sees from then on.
    """
    for jit in variants:
        peer.proc([LAUNCHER, "-c", "pass"], dict(env, MAKEPARALLEL_JIT=jit, MAKEPARALLEL_DAEMON="0"))
    jvm = os.path.join(cache, "jvm")
    deadline = time.time() + 900
    while time.time() < deadline:
        names = os.listdir(jvm) if os.path.isdir(jvm) else []
        archives = [n for n in names if n.endswith((".aot", ".jsa"))]
        if len(archives) >= len(variants) and not any(n.endswith(".lock") for n in names):
            return True
        time.sleep(1)
    log("  (the launcher's archives were not ready within 15 min: figures may be without them)")
    return False


def _start_daemon(peer, env):
    """Cold runs until one starts the warm daemon, then wait (bounded) until it answers.

    In a fresh cache folder the launcher first links its runtime image (JIT) in the background
    and starts no daemon until that exists (the daemon's flags depend on it): a later cold run
    does, so one is made every 20 s while none answers."""
    deadline = time.time() + 900
    next_run = 0
    while time.time() < deadline:
        if time.time() >= next_run:
            peer.proc([LAUNCHER, "-c", "pass"], env)
            next_run = time.time() + 20
        out = peer.proc([LAUNCHER, "--daemon", "status"], env)["stdout_tail"]
        if "idle since" in out:
            return True
        time.sleep(1)
    log("  (the warm daemon did not answer within 15 min)")
    return False


def b5(peer, P):
    jit_off = P["b5_reps_jit_off"]
    log("B5 start-up: %d reps (JIT default), %d (JIT off, with and without class-data sharing)"
        % (P["b5_reps"], jit_off))
    code = 'print("hello")'
    # A cache of its own: first-run costs (unpacking the Python home, recording the class-data
    # archive) are paid once here, untimed, as a user pays them once.
    cache = os.path.join(TMP_DIR, "b5-cache")
    env = {"MAKEPARALLEL_CACHE": cache, "MAKEPARALLEL_QUIET": "1"}
    # "no_cds": what a first run costs (no archive, no linked image: the JIT through
    # --upgrade-module-path), apart from unpacking the Python home, which happens once.
    cmds = [("ours_jit_default", [LAUNCHER, "-c", code], dict(env, MAKEPARALLEL_JIT=None)),
            ("ours_jit_no_cds", [LAUNCHER, "-c", code], dict(env, MAKEPARALLEL_JIT=None, MAKEPARALLEL_CDS="0")),
            ("peer", [PY3, "-c", code], None)]
    # The quick profile times the JIT variants only: the JIT-off ones need their own archive.
    archived = _prime_start_up_cache(peer, env, cache, (None, "0") if jit_off else (None,))
    if jit_off:
        # Fewer launches for the JIT-off variants than for the headline: each costs seconds.
        cmds[2:2] = [
            ("ours_jit_off", [LAUNCHER, "-c", code], dict(env, MAKEPARALLEL_JIT="0"), jit_off),
            ("ours_jit_off_no_cds", [LAUNCHER, "-c", code],
             dict(env, MAKEPARALLEL_JIT="0", MAKEPARALLEL_CDS="0"), jit_off)]
    wp = whole_process(peer, cmds, P["b5_reps"])
    warm_env = dict(env, MAKEPARALLEL_JIT=None, MAKEPARALLEL_DAEMON=None)
    try:
        ready = _start_daemon(peer, warm_env)
        # The first relayed run records the client's class-data archive: untimed, as once for a user.
        peer.proc([LAUNCHER, "-c", code], warm_env)
        wp.update(whole_process(peer, [("ours_warm", [LAUNCHER, "-c", code], warm_env),
                                       ("peer_warm_batch", [PY3, "-c", code], None)], P["b5_reps"]))
    finally:
        peer.proc([LAUNCHER, "--daemon", "stop"], warm_env)
    w, w_rss = wp["ours_warm"]["wall_s"]["median"], wp["ours_warm"]["maxrss_mb"]["median"]
    o, o_rss = wp["ours_jit_default"]["wall_s"]["median"], wp["ours_jit_default"]["maxrss_mb"]["median"]
    p = wp["peer"]["wall_s"]["median"]
    z = z_rss = n = None
    if jit_off:
        z, z_rss = wp["ours_jit_off"]["wall_s"]["median"], wp["ours_jit_off"]["maxrss_mb"]["median"]
        n = wp["ours_jit_off_no_cds"]["wall_s"]["median"]
    not_measured = None if jit_off else "the quick profile times the JIT default only"
    criteria = [
        # BENCHMARKS.md: cold (no daemon) <= 3 s; warm (a daemon, issue 10 part 2) <= 0.3 s.
        criterion("wall, no daemon (JIT default, after the one-off background preparation)", o, "<=", 3.0, "s"),
        criterion("wall, warm daemon (client and relayed run)%s" % ("" if ready else ": the daemon did not start"),
                  w, "<=", 0.3, "s"),
        criterion("max RSS of the client, warm daemon", w_rss, "<=", 250.0, "MB", counts=False),
        criterion("wall, first run (JIT, no archive or linked image: MAKEPARALLEL_CDS=0)",
                  wp["ours_jit_no_cds"]["wall_s"]["median"], "<=", 3.0, "s", counts=False),
        criterion("max RSS (JIT default)", o_rss, "<=", 250.0, "MB"),
        criterion("wall (MAKEPARALLEL_JIT=0, class-data archive)", z, "<=", 1.0, "s", note=not_measured,
                  counts=False),
        criterion("max RSS (MAKEPARALLEL_JIT=0, class-data archive)", z_rss, "<=", 250.0, "MB",
                  note=not_measured, counts=False),
    ]
    return entry("B5", "start-up", o, p, "s", "cold <= 3.0 s wall and <= 250 MB RSS; warm <= 0.3 s", criteria,
                 "./makeparallel -c 'print(\"hello\")' vs python3 -c, whole process wall (JIT default)",
                 whole_process=wp, extra={"peer_rss_mb": wp["peer"]["maxrss_mb"]["median"],
                                          "class_data_archive_recorded": archived,
                                          "warm_daemon_s": w, "warm_daemon_client_rss_mb": w_rss,
                                          "peer_in_warm_batch_s": wp["peer_warm_batch"]["wall_s"]["median"],
                                          "jit_no_cds_s": wp["ours_jit_no_cds"]["wall_s"]["median"],
                                          "jit_default_vs_jit_no_cds": ratio(o, wp["ours_jit_no_cds"]["wall_s"]["median"]),
                                          "jit_off_cds_vs_no_cds": ratio(z, n),
                                          "jit_default_vs_jit_off_cds": ratio(o, z)})


def b6(peer, P):
    log("B6 cancel: %d timed-out runaway tasks" % P["b6_cancels"])
    r = cancel.run(P["b6_cancels"])
    lat, rep = summarize(r["latency_s"], 1e3), summarize(r["replacement_s"])
    b, a, b0 = r["before"], r["after"], r["before_any_cancel"]
    leaks = {k: (b0[k], b[k], a[k]) for k in b}
    criteria = [
        criterion("handle resolved after the deadline (median)", lat["median"], "<=", 100.0, "ms"),
        criterion("handle resolved after the deadline (worst)", lat["max"], "<=", 100.0, "ms", counts=False),
        criterion("replacement worker ready (median)", rep["median"], "<=", 0.5, "s"),
        criterion("replacement worker ready (worst)", rep["max"], "<=", 0.5, "s", counts=False),
        criterion("open worker contexts after, minus before (standby spare excluded)",
                  (a["open_worker_contexts"] - a["spare_worker_contexts"])
                  - (b["open_worker_contexts"] - b["spare_worker_contexts"]), "<=", 0, "contexts"),
        criterion("standby spare contexts after", a["spare_worker_contexts"], "<=", 1, "contexts"),
        criterion("live interpreter threads after, minus pool size", a["live_interpreters"] - a["interpreters"],
                  "<=", 0, "threads"),
        criterion("Python threads after, minus before", a["python_threads"] - b["python_threads"], "<=", 0, "threads"),
        criterion("JVM OS threads after, minus before", a["jvm_threads"] - b["jvm_threads"], "<=", 4, "threads",
                  note="tolerance 4: the JIT starts and stops compiler threads on its own"),
        criterion("JVM OS threads started by the first cancels (reference)", b["jvm_threads"] - b0["jvm_threads"],
                  "<=", 16, "threads", counts=False,
                  note="thread pools created on first use, bounded: 4 callback, reaper, timer, the standby "
                       "builder, GraalPy's per-context action threads; idle ones retire after 5-60 s"),
        criterion("tasks still active after", a["active_tasks"], "<=", 0, "tasks"),
    ]
    return entry("B6", "cancel", lat["median"], None, "ms", "resolved <= 100 ms after the deadline; replacement "
                 "<= 0.5 s; nothing left behind after the cancels", criteria,
                 "timeout=0.3 on `while True: pass` (interpreters): get() raises this long after the deadline",
                 params={"cancels": r["cancels"], "workers": r["workers"], "timeout_s": r["timeout_s"]},
                 measurements={"latency_ms": {"steady": lat, "warmup": summarize(r["warmup_latency_s"], 1e3)},
                               "replacement_s": {"steady": rep, "warmup": summarize(r["warmup_replacement_s"])}},
                 tables={"left behind? counts before any cancel, after the warm-up round (before) and at the end": [
                     {"count": k, "before any cancel": v[0], "before": v[1], "after": v[2]} for k, v in leaks.items()]},
                 extra={"total_s": r["total_s"]})


def b7(peer, P):
    k, tasks = P["b7_workers"], P["b7_tasks"]
    log("B7 memory: 0..%d worker interpreters, then %d tasks with dropped handles (fresh processes)" % (k, tasks))
    # Cold, in a JVM of its own: relayed to a warm daemon, the RSS read would be the daemon's,
    # whose heap earlier runs have long since grown (that read 1.5 MB per worker against 3 GB).
    ours = peer.proc([LAUNCHER, "bench/workloads/memory.py", "--max-workers", str(k), "--tasks", str(tasks),
                      "--checkpoints", str(P["b7_checkpoints"])], {"MAKEPARALLEL_DAEMON": "0"})["emitted"]
    theirs = peer.proc([PY3, "bench/peers/memory.py", "--workers", str(k)])["emitted"]
    pts = ours["workers"]
    # Per extra worker: the slope from 1 to k workers (single steps are noisy, because the JVM
    # grows its heap in jumps); the single steps are kept as the spread.
    steps = [pts[i]["rss_mb"] - pts[i - 1]["rss_mb"] for i in range(2, len(pts))]
    per = (pts[-1]["rss_mb"] - pts[1]["rss_mb"]) / (len(pts) - 2)
    heap_per = None
    if pts[1].get("live_heap_mb") is not None:
        heap_per = (pts[-1]["live_heap_mb"] - pts[1]["live_heap_mb"]) / (len(pts) - 2)
    peer_rss = summarize([w["rss_mb"] for w in theirs["workers"]], digits=2)
    peer_pss = summarize([w["pss_mb"] for w in theirs["workers"] if w["pss_mb"] is not None], digits=2)
    series = ours["handles"]["series"]
    first, mid, last = series[0], series[len(series) // 2], series[-1]
    rss_growth = last["rss_mb"] - first["rss_mb"]
    heap_growth = heap_late = heap_late_total = left_tasks = None

    def app_heap(p):  # the live heap less the jar-based compiler's own objects (its graphs)
        return p["live_heap_mb"] - (p.get("compiler_heap_mb") or 0.0)

    if first.get("live_heap_mb") is not None:
        heap_growth = app_heap(last) - app_heap(first)
        # Judged on the second half: early on the JIT is still adding profiles and code to
        # the heap, which is not growth caused by the tasks. Without the compiler's objects:
        # the graphs it holds at the moment of the histogram swing the total by +-12 MB.
        heap_late = app_heap(last) - app_heap(mid)
        heap_late_total = last["live_heap_mb"] - mid["live_heap_mb"]
        left_tasks = last["live_objects"]["io.makeparallel.task.Task"]
    criteria = [
        criterion("RSS per extra worker interpreter (1 to %d workers)" % k, per, "<=", 40.0, "MB"),
        criterion("live Java heap per extra worker (reference)", heap_per, "<=", 40.0, "MB", counts=False),
        criterion("live Java heap growth, tasks %d to %d, handles dropped" % (mid["tasks"], last["tasks"]),
                  heap_late, "<=", 2.0, "MB", note="after a full GC (jcmd GC.class_histogram), less the Graal "
                  "compiler's own objects; 2 MB = %.0f bytes per task" % (
                      2 * 1024 * 1024 / max(1, last["tasks"] - mid["tasks"]))),
        criterion("Task objects still alive after %d tasks" % last["tasks"], left_tasks, "<=", 0, "objects"),
        criterion("the same, with the compiler's objects (reference)", heap_late_total, "<=", 2.0, "MB",
                  counts=False),
        criterion("live Java heap growth less the compiler's, all %d tasks (reference)" % last["tasks"],
                  heap_growth, "<=", 2.0, "MB", counts=False),
        criterion("RSS growth, all %d tasks (reference)" % last["tasks"], rss_growth, "<=", 2.0, "MB",
                  note="a JVM keeps heap pages it once used, so RSS is reported, not judged", counts=False),
    ]

    def row(p, key):
        objs = p.get("live_objects") or {}
        return {key: p[key], "rss_mb": p["rss_mb"], "live_heap_mb": p.get("live_heap_mb"),
                "compiler_heap_mb": p.get("compiler_heap_mb"),
                "live_Task": objs.get("io.makeparallel.task.Task"),
                "live_HostHandle": objs.get("io.makeparallel.python.HostHandle"),
                **({"start_s": p["start_s"]} if "start_s" in p else {})}

    return entry("B7", "memory", per, peer_rss["median"], "MB/worker", "<= 40 MB per worker; no growth "
                 "after the handles are gone", criteria,
                 "RSS added per extra worker interpreter vs RSS of a ProcessPoolExecutor worker",
                 params={"max_workers": k, "tasks": tasks},
                 measurements={"ours_rss_per_step_mb": summarize(steps, digits=2), "peer_worker_rss_mb": peer_rss,
                               "peer_worker_pss_mb": peer_pss},
                 tables={"worker interpreters added one by one": [row(p, "interpreters") for p in pts],
                         "tasks finished, handles dropped (after gc)": [row(p, "tasks") for p in series]},
                 extra={"first_worker_rss_mb": pts[1]["rss_mb"] - pts[0]["rss_mb"],
                        "handles_elapsed_s": ours["handles"]["elapsed_s"],
                        "active_tasks_after": ours["handles"]["active_after"],
                        "peer_parent_rss_mb": theirs["parent_rss_after_mb"]})


# B5 last: its whole-process launches are the least disturbed by anything left running here.
def b8(peer, P):
    scale, reps = P["b8_scale"], P["b8_reps"]
    log("B8 realistic: six workloads x 8 tasks, scale %.2f, %d whole-process reps" % (scale, reps))
    args = ["--scale=%s" % scale]
    wp = whole_process(peer, [
        ("ours", [LAUNCHER, "bench/workloads/realistic.py"] + args, {"MAKEPARALLEL_QUIET": "1"}),
        ("peer", [PY3, "bench/peers/realistic.py"] + args, None),
    ], reps)
    o, p = wp["ours"]["wall_s"]["median"], wp["peer"]["wall_s"]["median"]
    # Warm: one daemon, then the same script again and again, as a user reruns it; the daemon
    # keeps the compiled code of the script's functions from run to run.
    warm_env = {"MAKEPARALLEL_QUIET": "1", "MAKEPARALLEL_DAEMON": None, "MAKEPARALLEL_CACHE": os.path.join(TMP_DIR, "b8-cache")}
    warm = []
    try:
        if _start_daemon(peer, warm_env):
            for _ in range(P["b8_warm_runs"]):
                warm.append(peer.proc([LAUNCHER, "bench/workloads/realistic.py"] + args, warm_env)["wall_s"])
    finally:
        peer.proc([LAUNCHER, "--daemon", "stop"], warm_env)
    w = warm[-1] if warm else None
    # The last run's per-workload figures, and whether every digest equals CPython's.
    per = {}
    for label in ("ours", "peer"):
        emitted = wp[label].get("emitted_last") or {}
        for name, fig in ((emitted.get("rounds") or [{}])[0]).items():
            per.setdefault(name, {})[label] = fig
    same = bool(per) and all(v.get("ours", {}).get("digest") == v.get("peer", {}).get("digest")
                             for v in per.values())
    criteria = [
        criterion("whole process, no daemon, vs ProcessPoolExecutor(%d)" % CORES, ratio(o, p), "<=", 2.0, "x"),
        criterion("results identical to CPython's (digests of every workload)", 1.0 if same else 0.0, ">=", 1.0, ""),
        criterion("warm daemon, run %d of the same script, vs ProcessPoolExecutor(%d)" % (len(warm), CORES),
                  ratio(w, p) if w else None, "<=", 0.7, "x", note=None if warm else "the daemon did not start"),
    ]
    return entry("B8", "realistic", o, p, "s", "first run <= 2 x ProcessPoolExecutor; identical results", criteria,
                 "six pure-Python workloads x 8 tasks, parallel_map(..., backend='interpreters') vs "
                 "ProcessPoolExecutor(%d).map, whole process" % CORES,
                 target_ratio=2.0, whole_process=wp,
                 extra={"per_workload_last_run": per, "results_identical": same, "warm_runs_s": warm})


BENCHMARKS = [("B1", "cpu", b1), ("B2", "dispatch", b2), ("B3", "map", b3), ("B4", "io", b4),
              ("B6", "cancel", b6), ("B7", "memory", b7), ("B8", "realistic", b8), ("B5", "start-up", b5)]


# ---- the machine -----------------------------------------------------------------------------


def _sh(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_DIR)
        return (r.stdout + r.stderr).strip()
    except Exception as exc:  # a missing tool must not stop the run
        return "unavailable: %s" % exc


def loadavg():
    return _sh(["cat", "/proc/loadavg"])


def machine(peer_info, mode):
    cmdline = _sh(["cat", "/proc/%d/cmdline" % os.getpid()]).split("\0")
    java = cmdline[0] if cmdline and cmdline[0].endswith("java") else None
    jdk = _sh([java, "-version"]).splitlines()[0:2] if java else ["unknown"]
    # The launcher turns Graal's JIT on with these flags (JDK 25 + target/dist/jit, given by
    # --upgrade-module-path, or by --module-path on its linked runtime image); without them
    # Truffle runs interpreter-only.
    jit = any(a == "-XX:+EnableJVMCI" for a in cmdline) and any(
        "upgrade-module-path" in a or a == "--add-modules=jdk.graal.compiler" for a in cmdline)
    cpu_model = next((l.split(":", 1)[1].strip() for l in _sh(["cat", "/proc/cpuinfo"]).splitlines()
                      if l.startswith("model name")), "unknown")
    mem = next((l.split(":", 1)[1].strip() for l in _sh(["cat", "/proc/meminfo"]).splitlines()
                if l.startswith("MemTotal")), "unknown")
    dirty = bool(_sh(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "cores": CORES,
        "cpu": cpu_model,
        "memory": mem,
        "jdk": " / ".join(jdk),
        "java": java,
        "jit": "on" if jit else "off",
        "MAKEPARALLEL_JIT": os.environ.get("MAKEPARALLEL_JIT"),
        "graalpy": "%s (Python %s)" % (".".join(map(str, sys.implementation.version[:3])),
                                       platform.python_version()),
        "cpython": "%s (%s)" % (peer_info["python"], peer_info["executable"]),
        "makeparallel": makeparallel.__version__,
        "git_commit": _sh(["git", "rev-parse", "--short", "HEAD"]) + (" (+ uncommitted changes)" if dirty else ""),
        "os": platform.platform(),
        "loadavg_start": loadavg(),
        "mode": mode,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---- output ----------------------------------------------------------------------------------


def _cell(x):
    return str(x).replace("|", "\\|").replace("\n", " ")


def _met(m):
    return {True: "yes", False: "**no**", None: "n/a"}[m]


def markdown(report):
    mach = report["machine"]
    out = ["# makeparallel benchmarks (%s run)" % mach["mode"], ""]
    out.append("Command: `%s` — %s, %.0f s in all. Ratios are ours / peer, measured side by side in this "
               "run (lower is better for times). Medians of the repetitions; spread = (max-min)/median." % (
                   report["command"], mach["date"], report["duration_s"]))
    out += ["", "| id | what | ours | peer | ratio | unit | target | met |", "|---|---|---|---|---|---|---|---|"]
    for bid in sorted(report["benchmarks"]):
        b = report["benchmarks"][bid]
        out.append("| %s %s | %s | %s | %s | %s | %s | %s | %s |" % (
            bid, b["title"], _cell(b["headline"]), fmt(b["ours"]), fmt(b["peer"]), fmt(b["ratio"]), b["unit"],
            _cell(b["target"]), _met(b["met"])))
    missed = [b for b in report["benchmarks"].values() if b["met"] is False]
    if missed:
        out += ["", "## Targets missed, and by how much", ""]
        for b in sorted(missed, key=lambda b: b["id"]):
            out.append("- **%s %s**: %s" % (b["id"], b["title"], b["miss"]))
    out += ["", "## Machine", ""]
    out += ["- %s: %s" % (k, v) for k, v in mach.items()]
    for bid in sorted(report["benchmarks"]):
        b = report["benchmarks"][bid]
        out += ["", "## %s %s" % (bid, b["title"]), "", b["headline"] + ".", ""]
        if b.get("params"):
            out += ["Parameters: " + ", ".join("%s=%s" % (k, fmt(v)) for k, v in b["params"].items()), ""]
        out += ["| criterion | value | target | met | note |", "|---|---|---|---|---|"]
        for c in b["criteria"]:
            out.append("| %s | %s %s | %s %s %s | %s | %s |" % (
                c["name"], fmt(c["value"]), c["unit"], c["op"], fmt(c["limit"]), c["unit"],
                _met(c["met"]) + ("" if c["counts"] else " (not judged)"), _cell(c["miss"] or c["note"] or "")))
        if b.get("measurements"):
            out += ["", "| series | steady median | spread (min-max) | n | warm-up runs | first run |",
                    "|---|---|---|---|---|---|"]
            for label, s in b["measurements"].items():
                st = s.get("steady", s)
                wu = s.get("warmup", {})
                out.append("| %s | %s | %s%% (%s-%s) | %s | %s | %s |" % (
                    label, fmt(st.get("median")), fmt(st.get("spread_pct")), fmt(st.get("min")),
                    fmt(st.get("max")), st.get("n"), wu.get("n", "-"),
                    fmt(wu["samples"][0]) if wu.get("samples") else "-"))
        if b.get("whole_process"):
            out += ["", "Whole process (start-up included):", "",
                    "| program | wall median (s) | spread | max RSS (MB) | in-process part (s) | n |",
                    "|---|---|---|---|---|---|"]
            for label, s in b["whole_process"].items():
                out.append("| %s: `%s` | %s | %s%% | %s | %s | %s |" % (
                    label, s["argv"].replace(REPO_DIR + "/", ""), fmt(s["wall_s"]["median"]),
                    fmt(s["wall_s"]["spread_pct"]), fmt(s["maxrss_mb"]["median"]),
                    fmt(s["inproc_s"].get("median")), s["wall_s"]["n"]))
        for name, rows in (b.get("tables") or {}).items():
            cols = list(rows[0]) if rows else []
            out += ["", name + ":", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            out += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
        if b.get("extra"):
            out += ["", "Also: " + "; ".join("%s=%s" % (k, json.dumps(v) if isinstance(v, (dict, list)) else fmt(v))
                                             for k, v in b["extra"].items())]
    if report.get("notes"):
        out += ["", "## Notes", ""] + ["- " + n for n in report["notes"]]
    return "\n".join(out) + "\n"


def to_json(report):
    """The file's layout: one key per benchmark id (``B1`` ... ``B7``), each with ``ours``,
    ``peer``, ``ratio``, ``unit``, ``target`` and ``met``, beside ``machine`` and the run's
    other facts (command, profile, notes, duration)."""
    out = {k: v for k, v in report.items() if k != "benchmarks"}
    out.update(report["benchmarks"])
    return out


def from_json(obj):
    """The in-memory report (benchmarks under ``"benchmarks"``) from the file's layout."""
    report = {k: v for k, v in obj.items() if not re.fullmatch(r"B\d+", k)}
    report["benchmarks"] = {k: v for k, v in obj.items() if re.fullmatch(r"B\d+", k)}
    return report


def write_outputs(report, out_json, write_json=True):
    base = os.path.splitext(out_json)[0]
    if write_json:
        with open(out_json, "w") as f:
            json.dump(to_json(report), f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(markdown(report))
    # Drawn by python3 in its own process (chart.py needs nothing GraalPy-specific).
    chart = subprocess.run([PY3, os.path.join(BENCH_DIR, "chart.py"), out_json, base + ".png"],
                           capture_output=True, text=True)
    if chart.returncode != 0:
        log("chart failed: %s" % chart.stderr.strip())
    log("wrote %s, %s.md, %s.png" % (out_json, base, base))


def main():
    ap = argparse.ArgumentParser(description="makeparallel benchmark suite (B1-B8)")
    ap.add_argument("--quick", action="store_true", help="small sizes; within 5 minutes on 2 cores")
    ap.add_argument("--json", metavar="FILE", help="where to write the JSON (Markdown and PNG go beside it)")
    ap.add_argument("--only", help="comma-separated ids, e.g. B1,B4 (results go to bench/results/tmp/)")
    ap.add_argument("--reps", type=int, help="steady-state repetitions (default 5 quick, 7 full)")
    ap.add_argument("--render", metavar="FILE", help="only rewrite FILE's .md and .png from the JSON FILE")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one size of the profile, e.g. --set b3_items=5000 (see PROFILES)")
    a = ap.parse_args()
    if a.render:
        with open(a.render) as f:
            write_outputs(from_json(json.load(f)), os.path.abspath(a.render), write_json=False)
        return
    mode = "quick" if a.quick else "full"
    P = dict(PROFILES[mode])
    if a.reps:
        P["reps"] = a.reps
    for kv in a.set:
        key, _, value = kv.partition("=")
        if key not in P:
            ap.error("unknown size %r; known: %s" % (key, ", ".join(sorted(P))))
        P[key] = json.loads(value)
    only = {s.strip().upper() for s in a.only.split(",")} if a.only else None
    if a.json:
        out_json = os.path.abspath(a.json)
    else:
        out_json = os.path.join(BENCH_DIR, "results", "tmp" if only else "", "latest.json")
    os.makedirs(os.path.dirname(out_json), exist_ok=True)

    peer = Peer()
    info = peer.call(op="info")
    report = {"command": " ".join(["./makeparallel", "bench/run.py"] + sys.argv[1:]),
              "machine": machine(info, mode), "profile": P, "benchmarks": {}, "notes": []}
    log("machine: %s" % json.dumps(report["machine"]))
    try:
        for bid, title, fn in BENCHMARKS:
            if only and bid not in only:
                continue
            t = now()
            try:
                report["benchmarks"][bid] = fn(peer, P)
            except Exception as exc:
                # One broken benchmark must not lose the others: record it as measured-nothing.
                import traceback
                traceback.print_exc()
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                report["benchmarks"][bid] = {"id": bid, "title": title, "headline": "FAILED: %s" % first,
                                             "ours": None, "peer": None, "ratio": None, "unit": "", "target": "",
                                             "met": False, "miss": "the benchmark failed: %s" % first, "criteria": [],
                                             "error": str(exc)}
            report["benchmarks"][bid]["elapsed_s"] = now() - t
            b = report["benchmarks"][bid]
            log("  %s: ours %s, peer %s, ratio %s %s, met %s (%.0fs)" % (
                bid, fmt(b["ours"]), fmt(b["peer"]), fmt(b["ratio"]), b["unit"], b["met"], b["elapsed_s"]))
            gc.collect()
    finally:
        peer.close()
    report["machine"]["loadavg_end"] = loadavg()
    if DISTURBED:
        report["notes"].append("Samples redone because a concurrent build of this shared checkout disturbed "
                               "them: " + " | ".join(DISTURBED))
    report["duration_s"] = now() - T0
    if mode == "quick":
        report["notes"].append(
            "Quick profile, smaller than the spec where makeparallel is slow today: B2 %d tasks (spec 10,000), "
            "B3 %d items (spec 1,000,000), B7 %d tasks (spec 100,000) and one extra worker (1 to %d); "
            "B5 times the JIT default only; B1's fib(n) is calibrated to ~%.1f s per task on CPython; "
            "B1's whole-process comparison (a >= 10 s job) and whole-process figures for B2-B4 are measured "
            "only by the full profile." % (P["b2_tasks"], P["b3_items"], P["b7_tasks"], P["b7_workers"],
                                           P["b1_task_s"]))
    write_outputs(report, out_json)
    print(markdown(report).split("\n## Targets missed")[0].split("\n## Machine")[0])


if __name__ == "__main__":
    main()
