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


def main(mode, target, argv):
    """Run ``target`` as ``mode`` ("script", "code" or "module"); return the exit status."""
    argv = [str(a) for a in argv]
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
    except BaseException:
        import traceback
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    return 0
