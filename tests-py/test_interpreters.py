"""The interpreters backend: real multi-core Python, shipping by value, hard cancel."""
import threading
import time
import unittest

import makeparallel as mp
from makeparallel._bridge import diagnostics

import interp_helpers


def setUpModule():
    mp.configure(interpreters=2, warmup=True)


def spin_forever():
    while True:
        pass


def report_steps(n):
    for i in range(n + 1):
        mp.report_progress(i / n)
    return "reported"


def current_id():
    return mp.get_current_task_id()


class Shipping(unittest.TestCase):
    def test_lambda(self):
        self.assertEqual(mp.parallel_map(lambda x: x * 3, range(5), backend="interpreters"),
                         [0, 3, 6, 9, 12])

    def test_closure_and_nested_function(self):
        offset = 100

        def add(x):
            return x + offset

        h = mp.parallel(backend="interpreters")(add)(5)
        self.assertEqual(h.get(timeout=60), 105)

    def test_recursive_importable_function(self):
        self.assertEqual(mp.parallel(backend="interpreters")(interp_helpers.fib)(15).get(timeout=60), 610)

    def test_unpicklable_argument_fails_at_submission(self):
        @mp.parallel(backend="interpreters")
        def use(lock):
            return 1

        before = mp.get_active_task_count()
        with self.assertRaises(TypeError) as cm:
            use(threading.Lock())
        self.assertIn("use", str(cm.exception))
        self.assertIn("argument 0", str(cm.exception))
        # An earlier task may still be releasing its slot, so the count can only fall here.
        self.assertLessEqual(mp.get_active_task_count(), before)

    def test_module_state_is_per_interpreter(self):
        def mutate():
            interp_helpers.MARK = "set in worker"
            return getattr(interp_helpers, "MARK", None)

        self.assertEqual(mp.parallel(backend="interpreters")(mutate)().get(timeout=60), "set in worker")
        self.assertFalse(hasattr(interp_helpers, "MARK"))


class Errors(unittest.TestCase):
    def test_exception_keeps_type_and_has_worker_traceback(self):
        def bad():
            raise KeyError("remote-key")

        with self.assertRaises(KeyError) as cm:
            mp.parallel(backend="interpreters")(bad)().get(timeout=60)
        self.assertIn("remote-key", str(cm.exception.__cause__))
        self.assertIn("Traceback", str(cm.exception.__cause__))

    def test_unrebuildable_exception_becomes_task_error(self):
        def bad():
            raise interp_helpers.Unrebuildable("a", "b")

        with self.assertRaises(mp.TaskError) as cm:
            mp.parallel(backend="interpreters")(bad)().get(timeout=60)
        self.assertIn("Unrebuildable", cm.exception.type_name)
        self.assertIn("Traceback", cm.exception.remote_traceback)


