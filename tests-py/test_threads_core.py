"""Core promises of the threads backend that upstream broke (issue 3's named proofs)."""
import threading
import time
import unittest

import makeparallel as mp


class Base(unittest.TestCase):
    def tearDown(self):
        mp.configure_thread_pool(num_threads=6)
        mp.set_max_concurrent_tasks(None)
        mp.start_priority_worker()
        mp.reset_shutdown()


class WaitsReleaseTheGil(Base):
    def test_other_python_thread_progresses_during_get(self):
        release = threading.Event()

        @mp.parallel
        def blocked():
            return "done" if release.wait(10) else "ticker never ran"

        counter = [0]
        stop = threading.Event()

        def ticker():
            # Sleeping ticks: a pure spin loop can starve other threads of GraalPy's GIL.
            while not stop.is_set():
                counter[0] += 1
                if counter[0] == 20:
                    release.set()
                time.sleep(0.001)

        t = threading.Thread(target=ticker)
        h = blocked()
        t.start()
        try:
            # get() can only return if the ticking thread ran while we waited in it.
            self.assertEqual(h.get(timeout=30), "done")
        finally:
            stop.set()
            t.join()
        self.assertGreaterEqual(counter[0], 20)


class Dependencies(Base):
    def test_forty_chained_dependencies_on_two_threads(self):
        mp.configure_thread_pool(num_threads=2)

        @mp.parallel_with_deps
        def step(prev=None, i=0):
            return (prev[0] if prev else 0) + 1

        h = step(i=0)
        for i in range(1, 40):
            h = step(i=i, depends_on=[h])
        self.assertEqual(h.get(timeout=60), 40)

    def test_failed_dependency_fails_dependent_at_once(self):
        gate = threading.Event()

        @mp.parallel
        def bad():
            gate.wait(10)
            raise ValueError("producer broke")

        @mp.parallel_with_deps
        def consumer(results):
            return results

        p = bad()
        c = consumer(depends_on=[p])
        gate.set()
        with self.assertRaises(mp.DependencyError) as cm:
            c.get(timeout=10)
        self.assertIsInstance(cm.exception.__cause__, ValueError)

    def test_dependency_results_are_passed_in_order(self):
        @mp.parallel
        def value(x):
            return x

        @mp.parallel_with_deps
        def combine(results, extra):
            return results + (extra,)

        a, b = value(1), value(2)
        self.assertEqual(combine(3, depends_on=[a, b]).get(timeout=10), (1, 2, 3))

    def test_bad_depends_on_is_rejected_before_registration(self):
        @mp.parallel_with_deps
        def f():
            return 1

        before = mp.get_active_task_count()
        with self.assertRaises(TypeError):
            f(depends_on=["not a handle"])
        self.assertLessEqual(mp.get_active_task_count(), before)


class Callbacks(Base):
    def test_callbacks_fire_without_get(self):
        fired = threading.Event()
        seen = []

        @mp.parallel
        def f():
            return 42

        h = f()
        h.on_complete(lambda v: (seen.append(v), fired.set()))
        self.assertTrue(fired.wait(10))
        self.assertEqual(seen, [42])

    def test_on_error_receives_exception_and_late_registration_fires(self):
        @mp.parallel
        def f():
            raise KeyError("x")

        h = f()
        h.wait(10)
        got = []
        h.on_error(got.append)
        self.assertIsInstance(got[0], KeyError)

    def test_raising_callback_is_ignored_and_others_run_in_order(self):
        done = threading.Event()
        order = []

        @mp.parallel
        def f():
            return 1

        gate = threading.Event()

        @mp.parallel
        def g():
            gate.wait(10)
            return 2

        h = g()
        h.on_complete(lambda v: order.append("a"))
        h.on_complete(lambda v: 1 / 0)
        h.on_complete(lambda v: (order.append("c"), done.set()))
        gate.set()
        self.assertTrue(done.wait(10))
        self.assertEqual(order, ["a", "c"])


class Priority(Base):
    def test_priority_order_on_one_thread(self):
        mp.configure_thread_pool(num_threads=1)
        gate, started = threading.Event(), threading.Event()
        order = []

        @mp.parallel
        def blocker():
            started.set()
            gate.wait(10)

        @mp.parallel_priority
        def job(tag):
            order.append(tag)

        b = blocker()
        # Until the blocker runs it is just the lowest-priority queued task, and a job queued
        # before the worker takes it would rightly run first.
        self.assertTrue(started.wait(10))
        handles = [job("low", priority=1), job("high", priority=10), job("mid", priority=5),
                   job("high2", priority=10), job("zero", priority=0)]
        gate.set()
        mp.gather([b] + handles, timeout=30)
        self.assertEqual(order, ["high", "high2", "mid", "low", "zero"])


