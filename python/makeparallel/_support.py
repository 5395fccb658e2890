"""Small services the pure-Python parts of the package share: logging and metrics, in Java.

The package cannot be imported without the Java runtime (``_bridge`` raises ImportError), so
these forward to it unconditionally: one logger and one metrics table, the engine's.
"""

_metrics = None


def _attach(metrics):
    """Called once by the package with the Java bridge's metrics object."""
    global _metrics
    _metrics = metrics


def log(level, message):
    """Log ``message`` at ``level`` (one of trace/debug/info/warn/error) via makeparallel's logger."""
    _metrics.log(level, str(message))


def record_metric(name, elapsed_ms, ok):
    """Record one finished call of ``name`` taking ``elapsed_ms`` milliseconds."""
    _metrics.recordMetric(str(name), float(elapsed_ms), bool(ok))
