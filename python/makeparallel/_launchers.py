"""The decorators that launch tasks, plus ``gather`` and ``ParallelContext`` (API.md §2)."""

import functools

from . import _validate
from ._bridge import bridge
from ._handle import AsyncHandle
from ._submit import default_backend, options, resolve_backend, submit, submit_threads

__all__ = [
    "parallel", "parallel_fast", "parallel_pool", "parallel_priority", "parallel_with_deps",
    "gather", "ParallelContext",
]


def _launcher(kind):
    """Builds a decorator usable bare (``@parallel``) or with options (``@parallel(...)``)."""

    def decorator(func=None, *, backend=None, timeout=None, retries=0, name=None, priority=0):
        # Options are checked when decorating, so a bad one fails at the definition.
        if backend is not None:
            resolve_backend(backend)
        timeout = _validate.seconds("timeout", timeout)
        _validate.integer("retries", retries, minimum=0)
        priority = _validate.java_int("priority", priority)
        if name is not None and not isinstance(name, str):
            raise TypeError("name must be a str, got %s" % type(name).__name__)

        def wrap(fn):
            if isinstance(fn, (staticmethod, classmethod)):
                return type(fn)(wrap(fn.__func__))
            _validate.callable_("func", fn)
            task_name = name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "task")
            target = getattr(fn, "__makeparallel_target__", fn)
            priority_launcher = kind == "priority"
            # The engine's typed options, made once: each plain call only passes them back.
            opts = options(task_name, priority, timeout, priority_launcher)

            @functools.wraps(fn)
            def launch(*args, **kwargs):
                if not kwargs:
                    # The common call, options all checked at decoration: straight to the
                    # threads backend's submission (see submit_threads), no re-validation.
                    if (backend or default_backend()) == "threads":
                        return submit_threads(target, args, kwargs, task_name, opts, timeout, retries)
                    return submit(target, args, kwargs, name=task_name, backend=backend,
                                  priority=priority, timeout=timeout, retries=retries,
                                  priority_launcher=priority_launcher)
                call_timeout = kwargs.pop("timeout", timeout)
                call_priority = kwargs.pop("priority", priority) if kind == "priority" else priority
                deps = kwargs.pop("depends_on", None) if kind == "deps" else None
                return submit(target, args, kwargs, name=task_name, backend=backend,
                              priority=call_priority, timeout=call_timeout, depends_on=deps,
                              retries=retries, priority_launcher=priority_launcher)

            launch.__makeparallel_target__ = target
            # What ParallelContext.submit honours when handed this launcher instead of calling it.
            launch.__makeparallel_options__ = {
                "backend": backend, "timeout": timeout, "retries": retries, "name": task_name,
                "priority": priority, "priority_launcher": priority_launcher}
            return launch

        if func is None:
            return wrap
        return wrap(func)

    return decorator


parallel = _launcher("plain")
parallel.__doc__ = """Run the function in the background; each call returns an AsyncHandle.

Bare (``@parallel``) or with options ``@parallel(backend=, timeout=, retries=, name=)``.
Call as ``f(*args, timeout=None, **kwargs)``.
"""
parallel_fast = _launcher("plain")
parallel_fast.__doc__ = "Same as :func:`parallel` (kept for compatibility; same engine)."
parallel_pool = _launcher("plain")
parallel_pool.__doc__ = "Same as :func:`parallel` (kept for compatibility; same engine)."
parallel_priority = _launcher("priority")
parallel_priority.__doc__ = """Like :func:`parallel`; call as ``f(*args, priority=0, timeout=None, **kwargs)``.

Higher priority runs first, FIFO among equals."""
parallel_with_deps = _launcher("deps")
parallel_with_deps.__doc__ = """Like :func:`parallel`; call as ``f(*args, depends_on=None, timeout=None, **kwargs)``.

With a non-empty ``depends_on`` the function receives the tuple of dependency results first."""

_ON_ERROR = ("raise", "skip", "none")