class TimeoutsAndCancel(Base):
    def test_timeout_stops_cooperative_task_and_resolves_at_once(self):
        stopped = threading.Event()

        @mp.parallel
        def loop():
            try:
                while True:
                    mp.check_cancelled()
                    time.sleep(0.005)
            finally:
                stopped.set()

        h = loop(timeout=0.2)
        with self.assertRaises(mp.TaskTimeoutError):
            h.get(timeout=10)
        self.assertTrue(stopped.wait(10))
        self.assertFalse(h.is_cancelled())

    def test_cancel_running_task_via_report_progress(self):
        started = threading.Event()

        @mp.parallel
        def work():
            started.set()
            while True:
                mp.report_progress(0.5)
                time.sleep(0.005)

        h = work()
        self.assertTrue(started.wait(10))
        self.assertTrue(h.cancel())
        self.assertTrue(h.cancelled())
        with self.assertRaises(mp.TaskCancelledError):
            h.get(timeout=1)
        self.assertTrue(h.cancel_with_timeout(10))
        self.assertFalse(h.cancel())

    def test_get_timeout_leaves_task_running(self):
        gate = threading.Event()

        @mp.parallel
        def f():
            gate.wait(10)
            return "ok"

        h = f()
        with self.assertRaises(TimeoutError):
            h.get(timeout=0.05)
        self.assertFalse(h.done())
        gate.set()
        self.assertEqual(h.get(timeout=10), "ok")

    def test_invalid_timeouts(self):
        @mp.parallel
        def f():
            return 1

        for bad in (float("nan"), float("inf"), -1, 0):
            with self.assertRaises(ValueError, msg=repr(bad)):
                f(timeout=bad)
        with self.assertRaises(TypeError):
            f(timeout="1")


class GetInOneCrossing(Base):
    """get() waits and fetches in one call into Java; every outcome must still come out right."""

    def test_each_outcome_through_get(self):
        gate = threading.Event()

        @mp.parallel
        def value(v):
            return v

        @mp.parallel
        def boom():
            raise LookupError("boom")

        @mp.parallel
        def held():
            gate.wait(10)
            return "late"

        self.assertIsNone(value(None).get(timeout=10))
        self.assertEqual(value(0).get(), 0)
        inner = value(1)
        self.assertIs(value(inner).get(), inner, "a handle is a value like any other")
        with self.assertRaises(LookupError):
            boom().get(timeout=10)
        running = held()
        try:
            with self.assertRaises(TimeoutError):
                running.get(timeout=0)
            with self.assertRaises(TimeoutError):
                running.get(timeout=0.01)
            mp.configure_thread_pool(num_threads=1)
            queued = held()
            self.assertTrue(queued.cancel())
            with self.assertRaises(mp.TaskCancelledError):
                queued.get(timeout=0)
            with self.assertRaises(mp.TaskCancelledError):
                queued.get()
        finally:
            gate.set()
        self.assertEqual(running.get(timeout=10), "late")
        self.assertEqual(running.get(timeout=0), "late")

    def test_task_ids_follow_submission_order_however_late_they_are_read(self):
        @mp.parallel
        def f():
            return None

        handles = [f() for _ in range(5)]
        for h in handles:
            h.get(timeout=10)
        ids = [int(h.get_task_id()[len("task_"):]) for h in reversed(handles)][::-1]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), 5)

    def test_metrics_are_counted_when_get_returns(self):
        @mp.parallel
        def counted_now():
            return 1

        before = mp.get_metrics("GetInOneCrossing.test_metrics_are_counted_when_get_returns.<locals>.counted_now")
        self.assertIsNone(before)
        for i in range(1, 21):
            counted_now().get(timeout=10)
            m = mp.get_metrics("GetInOneCrossing.test_metrics_are_counted_when_get_returns.<locals>.counted_now")
            self.assertEqual((m.total_tasks, m.completed_tasks), (i, i))


class NestedAndShutdown(Base):
    def test_nested_submission_with_every_worker_busy(self):
        mp.configure_thread_pool(num_threads=2)

        @mp.parallel
        def leaf(x):
            return x

        @mp.parallel
        def parent(x):
            return sum(leaf(x + i).get(timeout=30) for i in range(3))

        handles = [parent(i) for i in range(4)]
        self.assertEqual([h.get(timeout=60) for h in handles], [3, 6, 9, 12])

    def test_nested_unordered_map_with_every_worker_busy(self):
        # Each parent waits in the engine for its map's next chunk (TaskGroup.next): the wait
        # must lend the parent's worker, or two parents on two workers wait for ever.
        mp.configure_thread_pool(num_threads=2)

        @mp.parallel
        def parent(x):
            return sorted(mp.parallel_map(lambda i: x * i, range(50), ordered=False, chunksize=5))

        handles = [parent(i) for i in range(4)]
        self.assertEqual([h.get(timeout=60) for h in handles], [[x * i for i in range(50)] for x in range(4)])

    def test_submit_after_shutdown_raises(self):
        @mp.parallel
        def f():
            return 1

        self.assertTrue(mp.shutdown(timeout_secs=10))
        with self.assertRaises(mp.ShutdownError) as cm:
            f()
        self.assertIn("Cannot start new tasks: shutdown in progress", str(cm.exception))
        mp.reset_shutdown()
        self.assertEqual(f().get(timeout=10), 1)


if __name__ == "__main__":
    unittest.main()
