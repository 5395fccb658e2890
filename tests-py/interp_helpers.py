"""Importable helpers for test_interpreters: functions shipped by reference."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Unrebuildable(Exception):
    """Needs two arguments, so pickle cannot rebuild it from its args."""

    def __init__(self, a, b):
        super().__init__(a)
        self.b = b
