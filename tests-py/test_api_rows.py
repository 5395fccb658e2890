"""Row-by-row coverage of API.md §2-§5 and §7-§8 on the default "threads" backend.

Complements test_threads_core.py (GIL release, dependencies, on_complete/on_error, priority
order, timeouts, cancel via report_progress, nested waits) and does not repeat those.

Rules followed here: no time.sleep as synchronisation (events, barriers, callbacks and
shutdown()'s idle wait are used instead; sleeping inside a task body is workload), every wait
is bounded, and global state is restored in tearDown.
"""
import asyncio
import concurrent.futures
import io
import os
import re
import sys
import threading
import time
import unittest

import makeparallel as mp

WAIT = 10  # upper bound of every wait that is expected to succeed
QUIET = 0.3  # how long a "nothing happens" check watches


def cooperative_loop(limit=WAIT):
    """Task body workload: spin on check_cancelled() until cancelled (or `limit` passes)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        mp.check_cancelled()
        time.sleep(0.005)
    return "never cancelled"


def staggered(launch, n, **call_kwargs):
    """Submit launch(i, started_i) n times, each only after the previous one has started.

    Used where tasks must run at the same time: it checks the pool and the limits, not how
    quickly an idle worker wakes up (see test_released_priority_tasks_use_every_worker).
    """
    handles = []
    for i in range(n):
        started = threading.Event()
        handles.append(launch(i, started, **call_kwargs))
        if i < n - 1 and not started.wait(WAIT):
            break  # the caller's assertion on the results reports it
    return handles


class Base(unittest.TestCase):
    def tearDown(self):
        mp.configure_thread_pool(num_threads=6)
        mp.set_max_concurrent_tasks(None)
        mp.configure_memory_limit(None)
        mp.start_priority_worker()
        mp.reset_shutdown()

    def wait_idle(self):
        """Wait (bounded) until no task is live, using shutdown()'s idle wait, then reopen."""
        try:
            return mp.shutdown(timeout_secs=WAIT)
        finally:
            mp.reset_shutdown()


# ---------------------------------------------------------------------------------------------
# §3 AsyncHandle
# ---------------------------------------------------------------------------------------------


