"""Limits, lifecycle, configuration, in-task helpers and metrics (API.md §4, §5, §7)."""

import numbers

from . import _validate, errors
from ._bridge import bridge, check, control, fault_error, metrics
from ._submit import resolve_backend, set_default_backend

__all__ = [
    "report_progress", "get_current_task_id", "check_cancelled",
    "set_max_concurrent_tasks", "configure_memory_limit", "configure_thread_pool",
    "get_thread_pool_info", "configure", "shutdown", "reset_shutdown", "get_active_task_count",
    "start_priority_worker", "stop_priority_worker",
    "PerformanceMetrics", "get_metrics", "get_all_metrics", "reset_metrics",
]

# ---- inside a task --------------------------------------------------------------------------


def report_progress(progress, task_id=None):
    """Report the running task's progress, a finite fraction in [0, 1].

    Raises ``TaskCancelledError`` if the task was cancelled or timed out.
    """
    if isinstance(progress, bool) or not isinstance(progress, numbers.Real):
        raise TypeError("progress must be a number, got %s" % type(progress).__name__)
    if task_id is not None and not isinstance(task_id, str):
        raise TypeError("task_id must be a str, got %s" % type(task_id).__name__)
    # The engine checks the value (finite, in [0, 1]) before it looks for the task.
    fault = bridge.reportProgress(task_id, float(progress))
    if fault is not None:
        err = fault_error(fault)
        if task_id is None and type(err) is RuntimeError:
            raise RuntimeError("No task_id found. report_progress must be called from within a @parallel "
                               "decorated function, or you must provide task_id explicitly.") from None
        raise err


def get_current_task_id():
    """The running task's id, ``None`` outside tasks."""
    return bridge.currentTaskId()


def check_cancelled():
    """Raise ``TaskCancelledError`` if the running task was cancelled or timed out."""
    if bridge.currentCancelled():
        raise errors.TaskCancelledError("Task %s was cancelled" % bridge.currentTaskId())


# ---- limits ---------------------------------------------------------------------------------


def set_max_concurrent_tasks(max_tasks):
    """At most ``max_tasks`` tasks at once; later submissions wait. ``None`` removes the limit."""
    n = _validate.java_int("max_tasks", max_tasks, minimum=1, allow_none=True)
    check(control.setMaxConcurrent(n))


def configure_memory_limit(max_memory_percent, wait=0.0):
    """Hold submissions back while system memory in use is above ``max_memory_percent``.

    Waits up to ``wait`` seconds (re-checking with exponential backoff), then raises
    ``MemoryLimitError``. ``None`` removes the limit.
    """
    pct = None
    if max_memory_percent is not None:
        if isinstance(max_memory_percent, bool) or not isinstance(max_memory_percent, numbers.Real):
            raise TypeError("max_memory_percent must be a number, got %s"
                            % type(max_memory_percent).__name__)
        pct = float(max_memory_percent)
    wait = _validate.seconds("wait", wait, allow_none=False, allow_zero=True)
    fault = control.configureMemory(pct, wait)
    if fault is not None:
        err = fault_error(fault)
        if type(err) is ValueError:
            # The engine checks the range (the only value it can still refuse); worded for Python.
            raise ValueError("max_memory_percent must be between 0 and 100, got %r" % (max_memory_percent,))
        raise err


def configure_thread_pool(num_threads=None, stack_size=None):
    """Resize the threads backend's pool (and the stack size of threads started later)."""
    n = _validate.java_int("num_threads", num_threads, minimum=1, allow_none=True)
    s = _validate.integer("stack_size", stack_size, minimum=0, allow_none=True)
    if s is not None and s >= 2 ** 62:
        raise ValueError("stack_size is out of range: %d" % s)
    check(control.configureThreadPool(n, s))
    _pool_state["configured"] = True


_pool_state = {"configured": False}


