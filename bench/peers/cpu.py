"""B1 peer: recursive fib on CPython, serially and with ProcessPoolExecutor(cores).

`python3 bench/peers/cpu.py --n 31 --tasks 8 --mode pool` is the whole-process program: what a
user's script would look like. The runner classes are the same code kept alive between
repetitions by bench/peers/server.py, so the executor is created once and measured warm.
"""
import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import _path  # noqa: F401
from benchlib import emit, now
from workloads.kernels import fib


class Serial:
    def run(self, n, tasks):
        t = now()
        results = [fib(n) for _ in range(tasks)]
        return {"t": now() - t, "check": results[0]}


class Pool:
    """One executor for the whole run, as a long-running CPython program would keep it."""

    def __init__(self, workers=None):
        self.ex = ProcessPoolExecutor(max_workers=workers or os.cpu_count())

    def run(self, n, tasks):
        t = now()
        results = list(self.ex.map(fib, [n] * tasks))
        return {"t": now() - t, "check": results[0]}

    def close(self):
        self.ex.shutdown()


RUNNERS = {"serial": Serial, "pool": Pool}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=31)
    ap.add_argument("--tasks", type=int, default=4 * (os.cpu_count() or 1))
    ap.add_argument("--mode", choices=("serial", "pool"), default="pool")
    a = ap.parse_args()
    t = now()
    if a.mode == "pool":
        with ProcessPoolExecutor() as ex:
            results = list(ex.map(fib, [a.n] * a.tasks))
    else:
        results = [fib(a.n) for _ in range(a.tasks)]
    emit({"t_inproc": now() - t, "check": results[0]})


if __name__ == "__main__":
    main()