class HandleStates(Base):
    def test_future_vocabulary_while_running_and_after_success(self):
        started, gate = threading.Event(), threading.Event()

        @mp.parallel
        def f():
            started.set()
            gate.wait(WAIT)
            return 5

        h = f()
        try:
            self.assertIsInstance(h, mp.AsyncHandle)
            self.assertTrue(started.wait(WAIT))
            self.assertTrue(h.running())
            self.assertFalse(h.done())
            self.assertFalse(h.is_ready())
            self.assertFalse(h.cancelled())
            self.assertIsNone(h.try_get())
            self.assertFalse(h.wait(0.01))
            self.assertFalse(h.wait(timeout_secs=0.01))
            with self.assertRaises(TimeoutError):
                h.result(timeout=0.01)
            with self.assertRaises(TimeoutError):
                h.exception(timeout=0.01)
        finally:
            gate.set()
        self.assertTrue(h.wait(timeout_secs=WAIT))
        self.assertTrue(h.wait())  # the argument is optional
        self.assertEqual(h.get(), 5)
        self.assertEqual(h.get(timeout=1), 5)
        self.assertEqual(h.result(), 5)
        self.assertIsNone(h.exception())
        self.assertEqual(h.try_get(), 5)
        self.assertTrue(h.done())
        self.assertTrue(h.is_ready())
        self.assertFalse(h.running())
        self.assertFalse(h.cancelled())
        self.assertFalse(h.is_cancelled())

    def test_failure_same_error_each_time_and_note(self):
        @mp.parallel
        def explode():
            raise KeyError("boom")

        h = explode()
        self.assertTrue(h.wait(WAIT))
        with self.assertRaises(KeyError) as first:
            h.get()
        with self.assertRaises(KeyError) as second:
            h.result()
        self.assertIs(first.exception, second.exception)
        with self.assertRaises(KeyError):
            h.try_get()
        self.assertIs(h.exception(), first.exception)
        self.assertTrue(h.is_ready())
        self.assertFalse(h.cancelled())
        notes = " ".join(getattr(first.exception, "__notes__", []))
        self.assertIn(h.get_task_id(), notes)
        self.assertIn(h.get_name(), notes)
        self.assertRegex(notes, r"\d+\.\d+s")  # elapsed time

    def test_returned_exception_is_a_value(self):
        @mp.parallel
        def give():
            return ValueError("just data")

        v = give().get(timeout=WAIT)
        self.assertIsInstance(v, ValueError)

    def test_add_done_callback_fires_with_handle_and_immediately_when_late(self):
        gate = threading.Event()
        fired = threading.Event()
        seen = []

        @mp.parallel
        def f():
            gate.wait(WAIT)
            return 1

        h = f()
        h.add_done_callback(lambda fut: (seen.append(fut), fired.set()))
        self.assertFalse(fired.is_set())
        gate.set()
        self.assertTrue(fired.wait(WAIT))  # fires without anyone calling get()
        self.assertEqual(len(seen), 1)
        self.assertIs(seen[0], h)
        self.assertTrue(seen[0].done())
        late = []
        h.add_done_callback(late.append)
        self.assertEqual(late, [h])  # already done: runs at once
        with self.assertRaises(TypeError):
            h.add_done_callback("not callable")

    def test_cancel_queued_task_never_runs(self):
        mp.configure_thread_pool(num_threads=1)
        started, gate = threading.Event(), threading.Event()
        ran = []

        @mp.parallel
        def blocker():
            started.set()
            gate.wait(WAIT)

        @mp.parallel
        def victim():
            ran.append("victim")

        @mp.parallel
        def sentinel():
            ran.append("sentinel")

        b = blocker()
        try:
            self.assertTrue(started.wait(WAIT))
            v = victim()
            self.assertFalse(v.running())
            self.assertTrue(v.cancel())
            self.assertTrue(v.cancelled())
            self.assertTrue(v.is_cancelled())
            self.assertTrue(v.done())
            self.assertFalse(v.cancel())  # already done now
        finally:
            gate.set()
        with self.assertRaises(mp.TaskCancelledError) as cm:
            v.get(timeout=WAIT)
        self.assertIsInstance(cm.exception, concurrent.futures.CancelledError)
        with self.assertRaises(concurrent.futures.CancelledError):
            v.exception(timeout=WAIT)
        # One thread, FIFO: the sentinel runs after the slot the victim would have had.
        sentinel().get(timeout=WAIT)
        b.get(timeout=WAIT)
        self.assertEqual(ran, ["sentinel"])

    def test_cancel_returns_false_when_done(self):
        @mp.parallel
        def f():
            return 3

        h = f()
        self.assertEqual(h.get(timeout=WAIT), 3)
        self.assertFalse(h.cancel())
        self.assertFalse(h.cancelled())
        self.assertFalse(h.is_cancelled())
        self.assertEqual(h.get(), 3)

    def test_check_cancelled_raises_task_cancelled_inside(self):
        started, stopped = threading.Event(), threading.Event()
        inside = []

        @mp.parallel
        def loop():
            started.set()
            try:
                return cooperative_loop()
            except BaseException as e:
                inside.append(e)
                raise
            finally:
                stopped.set()

        h = loop()
        self.assertTrue(started.wait(WAIT))
        self.assertTrue(h.cancel())
        self.assertTrue(stopped.wait(WAIT))
        self.assertEqual(len(inside), 1)
        self.assertIsInstance(inside[0], mp.TaskCancelledError)
        self.assertIsNone(mp.check_cancelled())  # outside a task: nothing to check

    def test_is_cancelled_false_for_timeouts(self):
        @mp.parallel
        def quick():
            return "fast"

        @mp.parallel
        def slow():
            return cooperative_loop()

        q = quick(timeout=0.3)
        self.assertEqual(q.get(timeout=WAIT), "fast")
        s = slow(timeout=0.3)  # submitted later with the same timeout: q's deadline passed first
        with self.assertRaises(mp.TaskTimeoutError):
            s.get(timeout=WAIT)
        self.assertFalse(s.is_cancelled())
        self.assertFalse(s.cancelled())
        self.assertTrue(s.is_ready())
        self.assertFalse(q.is_cancelled())
        self.assertEqual(q.get(), "fast")
        self.assertIsNone(q.exception())

    def test_elapsed_time_grows_then_freezes(self):
        started, gate = threading.Event(), threading.Event()

        @mp.parallel
        def f():
            started.set()
            gate.wait(WAIT)
            time.sleep(0.1)  # workload

        @mp.parallel
        def pause():
            time.sleep(0.1)  # workload: lets time pass

        h = f()
        self.assertTrue(started.wait(WAIT))
        e0 = h.elapsed_time()
        pause().get(timeout=WAIT)
        self.assertGreater(h.elapsed_time(), e0)
        gate.set()
        h.get(timeout=WAIT)
        e1 = h.elapsed_time()
        self.assertGreaterEqual(e1, 0.1)
        pause().get(timeout=WAIT)
        self.assertEqual(h.elapsed_time(), e1)

    def test_name_is_qualname_and_ids_increase(self):
        @mp.parallel
        def compute():
            return 1

        class Holder:
            @mp.parallel
            def method(self):
                return 2

        hs = [compute() for _ in range(3)]
        for h in hs:
            self.assertEqual(h.get_name(), compute.__qualname__)
            self.assertTrue(compute.__qualname__.endswith("<locals>.compute"))
            self.assertRegex(h.get_task_id(), r"^task_\d+$")
        nums = [int(h.get_task_id()[len("task_"):]) for h in hs]
        self.assertEqual(nums, sorted(nums))
        self.assertEqual(len(set(nums)), 3)
        m = Holder().method()
        self.assertEqual(m.get_name(), Holder.method.__qualname__)
        self.assertTrue(m.get_name().endswith("Holder.method"))
        self.assertGreater(int(m.get_task_id()[5:]), nums[-1])
        mp.gather(hs + [m], timeout=WAIT)

    def test_metadata(self):
        @mp.parallel
        def f():
            return 1

        h = f()
        self.assertEqual(h.get_all_metadata(), {})
        self.assertIsNone(h.get_metadata("missing"))
        h.set_metadata("owner", "alice")
        h.set_metadata("stage", "1")
        h.set_metadata("stage", "2")
        self.assertEqual(h.get_metadata("owner"), "alice")
        self.assertEqual(h.get_all_metadata(), {"owner": "alice", "stage": "2"})
        snapshot = h.get_all_metadata()
        snapshot["owner"] = "mallory"
        self.assertEqual(h.get_metadata("owner"), "alice")
        with self.assertRaises(TypeError):
            h.set_metadata(1, "x")
        with self.assertRaises(TypeError):
            h.set_metadata("k", 2)
        with self.assertRaises(TypeError):
            h.get_metadata(3)
        self.assertEqual(h.get_all_metadata(), {"owner": "alice", "stage": "2"})
        h.get(timeout=WAIT)
        h.set_metadata("after", "done")  # still works once done
        self.assertEqual(h.get_metadata("after"), "done")

    def test_get_timeout(self):
        @mp.parallel
        def f():
            return 1

        @mp.parallel(timeout=3)
        def g():
            return 1

        a, b, c = f(), f(timeout=2.5), g()
        self.assertIsNone(a.get_timeout())
        self.assertEqual(b.get_timeout(), 2.5)
        self.assertEqual(c.get_timeout(), 3.0)
        self.assertEqual(g(timeout=4).get_timeout(), 4.0)  # per call overrides the decorator
        mp.gather([a, b, c], timeout=WAIT)

    def test_on_progress_replays_latest_and_get_progress(self):
        reported, gate = threading.Event(), threading.Event()

        @mp.parallel
        def work():
            mp.report_progress(0.1)
            mp.report_progress(0.25)
            reported.set()
            gate.wait(WAIT)
            mp.report_progress(0.75)
            return "ok"

        h = work()
        self.assertTrue(reported.wait(WAIT))
        self.assertEqual(h.get_progress(), 0.25)
        seen = []
        got_replay = threading.Event()
        h.on_progress(lambda p: (seen.append(p), got_replay.set()))
        self.assertTrue(got_replay.wait(WAIT))
        self.assertEqual(seen, [0.25])  # the latest value only, replayed first
        gate.set()
        self.assertEqual(h.get(timeout=WAIT), "ok")
        self.assertEqual(seen, [0.25, 0.75])
        self.assertEqual(h.get_progress(), 1.0)

    def test_get_progress_one_after_success_even_without_reports(self):
        @mp.parallel
        def silent():
            return None

        @mp.parallel
        def half_then_fail():
            mp.report_progress(0.5)
            raise ValueError("no")

        s, f = silent(), half_then_fail()
        s.get(timeout=WAIT)
        self.assertEqual(s.get_progress(), 1.0)
        self.assertTrue(f.wait(WAIT))
        self.assertEqual(f.get_progress(), 0.5)

    def test_repr(self):
        started, gate = threading.Event(), threading.Event()

        @mp.parallel(name="compute")
        def f():
            started.set()
            gate.wait(WAIT)
            return 1

        h = f()
        try:
            self.assertTrue(started.wait(WAIT))
            self.assertRegex(repr(h), r"^<AsyncHandle %s 'compute' running \d+\.\d\ds>$" % h.get_task_id())
        finally:
            gate.set()
        h.get(timeout=WAIT)
        r = repr(h)
        self.assertRegex(r, r"^<AsyncHandle %s 'compute' \w+ \d+\.\d\ds>$" % h.get_task_id())
        self.assertNotIn("running", r)

    def test_await_in_asyncio(self):
        gate = threading.Event()

        @mp.parallel
        def value(x):
            gate.wait(WAIT)
            return x * 2

        @mp.parallel
        def bad():
            raise LookupError("async boom")

        async def main():
            h = value(21)
            asyncio.get_running_loop().call_soon(gate.set)  # runs once we are suspended in await

            async def waiter(handle):
                return await handle

            v = await asyncio.wait_for(waiter(h), WAIT)
            done_already = await asyncio.wait_for(waiter(h), WAIT)  # done handle: at once
            with self.assertRaises(LookupError):
                await asyncio.wait_for(waiter(bad()), WAIT)
            return v, done_already

        self.assertEqual(asyncio.run(main()), (42, 42))

    def test_async_handle_fast_alias(self):
        self.assertIs(mp.AsyncHandleFast, mp.AsyncHandle)


