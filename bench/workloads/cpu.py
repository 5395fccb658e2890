"""B1, makeparallel side: recursive fib on worker interpreters, and serially in-process.

`./makeparallel bench/workloads/cpu.py --n 31 --tasks 8` is the whole-process program (start-up,
worker creation and JIT warm-up included), written the way a user would: one parallel_map call.
The runner classes are what bench/run.py times in-process, warm.
"""
import argparse
import os

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel
from benchlib import emit, now
from workloads.kernels import fib, timed_fib


class Parallel:
    def __init__(self, workers=None):
        t = now()
        makeparallel.configure(interpreters=workers, warmup=True)
        self.setup_s = now() - t

    def run(self, n, tasks):
        t = now()
        results = makeparallel.parallel_map(fib, [n] * tasks, backend="interpreters")
        return {"t": now() - t, "check": results[0]}


class Serial:
    """The same calls one after another in the caller's interpreter: the speed-up baseline."""

    def run(self, n, tasks):
        t = now()
        results = [fib(n) for _ in range(tasks)]
        return {"t": now() - t, "check": results[0]}


class CallInWorker:
    """One fib(n) timed inside a worker interpreter, one task at a time (the other workers
    idle), so the figure is the worker's speed for the call, not the cores' contention. The
    worker's fib is the shared code once the B1 map has sent fib itself (it runs first)."""

    def run(self, n):
        (t, result), = makeparallel.parallel_map(timed_fib, [n], backend="interpreters", max_workers=1)
        return {"t": t, "check": result}


class CallInCaller:
    """The same call timed in the caller's interpreter."""

    def run(self, n):
        t, result = timed_fib(n)
        return {"t": t, "check": result}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=31)
    ap.add_argument("--tasks", type=int, default=4 * (os.cpu_count() or 1))
    a = ap.parse_args()
    t = now()
    results = makeparallel.parallel_map(fib, [a.n] * a.tasks, backend="interpreters")
    emit({"t_inproc": now() - t, "check": results[0]})


if __name__ == "__main__":
    main()
