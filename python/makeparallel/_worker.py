"""The worker interpreter's side of the ``interpreters`` backend: run one shipped call."""

import io
import pickle
import sys
import traceback

from . import _ship
from ._submit import call_with_retries

_path = None


def _apply_path(path):
    global _path
    if path != _path:
        sys.path[:] = list(path)
        _path = path


def _failure(exc):
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
