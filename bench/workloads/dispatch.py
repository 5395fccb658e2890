"""B2, makeparallel side: no-op tasks through @parallel (threads backend)."""
import argparse

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel
from benchlib import emit, now
from workloads.kernels import noop

# backend named explicitly so that MAKEPARALLEL_BACKEND in the environment cannot change B2.
noop_task = makeparallel.parallel(backend="threads")(noop)


class OneAtATime:
    def run(self, tasks):
        t = now()
        for _ in range(tasks):
            noop_task().get()
        return {"t": now() - t}


class Bulk:
    def run(self, tasks):
        t = now()
        handles = [noop_task() for _ in range(tasks)]
        for h in handles:
            h.get()
        return {"t": now() - t}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=10_000)
    a = ap.parse_args()
    emit({"one": OneAtATime().run(a.tasks)["t"], "bulk": Bulk().run(a.tasks)["t"]})


if __name__ == "__main__":
    main()
