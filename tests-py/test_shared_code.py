"""Main-script functions compiled once for every worker interpreter (issue 12).

A top-level ``def`` of the main script travels as its source text, which each worker evaluates
as the same cached polyglot source, so the engine keeps one compiled copy for all of them. The
figure that shows it: the process-wide count of such sources grows by one per function, not by
one per worker. What cannot travel that way (closures, methods, lambdas, an indented def, a file
edited since it was loaded) keeps the per-worker path and still runs.
"""
import importlib.util
import os
import shutil
import sys
import tempfile
import unittest

import makeparallel as mp
from makeparallel import _shipshared
from makeparallel._bridge import diagnostics

main = None
_saved_main = None
HERE = os.path.dirname(os.path.abspath(__file__))


def _load_as_main(path):
    spec = importlib.util.spec_from_file_location("__main__", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["__main__"] = module
    spec.loader.exec_module(module)
    return module


def setUpModule():
    global main, _saved_main
    mp.configure(interpreters=2, warmup=True)
    _saved_main = sys.modules.get("__main__")
    main = _load_as_main(os.path.join(HERE, "shared_code_script.py"))


def tearDownModule():
    if _saved_main is not None:
        sys.modules["__main__"] = _saved_main


def on_workers(fn, args):
    """``fn`` over ``args`` one item per task, so both workers take part."""
    return mp.parallel_map(fn, args, chunksize=1, backend="interpreters")


class SharedSource(unittest.TestCase):
    def test_one_source_for_all_workers(self):
        before = diagnostics.sharedSources()
        self.assertEqual(on_workers(main.fib, list(range(16))), [main.fib(i) for i in range(16)])
        self.assertEqual(diagnostics.sharedSources() - before, 1,
                         "two workers compiled fib from one shared source")
        on_workers(main.fib, [10] * 4)
        self.assertEqual(diagnostics.sharedSources() - before, 1, "and again, nothing new")

    def test_code_runs_at_its_own_file_and_line_and_leaves_nothing_behind(self):
        for filename, line, leftover in on_workers(main.where, range(4)):
            self.assertEqual(filename, main.__file__)
            self.assertEqual(line, main.where.__code__.co_firstlineno + 3)
            self.assertFalse(leftover, "the worker's __main__ keeps no copy of the def")

    def test_decorators_defaults_and_annotations_are_the_callers(self):
        # The decorator is not applied again in the worker (it would submit from there), and
        # the defaults are the caller's values, not re-evaluated.
        self.assertEqual(main.decorated(2).get(120), 2 * 6 + 4)
        self.assertEqual(main.decorated(2, 1, offset=0).get(120), 2)
        payload = _shipshared.payload(main.decorated.__wrapped__)
        self.assertIsNotNone(payload)
        text = payload[2]
        self.assertNotIn("SCALE", text)
        self.assertNotIn("mp.parallel", text)
        # Every line where it was (decorator line, a three-line signature, the body), then the
        # expression that hands the function back.
        self.assertEqual(text.count("\n"), main.decorated.__wrapped__.__code__.co_firstlineno + 5)

    def test_globals_generators_and_errors(self):
        self.assertEqual(on_workers(main.uses_global, [1, 2]), [3, 6])
        self.assertEqual(on_workers(main.listed_countdown, [3]), [[3, 2, 1]])
        with self.assertRaises(ZeroDivisionError):
            on_workers(main.fails, [1, 0])

    def test_a_changed_global_reaches_the_next_submission(self):
        # The code is compiled once, from one shared source; the globals it names go with every
        # submission, so a value changed between two submissions is the one the second sees.
        self.assertIsNotNone(_shipshared.payload(main.uses_global), "travels as shared source")
        try:
            main.SCALE = 5
            self.assertEqual(on_workers(main.uses_global, [1, 2]), [5, 10])
            main.SCALE = 7
            self.assertEqual(on_workers(main.uses_global, [1, 2]), [7, 14])
        finally:
            main.SCALE = 3

    def test_what_cannot_share_a_source_keeps_the_per_worker_path(self):
        for fn in (main.make_closure(5), main.indented, main.Holder.method, main.square):
            self.assertIsNone(_shipshared.payload(fn), fn)
        self.assertEqual(on_workers(main.make_closure(5), [1]), [6])
        self.assertEqual(on_workers(main.indented, [1]), [-1])
        self.assertEqual(on_workers(main.square, [4]), [16])

    def test_a_file_edited_since_it_was_loaded_is_not_read_again(self):
        folder = tempfile.mkdtemp()
        try:
            path = os.path.join(folder, "edited_script.py")
            with open(path, "w") as f:
                f.write("def twice(x):\n    return 2 * x\n")
            module = _load_as_main(path)
            with open(path, "w") as f:
                f.write("def twice(x):\n    return 3 * x\n")
            import linecache
            linecache.checkcache(path)
            self.assertIsNone(_shipshared.payload(module.twice))
            self.assertEqual(on_workers(module.twice, [5]), [10], "the loaded code runs")
        finally:
            sys.modules["__main__"] = main
            shutil.rmtree(folder)


if __name__ == "__main__":
    unittest.main()
