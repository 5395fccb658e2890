"""The work itself, shared verbatim by the makeparallel side and the CPython peers.

Plain Python with no makeparallel import, so that `python3` and GraalPy run the same code on
the same inputs, and worker interpreters can import it by reference.
"""

import time


def fib(n):
    """Recursive Fibonacci: call-heavy pure-Python CPU work (B1)."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def timed_fib(n):
    """fib(n) and the seconds it took where it ran: a worker's time for a call against the caller's (B1)."""
    t = time.perf_counter()
    result = fib(n)
    return time.perf_counter() - t, result


def noop():
    """B2: a task that does nothing, so only the dispatch cost is left."""
    return None


def inc(x):
    """B3's item function, for peers that cannot pickle a lambda (multiprocessing)."""
    return x + 1


def nap(seconds=0.05):
    """B4: an I/O-like task that only waits."""
    time.sleep(seconds)


def spin_forever():
    """B6: a runaway loop that never checks for cancellation."""
    while True:
        pass
