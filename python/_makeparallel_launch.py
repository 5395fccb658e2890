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


def main(mode, target, argv, terminals=""):
    """Run ``target`` as ``mode`` ("script", "code" or "module"); return the exit status.

    ``terminals`` names the standard file descriptors that are terminals ("012" in a terminal).
    """
    argv = [str(a) for a in argv]
    _apply_terminals(str(terminals))
    try:
        if mode == "script":
            sys.argv = [target] + argv
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
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
