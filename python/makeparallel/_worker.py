"""The worker interpreter's side of the ``interpreters`` backend: run one shipped call."""

import io
import operator
import os
import pickle
import posix
import sys
import threading

from . import _ship
from ._retry import call_with_retries

_path = None
_exit_status = None
_real_exit = posix._exit


def _exit(status):
    """``os._exit`` in a worker interpreter: the worker, not the process, exits.

    A worker interpreter is to the program what a ProcessPoolExecutor's child is to CPython:
    its ``os._exit`` ends that worker (every thread of this context stops), and the caller's
    task fails saying so. The status is kept here because GraalPy reports the exit of a thread
    other than the context's first one as a bare ThreadDeath: the Java side reads it back.
    """
    global _exit_status
    _exit_status = operator.index(status)
    _real_exit(_exit_status)


os._exit = posix._exit = _exit
_ship.adopt_shared_code()


def exit_status():
    """The status this worker's ``os._exit`` was called with, or None."""
    return _exit_status


def join_threads():
    """Wait for the non-daemon threads tasks started here, as CPython does at exit.

    Called by the owning thread before a normal close (shutdown, recycling, end of script);
    threads started by those threads are waited for too, until none is left.
    """
    # The main thread of this context is the one that built it (maybe a spare-builder that has
    # moved on): never joined, as CPython's shutdown never joins it.
    skip = (threading.current_thread(), threading.main_thread())
    while True:
        left = [t for t in threading.enumerate()
                if t not in skip and not t.daemon and t.is_alive()
                and not isinstance(t, threading._DummyThread)]
        if not left:
            return
        for t in left:
            t.join()


def _apply_path(path):
    global _path
    if path != _path:
        sys.path[:] = list(path)
        _path = path


def _failure(exc):
    import traceback  # on failure only (GraalPy's own threading module imports it today)
    tb = traceback.format_exc()
    name = "%s.%s" % (type(exc).__module__, type(exc).__qualname__)
    try:
        data = _ship.dumps((exc, tb, str(exc)))
        _ship.loads(data)  # it must also come back to life on the caller's side
    except Exception:
        data = _ship.dumps((None, tb, str(exc)))
    return (False, data.decode("latin-1"), name)


def run(payload):
    """Run a pickled call; ``(True, pickled_result, "")`` or ``(False, pickled_error, type_name)``."""
    try:
        stream = io.BytesIO(payload.encode("latin-1"))
        _apply_path(pickle.load(stream))
        fn, args, kwargs, retries = pickle.load(stream)
        result = call_with_retries(fn, args, kwargs, retries)
        try:
            data = _ship.dumps(result)
        except Exception as exc:
            raise TypeError("the result of %s (%s) cannot be pickled: %s"
                            % (getattr(fn, "__qualname__", fn), type(result).__name__, exc)) from None
        return (True, data.decode("latin-1"), "")
    except BaseException as exc:  # incl. SystemExit/KeyboardInterrupt: the worker survives
        return _failure(exc)
