"""Importable helpers for test_interpreters: functions shipped by reference."""

import random
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


# Drawn when an interpreter imports this module: one value per worker interpreter.
_INTERPRETER = random.random()


def fib_span(n):
    """fib(n), and where it ran: (start, end) on the process's monotonic clock, and which
    interpreter ran it."""
    start = time.monotonic()
    fib(n)
    return start, time.monotonic(), _INTERPRETER


class Unrebuildable(Exception):
    """Needs two arguments, so pickle cannot rebuild it from its args."""

    def __init__(self, a, b):
        super().__init__(a)
        self.b = b
