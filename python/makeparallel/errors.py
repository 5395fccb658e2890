"""Exceptions raised by makeparallel (API.md §8)."""

import concurrent.futures

__all__ = [
    "MakeParallelError", "TaskCancelledError", "TaskTimeoutError", "DependencyError",
    "ShutdownError", "MemoryLimitError", "TaskError", "WorkerLostError",
]


class MakeParallelError(RuntimeError):
    """Root of every error makeparallel raises on its own account."""


class TaskCancelledError(MakeParallelError, concurrent.futures.CancelledError):
    """The task was cancelled (raised inside it at its next check, and by its handle)."""


class TaskTimeoutError(MakeParallelError, TimeoutError):
    """The task's ``timeout=`` deadline passed before it finished."""


class DependencyError(MakeParallelError):
    """A dependency failed, was cancelled or timed out; ``__cause__`` is its error."""


class ShutdownError(MakeParallelError):
    """The runtime is shut down (or shut down while the submission waited)."""


class MemoryLimitError(MakeParallelError):
    """System memory stayed above the configured limit for the allowed wait."""


class WorkerLostError(MakeParallelError):
    """The cluster member running the task left, crashed or stopped answering."""


class TaskError(MakeParallelError):
    """An error from a worker interpreter that could not be rebuilt with its own type.

    ``type_name`` is the original type's qualified name and ``remote_traceback`` its traceback text.
    """

    def __init__(self, message, type_name=None, remote_traceback=None):
        super().__init__(message)
        self.type_name = type_name
        self.remote_traceback = remote_traceback


# The one table from the names the Java engine reports an error kind by (bridge fault strings
# "Kind|message", ErrorView kinds; Java's one table of them is io.makeparallel.python.ErrorKinds)
# to the exception raised here; unknown kinds are MakeParallelError.
_BY_KIND = {cls.__name__: cls for cls in (
    MakeParallelError, TaskCancelledError, TaskTimeoutError, DependencyError, ShutdownError,
    MemoryLimitError, TaskError, WorkerLostError, ValueError, TypeError, RuntimeError, PermissionError, KeyboardInterrupt)}


def by_kind(kind):
    """The exception class the engine's error kind ``kind`` stands for."""
    return _BY_KIND.get(kind, MakeParallelError)
