"""Batch processing: parallel_map over an iterable, gather over handles, and ParallelContext.

parallel_map keeps input order (or yields results as they finish with ordered=False), accepts
generators, and handles failures with on_error="raise" | "return" | "skip". gather waits for a
list of handles. ParallelContext waits for everything submitted inside its block.
"""
import concurrent.futures
import time

from makeparallel import ParallelContext, check_cancelled, gather, parallel, parallel_map


def process_data(item):
    return item * 2


def fragile(item):
    if item in (3, 7):
        raise ValueError("bad item %d" % item)
    return item * 10


# --- 1. parallel_map over a list, a generator, with an explicit chunk size -------------------------------
my_list = list(range(1000))
results = parallel_map(process_data, my_list)
assert results == [x * 2 for x in my_list]
print("parallel_map over 1000 items: first five", results[:5])

squares = parallel_map(lambda x: x * x, (i for i in range(50)))  # generators work too
assert squares == [i * i for i in range(50)]

chunked = parallel_map(process_data, range(100), chunksize=7, max_workers=3)
assert chunked == [x * 2 for x in range(100)]

# The work really overlaps: 8 x sleep(0.1) on 8 workers takes far less than 0.8 s.
start = time.monotonic()
parallel_map(time.sleep, [0.1] * 8, max_workers=8, chunksize=1)
took = time.monotonic() - start
print("8 x sleep(0.1) with max_workers=8 took %.2fs" % took)
assert took < 0.6, took

# ordered=False yields results as they finish.
unordered = parallel_map(process_data, range(20), ordered=False)
assert not isinstance(unordered, list)
assert sorted(unordered) == [x * 2 for x in range(20)]

# progress=True draws a bar on stderr only when stderr is a terminal.
assert parallel_map(process_data, range(30), progress=True) == [x * 2 for x in range(30)]

# --- 2. parallel_map error handling -------------------------------------------------------------------------
try:
    parallel_map(fragile, range(10))  # on_error="raise" (the default)
except ValueError as exc:
    print("on_error='raise' ->", exc)
    assert "bad item 3" in str(exc), "the lowest failing index is reported"
else:
    raise SystemExit("expected ValueError")

returned = parallel_map(fragile, range(10), on_error="return")
assert isinstance(returned[3], ValueError) and isinstance(returned[7], ValueError)
assert returned[:3] == [0, 10, 20] and returned[9] == 90
print("on_error='return' ->", returned)

skipped = parallel_map(fragile, range(10), on_error="skip")
assert skipped == [0, 10, 20, 40, 50, 60, 80, 90]
print("on_error='skip'   ->", skipped)

# --- 3. gather ---------------------------------------------------------------------------------------------------


@parallel
def task(x):
    return x ** 2


@parallel
def maybe_fail(x):
    if x % 3 == 0:
        raise RuntimeError("task %d failed" % x)
    return x


handles = [task(i) for i in range(10)]
assert gather(handles) == [i ** 2 for i in range(10)]
print("gather:", gather(handles))

handles = [maybe_fail(i) for i in range(1, 8)]  # 3 and 6 fail
assert gather(handles, on_error="skip") == [1, 2, 4, 5, 7]
assert gather(handles, on_error="none") == [1, 2, None, 4, 5, None, 7]
try:
    gather(handles, on_error="raise")
except RuntimeError as exc:
    assert "task 3 failed" in str(exc)
else:
    raise SystemExit("expected RuntimeError from gather")

# on_error is checked up front, even when nothing fails.
try:
    gather([task(2)], on_error="ignore")
except ValueError as exc:
    print("gather(on_error='ignore') ->", exc)
else:
    raise SystemExit("expected ValueError for an unknown on_error")

# --- 4. ParallelContext --------------------------------------------------------------------------------------


def plain_multiply(x, factor=2):
    return x * factor


with ParallelContext(timeout=10.0) as ctx:
    handle1 = ctx.submit(task, (5,))  # a decorated function...
    handle2 = ctx.submit(plain_multiply, (10,))  # ...or a plain one
    handle3 = ctx.submit(plain_multiply, args=(10,), kwargs={"factor": 3})
# All tasks are complete when the block exits.
assert handle1.is_ready() and handle2.is_ready() and handle3.is_ready()
assert (handle1.get(), handle2.get(), handle3.get()) == (25, 20, 30)
assert handle1.get_timeout() == 10.0  # the context's timeout is each task's deadline
print("ParallelContext results:", handle1.get(), handle2.get(), handle3.get())


def long_running():
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        time.sleep(0.01)
        check_cancelled()
    return "finished"


# If the body raises, unfinished tasks are cancelled before the exception continues.
start = time.monotonic()
try:
    with ParallelContext() as ctx:
        survivor = ctx.submit(plain_multiply, (1,))
        survivor.wait()
        straggler = ctx.submit(long_running)
        raise KeyError("the body failed")
except KeyError:
    pass
assert time.monotonic() - start < 3.0
assert survivor.get() == 2
assert straggler.cancelled()
try:
    straggler.get()
except concurrent.futures.CancelledError:
    print("ParallelContext: body raised, the unfinished task was cancelled")
else:
    raise SystemExit("expected the straggler to be cancelled")

print("map_and_gather: all checks passed")
