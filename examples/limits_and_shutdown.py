"""Resource limits and lifecycle: concurrency cap, memory limit, thread pool, shutdown.

set_max_concurrent_tasks(n) makes extra submissions wait for a slot; configure_memory_limit()
holds submissions back while system memory use is above a percentage; shutdown() refuses new
tasks and waits for running ones; reset_shutdown() accepts tasks again.
Every global setting changed here is restored at the end.
"""
import concurrent.futures
import math
import threading
import time

from makeparallel import (
    MemoryLimitError,
    ShutdownError,
    check_cancelled,
    configure_memory_limit,
    configure_thread_pool,
    get_active_task_count,
    get_thread_pool_info,
    parallel,
    reset_shutdown,
    set_max_concurrent_tasks,
    shutdown,
)

running = 0
peak = 0
lock = threading.Lock()


@parallel
def tracked_work(x):
    global running, peak
    with lock:
        running += 1
        peak = max(peak, running)
    time.sleep(0.05)
    with lock:
        running -= 1
    return x * x


@parallel
def sleepy(seconds, value):
    time.sleep(seconds)
    return value


@parallel
def cooperative_spin(limit_seconds):
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        time.sleep(0.01)
        check_cancelled()
    return "ran to the end"


def wait_until_idle(limit=5.0):
    deadline = time.monotonic() + limit
    while get_active_task_count() > 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return get_active_task_count()


def expect(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise SystemExit("%s%r did not raise %s" % (fn.__name__, args, exc_type.__name__))


original_threads = get_thread_pool_info()["current_num_threads"]
try:
    # --- 1. thread pool configuration --------------------------------------------------------------------
    info = get_thread_pool_info()
    print("thread pool:", info)
    assert "current_num_threads" in info and "configured" in info
    configure_thread_pool(num_threads=3)
    assert get_thread_pool_info()["current_num_threads"] == 3
    configure_thread_pool(num_threads=original_threads)

    # --- 2. at most 2 tasks at once ------------------------------------------------------------------------
    set_max_concurrent_tasks(2)
    handles = [tracked_work(i) for i in range(6)]  # later submissions wait for a free slot
    assert [h.get() for h in handles] == [i * i for i in range(6)]
    print("max 2 concurrent: peak concurrency was", peak)
    assert 1 <= peak <= 2, peak
    set_max_concurrent_tasks(None)  # no limit again

    for bad in (0, -3):
        exc = expect(ValueError, set_max_concurrent_tasks, bad)
        print("set_max_concurrent_tasks(%d) -> ValueError: %s" % (bad, exc))

    # --- 3. memory limit ---------------------------------------------------------------------------------------
    configure_memory_limit(max_memory_percent=99.9)  # a generous limit: submissions go through
    assert sleepy(0.0, "ok").get() == "ok"

    configure_memory_limit(0.0001)  # surely below current use: new tasks are refused
    exc = expect(MemoryLimitError, sleepy, 0.0, "never runs")
    print("memory limit reached ->", type(exc).__name__ + ":", exc)
    assert "Memory limit reached" in str(exc)
    start = time.monotonic()
    configure_memory_limit(0.0001, wait=0.2)  # re-check with backoff for up to 0.2 s, then give up
    expect(MemoryLimitError, sleepy, 0.0, "never runs")
    waited = time.monotonic() - start
    assert 0.1 <= waited < 3.0, waited
    configure_memory_limit(None)  # limit removed
    assert sleepy(0.0, "ok again").get() == "ok again"

    for bad in (0, -5, 150, math.nan):
        exc = expect(ValueError, configure_memory_limit, bad)
        print("configure_memory_limit(%r) -> ValueError: %s" % (bad, exc))

    # --- 4. active tasks and a graceful shutdown ------------------------------------------------------------------
    assert wait_until_idle() == 0
    pending = [sleepy(0.2, i) for i in range(3)]
    time.sleep(0.02)
    active = get_active_task_count()
    print("active tasks:", active)
    assert active == 3, active

    ok = shutdown(timeout_secs=5.0)  # waits for the running tasks
    assert ok is True
    assert [h.get() for h in pending] == [0, 1, 2]
    assert get_active_task_count() == 0
    exc = expect(ShutdownError, sleepy, 0.0, "refused")
    print("after shutdown ->", type(exc).__name__ + ":", exc)
    assert "Cannot start new tasks: shutdown in progress" in str(exc)

    reset_shutdown()  # accepts tasks again
    assert sleepy(0.0, "back").get() == "back"

    # --- 5. shutdown with cancel_pending cancels what is still running ------------------------------------------
    long_task = cooperative_spin(5.0)
    time.sleep(0.05)
    start = time.monotonic()
    shutdown(timeout_secs=0.2, cancel_pending=True)
    assert long_task.cancel_with_timeout(3.0)  # its code has stopped
    assert time.monotonic() - start < 3.0
    assert long_task.cancelled()
    expect(concurrent.futures.CancelledError, long_task.get)
    print("shutdown(cancel_pending=True) cancelled the long task:", long_task)
    reset_shutdown()
    assert wait_until_idle() == 0
finally:
    reset_shutdown()
    set_max_concurrent_tasks(None)
    configure_memory_limit(None)
    configure_thread_pool(num_threads=original_threads)

print("limits_and_shutdown: all checks passed")
