"""B4, makeparallel side: 200 tasks that each sleep 50 ms, @parallel on 32 threads."""
import argparse

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel
from benchlib import emit, now
from workloads.kernels import nap

nap_task = makeparallel.parallel(backend="threads")(nap)


class Threads32:
    def __init__(self, threads=32):
        makeparallel.configure_thread_pool(num_threads=threads)

    def run(self, tasks, seconds):
        t = now()
        handles = [nap_task(seconds) for _ in range(tasks)]
        for h in handles:
            h.get()
        return {"t": now() - t}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=0.05)
    a = ap.parse_args()
    emit({"t_inproc": Threads32().run(a.tasks, a.seconds)["t"]})


if __name__ == "__main__":
    main()
