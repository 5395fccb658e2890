"""Run as ``__main__`` by test_shared_code.py: functions a worker cannot import (issue 12)."""
import sys

import makeparallel as mp

SCALE = 3


def where(_):
    """The file and line this code runs at, and whether the worker's __main__ kept a copy."""
    frame = sys._getframe()
    return frame.f_code.co_filename, frame.f_lineno, "where" in sys.modules["__main__"].__dict__


@mp.parallel(backend="interpreters")
def decorated(x: "int",
              factor: "a default evaluated here" = SCALE * 2,
              *, offset: int = len("abcd")) -> "int":
    return x * factor + offset


def uses_global(x):
    return x * SCALE


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def listed_countdown(n):
    return list(countdown(n))


def fails(x):
    return 1 // x


def make_closure(k):
    def inner(x):
        return x + k
    return inner


if True:
    def indented(x):
        return -x


class Holder:
    def method(self, x):
        return x * 10


square = lambda x: x * x  # noqa: E731
