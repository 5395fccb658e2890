"""Runs the main program for the launcher, the way ``python`` does (argv, sys.path, exit status).

A top-level module, not part of the package: ``print("hello")`` should not pay for importing
makeparallel (and ``threading``, which the package imports first) when the script never uses it.
"""

import os
import sys


def _exit_status(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _report_uncaught(exc):
    """Hand an uncaught exception to ``sys.excepthook`` as ``python`` does: the traceback starts
    at the program's own code, without this module's and runpy's frames above it."""
    import runpy
    ours = {__file__, runpy.__file__}
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    try:
        sys.excepthook(type(exc), exc, tb)
    except BaseException:
        import traceback
        traceback.print_exception(type(exc), exc, tb)


class _TerminalState:
    """``isatty()`` of a standard stream as the launcher found it (GraalPy's emulated POSIX layer
    answers False for every standard stream, so progress bars, colours and prompts would behave
    as if piped even in a terminal)."""

    __slots__ = ("answer",)

    def __init__(self, answer):
        self.answer = answer

    def __call__(self):
        return self.answer


def _apply_terminals(terminals):
    """``terminals``: the standard file descriptors (0, 1, 2) that are terminals, e.g. "012"."""
    ttys = {fd: str(fd) in terminals for fd in (0, 1, 2)}
    for fd, stream in enumerate((sys.stdin, sys.stdout, sys.stderr)):
        layers = (stream, getattr(stream, "buffer", None), getattr(getattr(stream, "buffer", None), "raw", None))
        for layer in layers:
            if layer is not None:
                try:
                    layer.isatty = _TerminalState(ttys[fd])
                except (AttributeError, TypeError):
                    pass
    real_isatty = os.isatty

    def isatty(fd):
        """Return True if the fd is connected to a terminal (the launcher's view for 0, 1, 2)."""
        if type(fd) is int and fd in ttys:
            return ttys[fd]
        return real_isatty(fd)

    os.isatty = isatty


def main(mode, target, argv, terminals="", run_source=None):
    """Run ``target`` as ``mode`` ("script", "code" or "module"); return the exit status.

    ``terminals`` names the standard file descriptors that are terminals ("012" in a terminal).
    ``run_source``, when given (the warm daemon), runs the script file in ``__main__`` as a
    polyglot Source the engine caches, so a script run again reuses its compiled code.
    """
    argv = [str(a) for a in argv]
    _apply_terminals(str(terminals))
    try:
        if mode == "script":
            sys.argv = [target] + argv
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            if run_source is not None:
                run_source()
            else:
                import runpy
                runpy.run_path(target, run_name="__main__")
        elif mode == "code":
            sys.argv = ["-c"] + argv
            sys.path.insert(0, "")
            import types
            module = types.ModuleType("__main__")
            sys.modules["__main__"] = module
            exec(compile(target, "<string>", "exec"), module.__dict__)
        else:
            sys.argv = [target] + argv
            sys.path.insert(0, os.getcwd())
            import runpy
            runpy.run_module(target, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        return _exit_status(e)
    except BaseException as exc:
        _report_uncaught(exc)
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    return 0


# ---- process exit (issue 14): os._exit from any thread, non-daemon threads at the end ----

def install_exit(halt):
    """Make ``os._exit(n)`` end the process with ``n`` at once, from any thread.

    GraalPy turns ``os._exit`` into a context exit that reaches the embedder with its status
    only on the context's first thread; from any other thread (a task, a user thread) the
    status is lost and the process lived on. ``halt(n)`` is the launcher's: it flushes the
    Java streams and halts the JVM, as ``_exit(2)`` skips ``atexit`` under CPython.
    """
    import operator
    import posix

    def _exit(status):
        status = operator.index(status)
        halt(status)
        # A warm daemon's halt ends only this run (its context is being cancelled) and returns:
        # stop this thread's Python code here as well, as _exit(2) would never return.
        raise SystemExit(status)

    # Pickled by reference as posix._exit: a task shipping it to a worker interpreter gets the
    # worker's own os._exit there, not this launcher's halt.
    _exit.__module__, _exit.__qualname__ = "posix", "_exit"
    _exit.__doc__ = posix._exit.__doc__
    os._exit = posix._exit = _exit


def _waitable_threads():
    threading = sys.modules.get("threading")
    if threading is None:
        return []
    skip = (threading.current_thread(), threading.main_thread())
    return [t for t in threading.enumerate()
            if t not in skip and not t.daemon and t.is_alive()
            and not isinstance(t, threading._DummyThread)]


def join_threads():
    """Join the non-daemon threads still running (as CPython's exit does); True if any were."""
    left = _waitable_threads()
    for t in left:
        t.join()
    return bool(left)


def pending_threads():
    """Names of the non-daemon threads the end of the script waits for."""
    return [t.name for t in _waitable_threads()]