# ---------------------------------------------------------------------------------------------
# §2 decorators
# ---------------------------------------------------------------------------------------------


class Decorators(Base):
    def test_metadata_is_kept_by_every_launcher_bare_and_with_options(self):
        launchers = [mp.parallel, mp.parallel_fast, mp.parallel_pool, mp.parallel_priority,
                     mp.parallel_with_deps]
        handles = []
        for launcher in launchers:
            for with_options in (False, True):
                def original(x):
                    """The docstring."""
                    return x

                deco = launcher(timeout=5, name="opt") if with_options else launcher
                wrapped = deco(original)
                with self.subTest(launcher=launcher, options=with_options):
                    self.assertEqual(wrapped.__name__, "original")
                    self.assertEqual(wrapped.__qualname__, original.__qualname__)
                    self.assertEqual(wrapped.__doc__, "The docstring.")
                    self.assertIs(wrapped.__wrapped__, original)
                    h = wrapped(1)
                    handles.append(h)
                    self.assertIsInstance(h, mp.AsyncHandle)
                    self.assertEqual(h.get_name(), "opt" if with_options else original.__qualname__)
        self.assertEqual(mp.gather(handles, timeout=WAIT), [1] * len(handles))

    def test_fast_and_pool_launch_tasks(self):
        @mp.parallel_fast
        def a(x, **kw):
            return x, kw

        @mp.parallel_pool
        def b(x, *, y=0):
            return x + y

        ha, hb = a(1, timeout=5, extra=2), b(2, y=3)
        self.assertIsInstance(ha, mp.AsyncHandleFast)
        self.assertEqual(ha.get(timeout=WAIT), (1, {"extra": 2}))  # timeout= is not passed on
        self.assertEqual(hb.get(timeout=WAIT), 5)
        self.assertEqual(ha.get_timeout(), 5.0)

    def test_binds_on_instance_class_and_static_methods_both_orders(self):
        class Calc:
            base = 100

            def __init__(self, k):
                self.k = k

            @mp.parallel
            def inst(self, x):
                return self.k + x

            @classmethod
            @mp.parallel
            def cls_outer(cls, x):
                return cls.base + x

            @mp.parallel
            @classmethod
            def cls_inner(cls, x):
                return cls.base + 2 * x

            @staticmethod
            @mp.parallel
            def st_outer(x):
                return -x

            @mp.parallel
            @staticmethod
            def st_inner(x):
                return x * 10

        class Sub(Calc):
            base = 1000

        c = Calc(7)
        handles = {
            "inst": c.inst(3),
            "cls_outer": Calc.cls_outer(1),
            "cls_outer_inst": c.cls_outer(2),
            "cls_outer_sub": Sub.cls_outer(1),
            "cls_inner": Calc.cls_inner(1),
            "cls_inner_sub": Sub(0).cls_inner(1),
            "st_outer": Calc.st_outer(4),
            "st_outer_inst": c.st_outer(5),
            "st_inner": Calc.st_inner(4),
            "st_inner_inst": c.st_inner(5),
        }
        for h in handles.values():
            self.assertIsInstance(h, mp.AsyncHandle)
        got = {k: h.get(timeout=WAIT) for k, h in handles.items()}
        self.assertEqual(got, {
            "inst": 10, "cls_outer": 101, "cls_outer_inst": 102, "cls_outer_sub": 1001,
            "cls_inner": 102, "cls_inner_sub": 1002, "st_outer": -4, "st_outer_inst": -5,
            "st_inner": 40, "st_inner_inst": 50,
        })
        self.assertTrue(handles["inst"].get_name().endswith("Calc.inst"))
        self.assertTrue(handles["cls_inner"].get_name().endswith("Calc.cls_inner"))
        self.assertTrue(handles["st_inner"].get_name().endswith("Calc.st_inner"))

    def test_options_form_name_timeout_retries(self):
        attempts = []

        @mp.parallel(timeout=0.3, retries=2, name="custom")
        def slow():
            return cooperative_loop()

        h = slow()
        self.assertEqual(h.get_name(), "custom")
        self.assertEqual(h.get_timeout(), 0.3)
        with self.assertRaises(mp.TaskTimeoutError):
            h.get(timeout=WAIT)

        @mp.parallel(retries=2)
        def flaky():
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("try again")
            return "finally"

        self.assertEqual(flaky().get(timeout=WAIT), "finally")
        self.assertEqual(len(attempts), 3)

        tries = []

        @mp.parallel(retries=1)
        def always_bad():
            tries.append(1)
            raise ConnectionError("attempt %d" % len(tries))

        with self.assertRaises(ConnectionError) as cm:
            always_bad().get(timeout=WAIT)
        self.assertEqual(len(tries), 2)
        self.assertIn("attempt 2", str(cm.exception))

    def test_bad_options_fail_at_decoration(self):
        for kwargs, exc in (({"timeout": -1}, ValueError), ({"timeout": float("nan")}, ValueError),
                            ({"retries": -1}, ValueError), ({"retries": 1.5}, TypeError),
                            ({"name": 3}, TypeError), ({"backend": "nope"}, ValueError)):
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                with self.assertRaises(exc):
                    mp.parallel(**kwargs)

    def test_priority_tasks_run_on_several_workers(self):
        barrier = threading.Barrier(3, timeout=WAIT)

        @mp.parallel_priority
        def meet(i, started):
            started.set()
            barrier.wait()
            return i

        hs = staggered(meet, 3, priority=3)
        self.assertEqual(mp.gather(hs, timeout=WAIT * 2), [0, 1, 2])

    def test_plain_tasks_share_the_priority_queue_at_priority_zero(self):
        mp.configure_thread_pool(num_threads=1)
        started, gate = threading.Event(), threading.Event()
        order = []

        @mp.parallel
        def blocker():
            started.set()
            gate.wait(WAIT)

        @mp.parallel
        def plain(tag):
            order.append(tag)

        @mp.parallel_priority
        def prio(tag):
            order.append(tag)

        b = blocker()
        try:
            self.assertTrue(started.wait(WAIT))
            hs = [plain("plain"), prio("negative", priority=-1), prio("positive", priority=1)]
        finally:
            gate.set()
        mp.gather([b] + hs, timeout=WAIT)
        self.assertEqual(order, ["positive", "plain", "negative"])


# ---------------------------------------------------------------------------------------------
# §2 ParallelContext and gather
# ---------------------------------------------------------------------------------------------


