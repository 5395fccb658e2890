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

    def test_a_function_that_is_not_its_def_keeps_its_own_code(self):
        # functools.wraps gives the wrapper the def's names but not its code: nothing to share.
        self.assertEqual(on_workers(self.mod.wrapped, [1, 2]), [("logged", 2), ("logged", 4)])


if __name__ == "__main__":
    unittest.main()
