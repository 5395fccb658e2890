"""B4 peer: 200 tasks that each sleep 50 ms on ThreadPoolExecutor(32)."""
import argparse
from concurrent.futures import ThreadPoolExecutor

import _path  # noqa: F401
from benchlib import emit, now
from workloads.kernels import nap


class Threads32:
    def __init__(self, threads=32):
        self.ex = ThreadPoolExecutor(max_workers=threads)

    def run(self, tasks, seconds):
        t = now()
        futures = [self.ex.submit(nap, seconds) for _ in range(tasks)]
        for f in futures:
            f.result()
        return {"t": now() - t}

    def close(self):
        self.ex.shutdown()


RUNNERS = {"threads32": Threads32}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=0.05)
    a = ap.parse_args()
    r = Threads32()
    emit({"t_inproc": r.run(a.tasks, a.seconds)["t"]})
    r.close()


if __name__ == "__main__":
    main()