class HardCancel(unittest.TestCase):
    def test_timeout_stops_infinite_loop_then_normal_work(self):
        h = mp.parallel(backend="interpreters")(spin_forever)(timeout=0.5)
        with self.assertRaises(mp.TaskTimeoutError):
            h.get(timeout=60)
        self.assertTrue(h.cancel_with_timeout(30), "the worker's code never stopped")
        self.assertEqual(mp.parallel(backend="interpreters")(interp_helpers.fib)(10).get(timeout=120), 55)

    def test_cancel_running_task_leaves_other_worker_alone(self):
        long = mp.parallel(backend="interpreters")(interp_helpers.fib)
        spinner = mp.parallel(backend="interpreters")(spin_forever)()
        deadline = time.monotonic() + 60
        while not spinner.running() and time.monotonic() < deadline:
            spinner.wait(0.01)
        other = long(18)
        self.assertTrue(spinner.cancel())
        self.assertTrue(spinner.cancelled())
        self.assertEqual(other.get(timeout=120), 2584)
        self.assertTrue(spinner.cancel_with_timeout(30))

    def _settled_contexts(self):
        # A cancelled worker replaces its context asynchronously, and after a cancel one standby
        # context is built in the background; wait (bounded) until every open context is either
        # a worker's or the one spare. Returns the workers' contexts.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            n, spare = diagnostics.openWorkerContexts(), diagnostics.spareWorkerContexts()
            if spare <= 1 and n - spare == mp.get_thread_pool_info()["live_interpreters"]:
                return n - spare
            time.sleep(0.01)
        return diagnostics.openWorkerContexts() - diagnostics.spareWorkerContexts()

    def test_no_context_or_thread_leak_after_cancels(self):
        mp.parallel(backend="interpreters")(interp_helpers.fib)(5).get(timeout=60)
        contexts = self._settled_contexts()
        self.assertLessEqual(contexts, 2)
        for _ in range(5):
            h = mp.parallel(backend="interpreters")(spin_forever)(timeout=0.2)
            with self.assertRaises(mp.TaskTimeoutError):
                h.get(timeout=60)
            h.cancel_with_timeout(30)
        self.assertEqual(mp.parallel(backend="interpreters")(interp_helpers.fib)(5).get(timeout=120), 5)
        self.assertEqual(self._settled_contexts(), contexts)
        self.assertLessEqual(mp.get_thread_pool_info()["live_interpreters"], 2)
        self.assertLessEqual(diagnostics.spareWorkerContexts(), 1)

    def test_after_a_cancel_a_spare_context_replaces_the_next_cancelled_one(self):
        first = mp.parallel(backend="interpreters")(spin_forever)(timeout=0.2)
        with self.assertRaises(mp.TaskTimeoutError):
            first.get(timeout=60)
        deadline = time.monotonic() + 120
        while diagnostics.readySpareWorkerContexts() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(diagnostics.readySpareWorkerContexts(), 1, "no standby context ready after a cancel")
        self.assertEqual(diagnostics.spareWorkerContexts(), 1)
        opened = diagnostics.openWorkerContexts()
        second = mp.parallel(backend="interpreters")(spin_forever)(timeout=0.2)
        with self.assertRaises(mp.TaskTimeoutError):
            second.get(timeout=60)
        # The cancelled worker takes the spare (count drops, or stays if already rebuilt) and the
        # pool keeps working; never more than workers + one spare.
        self.assertEqual(mp.parallel(backend="interpreters")(interp_helpers.fib)(10).get(timeout=120), 55)
        self.assertLessEqual(diagnostics.openWorkerContexts(), opened)


