"""Small services the pure-Python parts of the package share: logging and metrics.

Both forward to the Java runtime when it is present (the normal case under the launcher or
an embedding context) and fall back to stderr / an in-process table otherwise, so the
synchronous decorators can also be exercised on a plain interpreter.
"""

import sys
import time

_LEVELS = ("trace", "debug", "info", "warn", "error")
_bridge = None


def _attach(bridge):
    """Called once by the package with the Java bridge object."""
    global _bridge
    _bridge = bridge


def log(level, message):
    """Log ``message`` at ``level`` (one of trace/debug/info/warn/error) via makeparallel's logger."""
    if _bridge is not None:
        _bridge.log(level, str(message))
        return
    if level in ("warn", "error"):
        stamp = time.strftime("%H:%M:%S")
        print("%s %s makeparallel - %s" % (stamp, level.upper(), message), file=sys.stderr)


_fallback_metrics = {}


def record_metric(name, elapsed_ms, ok):
    """Record one finished call of ``name`` taking ``elapsed_ms`` milliseconds."""
    if _bridge is not None:
        _bridge.recordMetric(str(name), float(elapsed_ms), bool(ok))
        return
    row = _fallback_metrics.setdefault(name, [0, 0, 0, 0.0])
    row[0] += 1
    row[1 if ok else 2] += 1
    row[3] += elapsed_ms
