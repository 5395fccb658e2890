"""The API used as a user would, for a type checker (pyright --strict) to read.

It is not a test file of its own (no ``test_`` prefix); test_typing_stubs.py runs pyright over
it when pyright is installed. ``assert_type`` both documents and checks what the stub promises;
at run time it returns its argument unchanged. Every ``# pyright: ignore`` line below is a
mistake the stub must catch: if pyright stops reporting it, ``reportUnnecessaryTypeIgnoreComment``
fails the check.
"""
from collections.abc import Iterator
from typing import Any, assert_type

import makeparallel as mp


@mp.parallel
def square(x: int) -> int:
    return x * x


@mp.parallel(backend="threads", timeout=30.0, name="cube")
def cube(x: int, *, offset: int = 0) -> int:
    return x ** 3 + offset


@mp.parallel_priority
def urgent(text: str) -> str:
    return text.upper()


@mp.parallel_with_deps
def total(deps: tuple[int, ...]) -> int:
    return sum(deps)


class Worker:
    def __init__(self, factor: int) -> None:
        self.factor = factor

    @mp.parallel
    def scale(self, x: int) -> int:
        return self.factor * x

    @mp.memoize
    def slow_double(self, x: int) -> int:
        return 2 * x


@mp.memoize
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@mp.memoize(maxsize=16)
def halve(x: float) -> float:
    return x / 2


@mp.retry_backoff(max_attempts=2, backoff="constant", initial_delay=0.0, on=(OSError,))
def flaky(path: str) -> bytes:
    return path.encode()


@mp.timer
@mp.profiled
def timed(a: int, b: int = 1) -> int:
    return a + b


@mp.CallCounter
def counted(s: str) -> int:
    return len(s)


def main() -> list[object]:
    """Runs under GraalPy too (test_typing_stubs.py calls it), so the example is real API use."""
    seen: list[int] = []
    h = square(3)
    assert_type(h, "mp.AsyncHandle[int]")
    assert_type(h.get(), int)
    assert_type(h.try_get(), int | None)
    assert_type(h.wait(5), bool)
    h.on_complete(lambda v: seen.append(v + 1))
    h.on_error(lambda e: seen.append(-1))
    assert_type(cube(2, offset=1).result(), int)
    c = cube(2, timeout=5.0)  # a call-time option
    assert_type(c, "mp.AsyncHandle[int]")
    assert_type(urgent("a", priority=3).get(), str)
    deps = total(depends_on=[h, c])
    assert_type(deps.get(), int)
    assert_type(Worker(2).scale(4).get(), int)
    assert_type(Worker(2).slow_double(4), int)

    assert_type(mp.gather([h, square(4)]), list[int])
    assert_type(mp.gather([h], on_error="none"), list[int | None])

    assert_type(mp.parallel_map(str, range(10)), list[str])
    assert_type(mp.parallel_map(str, range(10), ordered=False), Iterator[str])
    assert_type(mp.parallel_map(str, [1], on_error="return"), list[str | BaseException])

    with mp.ParallelContext(timeout=60, max_workers=2) as ctx:
        assert_type(ctx.submit(len, ("abc",)), "mp.AsyncHandle[int]")
        assert_type(ctx.submit(square, (5,)), "mp.AsyncHandle[int]")
        assert_type(ctx.handles(), "list[mp.AsyncHandle[Any]]")

    assert_type(fib(10), int)
    fib.cache_clear()
    assert_type(fib.cache_info().hits, int)
    assert_type(halve(3.0), float)
    assert_type(flaky("x"), bytes)
    assert_type(timed(1), int)
    assert_type(counted("ab"), int)
    assert_type(counted.call_count, int)
    assert_type(mp.get_thread_pool_info()["current_num_threads"], int)
    m = mp.get_metrics("square")
    if m is not None:
        assert_type(m.average_execution_time_ms, float)
    mp.configure(backend="threads")
    try:
        mp.check_cancelled()
    except mp.TaskCancelledError:
        pass
    except mp.TaskError as e:
        assert_type(e.type_name, str | None)
    return [h.get(), deps.get(), mp.parallel_map(str, range(3)), fib(10), counted.call_count]


def mistakes() -> None:
    """Never called: each line is a mistake pyright must report (else the ignore is unused)."""
    square("three")  # pyright: ignore[reportArgumentType]
    mp.parallel_map(str, [1], ordered="yes")  # pyright: ignore[reportCallIssue, reportArgumentType]
    mp.configure(backend="processes")  # pyright: ignore[reportArgumentType]
    mp.gather([square(1)], on_error="ignore")  # pyright: ignore[reportCallIssue, reportArgumentType]
    Worker(2).scale("x")  # pyright: ignore[reportArgumentType]
    halve("3")  # pyright: ignore[reportArgumentType]
