"""Pure-Python CPU work on several cores with backend="interpreters".

Each worker is its own GraalPy interpreter with its own GIL, so pure-Python loops really run at
the same time. Functions from the main script, lambdas and closures are shipped to the
workers; arguments and results travel pickled, so workers never share objects with the caller.
A task that overruns its timeout= is stopped for real, even in a tight loop.
"""
import os
import time

from makeparallel import TaskTimeoutError, get_active_task_count, parallel, parallel_map

WORKERS = max(2, min(4, os.cpu_count() or 1))
LIMIT = 10_000  # small: interpreter-only GraalPy runs this loop far slower than CPython
CHUNK = 1_000
EXPECTED_PRIMES = 1229  # primes below 10,000


def count_primes_in(bounds):
    """Counts primes in [lo, hi) by trial division: deliberately plain Python."""
    lo, hi = bounds
    count = 0
    for n in range(max(lo, 2), hi):
        if n % 2 == 0:
            count += n == 2
            continue
        d = 3
        while d * d <= n:
            if n % d == 0:
                break
            d += 2
        else:
            count += 1
    return count


def spin_count(seconds):
    """Counts loop iterations for a fixed wall-clock time: a measure of CPU available to it."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for _ in range(200):
            n += 1
    return n


chunks = [(lo, min(lo + CHUNK, LIMIT)) for lo in range(0, LIMIT, CHUNK)]

# --- 1. warm the workers up (creating interpreters is a one-time cost) ------------------------------------
start = time.monotonic()
parallel_map(spin_count, [0.1] * WORKERS, backend="interpreters", max_workers=WORKERS, chunksize=1)
print("%d interpreter workers ready in %.2fs" % (WORKERS, time.monotonic() - start))

# --- 2. serial versus parallel prime counting ----------------------------------------------------------------
start = time.monotonic()
serial_per_chunk = [count_primes_in(c) for c in chunks]
serial = sum(serial_per_chunk)
serial_time = time.monotonic() - start

start = time.monotonic()
per_chunk = parallel_map(count_primes_in, chunks, backend="interpreters", max_workers=WORKERS, chunksize=1)
parallel_time = time.monotonic() - start
parallel_total = sum(per_chunk)

print("serial:   %d primes below %d in %.2fs" % (serial, LIMIT, serial_time))
print("parallel: %d primes below %d in %.2fs on %d interpreters (%.1fx)"
      % (parallel_total, LIMIT, parallel_time, WORKERS, serial_time / max(parallel_time, 1e-9)))
assert serial == EXPECTED_PRIMES, serial
assert parallel_total == serial
assert per_chunk == serial_per_chunk  # in input order

# --- 3. the workers really run at the same time --------------------------------------------------------------
# Two tasks spinning side by side each get about as much CPU as one alone; if they shared one
# GIL each would get about half.
solo = parallel_map(spin_count, [0.25], backend="interpreters")[0]
pair = parallel_map(spin_count, [0.25, 0.25], backend="interpreters", max_workers=2, chunksize=1)
ratio = min(pair) / solo
print("side-by-side CPU share versus alone: %.2f (1.0 = fully parallel, 0.5 = one GIL)" % ratio)
if (os.cpu_count() or 1) >= 4:
    assert ratio > 0.6, "interpreter workers did not run in parallel (ratio %.2f)" % ratio

# --- 4. lambdas and closures are shipped too, when what they capture pickles -------------------------------
def make_scaler(factor):
    return lambda x: x * factor  # a closure over `factor`


assert parallel_map(make_scaler(3), range(10), backend="interpreters") == [x * 3 for x in range(10)]
print("a closure ran in the workers: ok")


# --- 5. arguments are copies; errors come back with their original type --------------------------------
@parallel(backend="interpreters")
def append_marker(items):
    items.append("added in a worker")
    return items


@parallel(backend="interpreters")
def checked_sqrt(x):
    if x < 0:
        raise ValueError("negative input: %r" % x)
    return x ** 0.5


data = ["original"]
returned = append_marker(data).get()
assert returned == ["original", "added in a worker"]
assert data == ["original"], "the caller's list is untouched: only a pickled copy crossed"
assert checked_sqrt(16).get() == 4.0
try:
    checked_sqrt(-1).get()
except ValueError as exc:
    print("worker error came back as", type(exc).__name__ + ":", exc)
else:
    raise SystemExit("expected ValueError from the worker")


# --- 6. timeout= stops a runaway pure-Python loop for real ---------------------------------------------------
@parallel(backend="interpreters")
def runaway(seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:  # never checks for cancellation
        n += 1
    return n


start = time.monotonic()
h = runaway(8.0, timeout=0.5)
try:
    h.get()
except TaskTimeoutError:
    print("runaway task stopped by its timeout after %.2fs" % (time.monotonic() - start))
else:
    raise SystemExit("expected TaskTimeoutError")
deadline = time.monotonic() + 4.0
while get_active_task_count() > 0 and time.monotonic() < deadline:
    time.sleep(0.02)
assert get_active_task_count() == 0, "the timed-out task is still running"
assert time.monotonic() - start < 6.0
assert checked_sqrt(9).get() == 3.0  # the pool carries on with a fresh interpreter

print("cpu_interpreters: all checks passed")
