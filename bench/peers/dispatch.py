"""B2 peer: no-op tasks through ThreadPoolExecutor.submit, one at a time and in bulk."""
import argparse
from concurrent.futures import ThreadPoolExecutor

import _path  # noqa: F401
from benchlib import emit, now
from workloads.kernels import noop


class OneAtATime:
    def __init__(self):
        self.ex = ThreadPoolExecutor()  # default size, like the threads backend's default pool

    def run(self, tasks):
        t = now()
        for _ in range(tasks):
            self.ex.submit(noop).result()
        return {"t": now() - t}

    def close(self):
        self.ex.shutdown()


class Bulk(OneAtATime):
    def run(self, tasks):
        t = now()
        futures = [self.ex.submit(noop) for _ in range(tasks)]
        for f in futures:
            f.result()
        return {"t": now() - t}


RUNNERS = {"one": OneAtATime, "bulk": Bulk}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=10_000)
    a = ap.parse_args()
    out = {}
    for name, cls in RUNNERS.items():
        r = cls()
        out[name] = r.run(a.tasks)["t"]
        r.close()
    emit(out)


if __name__ == "__main__":
    main()
