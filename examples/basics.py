"""Basics: launch a function in the background with @parallel and work with its AsyncHandle.

Shows: non-blocking calls, get()/try_get()/wait()/is_ready(), task id, name, elapsed time and
metadata, errors coming back with their original type, get(timeout) versus a task timeout,
cancel(), the parallel_fast/parallel_pool aliases, decorated methods, and `await handle`.
"""
import asyncio
import concurrent.futures
import time

from makeparallel import (
    AsyncHandle,
    TaskTimeoutError,
    check_cancelled,
    get_thread_pool_info,
    parallel,
    parallel_fast,
    parallel_pool,
)


@parallel
def cpu_task(n):
    """A small calculation standing in for real work."""
    return sum(i * i for i in range(n))


@parallel
def sleepy(seconds, value):
    time.sleep(seconds)
    return value


@parallel
def cooperative_spin(limit_seconds):
    """Works in small steps and checks for cancellation (or a passed deadline) between them."""
    deadline = time.monotonic() + limit_seconds
    steps = 0
    while time.monotonic() < deadline:
        time.sleep(0.01)
        check_cancelled()  # raises TaskCancelledError inside the task once it was cancelled
        steps += 1
    return steps


@parallel
def divide(a, b):
    return a / b


# --- 1. the call returns at once with a handle; get() waits for the value ---------------------
N = 20_000
expected = sum(i * i for i in range(N))

start = time.monotonic()
handle = cpu_task(N)
assert isinstance(handle, AsyncHandle)
print("submitted", handle, "- the caller is free to do other work")
result = handle.get()
print("result %d in %.3fs" % (result, time.monotonic() - start))
assert result == expected
assert handle.is_ready() and handle.done()
assert handle.try_get() == expected          # non-blocking; the value once done
assert handle.get() == expected              # repeated calls return the same value
assert handle.get_progress() == 1.0          # 1.0 once the task succeeded

# --- 2. task information and metadata ----------------------------------------------------------
print("task id:", handle.get_task_id(), "name:", handle.get_name())
assert handle.get_task_id().startswith("task_")
assert handle.get_name() == "cpu_task"
elapsed = handle.elapsed_time()
assert elapsed > 0
time.sleep(0.02)
assert handle.elapsed_time() == elapsed      # frozen once done
assert handle.get_timeout() is None

handle.set_metadata("user_id", "user-123")
handle.set_metadata("batch", "7")
assert handle.get_metadata("user_id") == "user-123"
assert handle.get_metadata("missing") is None
assert handle.get_all_metadata() == {"user_id": "user-123", "batch": "7"}
try:
    handle.set_metadata("count", 3)          # keys and values are strings
except TypeError as exc:
    print("set_metadata with an int ->", type(exc).__name__)
else:
    raise SystemExit("set_metadata accepted a non-string value")

# --- 3. polling without blocking -----------------------------------------------------------------
h = sleepy(0.2, "slept")
assert h.try_get() is None                   # not done yet
assert not h.is_ready()
assert h.wait(0.01) is False                 # waited a little, still running
assert h.wait() is True                      # waits until done
assert h.get() == "slept"
print("try_get/wait/is_ready work:", h)

# --- 4. errors come back with their original type -----------------------------------------------
bad = divide(1, 0)
try:
    bad.get()
except ZeroDivisionError as exc:
    print("task raised", type(exc).__name__ + ":", exc)
else:
    raise SystemExit("expected ZeroDivisionError")
try:
    bad.get()                                # the same error again
except ZeroDivisionError:
    pass
else:
    raise SystemExit("expected the same ZeroDivisionError on the second get()")
assert isinstance(bad.exception(), ZeroDivisionError)

# --- 5. get(timeout) only stops waiting; the task keeps running ---------------------------------
h = sleepy(0.3, "finished anyway")
try:
    h.get(timeout=0.05)
except TimeoutError as exc:
    assert not isinstance(exc, TaskTimeoutError)
    print("get(timeout=0.05) ->", type(exc).__name__, "(the task keeps running)")
else:
    raise SystemExit("expected TimeoutError from get(timeout=0.05)")
assert h.get() == "finished anyway"

# --- 6. a task timeout stops the task --------------------------------------------------------------
start = time.monotonic()
h = cooperative_spin(5.0, timeout=0.2)       # would run 5 s; the deadline is 0.2 s
assert h.get_timeout() == 0.2
try:
    h.get()
except TaskTimeoutError as exc:
    print("timeout=0.2 ->", type(exc).__name__, "after %.2fs" % (time.monotonic() - start))
else:
    raise SystemExit("expected TaskTimeoutError")
assert time.monotonic() - start < 3.0

# --- 7. cancel() -------------------------------------------------------------------------------------
h = cooperative_spin(5.0)
time.sleep(0.1)
assert h.cancel() is True
assert h.is_cancelled() and h.cancelled()
assert h.cancel_with_timeout(3.0) is True    # the task's code has actually stopped
try:
    h.get()
except concurrent.futures.CancelledError as exc:  # TaskCancelledError is one of these
    print("cancelled task ->", type(exc).__name__)
else:
    raise SystemExit("expected a cancellation error")
assert sleepy(0.0, 1).get() == 1
done = sleepy(0.0, "x")
done.wait()
assert done.cancel() is False                # already done: nothing to cancel

# --- 8. parallel_fast and parallel_pool are the same engine -----------------------------------------


@parallel_fast
def fast_task(x):
    return x ** 2


@parallel_pool
def small_task(x):
    return x * 2


assert fast_task(10).get() == 100
handles = [small_task(i) for i in range(200)]
assert [h.get() for h in handles] == [i * 2 for i in range(200)]
print("parallel_fast and parallel_pool: 201 tasks done")

# --- 9. several tasks at once: four 0.2 s sleeps overlap instead of taking 0.8 s ------------------
pool_threads = get_thread_pool_info()["current_num_threads"]
rounds = -(-4 // max(1, min(4, pool_threads)))   # 1 round with 4+ threads
start = time.monotonic()
handles = [sleepy(0.2, i) for i in range(4)]
assert [h.get() for h in handles] == [0, 1, 2, 3]
took = time.monotonic() - start
print("4 x sleep(0.2) on %d pool threads took %.2fs" % (pool_threads, took))
assert took < 0.2 * rounds + 0.45, took


# --- 10. decorated methods and Future vocabulary --------------------------------------------------
class Account:
    def __init__(self, balance):
        self.balance = balance

    @parallel
    def projected(self, years, rate=0.05):
        return round(self.balance * (1 + rate) ** years, 2)


acct = Account(1000)
h = acct.projected(2, rate=0.1)
assert h.result(timeout=5) == 1210.0
assert Account.projected.__name__ == "projected"
callback_seen = []
h.add_done_callback(lambda fut: callback_seen.append(fut.result()))
for _ in range(200):                         # a callback on a done handle fires at once
    if callback_seen:
        break
    time.sleep(0.01)
assert callback_seen == [1210.0]
print("method task:", h.get(), "done callback saw", callback_seen)


# --- 11. handles can be awaited in asyncio -----------------------------------------------------------
async def main():
    return await asyncio.gather(sleepy(0.05, "a"), sleepy(0.05, "b"))

assert asyncio.run(main()) == ["a", "b"]
print("await handle: ok")

print("basics: all checks passed")
