"""Priority scheduling with @parallel_priority: higher priority runs first, FIFO among equals.

All launchers share one queue, so with a one-thread pool every waiting task takes its turn in
priority order. Unlike upstream, no start_priority_worker() call is needed first; the
start/stop functions remain to resume and pause the dequeuing of priority tasks.
"""
import threading
import time

from makeparallel import (
    configure_thread_pool,
    gather,
    get_thread_pool_info,
    parallel,
    parallel_priority,
    start_priority_worker,
    stop_priority_worker,
)

WAIT = 5.0
order = []
order_lock = threading.Lock()


@parallel
def gate(started, release):
    """Occupies the only worker until `release` is set."""
    started.set()
    release.wait(WAIT)
    return "gate opened"


@parallel_priority
def job(label):
    with order_lock:
        order.append(label)
    return label


original_threads = get_thread_pool_info()["current_num_threads"]
started, release = threading.Event(), threading.Event()
try:
    # --- 1. one worker: queued tasks run strictly by priority -----------------------------------------
    configure_thread_pool(num_threads=1)
    assert get_thread_pool_info()["current_num_threads"] == 1
    blocker = gate(started, release)
    assert started.wait(WAIT), "the gate task did not start"

    # Submitted while the only worker is busy, in a deliberately mixed order.
    handles = [
        job("low", priority=1),
        job("high", priority=10),
        job("default-a"),  # priority=0
        job("mid", priority=5),
        job("default-b"),  # priority=0, after default-a
        job("urgent", priority=100),
        job("below-default", priority=-1),
    ]
    time.sleep(0.05)
    assert order == [], "nothing may run while the gate holds the only worker"
    release.set()
    assert blocker.get() == "gate opened"
    results = gather(handles)
    print("execution order:", order)
    assert order == ["urgent", "high", "mid", "low", "default-a", "default-b", "below-default"], order
    assert results == ["low", "high", "default-a", "mid", "default-b", "urgent", "below-default"]
finally:
    release.set()
    configure_thread_pool(num_threads=original_threads)

# --- 2. on the normal pool, priority tasks run on all workers like any other task ---------------------
handles = [job("p%d" % i, priority=i % 3) for i in range(20)]
assert sorted(gather(handles)) == sorted("p%d" % i for i in range(20))
print("20 priority tasks on %d threads: done" % get_thread_pool_info()["current_num_threads"])

# --- 3. pausing and resuming the dequeuing of priority tasks ----------------------------------------------
stop_priority_worker()
try:
    paused = job("paused", priority=3)
    time.sleep(0.15)
    assert not paused.is_ready(), "a paused priority queue must hold its tasks"
    print("while paused:", paused)
finally:
    start_priority_worker()
assert paused.get(timeout=WAIT) == "paused"
print("after start_priority_worker():", paused)

print("priority: all checks passed")
