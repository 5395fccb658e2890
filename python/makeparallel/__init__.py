"""makeparallel: run Python functions in the background and on every core, on GraalPy.

The engine (scheduling, limits, timeouts, callbacks, metrics) is Java; this package is the
Pythonic face described in API.md. Start with :func:`parallel` and :func:`parallel_map`.
"""

__version__ = "0.1.0"

# First, on the importing thread (the context's owner): if `threading` is first imported on a
# pool thread, closing the context hangs (DESIGN.md, "close hang"). Contexts that skip the eager
# import (the launcher's) rely on this line.
import threading as _threading  # noqa: E402,F401

from ._bridge import bridge as _bridge_object, metrics as _bridge_metrics
from . import _support

_support._attach(_bridge_metrics)

from . import _daemon  # noqa: E402

_daemon.install(_bridge_object.currentTaskId)

# The public API is loaded on first use (PEP 562): a worker interpreter imports this package for
# its task runner (makeparallel._worker), and every module it imports is one more to parse,
# hold in its heap and count towards the JIT's thresholds in each worker it starts. In the
# main script the first access of any public name (or `from makeparallel import ...`) loads
# all of it at once, so `makeparallel.<name>` and `import *` behave as eager imports did.

_api_lock = _threading.RLock()
_api_loading = False


def _load_api():
    global _api_loading
    with _api_lock:
        if "__all__" in globals() or _api_loading:
            return
        _api_loading = True
        try:
            from . import errors, _handle, _launchers, _control, _map, _sync
        finally:
            _api_loading = False
        found = {"AsyncHandle": _handle.AsyncHandle, "AsyncHandleFast": _handle.AsyncHandleFast,
                 "parallel_map": _map.parallel_map}
        for module in (errors, _launchers, _control, _sync):
            found.update((name, getattr(module, name)) for name in module.__all__)
        found["__all__"] = ["__version__"] + list(found)
        globals().update(found)


def __getattr__(name):
    # Private names are the package's own modules: an import of one asks for it here first
    # (`from . import _x`), and must then find it missing, not load the API around it. The one
    # public module is imported alone, for the same reason (the API's modules import it).
    if name == "errors":
        import importlib
        return importlib.import_module(__name__ + ".errors")
    if name == "__all__" or not name.startswith("_"):
        _load_api()
        try:
            return globals()[name]
        except KeyError:
            pass
    raise AttributeError("module 'makeparallel' has no attribute %r" % (name,))


def __dir__():
    _load_api()
    return sorted(globals())
