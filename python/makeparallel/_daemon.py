"""Threads a task starts are non-daemon, as threads a CPython program starts are (issue 14).

A task runs on a Java worker thread, which ``threading`` sees as a ``_DummyThread``: daemon, so
every thread the task starts would inherit ``daemon=True`` and die unwaited at exit. Marking
the worker thread's dummy as non-daemon when it is created (inside its first task) gives the
task's threads CPython's default; the launcher (and a worker interpreter before a normal
close) then waits for them. Dummies are never joined themselves (``threading`` skips them).
"""

import threading

_installed = False


def install(current_task_id):
    """Patch ``threading._DummyThread`` once; ``current_task_id()`` is None outside tasks."""
    global _installed
    if _installed:
        return
    _installed = True
    dummy = threading._DummyThread
    original_init = dummy.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if current_task_id() is not None:
            self._daemonic = False

    dummy.__init__ = __init__