def get_thread_pool_info():
    """``configured`` and ``current_num_threads`` of the threads pool, and the interpreters pool."""
    interp = control.poolSize("interpreters")
    return {
        "configured": _pool_state["configured"],
        "current_num_threads": control.threadPoolSize(),
        "live_threads": control.liveThreads("threads"),
        "interpreters": interp if interp is not None else _configured_interpreters(),
        "live_interpreters": control.liveThreads("interpreters"),
    }


def _configured_interpreters():
    from . import _remote
    return _remote.configured_size()


# configure(cluster=...)'s keys and the MAKEPARALLEL_CLUSTER* variables they stand for.
_CLUSTER_KEYS = {
    "name": "MAKEPARALLEL_CLUSTER", "bind": "MAKEPARALLEL_CLUSTER_BIND", "peers": "MAKEPARALLEL_CLUSTER_PEERS",
    "keystore": "MAKEPARALLEL_CLUSTER_KEYSTORE", "truststore": "MAKEPARALLEL_CLUSTER_TRUSTSTORE",
    "password": "MAKEPARALLEL_CLUSTER_PASSWORD", "failure_timeout": "MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT",
    "plaintext": "MAKEPARALLEL_CLUSTER_PLAINTEXT", "local": "MAKEPARALLEL_CLUSTER_LOCAL",
}


def _cluster_settings(cluster):
    """``configure(cluster=...)``'s dict as alternating variable names and values for the engine,
    which checks the values themselves (ValueError naming the setting)."""
    import os
    if not isinstance(cluster, dict):
        raise TypeError("cluster must be a dict of settings, got %s" % type(cluster).__name__)
    out = []
    for key, value in cluster.items():
        if key not in _CLUSTER_KEYS:
            raise ValueError("cluster has no setting %r; the settings are %s" % (key, ", ".join(_CLUSTER_KEYS)))
        if key in ("plaintext", "local"):
            if not isinstance(value, bool):
                raise TypeError("cluster[%r] must be a bool, got %s" % (key, type(value).__name__))
            text = "1" if value else "0"
        elif key == "failure_timeout":
            text = repr(_validate.seconds("cluster['failure_timeout']", value, allow_none=False))
        elif key == "peers" and isinstance(value, (list, tuple)):
            for p in value:
                if not isinstance(p, str):
                    raise TypeError("cluster['peers'] must hold HOST:PORT strings, got %s" % type(p).__name__)
            text = ",".join(value)
        elif key in ("keystore", "truststore") and isinstance(value, os.PathLike):
            text = os.fspath(value)
        elif isinstance(value, str):
            text = value
        else:
            raise TypeError("cluster[%r] must be a str, got %s" % (key, type(value).__name__))
        out += [_CLUSTER_KEYS[key], text]
    for need in ("name", "bind"):
        if need not in cluster:
            raise ValueError("cluster needs a %r (the settings: name, bind, peers, and keystore, truststore "
                             "and password, or plaintext=True on loopback)" % need)
    return out


def configure(backend=None, interpreters=None, warmup=False, max_tasks_per_worker=None, cluster=None):
    """Global defaults: ``backend``, the interpreters pool size (default: CPU count),
    ``warmup=True`` to create the worker interpreters now (in parallel), and
    ``max_tasks_per_worker`` to recycle a worker interpreter after that many tasks.
    ``cluster={...}`` joins a cluster now for ``backend="cluster"`` (keys: name, bind, peers,
    keystore, truststore, password, failure_timeout, plaintext, local; the environment's
    ``MAKEPARALLEL_CLUSTER*`` variables otherwise).
    """
    # Everything is checked before anything changes, so a bad call leaves no trace.
    if backend is not None:
        resolve_backend(backend)
    settings = _cluster_settings(cluster) if cluster is not None else None
    n = _validate.java_int("interpreters", interpreters, minimum=1, allow_none=True)
    r = _validate.java_int("max_tasks_per_worker", max_tasks_per_worker, minimum=1, allow_none=True)
    if not isinstance(warmup, bool):
        raise TypeError("warmup must be a bool, got %s" % type(warmup).__name__)
    if n is not None or r is not None or warmup:
        # First: a context denied runtime control gets its PermissionError before any change.
        from . import _remote
        _remote.configure(n, r, warmup)
    if settings is not None:
        check(control.configureCluster(settings))
    if backend is not None:
        set_default_backend(backend)


