"""Turns a Python call into a Java task: the one path every launcher takes.

A decorated call lands in Java in two hops: ``_launchers`` -> this module -> the Java ``Bridge``
(``submit`` for the threads backend, ``submitRemote`` for interpreters, ``submitCluster`` for
the cluster, which carries the same pickled call; ``_remote`` only pickles the call). Options cross as one typed ``SubmitOptions`` made by :func:`options`.
"""

import threading

from . import _validate
from ._bridge import bridge, check, fault_error
from ._retry import call_with_retries
from ._handle import AsyncHandle, _Boxed

BACKENDS = ("threads", "interpreters", "cluster")

_defaults = {"backend": None}
_defaults_lock = threading.Lock()


def default_backend():
    b = _defaults["backend"]
    if b is None:
        # The runtime reads MAKEPARALLEL_BACKEND once; a context denied the environment sees it too.
        b = bridge.defaultBackend()
        b = b if b in BACKENDS else "threads"
        _defaults["backend"] = b
    return b


def set_default_backend(name):
    with _defaults_lock:
        _defaults["backend"] = _validate.choice("backend", name, BACKENDS)


def resolve_backend(backend):
    if backend is None:
        return default_backend()
    return _validate.choice("backend", backend, BACKENDS)


def check_depends_on(depends_on):
    """A tuple of AsyncHandles from ``depends_on`` (None, one handle, or an iterable of them)."""
    if depends_on is None:
        return ()
    if isinstance(depends_on, AsyncHandle):
        return (depends_on,)
    if isinstance(depends_on, (str, bytes)) or not hasattr(depends_on, "__iter__"):
        raise TypeError("depends_on must be an AsyncHandle or a list of them, got %s"
                        % type(depends_on).__name__)
    deps = tuple(depends_on)
    for d in deps:
        if not isinstance(d, AsyncHandle):
            raise TypeError("depends_on must contain only AsyncHandle objects, got %s %r"
                            % (type(d).__name__, d))
    return deps


def _thread_body(fn, args, kwargs, deps, retries):
    def body():
        try:
            call_args = args
            if deps:
                call_args = (tuple(d._value() for d in deps),) + tuple(args)
            result = call_with_retries(fn, call_args, kwargs, retries)
            # A returned exception object is a value, not a failure.
            return _Boxed(result) if isinstance(result, BaseException) else result
        except BaseException as exc:  # incl. SystemExit/KeyboardInterrupt: the runtime survives
            return exc
    return body


_bridge_submit = bridge.submit  # looked up once: a member lookup on a host object is not free


def options(name, priority=0, timeout=None, priority_launcher=False):
    """The engine's typed options of a submission (``timeout``: checked seconds or None for none).

    Made once per decorator and reused by each of its calls; the values are checked by the caller.
    """
    return check(bridge.options(name, priority, timeout, priority_launcher))


def submit_threads(fn, args, kwargs, name, opts, timeout, retries):
    """The threads backend's submission of an already validated call without dependencies.

    The per-task hot path (every ``@parallel`` call, every ``parallel_map`` chunk): positional
    arguments and as few frames as possible, since until the JIT has compiled it each Python
    call and keyword argument costs microseconds, and each frame is one more compilation.
    """
    if retries:
        body = _thread_body(fn, args, kwargs, (), retries)
    else:
        def body():
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # incl. SystemExit/KeyboardInterrupt: the runtime survives
                return exc
            # A returned exception object is a value, not a failure.
            return _Boxed(result) if isinstance(result, BaseException) else result
    host = _bridge_submit(body, opts, None)
    if type(host) is str:
        raise fault_error(host)
    return AsyncHandle(host, name, None, timeout)


def submit(fn, args, kwargs, *, name=None, backend=None, priority=0, timeout=None,
           depends_on=None, retries=0, priority_launcher=False):
    """Submit ``fn(*args, **kwargs)``; validates everything before anything is registered."""
    _validate.callable_("func", fn)
    if timeout is not None:
        timeout = _validate.seconds("timeout", timeout)
    priority = _validate.java_int("priority", priority)
    backend = resolve_backend(backend)
    deps = check_depends_on(depends_on) if depends_on is not None else ()
    if name is None:
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    if kwargs is None:
        kwargs = {}
    opts = options(name, priority, timeout, priority_launcher)
    if backend == "threads" and not deps:
        return submit_threads(fn, args, kwargs, name, opts, timeout, retries)
    dep_hosts = [d._h for d in deps] if deps else None
    if backend == "threads":
        body = _thread_body(fn, args, kwargs, deps, retries)
        host = check(_bridge_submit(body, opts, dep_hosts))
        return AsyncHandle(host, name, None, timeout)
    from . import _remote
    payload, prepare = _remote.encode_call(fn, args, kwargs, deps, retries)
    return submit_remote(payload, prepare, name, opts, dep_hosts, timeout, backend, retries)


def submit_remote(payload, prepare, name, opts, dep_hosts, timeout, backend="interpreters", retries=0,
                  decode=None):
    """The handle of a call for the interpreters or cluster backend: its pickle ``payload``, or
    ``prepare`` that pickles it once the dependencies' results are in. On the cluster a task
    with ``retries`` also runs again on another member when its member is lost. ``decode``
    turns the result's pickle into its value (``_remote.decode_result`` by default)."""
    if decode is None:
        from ._remote import decode_result as decode
    if backend == "cluster":
        host = check(bridge.submitCluster(payload, prepare, opts, dep_hosts, retries))
    else:
        host = check(bridge.submitRemote(payload, prepare, opts, dep_hosts))
    return AsyncHandle(host, name, decode, timeout)
