"""B3, makeparallel side: parallel_map(lambda x: x + 1, range(N)) on each backend."""
import argparse

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel
from benchlib import emit, now
from workloads.kernels import inc


class Map:
    """The spec's call, verbatim: a lambda (shipped by value to worker interpreters)."""

    def __init__(self, backend):
        self.backend = backend

    def run(self, items):
        t = now()
        out = makeparallel.parallel_map(lambda x: x + 1, range(items), backend=self.backend)
        return {"t": now() - t, "check": out[-1]}


class MapImportable(Map):
    """Diagnostic: the same map with an importable `inc`, which workers import by reference."""

    def run(self, items):
        t = now()
        out = makeparallel.parallel_map(inc, range(items), backend=self.backend)
        return {"t": now() - t, "check": out[-1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--backend", choices=("threads", "interpreters"), default="threads")
    a = ap.parse_args()
    emit({"t_inproc": Map(a.backend).run(a.items)["t"]})


if __name__ == "__main__":
    main()
