"""Runs one unittest file inside a GraalPy context and returns one row per test case."""
import importlib.util
import os
import sys
import traceback
import unittest


class _Collect(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.rows = []

    def _row(self, test, outcome, message=""):
        self.rows.append([test.id(), outcome, message])

    def addSuccess(self, test):
        self._row(test, "pass")

    def addFailure(self, test, err):
        self._row(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        self._row(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self._row(test, "skip", reason)

    def addExpectedFailure(self, test, err):
        self._row(test, "pass", "expected failure")

    def addUnexpectedSuccess(self, test):
        self._row(test, "fail", "unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            outcome = "fail" if issubclass(err[0], test.failureException) else "error"
            self._row(subtest, outcome, self._exc_info_to_string(err, test))


def run_file(path):
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    result = _Collect()
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        suite.run(result)
    except BaseException:
        result.rows.append([name + ".<module>", "error", traceback.format_exc()])
    return result.rows
