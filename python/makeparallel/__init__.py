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

from .errors import *  # noqa: E402,F401,F403
from ._handle import AsyncHandle, AsyncHandleFast  # noqa: E402
from ._launchers import *  # noqa: E402,F401,F403
from ._control import *  # noqa: E402,F401,F403
from ._map import parallel_map  # noqa: E402
from ._sync import *  # noqa: E402,F401,F403
from . import errors as _errors, _launchers, _control, _sync  # noqa: E402

__all__ = (["__version__", "AsyncHandle", "AsyncHandleFast", "parallel_map"]
           + list(_errors.__all__) + list(_launchers.__all__) + list(_control.__all__)
           + list(_sync.__all__))
