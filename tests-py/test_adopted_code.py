"""Importable functions run on one shared compiled copy in every worker interpreter (issue 12).

A function of an importable module travels by reference: each worker imports the module, and
that import parses it afresh, so each worker (and each run of a warm daemon) interpreted and
JIT-compiled its own copy. A worker now gives the module's own function the code compiled from
the def's text as one cached polyglot source, as for main-script functions: the same function
object with the module's globals, so recursive calls run on the shared code too. What cannot be
compiled from its def alone keeps the code the import made, and still runs.
"""
import os
import shutil
import sys
import tempfile
import textwrap
import unittest

import makeparallel as mp
from makeparallel._bridge import diagnostics

_MODULE = '''
import functools
import sys

COUNT = 10


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def where(x):
    """What the worker runs: the module's own function, its globals, and the code it adopted."""
    import makeparallel._ship as ship
    me = sys.modules[__name__]
    entry = ship._adopted.get(id(where.__code__))
    return (where is me.where, where.__globals__ is vars(me),
            entry is not None and entry[1] is where.__code__, COUNT + x)


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return ("logged", fn(*args))
    return wrapper


@_logged
def wrapped(x):
    return x * 2


def _is_shared(fn):
    import makeparallel._ship as ship
    entry = ship._adopted.get(id(fn.__code__))
    return entry is not None and entry[1] is fn.__code__


def _tag(name):
    return lambda fn: fn


def black_style(
    x,
    y=2,
) -> int:
    return x * y, _is_shared(black_style)


@_tag(
    "a decorator over lines",
)
def decorated(x):
    return x + 1, _is_shared(decorated)


def one_line(x): return x - 1, _is_shared(one_line)


def commented(x):
    # a comment in the body
    return x * 3, _is_shared(commented)
    # and one after it
# and one at column 0


def column_zero_string(x):
    text = """
at column 0
"""
    return len(text) + x, _is_shared(column_zero_string)
'''


def on_workers(fn, args):
    return mp.parallel_map(fn, args, chunksize=1, backend="interpreters")


class AdoptedCode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mp.configure(interpreters=2, warmup=True)
        cls.folder = tempfile.mkdtemp()
        name = "adopt_mod_%d" % os.getpid()
        with open(os.path.join(cls.folder, name + ".py"), "w") as f:
            f.write(textwrap.dedent(_MODULE))
        sys.path.insert(0, cls.folder)
        cls.mod = __import__(name)

    @classmethod
    def tearDownClass(cls):
        sys.path.remove(cls.folder)
        sys.modules.pop(cls.mod.__name__, None)
        shutil.rmtree(cls.folder)

    def test_every_worker_runs_one_shared_copy_of_an_importable_function(self):
        before = diagnostics.sharedSources()
        self.assertEqual(on_workers(self.mod.fib, list(range(12))), [self.mod.fib(i) for i in range(12)])
        self.assertEqual(diagnostics.sharedSources() - before, 1,
                         "both workers took fib's code from one shared source")
        on_workers(self.mod.fib, [15] * 4)
        self.assertEqual(diagnostics.sharedSources() - before, 1, "and again, nothing new")

    def test_the_function_stays_the_modules_own_with_the_modules_globals(self):
        for same_fn, same_globals, adopted, value in on_workers(self.mod.where, [1, 2, 3, 4]):
            self.assertTrue(same_fn, "the worker's module function, not a copy")
            self.assertTrue(same_globals, "the module's namespace")
            self.assertTrue(adopted, "the running code is the shared one")
        self.assertEqual([r[3] for r in on_workers(self.mod.where, [1, 2])], [11, 12])

    def test_defs_of_every_layout_are_read_from_their_file_and_shared(self):
        # The worker finds a def's lines itself (no inspect in workers): signatures over lines
        # with black's closing line, decorators over lines, one-liners, comments around it.
        for name, expected in (("black_style", [2, 4]), ("decorated", [2, 3]), ("one_line", [0, 1]),
                               ("commented", [3, 6])):
            rows = on_workers(getattr(self.mod, name), [1, 2])
            self.assertEqual([r[0] for r in rows], expected, name)
            self.assertTrue(all(r[1] for r in rows), "%s runs on its shared code: %s" % (name, rows))

    def test_a_def_it_cannot_delimit_still_runs_right(self):
        # A line at column 0 inside a string ends the block early: the text then does not
        # compile to the function's code, and the function keeps the code its import made.
        rows = on_workers(self.mod.column_zero_string, [1, 2])
        self.assertEqual([r[0] for r in rows], [14, 15])

    def test_a_function_that_is_not_its_def_keeps_its_own_code(self):
        # functools.wraps gives the wrapper the def's names but not its code: nothing to share.
        self.assertEqual(on_workers(self.mod.wrapped, [1, 2]), [("logged", 2), ("logged", 4)])


if __name__ == "__main__":
    unittest.main()
