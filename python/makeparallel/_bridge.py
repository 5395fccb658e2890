"""The Java bridge, one object per concern, and the translation of its fault strings.

``bridge`` submits tasks and answers the running task's questions (Java ``Bridge``),
``control`` holds limits, pools and the lifecycle (``ControlBridge``), ``metrics`` the counters
and the logger (``MetricsBridge``). An absent value crosses as ``None``, never as a sentinel.
"""

import polyglot

bridge = polyglot.import_value("makeparallel.bridge")
if bridge is None:
    raise ImportError(
        "makeparallel needs the makeparallel Java runtime: run scripts with ./makeparallel, "
        "or build the context with io.makeparallel.MakeParallel.contextBuilder()")
control = polyglot.import_value("makeparallel.control")
metrics = polyglot.import_value("makeparallel.metrics")

# Process-wide figures for leak tests and benchmarks (worker context counts, heap after a forced
# GC): None unless the context's builder opted in (the launcher's main context does).
diagnostics = polyglot.import_value("makeparallel.diagnostics")

# Evaluates a function's source as a cached polyglot source, so that every context of the
# process shares its compiled code (_shipshared).
shared_code = polyglot.import_value("makeparallel.code")


def fault_error(fault):
    """The exception a bridge fault string ``"Kind|message"`` stands for (kinds: errors.by_kind)."""
    from . import errors  # here: a worker interpreter that meets no fault never loads it
    kind, _, message = fault.partition("|")
    return errors.by_kind(kind)(message)


def check(result):
    """Return ``result`` unless it is a fault string, which is raised as its exception."""
    if type(result) is str:
        raise fault_error(result)
    return result