class Semantics(unittest.TestCase):
    def test_progress_from_worker_reaches_caller(self):
        seen = []
        done = threading.Event()

        def record(p):
            seen.append(p)
            if p == 1.0:
                done.set()

        h = mp.parallel(backend="interpreters")(report_steps)(4)
        h.on_progress(record)
        self.assertEqual(h.get(timeout=60), "reported")
        self.assertTrue(done.wait(30))
        self.assertEqual(seen[-1], 1.0)
        self.assertEqual(h.get_progress(), 1.0)

    def test_task_id_inside_worker(self):
        h = mp.parallel(backend="interpreters")(current_id)()
        self.assertEqual(h.get(timeout=60), h.get_task_id())

    def test_dependencies_across_backends(self):
        a = mp.parallel(lambda: 20)()
        b = mp.parallel(backend="interpreters")(interp_helpers.fib)(10)

        def combine(results, extra):
            return sum(results) + extra

        c = mp.parallel_with_deps(backend="interpreters")(combine)(5, depends_on=[a, b])
        self.assertEqual(c.get(timeout=60), 80)

    def test_dependency_failure_propagates(self):
        def bad():
            raise ValueError("no")

        a = mp.parallel(backend="interpreters")(bad)()
        c = mp.parallel_with_deps(backend="interpreters")(lambda r: r)(depends_on=[a])
        with self.assertRaises(mp.DependencyError) as cm:
            c.get(timeout=60)
        self.assertIsInstance(cm.exception.__cause__, ValueError)

    def test_callbacks_fire_in_caller(self):
        done = threading.Event()
        got = []
        h = mp.parallel(backend="interpreters")(interp_helpers.fib)(12)
        h.on_complete(lambda v: (got.append(v), done.set()))
        self.assertTrue(done.wait(60))
        self.assertEqual(got, [144])

    def test_map_keeps_order_and_on_error(self):
        def inv(x):
            return 10 // x

        self.assertEqual(mp.parallel_map(inv, [1, 2, 0, 5], backend="interpreters", on_error="return")[:2], [10, 5])
        self.assertEqual(mp.parallel_map(inv, [1, 2, 0, 5], backend="interpreters", on_error="skip"), [10, 5, 2])
        with self.assertRaises(ZeroDivisionError):
            mp.parallel_map(inv, [1, 0, 2], backend="interpreters")


    def test_map_function_keeps_one_code_object_per_worker(self):
        # Shipped by value with every chunk; rebuilding its code object each time would
        # throw away the JIT's work on it, chunk after chunk.
        def make():
            def f(x):
                return mp.get_current_task_id(), id(f.__code__)
            return f

        per_task = dict(mp.parallel_map(make(), range(40), chunksize=1, backend="interpreters"))
        self.assertEqual(len(per_task), 40, "one task per item")
        self.assertLessEqual(len(set(per_task.values())), 2, "at most one code object per worker")

    def test_map_over_a_range_sends_the_same_items(self):
        r = range(7, -30, -4)
        self.assertEqual(mp.parallel_map(lambda x: (type(x).__name__, x), r, chunksize=3, backend="interpreters"),
                         [("int", x) for x in r])

    def test_map_item_that_cannot_be_pickled_is_named_by_its_index(self):
        before = mp.get_all_metrics()["_global_total"]
        with self.assertRaises(TypeError) as cm:
            mp.parallel_map(str, [1, 2, threading.Lock()], chunksize=8, backend="interpreters")
        message = str(cm.exception)
        self.assertIn("item 2 of str's map", message)
        self.assertIn("lock", message.lower())
        self.assertEqual(mp.get_all_metrics()["_global_total"], before, "nothing of the map was submitted")

    def test_map_items_that_are_not_a_range_keep_their_types(self):
        items = [1, 2.5, "s", b"b", None, (1, [2]), {"k": {3}}, True, 10 ** 30]
        self.assertEqual(mp.parallel_map(lambda x: (type(x).__name__, x), items, chunksize=4,
                                         backend="interpreters"),
                         [(type(x).__name__, x) for x in items])

    def test_map_function_state_is_fresh_for_each_chunk(self):
        def counter():
            seen = []

            def f(x):
                seen.append(x)
                return len(seen)
            return f

        self.assertEqual(mp.parallel_map(counter(), range(6), chunksize=2, backend="interpreters"),
                         [1, 2, 1, 2, 1, 2])


class Speedup(unittest.TestCase):
    def test_two_interpreters_run_at_the_same_time(self):
        # Not judged by wall time against a serial run: on a 2-core box the JIT's compiler
        # thread holds most of a core for minutes after the workers start (README, issue 12),
        # and in a busy test JVM two workers that do run side by side got 0.7-0.95 of the
        # cores between them, so their speed-up is the machine's to give, not ours to assert.
        # What the backend owes: two calls at once run in two interpreters, at the same time.
        # Taken in turn (one dispatch at a time) they overlap by nothing (-0.01 measured with
        # set_max_concurrent_tasks(1)); run in one interpreter they name the same one.
        run = mp.parallel(backend="interpreters")(interp_helpers.fib_span)
        n = 19
        mp.gather([run(n) for _ in range(2)], timeout=300)
        while n < 30:  # ~0.2 s a call, so the hand-off is a small share of a span
            start, end, _ = run(n).get(timeout=300)
            if end - start >= 0.2:
                break
            n += 1
        seen = []
        for _ in range(3):  # a loaded shared box can spoil one attempt
            (s1, e1, i1), (s2, e2, i2) = mp.gather([run(n) for _ in range(2)], timeout=300)
            overlap = (min(e1, e2) - max(s1, s2)) / min(e1 - s1, e2 - s2)
            seen.append("overlap %.2f of the shorter span, %s interpreters" % (overlap, "two" if i1 != i2 else "one"))
            if overlap >= 0.5 and i1 != i2:
                return
        self.fail("two fib(%d) calls on 2 interpreters did not run side by side: %s" % (n, "; ".join(seen)))


if __name__ == "__main__":
    unittest.main()