class Context(Base):
    def test_submit_args_kwargs_and_decorated_function(self):
        def add(a, b, c=0):
            return a + b + c

        @mp.parallel
        def triple(x):
            return 3 * x

        with mp.ParallelContext() as ctx:
            h1 = ctx.submit(add, args=(1, 2), kwargs={"c": 3})
            h2 = ctx.submit(add, (4, 5))
            h3 = ctx.submit(triple, args=(7,))
            with self.assertRaises(TypeError):
                ctx.submit(add, args=[1, 2])
        self.assertEqual(h1.get(timeout=WAIT), 6)
        self.assertEqual(h2.get(timeout=WAIT), 9)
        self.assertEqual(h3.get(timeout=WAIT), 21)  # a value, not a nested handle
        self.assertEqual(h3.get_name(), triple.__qualname__)
        self.assertEqual(h1.get_name(), add.__qualname__)

    def test_exit_waits_for_every_task(self):
        finished = []

        def work(i):
            time.sleep(0.1)  # workload
            finished.append(i)
            return i

        with mp.ParallelContext() as ctx:
            hs = [ctx.submit(work, args=(i,)) for i in range(3)]
        self.assertTrue(all(h.done() for h in hs))
        self.assertEqual(sorted(finished), [0, 1, 2])

    def test_body_raising_cancels_the_rest(self):
        mp.configure_thread_pool(num_threads=1)
        started, release = threading.Event(), threading.Event()
        ran = []

        def running():  # keeps the only worker until released, whatever happens
            started.set()
            release.wait(WAIT)

        def queued():
            ran.append("queued")

        try:
            with self.assertRaises(ValueError):
                with mp.ParallelContext() as ctx:
                    r = ctx.submit(running)
                    q = ctx.submit(queued)
                    self.assertTrue(started.wait(WAIT))
                    raise ValueError("body failed")
            self.assertTrue(r.cancelled())  # resolved at once although its code still runs
            self.assertTrue(q.cancelled())
            self.assertFalse(release.is_set())
        finally:
            release.set()
        with self.assertRaises(mp.TaskCancelledError):
            r.get(timeout=WAIT)

        @mp.parallel
        def sentinel():
            return "after"

        self.assertEqual(sentinel().get(timeout=WAIT), "after")  # FIFO on one thread
        self.assertEqual(ran, [])

    def test_context_timeout_applies_to_each_task(self):
        # Generous: the quick task must finish well inside it even on a loaded, cold interpreter.
        with mp.ParallelContext(timeout=2.0) as ctx:
            slow = ctx.submit(cooperative_loop)
            fast = ctx.submit(lambda: "quick")
        self.assertEqual(slow.get_timeout(), 2.0)
        self.assertEqual(fast.get_timeout(), 2.0)
        with self.assertRaises(mp.TaskTimeoutError):
            slow.get(timeout=WAIT)
        self.assertEqual(fast.get(timeout=WAIT), "quick")

    def test_max_workers_bounds_the_context(self):
        lock = threading.Lock()
        state = {"now": 0, "peak": 0}

        def work():
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.03)  # workload
            with lock:
                state["now"] -= 1

        with mp.ParallelContext(max_workers=2) as ctx:
            for _ in range(6):
                ctx.submit(work)
        self.assertLessEqual(state["peak"], 2)
        self.assertGreaterEqual(state["peak"], 1)


class Gather(Base):
    def _mixed(self):
        @mp.parallel
        def ok(x):
            return x

        @mp.parallel
        def bad(msg):
            raise ValueError(msg)

        hs = [ok(1), bad("first"), ok(3), bad("second")]
        for h in hs:
            self.assertTrue(h.wait(WAIT))
        return hs

    def test_on_error_modes(self):
        hs = self._mixed()
        with self.assertRaises(ValueError) as cm:
            mp.gather(hs)
        self.assertEqual(str(cm.exception), "first")
        with self.assertRaises(ValueError):
            mp.gather(hs, on_error="raise")
        self.assertEqual(mp.gather(hs, on_error="skip"), [1, 3])
        self.assertEqual(mp.gather(hs, on_error="none"), [1, None, 3, None])
        self.assertEqual(mp.gather(iter(hs[::2])), [1, 3])
        self.assertEqual(mp.gather([]), [])

    def test_bad_arguments_checked_up_front(self):
        gate = threading.Event()

        @mp.parallel
        def pending():
            gate.wait(WAIT)
            return 1

        h = pending()
        try:
            with self.assertRaises(ValueError):
                mp.gather([h], on_error="ignore")
            self.assertFalse(h.done())  # rejected without waiting for the handle
            with self.assertRaises(TypeError):
                mp.gather([h, 42])
            self.assertFalse(h.done())
            with self.assertRaises(TimeoutError):
                mp.gather([h], timeout=0.05)
        finally:
            gate.set()
        self.assertEqual(mp.gather([h], timeout=WAIT), [1])


# ---------------------------------------------------------------------------------------------
# §2 parallel_map
# ---------------------------------------------------------------------------------------------