def gather(handles, on_error="raise", timeout=None):
    """Wait for every handle and return their results in order.

    ``on_error``: ``"raise"`` re-raises the first failure (in order), ``"skip"`` leaves failed
    ones out, ``"none"`` puts ``None`` in their place (a task that raised ``SystemExit`` counts as
failed). ``timeout`` bounds the whole wait.
    """
    _validate.choice("on_error", on_error, _ON_ERROR)
    timeout = _validate.seconds("timeout", timeout, allow_zero=True)
    if not hasattr(handles, "__iter__"):
        raise TypeError("handles must be an iterable of AsyncHandle objects, got %s %r"
                        % (type(handles).__name__, handles))
    handles = list(handles)
    for h in handles:
        if not isinstance(h, AsyncHandle):
            raise TypeError("gather expects AsyncHandle objects, got %s %r" % (type(h).__name__, h))
    import time
    deadline = None if timeout is None else time.monotonic() + timeout
    results = []
    for h in handles:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not h.wait(left):
            raise TimeoutError("gather: %s did not finish within %ss" % (h.get_task_id(), timeout))
        try:
            results.append(h.get())
        except (Exception, SystemExit):
            # A task's SystemExit is that task's error (as concurrent.futures keeps it in the
            # future), not the caller's exit: "skip"/"none" treat it like any other failure.
            # KeyboardInterrupt still propagates: it is how a user stops the whole program.
            if on_error == "raise":
                raise
            if on_error == "none":
                results.append(None)
    return results


class ParallelContext:
    """``with ParallelContext(timeout=None, backend=None, max_workers=None) as ctx: ctx.submit(...)``.

    Each submitted task gets the context's ``timeout`` as its deadline. Leaving the block waits
    for every task; if the body raised, unfinished tasks are cancelled first.
    ``max_workers`` bounds how many of this context's tasks run at once.
    """

    def __init__(self, timeout=None, backend=None, max_workers=None):
        self._timeout = _validate.seconds("timeout", timeout)
        self._backend = None if backend is None else resolve_backend(backend)
        self._max_workers = _validate.integer("max_workers", max_workers, minimum=1, allow_none=True)
        self._handles = []
        self._group = None
        self._open = False

    def __enter__(self):
        # The engine's group of this block's tasks: it holds max_workers (slots), and cancels
        # queued tasks before running ones when the body raised.
        self._group = bridge.newGroup(self._max_workers)
        self._open = True
        return self

    def submit(self, func, args=(), kwargs=None):
        """Submit ``func(*args, **kwargs)``; ``func`` may already be decorated by a launcher."""
        if not self._open:
            raise RuntimeError("ParallelContext.submit called outside its with-block")
        _validate.callable_("func", func)
        if not isinstance(args, tuple):
            raise TypeError("args must be a tuple, got %s" % type(args).__name__)
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError("kwargs must be a dict, got %s" % type(kwargs).__name__)
        if self._max_workers is not None:
            self._group.awaitSlot(None)  # blocks in the engine, GIL released
        target = getattr(func, "__makeparallel_target__", func)
        # A function already decorated keeps its decorator's options; the context's own
        # backend and timeout, when given, win (API.md §2).
        opts = getattr(func, "__makeparallel_options__", None) or {}
        backend = self._backend if self._backend is not None else opts.get("backend")
        timeout = self._timeout if self._timeout is not None else opts.get("timeout")
        name = opts.get("name") or getattr(func, "__qualname__", None)
        h = submit(target, args, kwargs or {}, name=name, backend=backend, timeout=timeout,
                   priority=opts.get("priority", 0), retries=opts.get("retries", 0),
                   priority_launcher=opts.get("priority_launcher", False))
        self._group.add(h._h)
        self._handles.append(h)
        return h

    def handles(self):
        return list(self._handles)

    def __exit__(self, exc_type, exc, tb):
        self._open = False
        if exc_type is not None:
            self._group.cancelAll()  # queued tasks first, then running ones
        for h in self._handles:
            h.wait()
        return False
