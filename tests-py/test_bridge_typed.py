"""Issue 11, the typed bridge: None crosses as "absent" (no timeout, no limit, keep), a submission
carries one typed options object, and a decorated call lands in Java within two hops
(``_launchers`` -> ``_submit`` -> the Java bridge)."""
import os
import threading
import traceback
import unittest
from unittest import mock

import makeparallel as mp
from makeparallel import _remote, _submit
from makeparallel._bridge import bridge, control

WAIT = 120


def double(x):
    return 2 * x


class _Spy:
    """Stands in for a bridge object: records the Python files on the stack of each call."""

    def __init__(self, real):
        self._real = real
        self.stacks = []

    def __getattr__(self, name):
        real = getattr(self._real, name)

        def call(*args):
            self.stacks.append([os.path.basename(f.filename) for f in traceback.extract_stack()[:-1]])
            return real(*args)
        return call


def _hops(stack):
    """The package modules a call passed through from the launcher to Java, in order."""
    start = max(i for i, f in enumerate(stack) if f == "_launchers.py")
    hops = []
    for f in stack[start:]:
        if not hops or hops[-1] != f:
            hops.append(f)
    return hops


class NoneIsAbsent(unittest.TestCase):
    def test_a_submission_without_timeout_passes_none(self):
        gate = threading.Event()
        opts = bridge.options("typed", 0, None, False)
        host = bridge.submit(lambda: gate.wait(WAIT) and 42, opts, None)
        self.assertFalse(host.awaitDone(0.05), "a task with timeout None ended by itself")
        gate.set()
        self.assertEqual(host.join(None), 42)

    def test_a_timeout_in_the_options_still_times_out(self):
        gate = threading.Event()
        try:
            host = bridge.submit(lambda: gate.wait(WAIT), bridge.options("typed", 0, 0.05, False), None)
            self.assertTrue(host.awaitDone(float(WAIT)))
            self.assertEqual(host.error().kind(), "TaskTimeoutError")
        finally:
            gate.set()

    def test_the_handle_waits_without_limit_on_none(self):
        h = mp.parallel(double)(21)
        self.assertTrue(h._h.awaitDone(None))
        self.assertEqual(h._h.join(None), 42)

    def test_no_progress_is_none_not_nan(self):
        gate = threading.Event()
        h = mp.parallel(gate.wait)(WAIT)
        try:
            self.assertIsNone(h._h.progress(), "no report yet")
            self.assertEqual(h.get_progress(), 0.0)
        finally:
            gate.set()
        self.assertTrue(h.get(timeout=WAIT))

    def test_no_pool_is_none_not_minus_one(self):
        self.assertIsNone(control.poolSize("no-such-backend"))

    def test_limits_are_removed_with_none(self):
        try:
            self.assertIsNone(control.setMaxConcurrent(4))
            self.assertIsNone(control.setMaxConcurrent(None))
            self.assertIsNone(control.configureMemory(None, 0.0))
        finally:
            mp.set_max_concurrent_tasks(None)


class TwoHops(unittest.TestCase):
    def _stacks(self, call):
        spies = {}
        patches = []
        for mod in (_submit, _remote):
            if hasattr(mod, "bridge"):
                spies[mod] = _Spy(mod.bridge)
                patches.append(mock.patch.object(mod, "bridge", spies[mod]))
        spy_submit = _Spy(bridge)
        patches.append(mock.patch.object(_submit, "_bridge_submit", spy_submit.submit))
        for p in patches:
            p.start()
        try:
            self.assertEqual(call().get(timeout=WAIT), 42)
        finally:
            for p in patches:
                p.stop()
        return [s for spy in list(spies.values()) + [spy_submit] for s in spy.stacks
                if "_launchers.py" in s]

    def _check(self, call, what):
        stacks = self._stacks(call)
        self.assertTrue(stacks, "%s never reached the bridge" % what)
        for s in stacks:
            self.assertEqual(_hops(s), ["_launchers.py", "_submit.py"],
                             "%s: the modules between the decorated call and Java" % what)

    def test_threads_call(self):
        self._check(lambda: mp.parallel(double)(21), "a threads call")

    def test_call_with_options(self):
        self._check(lambda: mp.parallel_with_deps(double)(21, timeout=WAIT), "a call with options")

    def test_interpreters_call(self):
        self._check(lambda: mp.parallel(backend="interpreters")(double)(21), "an interpreters call")


if __name__ == "__main__":
    unittest.main()
