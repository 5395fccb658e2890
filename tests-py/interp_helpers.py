"""Importable helpers for test_interpreters: functions shipped by reference."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def fib_span(n):
    """fib(n), and where it ran: (start, end) on the process's monotonic clock and the CPU
    seconds of the thread that ran it."""
    import time
    start, cpu = time.monotonic(), time.thread_time()
    fib(n)
    return start, time.monotonic(), time.thread_time() - cpu


class Unrebuildable(Exception):
    """Needs two arguments, so pickle cannot rebuild it from its args."""

    def __init__(self, a, b):
        super().__init__(a)
        self.b = b