# ---- lifecycle ------------------------------------------------------------------------------


def shutdown(timeout_secs=30.0, cancel_pending=False):
    """Refuse new tasks and wait (GIL released) up to ``timeout_secs`` for running ones.

    With ``cancel_pending`` cancel queued and running tasks first. ``True`` when nothing is
    left running.
    """
    t = _validate.seconds("timeout_secs", timeout_secs, allow_none=False, allow_zero=True)
    if not isinstance(cancel_pending, bool):
        raise TypeError("cancel_pending must be a bool, got %s" % type(cancel_pending).__name__)
    return check(control.shutdown(t, cancel_pending))


def reset_shutdown():
    """Accept tasks again after :func:`shutdown`."""
    check(control.resetShutdown())


def get_active_task_count():
    """Queued + running tasks of every launcher (cancelled ones still executing included)."""
    return bridge.activeCount()


def start_priority_worker():
    """Resume dequeuing of ``parallel_priority`` tasks (compatibility; on by default)."""
    check(control.setPriorityPaused(False))


def stop_priority_worker():
    """Pause dequeuing of ``parallel_priority`` tasks; queued ones wait."""
    check(control.setPriorityPaused(True))


# ---- metrics --------------------------------------------------------------------------------


class PerformanceMetrics:
    """Counters of one function (by ``__qualname__``). A snapshot; immutable."""

    __slots__ = ("total_tasks", "completed_tasks", "failed_tasks",
                 "total_execution_time_ms", "average_execution_time_ms")

    def __init__(self, row):
        self.total_tasks = int(row[0])
        self.completed_tasks = int(row[1])
        self.failed_tasks = int(row[2])
        self.total_execution_time_ms = float(row[3])
        self.average_execution_time_ms = float(row[4])

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "PerformanceMetrics(%s)" % ", ".join("%s=%r" % kv for kv in self.as_dict().items())


def get_metrics(name):
    """Metrics of the function with this ``__qualname__`` (or unambiguous plain ``__name__``), or ``None``."""
    if not isinstance(name, str):
        raise TypeError("name must be a str, got %s" % type(name).__name__)
    row = metrics.metric(name)
    return None if row is None else PerformanceMetrics(list(row))


class _AllMetrics(dict):
    """``get_all_metrics()``'s dict, keyed by qualname; like ``get_metrics`` it also answers an
    unambiguous plain ``__name__`` (``"f" in get_all_metrics()``, upstream's keys), with the
    counters as they are at the lookup. The name resolution is the Java engine's, not redone here."""

    def __missing__(self, key):
        m = get_metrics(key) if isinstance(key, str) else None
        if m is None:
            raise KeyError(key)
        return m.as_dict()

    def __contains__(self, key):
        return dict.__contains__(self, key) or (isinstance(key, str) and get_metrics(key) is not None)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def get_all_metrics():
    """Every function's metrics as dicts, plus ``_global_total``/``_completed``/``_failed``."""
    out = _AllMetrics()
    total = completed = failed = 0
    for name in list(metrics.metricNames()):
        m = get_metrics(name)
        if m is None:
            continue
        out[name] = m.as_dict()
        total += m.total_tasks
        completed += m.completed_tasks
        failed += m.failed_tasks
    out["_global_total"] = total
    out["_global_completed"] = completed
    out["_global_failed"] = failed
    return out


def reset_metrics():
    check(metrics.resetMetrics())