class ParallelMap(Base):
    def test_generator_is_consumed_lazily(self):
        pulled = [0]
        at_first = []

        def gen():
            for i in range(10_000):
                pulled[0] += 1
                yield i

        def f(x):
            if x == 0:
                at_first.append(pulled[0])  # items taken before item 0's chunk can finish
            return x + 1

        out = mp.parallel_map(f, gen(), max_workers=2)
        self.assertEqual(out, list(range(1, 10_001)))
        self.assertEqual(pulled[0], 10_000)
        self.assertEqual(len(at_first), 1)
        self.assertLess(at_first[0], 2_000)

    def test_unordered_returns_an_iterator_with_all_results(self):
        pulled = [0]

        def gen():
            for i in range(10_000):
                pulled[0] += 1
                yield i

        it = mp.parallel_map(lambda x: x * 2, gen(), ordered=False, max_workers=2)
        self.assertNotIsInstance(it, list)
        self.assertIs(iter(it), it)
        first = next(it)
        self.assertLess(pulled[0], 10_000)  # first result before the input was drained
        rest = list(it)
        self.assertEqual(sorted([first] + rest), [2 * i for i in range(10_000)])

    def test_unordered_yields_in_completion_order_and_a_slow_chunk_does_not_hold_the_rest(self):
        gate = threading.Event()

        def f(x):
            if x == 0:
                gate.wait(30)  # the first chunk finishes only after the others came back
            return x

        it = mp.parallel_map(f, range(6), ordered=False, chunksize=1, max_workers=2)
        early = [next(it) for _ in range(5)]
        self.assertEqual(sorted(early), [1, 2, 3, 4, 5])
        gate.set()
        self.assertEqual(list(it), [0])

    def test_ordered_list_of_any_iterable(self):
        self.assertEqual(mp.parallel_map(str, (i for i in range(5))), ["0", "1", "2", "3", "4"])
        self.assertEqual(mp.parallel_map(abs, [-3, 2, -1]), [3, 2, 1])
        self.assertEqual(mp.parallel_map(abs, []), [])
        with self.assertRaises(TypeError):
            mp.parallel_map(abs, 5)

    def test_on_error_raise_lowest_index(self):
        def f(x):
            if x == 3:
                time.sleep(0.2)  # workload: the lowest failure finishes last
                raise ValueError("bad 3")
            if x in (7, 11):
                raise ValueError("bad %d" % x)
            return x

        for ordered in (True, False):
            with self.subTest(ordered=ordered):
                with self.assertRaises(ValueError) as cm:
                    res = mp.parallel_map(f, range(16), chunksize=1, max_workers=4,
                                          ordered=ordered)
                    if not ordered:
                        list(res)
                self.assertEqual(str(cm.exception), "bad 3")

    def test_on_error_return_and_skip(self):
        def f(x):
            if x % 3 == 0:
                raise ArithmeticError("no %d" % x)
            return x

        out = mp.parallel_map(f, range(7), on_error="return", chunksize=2)
        self.assertEqual([type(v) for v in out[::3]], [ArithmeticError] * 3)
        self.assertEqual([str(v) for v in out[::3]], ["no 0", "no 3", "no 6"])
        self.assertEqual([v for i, v in enumerate(out) if i % 3], [1, 2, 4, 5])
        self.assertEqual(mp.parallel_map(f, range(7), on_error="skip"), [1, 2, 4, 5])
        unordered = mp.parallel_map(f, range(7), on_error="skip", ordered=False)
        self.assertEqual(sorted(unordered), [1, 2, 4, 5])

    def test_failing_items_inside_a_chunk_leave_the_others_run_once(self):
        calls = []
        lock = threading.Lock()

        def f(x):
            with lock:
                calls.append(x)
            if x % 4 == 1:
                raise KeyError(x)
            return x * 10

        for on_error in ("return", "skip", "raise"):
            for ordered in (True, False):
                with self.subTest(on_error=on_error, ordered=ordered):
                    calls.clear()
                    try:
                        out = mp.parallel_map(f, range(10), chunksize=5, on_error=on_error, ordered=ordered)
                        out = list(out)
                    except KeyError as e:
                        self.assertEqual(on_error, "raise")
                        self.assertEqual(e.args, (1,), "the lowest failing index")
                        continue
                    self.assertEqual(sorted(calls), list(range(10)), "every item runs exactly once")
                    if on_error == "skip":
                        self.assertEqual(sorted(out), [0, 20, 30, 40, 60, 70, 80])
                    elif ordered:
                        self.assertEqual([type(v) is KeyError for v in out], [x % 4 == 1 for x in range(10)])
                        self.assertEqual([v for v in out if type(v) is not KeyError], [0, 20, 30, 40, 60, 70, 80])
                        self.assertEqual([v.args for v in out if type(v) is KeyError], [(1,), (5,), (9,)])
                    else:
                        self.assertEqual(len(out), 10)
                        self.assertEqual(sorted(v.args[0] for v in out if type(v) is KeyError), [1, 5, 9])

    def test_ranges_are_cut_into_sub_ranges_with_the_same_items(self):
        for r in (range(10, -7, -3), range(0), range(5), range(3, 3000, 7)):
            for chunksize in (None, 1, 2, 1000):
                with self.subTest(r=r, chunksize=chunksize):
                    self.assertEqual(mp.parallel_map(lambda x: (type(x), x), r, chunksize=chunksize),
                                     [(int, x) for x in r])
        out = mp.parallel_map(lambda x: 1 // (x % 4), range(2, 12), chunksize=3, on_error="return")
        failed = [x for x, v in zip(range(2, 12), out) if isinstance(v, ZeroDivisionError)]
        self.assertEqual(failed, [4, 8])

    def test_chunk_runner_keeps_results_before_and_after_a_failure(self):
        # White-box: _run_chunk relies on deque.extend keeping what it appended before the
        # function raised; if an interpreter change broke that, results would silently shift.
        from makeparallel import _chunk
        calls = []

        def f(x):
            calls.append(x)
            if x in (2, 3, 6):
                raise ValueError(x)
            return -x

        out = _chunk._run_chunk(f, list(range(8)))
        self.assertIs(type(out), _chunk._Failed)
        self.assertEqual(out.values, [0, -1, None, None, -4, -5, None, -7])
        self.assertEqual(sorted(out.errors), [2, 3, 6])
        self.assertEqual([e.args for _, e in sorted(out.errors.items())], [(2,), (3,), (6,)])
        self.assertEqual(calls, list(range(8)))
        self.assertEqual(_chunk._run_chunk(abs, [-1, 2, -3]), [1, 2, 3])
        self.assertEqual(_chunk._run_chunk(abs, []), [])

    def test_a_chunk_that_fails_as_a_whole_fails_each_of_its_items(self):
        def f(x):
            if x == 7:
                raise SystemExit(3)  # not an Exception: it ends the chunk, not just the item
            return x

        out = mp.parallel_map(f, range(10), chunksize=5, on_error="return")
        self.assertEqual(out[:5], [0, 1, 2, 3, 4])
        self.assertTrue(all(isinstance(v, SystemExit) for v in out[5:]), out[5:])
        self.assertEqual(mp.parallel_map(f, range(10), chunksize=5, on_error="skip"), [0, 1, 2, 3, 4])

    def test_chunksize_groups_items_into_tasks(self):
        def tagged(x):
            return mp.get_current_task_id()

        ids = mp.parallel_map(tagged, range(20), chunksize=5)
        groups = [ids[i:i + 5] for i in range(0, 20, 5)]
        for g in groups:
            self.assertEqual(len(set(g)), 1)
        self.assertEqual(len(set(ids)), 4)
        ones = mp.parallel_map(tagged, range(6), chunksize=1)
        self.assertEqual(len(set(ones)), 6)
        self.assertTrue(all(re.match(r"^task_\d+$", i) for i in ones))

    # Regression test (was a bug, fixed): python/makeparallel/_map.py _Run._fill keeps 2 * max_workers chunks submitted to the shared
    # pool at once, so up to 2 * max_workers items run concurrently (peak 4 with max_workers=2);
    # concurrent.futures semantics (API.md: "where it is silent") make max_workers a bound.
    def test_max_workers_bounds_concurrency(self):
        cond = threading.Condition()
        state = {"now": 0, "peak": 0}

        def work(x):
            with cond:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
                cond.notify_all()
                # Linger (bounded) until a third item runs alongside: it never should.
                cond.wait_for(lambda: state["now"] > 2, timeout=0.3)
                state["now"] -= 1
            return x

        self.assertEqual(mp.parallel_map(work, range(6), chunksize=1, max_workers=2),
                         list(range(6)))
        self.assertGreaterEqual(state["peak"], 1)
        self.assertLessEqual(state["peak"], 2)

    def test_bad_arguments(self):
        for bad in (0, -1, float("nan"), float("inf")):
            with self.subTest(timeout=bad):
                with self.assertRaises(ValueError):
                    mp.parallel_map(abs, [1], timeout=bad)
        with self.assertRaises(ValueError):
            mp.parallel_map(abs, [1], on_error="none")
        with self.assertRaises(ValueError):
            mp.parallel_map(abs, [1], chunksize=0)
        with self.assertRaises(ValueError):
            mp.parallel_map(abs, [1], max_workers=0)
        with self.assertRaises(ValueError):
            mp.parallel_map(abs, [1], progress="loud")
        with self.assertRaises(TypeError):
            mp.parallel_map(abs, [1], timeout="1")

    def test_timeout_is_a_deadline(self):
        def f(x):
            return cooperative_loop() if x == 1 else x

        with self.assertRaises(TimeoutError):
            mp.parallel_map(f, range(3), chunksize=1, timeout=0.3)

    def test_unordered_timeout_with_on_error_return_yields_the_timeout_in_its_slot(self):
        # The map's deadline passes while a chunk still runs: that chunk's own timeout resolves
        # it, and its item comes back as the timeout error; the others as values.
        def f(x):
            return cooperative_loop() if x == 1 else x

        for _ in range(3):
            out = list(mp.parallel_map(f, range(3), chunksize=1, timeout=0.3, ordered=False,
                                       on_error="return"))
            self.assertEqual(sorted(v for v in out if not isinstance(v, BaseException)), [0, 2])
            errors = [v for v in out if isinstance(v, BaseException)]
            self.assertEqual(len(errors), 1, out)
            self.assertIsInstance(errors[0], TimeoutError)

    def test_progress_force_draws_and_non_tty_draws_nothing(self):
        saved = sys.stderr
        forced, plain = io.StringIO(), io.StringIO()
        try:
            sys.stderr = forced
            a = mp.parallel_map(abs, range(20), progress="force")
            sys.stderr = plain
            b = mp.parallel_map(abs, range(20), progress=True)
        finally:
            sys.stderr = saved
        self.assertEqual(a, list(range(20)))
        self.assertEqual(b, list(range(20)))
        text = forced.getvalue()
        self.assertIn("20/20", text)
        self.assertIn("\r", text)
        self.assertEqual(plain.getvalue(), "")


# ---------------------------------------------------------------------------------------------
# §4 inside a task
# ---------------------------------------------------------------------------------------------


NAN_TEXT = "progress must be a finite number (not NaN or Infinity)"
RANGE_TEXT = "progress must be between 0.0 and 1.0"


class InsideTask(Base):
    def test_report_progress_validation_texts(self):
        cases = [(float("nan"), NAN_TEXT), (float("inf"), NAN_TEXT), (float("-inf"), NAN_TEXT),
                 (-0.1, RANGE_TEXT), (1.5, RANGE_TEXT)]

        @mp.parallel
        def inside():
            out = []
            for value, _ in cases:
                try:
                    mp.report_progress(value)
                    out.append(None)
                except ValueError as e:
                    out.append(str(e))
            mp.report_progress(0)
            mp.report_progress(1)
            return out

        self.assertEqual(inside().get(timeout=WAIT), [text for _, text in cases])
        for value, text in cases:
            with self.subTest(value=value):
                with self.assertRaises(ValueError) as cm:
                    mp.report_progress(value)
                self.assertEqual(str(cm.exception), text)

    def test_report_progress_outside_task_is_runtime_error(self):
        with self.assertRaises(RuntimeError) as cm:
            mp.report_progress(0.5)
        self.assertIn("task_id", str(cm.exception))

    def test_report_progress_with_task_id_of_running_task(self):
        started, gate = threading.Event(), threading.Event()

        @mp.parallel
        def f():
            started.set()
            gate.wait(WAIT)
            return 1

        h = f()
        try:
            self.assertTrue(started.wait(WAIT))
            seen = []
            h.on_progress(seen.append)
            mp.report_progress(0.4, task_id=h.get_task_id())
            self.assertEqual(h.get_progress(), 0.4)
            self.assertEqual(seen, [0.4])
        finally:
            gate.set()
        self.assertEqual(h.get(timeout=WAIT), 1)

    def test_report_progress_in_every_launcher(self):
        @mp.parallel_priority
        def p():
            mp.report_progress(0.3)
            return mp.get_current_task_id()

        @mp.parallel_with_deps
        def d(prev):
            mp.report_progress(0.6)
            return prev

        hp = p(priority=2)
        hd = d(depends_on=[hp])
        self.assertEqual(hd.get(timeout=WAIT), (hp.get_task_id(),))
        self.assertEqual(mp.parallel_map(lambda x: mp.report_progress(0.5) or x, [1, 2]), [1, 2])

    def test_get_current_task_id(self):
        self.assertIsNone(mp.get_current_task_id())

        @mp.parallel
        def whoami():
            return mp.get_current_task_id()

        h = whoami()
        self.assertEqual(h.get(timeout=WAIT), h.get_task_id())


# ---------------------------------------------------------------------------------------------
# §5 limits, lifecycle, configuration
# ---------------------------------------------------------------------------------------------


class Limits(Base):
    def test_max_concurrent_tasks_holds_second_submission(self):
        mp.set_max_concurrent_tasks(1)
        started, gate = threading.Event(), threading.Event()
        submitted = threading.Event()
        second = []

        @mp.parallel
        def first():
            started.set()
            gate.wait(WAIT)
            return "first"

        @mp.parallel
        def other():
            return "second"

        def submitter():
            try:
                second.append(other())
            except BaseException as e:  # recorded, so the assertion below shows it
                second.append(e)
            submitted.set()

        h1 = first()
        t = threading.Thread(target=submitter)
        try:
            self.assertTrue(started.wait(WAIT))
            t.start()
            self.assertFalse(submitted.wait(QUIET))  # waits for the slot
            self.assertFalse(h1.done())
        finally:
            gate.set()
        self.assertTrue(submitted.wait(WAIT))
        t.join(WAIT)
        self.assertEqual(h1.get(timeout=WAIT), "first")
        self.assertIsInstance(second[0], mp.AsyncHandle)
        self.assertEqual(second[0].get(timeout=WAIT), "second")

    def test_max_concurrent_none_removes_limit(self):
        mp.set_max_concurrent_tasks(1)
        mp.set_max_concurrent_tasks(None)
        barrier = threading.Barrier(3, timeout=3)

        @mp.parallel
        def meet(i, started):
            started.set()
            barrier.wait()
            return i

        hs = staggered(meet, 3)  # with a limit of 1 the second submission would block
        self.assertEqual(mp.gather(hs, on_error="none", timeout=WAIT), [0, 1, 2])

    def test_max_concurrent_validation(self):
        for bad in (0, -1):
            with self.assertRaises(ValueError):
                mp.set_max_concurrent_tasks(bad)

    def test_memory_limit_validation(self):
        for bad in (float("nan"), 0, -1, 101):
            with self.subTest(value=bad):
                with self.assertRaises(ValueError) as cm:
                    mp.configure_memory_limit(bad)
                self.assertIn("max_memory_percent must be between 0 and 100", str(cm.exception))

    def test_memory_limit_admits_blocks_and_is_removed(self):
        @mp.parallel
        def f():
            return "ran"

        mp.configure_memory_limit(100)
        self.assertEqual(f().get(timeout=WAIT), "ran")
        mp.configure_memory_limit(0.0001, wait=0.05)  # any real system uses more than this
        before = mp.get_active_task_count()
        with self.assertRaises(mp.MemoryLimitError) as cm:
            f()
        self.assertIn("Memory limit reached, cannot start new task", str(cm.exception))
        self.assertLessEqual(mp.get_active_task_count(), before)
        mp.configure_memory_limit(None)
        self.assertEqual(f().get(timeout=WAIT), "ran")

    def test_thread_pool_configuration_and_info(self):
        mp.configure_thread_pool(num_threads=3)
        info = mp.get_thread_pool_info()
        for key in ("configured", "current_num_threads", "interpreters"):
            self.assertIn(key, info)
        self.assertTrue(info["configured"])
        self.assertEqual(info["current_num_threads"], 3)
        self.assertIsInstance(info["interpreters"], int)
        self.assertGreaterEqual(info["interpreters"], 1)
        with self.assertRaises(ValueError):
            mp.configure_thread_pool(num_threads=0)
        self.assertEqual(mp.get_thread_pool_info()["current_num_threads"], 3)

    def test_thread_pool_really_resizes(self):
        def pair_meets(barrier_timeout):
            barrier = threading.Barrier(2, timeout=barrier_timeout)

            @mp.parallel
            def meet(i, started):
                started.set()
                barrier.wait()
                return True

            first = threading.Event()
            hs = [meet(0, first)]
            self.assertTrue(first.wait(WAIT))
            hs.append(meet(1, threading.Event()))
            return mp.gather(hs, on_error="none", timeout=WAIT * 2)

        mp.configure_thread_pool(num_threads=2)
        self.assertEqual(pair_meets(WAIT), [True, True])
        mp.configure_thread_pool(num_threads=1)
        self.assertEqual(pair_meets(0.5), [None, None])  # one thread: they can never meet
        mp.configure_thread_pool(num_threads=2)
        self.assertEqual(pair_meets(WAIT), [True, True])


class Lifecycle(Base):
    def test_shutdown_cancel_pending_stops_running_cooperative_tasks(self):
        started = [threading.Event(), threading.Event()]

        @mp.parallel
        def running(i):
            started[i].set()
            return cooperative_loop()

        hs = [running(0), running(1)]
        self.assertTrue(all(e.wait(WAIT) for e in started))
        self.assertTrue(mp.shutdown(timeout_secs=WAIT, cancel_pending=True))
        for h in hs:
            self.assertTrue(h.cancelled(), "%r: %r" % (h, h.done() and not h.cancelled() and h.exception()))
            with self.assertRaises(mp.TaskCancelledError):
                h.get(timeout=0)
        self.assertEqual(mp.get_active_task_count(), 0)
        with self.assertRaises(mp.ShutdownError) as cm:
            running(0)
        self.assertEqual(str(cm.exception), "Cannot start new tasks: shutdown in progress")

    def test_shutdown_cancel_pending_cancels_queued_tasks(self):
        # The running task ignores cancellation until released, so the queued one can only
        # avoid running by being cancelled (see the report for the race this sidesteps).
        mp.configure_thread_pool(num_threads=1)
        started, release = threading.Event(), threading.Event()
        ran = []

        @mp.parallel
        def stubborn():
            started.set()
            release.wait(WAIT)

        @mp.parallel
        def queued():
            ran.append(1)

        r, q = stubborn(), queued()
        try:
            self.assertTrue(started.wait(WAIT))
            # Its code still runs, so something is left running after the wait.
            self.assertFalse(mp.shutdown(timeout_secs=0.2, cancel_pending=True))
            self.assertTrue(r.cancelled())
            self.assertTrue(q.cancelled())
            self.assertGreaterEqual(mp.get_active_task_count(), 1)
        finally:
            release.set()
        self.assertTrue(mp.shutdown(timeout_secs=WAIT))
        self.assertEqual(ran, [])
        self.assertEqual(mp.get_active_task_count(), 0)

    def test_shutdown_waits_for_running_and_reports_leftovers(self):
        gate = threading.Event()

        @mp.parallel
        def gated():
            gate.wait(WAIT)
            return "gated"

        @mp.parallel
        def busy():
            time.sleep(0.2)  # workload
            return "busy"

        g = gated()
        try:
            self.assertFalse(mp.shutdown(timeout_secs=0.05))  # something is still running
            self.assertFalse(g.done())
        finally:
            gate.set()
            mp.reset_shutdown()
        b = busy()
        self.assertTrue(mp.shutdown(timeout_secs=WAIT))  # waits for it, does not cancel it
        self.assertEqual(b.get(timeout=0), "busy")
        self.assertEqual(g.get(timeout=WAIT), "gated")

    def test_reset_shutdown_repeatedly(self):
        @mp.parallel
        def f(i):
            return i

        for cycle in range(3):
            with self.subTest(cycle=cycle):
                self.assertEqual(f(cycle).get(timeout=WAIT), cycle)
                self.assertTrue(mp.shutdown(timeout_secs=WAIT))
                with self.assertRaises(mp.ShutdownError):
                    f(cycle)
                mp.reset_shutdown()
        self.assertEqual(f(99).get(timeout=WAIT), 99)

    def test_active_task_count(self):
        self.assertTrue(self.wait_idle())
        self.assertEqual(mp.get_active_task_count(), 0)
        started, gate = threading.Event(), threading.Event()
        stubborn_gate = threading.Event()
        stubborn_started = threading.Event()

        @mp.parallel
        def gated():
            started.set()
            gate.wait(WAIT)

        @mp.parallel
        def stubborn():  # ignores cancellation
            stubborn_started.set()
            stubborn_gate.wait(WAIT)

        try:
            s = stubborn()
            self.assertTrue(stubborn_started.wait(WAIT))
            hs = [gated(), gated()]  # queued or running: both count
            self.assertEqual(mp.get_active_task_count(), 3)
            self.assertTrue(s.cancel())
            self.assertTrue(s.done())
            # Cancelled but its code still runs: still counted.
            self.assertEqual(mp.get_active_task_count(), 3)
            gate.set()
            mp.gather(hs, timeout=WAIT)
        finally:
            gate.set()
            stubborn_gate.set()
        self.assertTrue(self.wait_idle())
        self.assertEqual(mp.get_active_task_count(), 0)

    def test_stop_and_start_priority_worker(self):
        ran = threading.Event()
        mp.stop_priority_worker()

        @mp.parallel_priority
        def prio():
            ran.set()
            return "prio"

        @mp.parallel
        def plain():
            return "plain"

        h = prio(priority=5)
        try:
            self.assertEqual(plain().get(timeout=WAIT), "plain")  # plain tasks still run
            self.assertFalse(ran.wait(QUIET))
            self.assertFalse(h.done())
        finally:
            mp.start_priority_worker()
        self.assertTrue(ran.wait(WAIT))
        self.assertEqual(h.get(timeout=WAIT), "prio")

    def test_released_priority_tasks_use_every_worker(self):
        # Regression: WorkerPool.wakeOrSpawn() once counted signalled-but-not-yet-woken threads
        # as idle; start_priority_worker() wakes once per held task under the pool lock, so
        # only the idle threads ran the released tasks, one batch after another.
        @mp.parallel
        def warm():
            return 1

        warm().get(timeout=WAIT)  # at least one idle worker thread exists
        self.assertTrue(self.wait_idle())
        live = mp.get_thread_pool_info().get("live_threads", 6)
        n = live + 2  # more tasks than idle threads, and room in the pool for all of them
        mp.configure_thread_pool(num_threads=n)
        barrier = threading.Barrier(n, timeout=2)
        mp.stop_priority_worker()

        @mp.parallel_priority
        def meet(i):
            barrier.wait()
            return i

        hs = [meet(i, priority=1) for i in range(n)]
        mp.start_priority_worker()
        self.assertEqual(mp.gather(hs, on_error="none", timeout=WAIT * 2), list(range(n)))

    def test_configure_validation(self):
        with self.assertRaises(ValueError):
            mp.configure(backend="nope")
        with self.assertRaises(ValueError):
            mp.configure(interpreters=0)

        @mp.parallel
        def f():
            return 1

        self.assertEqual(f().get(timeout=WAIT), 1)  # the default backend is untouched


@unittest.skipUnless(os.environ.get("MAKEPARALLEL_STRESS"), "races: set MAKEPARALLEL_STRESS=1")
class CancelOrderRaces(Base):
    """Statistical: cancelling a running task first frees its worker for a queued sibling.

    One thread; a cooperative task runs, a second one is queued. Cancelling "the rest" must
    never let the queued one start, but the implementations cancel in an order that frees the
    worker before the queued task is cancelled. Each iteration hits the race only sometimes.
    """

    def _scenario(self, iterations, cancel_all):
        mp.configure_thread_pool(num_threads=1)
        for i in range(iterations):
            started = threading.Event()
            ran = []

            def running():
                started.set()
                return cooperative_loop()

            def queued():
                ran.append(i)

            handles = cancel_all(running, queued, started)
            self.assertTrue(all(h.wait(WAIT) for h in handles))
            self.assertTrue(self.wait_idle())
            self.assertEqual(ran, [], "iteration %d: queued task ran: %r" % (i, handles))

    # Regression test (was a bug, fixed): python/makeparallel/_launchers.py ParallelContext.__exit__ cancels in submission
    # order; the running task stops and its worker starts the next queued task before the loop
    # reaches it (12 of 40 tries). Expected: no queued task starts once the body raised.
    def test_context_exit_after_error_never_starts_queued_tasks(self):
        def cancel_all(running, queued, started):
            with self.assertRaises(KeyError):
                with mp.ParallelContext() as ctx:
                    hs = [ctx.submit(running), ctx.submit(queued)]
                    self.assertTrue(started.wait(WAIT))
                    raise KeyError("body")
            return hs

        self._scenario(20, cancel_all)

    # Regression test (was a bug, fixed): src/main/java/io/makeparallel/TaskRuntime.java shutdown(..., cancelPending=true)
    # cancels live tasks in ConcurrentHashMap order while the pool keeps dequeuing; a cancelled
    # running task frees the worker, which starts a queued task not yet cancelled (2 of 40
    # tries; once the queued task even ran while its handle said "cancelled").
    def test_shutdown_cancel_pending_never_starts_queued_tasks(self):
        launch = mp.parallel

        def cancel_all(running, queued, started):
            hs = [launch(running)(), launch(queued)()]
            self.assertTrue(started.wait(WAIT))
            self.assertTrue(mp.shutdown(timeout_secs=WAIT, cancel_pending=True))
            mp.reset_shutdown()
            return hs

        self._scenario(80, cancel_all)


# ---------------------------------------------------------------------------------------------
# §7 metrics
# ---------------------------------------------------------------------------------------------


class MetricsRows(Base):
    def test_metrics_count_and_reset(self):
        mp.reset_metrics()

        gate = threading.Event()

        @mp.parallel
        def measured(fail):
            gate.wait(WAIT)
            time.sleep(0.01)  # workload
            if fail:
                raise ValueError("counted")
            return 1

        name = measured.__qualname__
        self.assertIsNone(mp.get_metrics(name))
        done = threading.Semaphore(0)
        hs = [measured(f) for f in (False, False, False, True)]
        # Done callbacks run after the runtime's own outcome listener (registration order).
        for h in hs:
            h.add_done_callback(lambda _h: done.release())
        gate.set()
        for _ in hs:
            self.assertTrue(done.acquire(timeout=WAIT))
        m = mp.get_metrics(name)
        self.assertIsNotNone(m)
        self.assertEqual((m.total_tasks, m.completed_tasks, m.failed_tasks), (4, 3, 1))
        self.assertGreater(m.total_execution_time_ms, 0)
        self.assertGreater(m.average_execution_time_ms, 0)
        every = mp.get_all_metrics()
        self.assertEqual(every[name]["total_tasks"], 4)
        self.assertEqual(every[name]["completed_tasks"], 3)
        self.assertEqual(every[name]["failed_tasks"], 1)
        for key in ("_global_total", "_global_completed", "_global_failed"):
            self.assertIn(key, every)
        self.assertGreaterEqual(every["_global_total"], 4)
        self.assertGreaterEqual(every["_global_completed"], 3)
        self.assertGreaterEqual(every["_global_failed"], 1)
        mp.reset_metrics()
        self.assertIsNone(mp.get_metrics(name))
        self.assertNotIn(name, mp.get_all_metrics())
        with self.assertRaises(TypeError):
            mp.get_metrics(3)


# ---------------------------------------------------------------------------------------------
# §8 errors
# ---------------------------------------------------------------------------------------------


class Errors(Base):
    def test_hierarchy(self):
        self.assertTrue(issubclass(mp.MakeParallelError, RuntimeError))
        for cls in (mp.TaskCancelledError, mp.TaskTimeoutError, mp.DependencyError,
                    mp.ShutdownError, mp.MemoryLimitError, mp.TaskError):
            with self.subTest(cls=cls.__name__):
                self.assertTrue(issubclass(cls, mp.MakeParallelError))
        self.assertTrue(issubclass(mp.TaskCancelledError, concurrent.futures.CancelledError))
        self.assertTrue(issubclass(mp.TaskTimeoutError, TimeoutError))

    def test_timeout_error_is_builtin_timeout_error(self):
        @mp.parallel
        def slow():
            return cooperative_loop()

        h = slow(timeout=0.2)
        with self.assertRaises(TimeoutError) as cm:
            h.get(timeout=WAIT)
        self.assertIsInstance(cm.exception, mp.TaskTimeoutError)
        self.assertIsInstance(cm.exception, mp.MakeParallelError)
        notes = " ".join(getattr(cm.exception, "__notes__", []))
        self.assertIn(h.get_task_id(), notes)

    def test_system_exit_and_keyboard_interrupt_fail_only_the_handle(self):
        @mp.parallel
        def leave():
            raise SystemExit(3)

        @mp.parallel
        def interrupt():
            raise KeyboardInterrupt("in task")

        @mp.parallel
        def fine(x):
            return x

        a = leave()
        with self.assertRaises(SystemExit) as cm:
            a.get(timeout=WAIT)
        self.assertEqual(cm.exception.code, 3)
        b = interrupt()
        with self.assertRaises(KeyboardInterrupt):
            b.get(timeout=WAIT)
        self.assertIsInstance(b.exception(), KeyboardInterrupt)
        self.assertFalse(b.cancelled())
        # The runtime keeps working, on every worker.
        self.assertEqual(mp.gather([fine(i) for i in range(8)], timeout=WAIT), list(range(8)))
        self.assertEqual(mp.parallel_map(abs, [-1, -2]), [1, 2])


if __name__ == "__main__":
    unittest.main()
