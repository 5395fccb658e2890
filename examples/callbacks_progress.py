"""Callbacks and progress: on_complete / on_error / on_progress, and report_progress in a task.

Callbacks fire when the task finishes, without anybody calling get(). report_progress() finds
the running task by itself (no task_id needed) and rejects NaN, infinity and values outside
[0, 1]; called outside a task without a task_id it raises RuntimeError.
"""
import math
import threading
import time

from makeparallel import get_current_task_id, parallel, report_progress

WAIT = 5.0  # generous upper bound for every wait below


@parallel
def download_file(url, chunks=10):
    """Simulates a download, reporting progress after each chunk."""
    for i in range(chunks):
        time.sleep(0.01)  # "download" one chunk
        report_progress((i + 1) / chunks)  # the task id is found automatically
    return "Downloaded %s" % url


@parallel
def failing_job(key):
    time.sleep(0.05)
    return {}[key]


@parallel
def whoami():
    return get_current_task_id()


@parallel
def validation_probe():
    """Collects the errors report_progress raises for bad values, from inside a task."""
    found = []
    for bad in (float("nan"), float("inf"), -0.1, 1.5):
        try:
            report_progress(bad)
        except ValueError as exc:
            found.append(str(exc))
    report_progress(0.5)  # a good value still works afterwards
    return found


@parallel
def wait_for(event):
    event.wait(WAIT)
    return "released"


# --- 1. on_progress / on_complete / on_error -------------------------------------------------------
progress_seen = []
completed = []
errors = []
finished = threading.Event()
reached_full = threading.Event()


def on_progress(p):
    progress_seen.append(p)
    print("Downloaded: %5.1f%%" % (p * 100))
    if p == 1.0:
        reached_full.set()


def on_complete(result):
    completed.append(result)
    print("on_complete:", result)
    finished.set()


handle = download_file("https://example.com/large_file.zip")
handle.on_progress(on_progress)  # replays the latest value first, so nothing early is lost
handle.on_complete(on_complete)
handle.on_error(errors.append)

# The callbacks fire when the task finishes: no get() needed to trigger them.
assert finished.wait(WAIT), "on_complete did not fire"
assert reached_full.wait(WAIT), "on_progress never saw 1.0"
assert completed == ["Downloaded https://example.com/large_file.zip"]
assert errors == []
assert progress_seen and all(0.0 <= p <= 1.0 for p in progress_seen)
assert max(progress_seen) == 1.0
assert handle.get_progress() == 1.0
assert handle.get() == completed[0]
time.sleep(0.05)
assert len(completed) == 1, "on_complete must fire once"

# --- 2. on_error receives the exception object --------------------------------------------------------
failed = threading.Event()
caught = []


def on_error(exc):
    caught.append(exc)
    print("on_error: %s(%s)" % (type(exc).__name__, exc))
    failed.set()


h = failing_job("missing")
h.on_complete(lambda result: caught.append("should not happen"))
h.on_error(on_error)
assert failed.wait(WAIT), "on_error did not fire"
assert len(caught) == 1 and isinstance(caught[0], KeyError)
try:
    h.get()
except KeyError:
    pass
else:
    raise SystemExit("expected KeyError from get()")

# --- 3. several callbacks run in registration order; one that raises is logged and ignored ------------
order = []
all_done = threading.Event()
h = download_file("https://example.com/small", chunks=5)


def broken_callback(result):
    raise RuntimeError("a broken callback (this error is logged and ignored)")


h.on_complete(lambda r: order.append("first"))
h.on_complete(broken_callback)
h.on_complete(lambda r: order.append("second"))
h.on_complete(lambda r: all_done.set())
assert all_done.wait(WAIT)
assert order == ["first", "second"], order
assert h.get() == "Downloaded https://example.com/small"  # the task result is unaffected

# --- 4. registering after completion fires at once ------------------------------------------------------
late = threading.Event()
h.on_complete(lambda r: late.set())
assert late.wait(WAIT), "a callback registered after completion must fire immediately"
print("callback order:", order, "- late registration fired too")

# --- 5. the task id inside a task --------------------------------------------------------------------------
h = whoami()
assert h.get() == h.get_task_id()
assert get_current_task_id() is None  # outside any task
print("get_current_task_id() inside the task:", h.get())

# --- 6. progress validation (upstream's messages) ----------------------------------------------------------
messages = validation_probe().get()
print("report_progress rejected:", messages)
assert len(messages) == 4, messages
assert "finite" in messages[0] and "finite" in messages[1]
assert "between 0.0 and 1.0" in messages[2] and "between 0.0 and 1.0" in messages[3]

for bad in (float("nan"), math.inf):
    try:
        report_progress(bad)
    except ValueError:
        pass
    else:
        raise SystemExit("report_progress accepted %r" % bad)

# Outside a task and without task_id there is no task to report for.
try:
    report_progress(0.5)
except RuntimeError as exc:
    print("report_progress outside a task -> RuntimeError:", exc)
else:
    raise SystemExit("expected RuntimeError outside a task")

# --- 7. reporting for a running task by id, from outside it ------------------------------------------------
release = threading.Event()
h = wait_for(release)
seen = []
got_quarter = threading.Event()


def watch(p):
    seen.append(p)
    if p == 0.25:
        got_quarter.set()


h.on_progress(watch)
try:
    report_progress(0.25, task_id=h.get_task_id())
    assert got_quarter.wait(WAIT)
    assert h.get_progress() == 0.25
finally:
    release.set()
assert h.get() == "released"
print("progress reported by task_id:", seen)

print("callbacks_progress: all checks passed")
