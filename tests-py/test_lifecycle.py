"""A task's exits (SystemExit, os._exit) are that task's failure, never the caller's (issue 14).

concurrent.futures keeps a task's SystemExit in its future, and ProcessPoolExecutor turns a
worker's os._exit into BrokenProcessPool for the caller: in both the program that submitted the
work goes on. These tests pin the same behaviour on both backends.
"""
import os
import sys
import unittest

import makeparallel as mp

WAIT = 60  # upper bound of every wait that is expected to succeed (worker start-up included)


def exits(code):
    sys.exit(code)


def ok(x):
    return x


def hard_exit(code):
    os._exit(code)


class GatherSystemExit(unittest.TestCase):
    def check(self, backend):
        run = mp.parallel(backend=backend)
        hs = [run(ok)(1), run(exits)(4), run(ok)(3)]
        for h in hs:
            self.assertTrue(h.wait(WAIT))
        self.assertEqual(mp.gather(hs, on_error="skip"), [1, 3])
        self.assertEqual(mp.gather(hs, on_error="none"), [1, None, 3])

    def test_threads(self):
        self.check("threads")

    def test_interpreters(self):
        self.check("interpreters")


class WorkerOsExit(unittest.TestCase):
    def test_os_exit_in_a_worker_fails_the_task_and_the_worker_is_replaced(self):
        run = mp.parallel(backend="interpreters")
        h = run(hard_exit)(3)
        self.assertTrue(h.wait(WAIT))
        with self.assertRaises(mp.TaskError) as cm:
            h.get()
        self.assertIn("os._exit(3)", str(cm.exception))
        # The process and the pool go on: a fresh worker context takes the next task.
        self.assertEqual(run(ok)(5).get(timeout=WAIT), 5)
        self.assertEqual(mp.gather([run(ok)(i) for i in range(4)], timeout=WAIT), [0, 1, 2, 3])


if __name__ == "__main__":
    unittest.main()
