"""B3 peer: multiprocessing.Pool.map(inc, range(N)) with the default chunksize.

A CPython user cannot send a lambda to a process pool, so the item function is the
module-level equivalent `def inc(x): return x + 1`.
"""
import argparse
import multiprocessing

import _path  # noqa: F401
from benchlib import emit, now
from workloads.kernels import inc


class PoolMap:
    def __init__(self, workers=None):
        self.pool = multiprocessing.Pool(workers)  # None = os.cpu_count()

    def run(self, items):
        t = now()
        out = self.pool.map(inc, range(items))
        return {"t": now() - t, "check": out[-1]}

    def close(self):
        self.pool.close()
        self.pool.join()


RUNNERS = {"pool_map": PoolMap}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=1_000_000)
    a = ap.parse_args()
    t = now()
    with multiprocessing.Pool() as pool:
        out = pool.map(inc, range(a.items))
    emit({"t_inproc": now() - t, "check": out[-1]})


if __name__ == "__main__":
    main()
