"""Synchronous decorators: timer, memoize/memoize_fast, CallCounter, retry, retry_backoff,
retry_cached and profiled (with get_metrics/get_all_metrics). They run in the caller's thread.
"""
import contextlib
import io
import threading
import time

from makeparallel import (
    CallCounter,
    get_all_metrics,
    get_metrics,
    memoize,
    memoize_fast,
    profiled,
    reset_metrics,
    retry,
    retry_backoff,
    retry_cached,
    timer,
)

# --- 1. timer prints "Execution took: <duration>" after each successful call ----------------------------


@timer
def my_function(n):
    """Sums a small range."""
    return sum(range(n))


buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    value = my_function(10_000)
line = buf.getvalue().strip()
print("timer printed:", line)
assert value == sum(range(10_000))
assert line.startswith("Execution took: "), line
assert my_function.__name__ == "my_function" and my_function.__doc__ == "Sums a small range."

# --- 2. memoize: one computation per key, recursion-safe ----------------------------------------------------
computed = []


@memoize
def fibonacci(n):
    computed.append(n)
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)


assert fibonacci(60) == 1548008755920
assert sorted(computed) == list(range(61))  # every n computed exactly once
fibonacci(60)
assert len(computed) == 61  # second call: a cache hit
fibonacci.cache_clear()
fibonacci(10)
assert len(computed) == 61 + 11
print("memoize: fibonacci(60) with 61 computations")

calls = []


@memoize
def scale(x, factor=1):
    calls.append((x, factor))
    return x * factor


scale(2, factor=3)
scale(2.0, factor=3)  # 2 == 2.0: same key, as in functools.lru_cache
scale(2, factor=3.0)
assert calls == [(2, 3)], calls


@memoize
def total(values):
    calls.append(("total", tuple(values)))
    return sum(values)


assert total([1, 2, 3]) == 6 and total([1, 2, 3]) == 6  # unhashable args work too
assert calls.count(("total", (1, 2, 3))) == 1

bounded_calls = []


@memoize(maxsize=2)
def bounded(x):
    bounded_calls.append(x)
    return -x


for x in (1, 2, 2, 3, 1):  # at most 2 keys are kept: by the time 1 comes back it was evicted
    assert bounded(x) == -x
print("memoize(maxsize=2) computed:", bounded_calls)
assert bounded_calls == [1, 2, 3, 1], bounded_calls

# --- 3. memoize_fast under concurrency: 8 threads, one computation -------------------------------------------
slow_calls = []


@memoize_fast
def expensive_computation(x, y):
    slow_calls.append((x, y))
    time.sleep(0.1)
    return x ** y


results = []
threads = [threading.Thread(target=lambda: results.append(expensive_computation(2, 10))) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert results == [1024] * 8
assert slow_calls == [(2, 10)], slow_calls
print("memoize_fast: 8 concurrent callers, %d computation" % len(slow_calls))

# --- 4. CallCounter on functions and methods ----------------------------------------------------------------


@CallCounter
def counted_function():
    return "result"


counted_function()
counted_function()
assert counted_function.call_count == 2
counted_function.reset()
assert counted_function.call_count == 0


class Greeter:
    def __init__(self, greeting):
        self.greeting = greeting

    @CallCounter
    def greet(self, name):
        return "%s, %s" % (self.greeting, name)


g = Greeter("Hello")
assert g.greet("Ada") == "Hello, Ada" and g.greet("Bob") == "Hello, Bob"
assert Greeter.greet.call_count == 2
print("CallCounter: function and method counted")

# --- 5. retry: up to 1 + max_retries calls ---------------------------------------------------------------------
attempts = []


@retry(max_retries=3)
def flaky_api_call():
    attempts.append(time.monotonic())
    if len(attempts) < 3:
        raise ConnectionError("temporary failure")
    return "response"


assert flaky_api_call() == "response"
assert len(attempts) == 3
print("retry: succeeded on attempt", len(attempts))

always = []


@retry(max_retries=2)
def always_fails():
    always.append(1)
    raise ValueError("permanent failure")


try:
    always_fails()
except ValueError:
    pass
else:
    raise SystemExit("expected ValueError after the retries ran out")
assert len(always) == 3  # the first call and 2 retries

# --- 6. retry_backoff: growing pauses, only for the listed exception types -------------------------------------
tries = []


@retry_backoff(max_attempts=4, backoff="exponential", initial_delay=0.02, max_delay=0.05)
def unreliable_task():
    tries.append(time.monotonic())
    if len(tries) < 4:
        raise TimeoutError("not yet")
    return "done"


assert unreliable_task() == "done"
gaps = [b - a for a, b in zip(tries, tries[1:])]
print("retry_backoff pauses:", ["%.3f" % g for g in gaps])
assert len(gaps) == 3
assert gaps[0] >= 0.015 and gaps[1] >= 0.035 and gaps[2] >= 0.045  # 0.02, 0.04, then capped at 0.05

picky = []


@retry_backoff(max_attempts=5, initial_delay=0.01, on=(ConnectionError,))
def not_retried():
    picky.append(1)
    raise KeyError("not a ConnectionError")


try:
    not_retried()
except KeyError:
    pass
assert picky == [1], "exceptions outside `on` propagate at once"

for kwargs in ({"backoff": "fibonacci"}, {"max_attempts": -1}, {"initial_delay": -1.0}):
    try:
        retry_backoff(**kwargs)
    except ValueError as exc:
        print("retry_backoff(%s) -> ValueError: %s" % (kwargs, exc))
    else:
        raise SystemExit("retry_backoff(%s) should be rejected" % kwargs)
try:
    retry(max_retries=-1)
except ValueError:
    pass
else:
    raise SystemExit("retry(max_retries=-1) should be rejected")

# --- 7. retry_cached: retries, then caches the successful result -------------------------------------------------
fetches = []


@retry_cached(max_attempts=3)
def fetch_config(name):
    fetches.append(name)
    if len(fetches) == 1:
        raise OSError("first try fails")
    return {"name": name, "workers": 4}


assert fetch_config("prod") == {"name": "prod", "workers": 4}
assert fetch_config("prod") == {"name": "prod", "workers": 4}
assert fetches == ["prod", "prod"], fetches  # one failure, one success, then the cache

# --- 8. profiled: metrics per function --------------------------------------------------------------------------
reset_metrics()


@profiled
def tracked_function(x):
    if x < 0:
        raise ValueError("negative")
    return x ** 2


for i in range(100):
    tracked_function(i)
for i in (-1, -2):
    try:
        tracked_function(i)
    except ValueError:
        pass

metrics = get_metrics("tracked_function")
print("Total tasks: %d, completed: %d, failed: %d, avg time: %.4fms" % (
    metrics.total_tasks, metrics.completed_tasks, metrics.failed_tasks,
    metrics.average_execution_time_ms))
assert metrics.total_tasks == 102
assert metrics.completed_tasks == 100
assert metrics.failed_tasks == 2
assert metrics.total_execution_time_ms >= 0.0
assert abs(metrics.average_execution_time_ms - metrics.total_execution_time_ms / 102) < 1e-6
assert get_metrics("never_called") is None

all_metrics = get_all_metrics()
assert all_metrics["tracked_function"]["total_tasks"] == 102
assert all_metrics["_global_total"] >= 102
assert all_metrics["_global_completed"] >= 100 and all_metrics["_global_failed"] >= 2
reset_metrics()
assert get_metrics("tracked_function") is None

print("sync_decorators: all checks passed")
