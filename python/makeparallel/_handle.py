"""AsyncHandle: the Python face of a Java task (API.md §3)."""

import types

from . import _validate, errors
from ._bridge import bridge

__all__ = ["AsyncHandle", "AsyncHandleFast"]

class _Boxed:
    """Carries a task's *returned* exception object, so it is not mistaken for a failure."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _log_callback_failure(what, handle, exc):
    from ._support import log
    log("warn", "%s of %s (%r) raised and was ignored: %s: %s"
        % (what, handle.get_task_id(), handle._name, type(exc).__name__, exc))


def error_from_view(view, decode_remote=None):
    """Rebuilds the Python exception a Java ErrorView describes."""
    kind = view.kind()
    if kind == "guest":
        return view.guest()
    if kind == "remote":
        from . import _remote
        return _remote.rebuild_error(view.message(), view.guest())
    exc = errors.by_kind(kind)(view.message())
    cause = view.cause()
    if cause is not None:
        exc.__cause__ = error_from_view(cause)
    return exc


class AsyncHandle:
    """A running or finished task: wait for it, read its result, cancel it, watch it.

    Thread-safe. Waiting methods release the GIL. ``concurrent.futures.Future`` vocabulary
    (``result``, ``exception``, ``done``, ``add_done_callback``...) works alongside upstream's.
    """

    # ``AsyncHandle[int]`` in an annotation, as the type stub declares it (generic in the result).
    __class_getitem__ = classmethod(types.GenericAlias)

    __slots__ = ("_h", "_id", "_name", "_meta", "_exc", "_decode", "_timeout", "__weakref__")

    def __init__(self, host, name, decode=None, timeout=None):
        self._h = host
        self._timeout = timeout
        self._id = None  # fetched on first use: most handles are only ever waited on
        self._name = name
        self._meta = {}
        self._exc = None
        self._decode = decode

    # -- outcome ------------------------------------------------------------------------------

    def _error(self):
        if self._exc is None:
            exc = error_from_view(self._h.error())
            try:
                exc.add_note("[makeparallel] task %s '%s' failed after %.3fs"
                             % (self.get_task_id(), self._name, self._h.elapsed()))
            except Exception:
                pass
            self._exc = exc
        return self._exc

    def _value(self):
        v = self._h.result()
        if self._decode is not None:
            return self._decode(v)
        if type(v) is _Boxed:
            return v.value
        return v

    def _outcome(self):
        if self._h.state() == "succeeded":
            return self._value()
        raise self._error()

    def _wait(self, timeout):
        secs = _validate.seconds("timeout", timeout, allow_zero=True)
        if self._h.isDone():
            return True
        return self._h.awaitDone(secs)

    def get(self, timeout=None):
        """Block (GIL released) until done; return the value or raise the task's exception.

        ``timeout`` elapsed -> ``TimeoutError`` and the task keeps running.
        """
        h = self._h
        # One host call waits and fetches the value; it hands back the handle itself instead
        # when there is no value (failed, cancelled, timed out, or still running).
        v = h.join(None if timeout is None else _validate.seconds("timeout", timeout, allow_zero=True))
        if v is h:
            if not h.isDone():
                raise TimeoutError("task %s ('%s') did not finish within %ss"
                                   % (self.get_task_id(), self._name, timeout))
            raise self._error()
        if self._decode is not None:
            return self._decode(v)
        if type(v) is _Boxed:
            return v.value
        return v

    def result(self, timeout=None):
        """``concurrent.futures.Future.result``: same as :meth:`get`."""
        return self.get(timeout)

    def exception(self, timeout=None):
        """The task's exception (``None`` on success); raises ``CancelledError`` if cancelled."""
        if not self._wait(timeout):
            raise TimeoutError("task %s ('%s') did not finish within %ss"
                               % (self.get_task_id(), self._name, timeout))
        state = self._h.state()
        if state == "succeeded":
            return None
        if state == "cancelled":
            raise self._error()
        return self._error()

    def try_get(self):
        """The value when done, the task's error raised when failed, ``None`` while running."""
        if not self._h.isDone():
            return None
        return self._outcome()

    def wait(self, timeout=None, *, timeout_secs=None):
        """Wait up to ``timeout`` seconds (GIL released); ``True`` when done.

        ``timeout_secs`` is upstream's name for the same argument.
        """
        return self._wait(timeout if timeout_secs is None else timeout_secs)

    # -- state --------------------------------------------------------------------------------

    def done(self):
        return self._h.isDone()

    is_ready = done

    def running(self):
        return self._h.state() == "running"

    def cancelled(self):
        return self._h.state() == "cancelled"

    is_cancelled = cancelled

    def cancel(self):
        """Cancel: queued -> never runs; running -> stopped (see API.md). False if already done."""
        return self._h.cancel()

    def cancel_with_timeout(self, timeout=None, *, timeout_secs=None):
        """Cancel, then wait up to ``timeout`` seconds for the task's code to stop.

        ``timeout_secs`` is upstream's name for the same argument.
        """
        if timeout_secs is not None:
            timeout = timeout_secs
        secs = _validate.seconds("timeout", timeout, allow_none=False, allow_zero=True)
        return self._h.cancelAndWait(secs)

    def elapsed_time(self):
        """Seconds from submission to completion (frozen once done)."""
        return self._h.elapsed()

    def get_name(self):
        return self._name

    def get_task_id(self):
        i = self._id
        if i is None:
            i = self._id = self._h.id()
        return i

    def get_timeout(self):
        """The ``timeout=`` given at submission (seconds), or ``None``."""
        return self._timeout

    def get_progress(self):
        p = self._h.progress()
        return 0.0 if p is None else p

    # -- metadata -----------------------------------------------------------------------------

    def set_metadata(self, key, value):
        if not isinstance(key, str):
            raise TypeError("metadata key must be a str, got %s" % type(key).__name__)
        if not isinstance(value, str):
            raise TypeError("metadata value must be a str, got %s" % type(value).__name__)
        self._meta[key] = value

    def get_metadata(self, key):
        if not isinstance(key, str):
            raise TypeError("metadata key must be a str, got %s" % type(key).__name__)
        return self._meta.get(key)

    def get_all_metadata(self):
        return dict(self._meta)

    # -- callbacks ----------------------------------------------------------------------------

    def _when_done(self, what, fn):
        def fire():
            try:
                fn()
            except BaseException as exc:  # a callback never takes the runtime down
                _log_callback_failure(what, self, exc)
        self._h.whenDone(fire)

    def on_complete(self, callback):
        """Call ``callback(result)`` once if and when the task succeeds."""
        _validate.callable_("callback", callback)

        def run():
            if self._h.state() == "succeeded":
                callback(self._value())
        self._when_done("on_complete callback", run)

    def on_error(self, callback):
        """Call ``callback(exception)`` once if and when the task fails, times out or is cancelled."""
        _validate.callable_("callback", callback)

        def run():
            if self._h.state() != "succeeded":
                callback(self._error())
        self._when_done("on_error callback", run)

    def add_done_callback(self, fn):
        """``concurrent.futures`` style: ``fn(handle)`` once the task is done (at once if it is)."""
        _validate.callable_("fn", fn)
        self._when_done("done callback", lambda: fn(self))

    def on_progress(self, callback):
        """Call ``callback(fraction)`` for each progress report; replays the latest one first."""
        _validate.callable_("callback", callback)

        def run(p):
            try:
                callback(p)
            except BaseException as exc:
                _log_callback_failure("on_progress callback", self, exc)
        self._h.onProgress(run)

    # -- python protocols ---------------------------------------------------------------------

    def __await__(self):
        import asyncio
        if not self._h.isDone():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()

            def wake():
                def settle():
                    if not fut.done():
                        fut.set_result(None)
                try:
                    loop.call_soon_threadsafe(settle)
                except RuntimeError:  # loop closed meanwhile
                    pass
            self._h.whenDone(wake)
            try:
                yield from fut.__await__()
            except asyncio.CancelledError:
                # The awaiting asyncio task was cancelled (asyncio.wait_for timing out, a
                # TaskGroup failing...): cancel the task too, as asyncio.wrap_future does.
                self.cancel()
                raise
        return self._outcome()

    def __repr__(self):
        return "<AsyncHandle %s '%s' %s %.2fs>" % (self.get_task_id(), self._name, self._h.state(), self._h.elapsed())


AsyncHandleFast = AsyncHandle
