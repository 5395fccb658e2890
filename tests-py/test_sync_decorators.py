"""Tests for the synchronous decorators in makeparallel._sync (API.md section 6).

Stdlib only, so they run under GraalPy and CPython alike. Concurrency is synchronised with
events and barriers; the only timed waits are bounded polls that fail the test on timeout.
"""

import contextlib
import io
import threading
import time
import unittest
from unittest import mock

import makeparallel._sync as S

TIMEOUT = 10.0


def wait_until(condition, timeout=TIMEOUT):
    """Bounded poll (1 ms steps); returns whether ``condition()`` became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.001)
    return True


def run_threads(n, target):
    """Run ``target(i)`` in ``n`` threads released together; return results or exceptions."""
    gate = threading.Barrier(n)
    out = [None] * n

    def body(i):
        gate.wait()
        try:
            out[i] = ("ok", target(i))
        except BaseException as exc:
            out[i] = ("err", exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads, out


def join_all(testcase, threads):
    for t in threads:
        t.join(TIMEOUT)
        testcase.assertFalse(t.is_alive(), "thread did not finish (deadlock?)")


class LogCapture:
    """Replaces makeparallel._sync.log and keeps the records."""

    def __init__(self):
        self.records = []

    def __call__(self, level, message):
        self.records.append((level, message))


def quiet():
    return mock.patch.object(S, "log", LogCapture())


class MetadataTest(unittest.TestCase):
    def test_all_names_exported(self):
        self.assertEqual(sorted(S.__all__), sorted([
            "timer", "CallCounter", "memoize", "memoize_fast", "retry",
            "retry_backoff", "retry_cached", "profiled"]))
        for name in S.__all__:
            self.assertTrue(getattr(S, name).__doc__)

    def test_wrappers_keep_metadata(self):
        def sample(x):
            """Sample doc."""
            return x

        decorators = [S.timer, S.CallCounter, S.memoize, S.memoize(maxsize=2), S.memoize_fast,
                      S.retry, S.retry(max_retries=1), S.retry_backoff, S.retry_backoff(2),
                      S.retry_cached, S.retry_cached(max_attempts=2), S.profiled]
        for deco in decorators:
            with self.subTest(deco=deco):
                wrapped = deco(sample)
                self.assertEqual(wrapped.__name__, "sample")
                self.assertEqual(wrapped.__qualname__, sample.__qualname__)
                self.assertEqual(wrapped.__doc__, "Sample doc.")
                self.assertIs(wrapped.__wrapped__, sample)
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(wrapped(7), 7)


class MethodsTest(unittest.TestCase):
    def test_every_decorator_on_methods(self):
        decorators = [S.timer, S.CallCounter, S.memoize, S.memoize_fast, S.retry,
                      S.retry_backoff(initial_delay=0), S.retry_cached, S.profiled]
        for deco in decorators:
            with self.subTest(deco=deco):
                class K:
                    factor = 3

                    def __init__(self, base):
                        self.base = base

                    @deco
                    def inst(self, x):
                        return self.base + x

                    @classmethod
                    @deco
                    def cls_below(cls, x):
                        return cls.factor * x

                    @deco
                    @classmethod
                    def cls_above(cls, x):
                        return cls.factor * x

                    @staticmethod
                    @deco
                    def st_below(x):
                        return -x

                    @deco
                    @staticmethod
                    def st_above(x):
                        return -x

                k = K(10)
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(k.inst(1), 11)
                    self.assertEqual(K(20).inst(1), 21)
                    self.assertEqual(k.cls_below(2), 6)
                    self.assertEqual(K.cls_above(2), 6)
                    self.assertEqual(k.st_below(4), -4)
                    self.assertEqual(K.st_above(4), -4)


class TimerTest(unittest.TestCase):
    def test_prints_duration_on_success(self):
        @S.timer
        def f(x):
            return x * 2

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            self.assertEqual(f(4), 8)
        lines = buf.getvalue().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], r"^Execution took: \d+\.\d+(s|ms|us)$")

    def test_prints_nothing_on_failure(self):
        @S.timer
        def f():
            raise KeyError("k")

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), self.assertRaises(KeyError):
            f()
        self.assertEqual(buf.getvalue(), "")


class CallCounterTest(unittest.TestCase):
    def test_counts_and_resets(self):
        @S.CallCounter
        def f(x, y=0):
            return x + y

        self.assertEqual(f.call_count, 0)
        self.assertEqual(f(1, y=2), 3)
        f(1)
        self.assertEqual(f.call_count, 2)
        f.reset()
        self.assertEqual(f.call_count, 0)

    def test_counts_failing_calls(self):
        @S.CallCounter
        def f():
            raise ValueError

        with self.assertRaises(ValueError):
            f()
        self.assertEqual(f.call_count, 1)

    def test_method_count_is_shared_and_visible_through_instances(self):
        class K:
            @S.CallCounter
            def m(self):
                return self

        a, b = K(), K()
        self.assertIs(a.m(), a)
        self.assertIs(b.m(), b)
        self.assertEqual(K.m.call_count, 2)
        self.assertEqual(a.m.call_count, 2)
        a.m.reset()
        self.assertEqual(K.m.call_count, 0)

    def test_thread_safe(self):
        @S.CallCounter
        def f():
            pass

        threads, out = run_threads(8, lambda i: [f() for _ in range(2000)])
        join_all(self, threads)
        self.assertEqual(f.call_count, 16000)


class MemoizeTest(unittest.TestCase):
    decorator = staticmethod(S.memoize)

    def test_caches_per_key(self):
        calls = []

        @self.decorator
        def f(x, y=1):
            calls.append((x, y))
            return x * y

        self.assertEqual(f(2, y=3), 6)
        self.assertEqual(f(2, y=3), 6)
        self.assertEqual(f(2), 2)
        self.assertEqual(calls, [(2, 3), (2, 1)])
        info = f.cache_info()
        self.assertEqual((info.hits, info.misses, info.currsize), (1, 2, 2))

    def test_int_and_float_share_a_key_and_kwargs_order_does_not_matter(self):
        calls = []

        @self.decorator
        def f(*args, **kwargs):
            calls.append(1)
            return len(calls)

        self.assertEqual(f(1), f(1.0))
        self.assertEqual(f(a=1, b=2), f(b=2, a=1))
        self.assertNotEqual(f(1, 2), f(1, b=2))
        self.assertEqual(len(calls), 4)

    def test_unhashable_arguments_use_repr(self):
        calls = []

        @self.decorator
        def total(items, opts=None):
            calls.append(1)
            return sum(items)

        self.assertEqual(total([1, 2, 3]), 6)
        self.assertEqual(total([1, 2, 3]), 6)
        self.assertEqual(total([1, 2, 3], opts={"a": [1]}), 6)
        self.assertEqual(total([4]), 4)
        self.assertEqual(len(calls), 3)

    def test_cache_clear(self):
        calls = []

        @self.decorator
        def f(x):
            calls.append(x)
            return x

        f(1)
        f(1)
        f.cache_clear()
        f(1)
        self.assertEqual(calls, [1, 1])

    def test_recursive_fib(self):
        @self.decorator
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        self.assertEqual(fib(200), 280571172992510140037611932413038677189525)
        self.assertEqual(fib.cache_info().misses, 201)

    def test_same_key_reentry_does_not_deadlock(self):
        calls = []

        @self.decorator
        def f(x):
            calls.append(x)
            if len(calls) == 1:
                return f(x) + 1  # same key as the outer call, same thread
            return 10

        threads, out = run_threads(1, lambda i: f(5))
        join_all(self, threads)
        self.assertEqual(out[0], ("ok", 11))
        self.assertEqual(f(5), 11)

    def test_maxsize_evicts_least_recently_used(self):
        calls = []

        @self.decorator(maxsize=2)
        def f(x):
            calls.append(x)
            return x

        f(1), f(2), f(1), f(3)  # 2 is least recently used when 3 arrives
        f(1)
        self.assertEqual(calls, [1, 2, 3])
        f(2)
        self.assertEqual(calls, [1, 2, 3, 2])
        self.assertEqual(f.cache_info().currsize, 2)
        self.assertEqual(f.cache_info().maxsize, 2)

    def test_maxsize_zero_caches_nothing(self):
        calls = []

        @self.decorator(maxsize=0)
        def f(x):
            calls.append(x)

        f(1), f(1)
        self.assertEqual(calls, [1, 1])

    def test_maxsize_validation(self):
        for bad, err in [(-1, ValueError), (1.5, TypeError), ("3", TypeError), (True, TypeError)]:
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(err, "maxsize.*" + repr(bad).replace(".", r"\.")):
                    self.decorator(maxsize=bad)

    def test_failures_are_not_cached(self):
        calls = []

        @self.decorator
        def f(x):
            calls.append(x)
            if len(calls) == 1:
                raise ValueError("first")
            return x

        with self.assertRaisesRegex(ValueError, "first"):
            f(1)
        self.assertEqual(f(1), 1)
        self.assertEqual(len(calls), 2)

    def _start_blocked_computation(self, n, body_result):
        """n threads call f(1) while the first computation is held open; returns handles."""
        entered, release = threading.Event(), threading.Event()
        calls = []

        @self.decorator
        def f(x):
            calls.append(x)
            entered.set()
            release.wait(TIMEOUT)
            return body_result(x)

        threads, out = run_threads(n, lambda i: f(1))
        self.assertTrue(entered.wait(TIMEOUT))
        # Every other caller has found the computation in flight and is waiting on it.
        self.assertTrue(wait_until(lambda: f.cache_info().hits == n - 1))
        return f, calls, release, threads, out

    def test_single_flight(self):
        f, calls, release, threads, out = self._start_blocked_computation(8, lambda x: object())
        release.set()
        join_all(self, threads)
        self.assertEqual(calls, [1])
        self.assertTrue(all(kind == "ok" for kind, _ in out))
        self.assertEqual(len({id(value) for _, value in out}), 1)

    def test_single_flight_failure_reaches_every_waiter_and_is_not_cached(self):
        def boom(x):
            raise RuntimeError("boom")

        f, calls, release, threads, out = self._start_blocked_computation(8, boom)
        release.set()
        join_all(self, threads)
        self.assertEqual(calls, [1])
        self.assertTrue(all(kind == "err" and str(exc) == "boom" for kind, exc in out))
        self.assertEqual(f.cache_info().currsize, 0)

    def test_no_lock_held_while_user_code_runs(self):
        entered, release = threading.Event(), threading.Event()

        @self.decorator
        def f(x):
            if x == "slow":
                entered.set()
                release.wait(TIMEOUT)
            return x

        threads, out = run_threads(1, lambda i: f("slow"))
        self.assertTrue(entered.wait(TIMEOUT))
        # Another key completes while "slow" runs: no lock spans user code.
        fast_threads, fast_out = run_threads(1, lambda i: f("fast"))
        join_all(self, fast_threads)
        self.assertEqual(fast_out[0], ("ok", "fast"))
        f.cache_clear()
        release.set()
        join_all(self, threads)
        self.assertEqual(out[0], ("ok", "slow"))
        # The slow result was computed before cache_clear() returned: it must not be stored.
        self.assertEqual(f.cache_info().currsize, 0)


class MemoizeFastTest(MemoizeTest):
    decorator = staticmethod(S.memoize_fast)


class RetryTest(unittest.TestCase):
    def flaky(self, failures, exc=ValueError):
        calls = []

        def f(*args):
            calls.append(args)
            if len(calls) <= failures:
                raise exc("fail %d" % len(calls))
            return "done"

        return f, calls

    def test_succeeds_after_failures_and_logs_each(self):
        f, calls = self.flaky(3)
        with quiet() as logs:
            self.assertEqual(S.retry(f)(), "done")
        self.assertEqual(len(calls), 4)
        self.assertEqual([lvl for lvl, _ in logs.records], ["warn"] * 3)
        self.assertIn("fail 1", logs.records[0][1])

    def test_reraises_last_error_after_all_attempts(self):
        f, calls = self.flaky(10)
        with quiet(), self.assertRaisesRegex(ValueError, "fail 3"):
            S.retry(max_retries=2)(f)()
        self.assertEqual(len(calls), 3)

    def test_zero_retries_calls_once(self):
        f, calls = self.flaky(10)
        with quiet(), self.assertRaises(ValueError):
            S.retry(0)(f)()
        self.assertEqual(len(calls), 1)

    def test_does_not_retry_base_exceptions(self):
        f, calls = self.flaky(10, exc=KeyboardInterrupt)
        with quiet(), self.assertRaises(KeyboardInterrupt):
            S.retry(f)()
        self.assertEqual(len(calls), 1)

    def test_validation(self):
        for bad, err in [(-1, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)]:
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(err, "max_retries.*%s" % repr(bad)):
                    S.retry(max_retries=bad)

    def test_stops_retrying_once_its_task_is_cancelled(self):
        # One retry loop for tasks and @retry: a cancelled task's @retry gives up at its next
        # failure instead of calling on 10,000 more times.
        import makeparallel as mp
        calls, first = [], threading.Event()

        @S.retry(max_retries=10000)
        def flaky():
            calls.append(1)
            first.set()
            time.sleep(0.005)
            raise ValueError("again")

        @mp.parallel
        def task():
            flaky()

        with quiet() as logs:
            h = task()
            self.assertTrue(first.wait(TIMEOUT))
            h.cancel()
            self.assertTrue(wait_until(lambda: logs.records and "giving up" in logs.records[-1][1]),
                            "the retries went on after the cancel: %d calls" % len(calls))
        self.assertLess(len(calls), 10000)
        # The loop has exited: the attempt it gave up on was its last call.
        gave_up = logs.records[-1][1]
        self.assertIn("attempt %d/10001 failed" % len(calls), gave_up)


class RetryBackoffTest(unittest.TestCase):
    def run_failing(self, attempts_to_fail=100, **options):
        delays, calls = [], []

        def f():
            calls.append(1)
            if len(calls) <= attempts_to_fail:
                raise OSError("down %d" % len(calls))
            return "up"

        wrapped = S.retry_backoff(**options)(f)  # decorated before the seam is patched
        with mock.patch.object(S, "_sleep", delays.append), quiet():
            try:
                outcome = wrapped()
            except OSError as exc:
                outcome = exc
        return outcome, delays, len(calls)

    def test_exponential_capped(self):
        outcome, delays, calls = self.run_failing(
            max_attempts=6, initial_delay=1, max_delay=5)
        self.assertEqual(delays, [1.0, 2.0, 4.0, 5.0, 5.0])
        self.assertEqual(calls, 6)
        self.assertEqual(str(outcome), "down 6")

    def test_defaults(self):
        outcome, delays, calls = self.run_failing()
        self.assertEqual((delays, calls), ([1.0, 2.0], 3))

    def test_linear_and_constant(self):
        _, delays, _ = self.run_failing(max_attempts=5, backoff="linear", initial_delay=0.5)
        self.assertEqual(delays, [0.5, 1.0, 1.5, 2.0])
        _, delays, _ = self.run_failing(max_attempts=4, backoff="constant", initial_delay=0.25)
        self.assertEqual(delays, [0.25, 0.25, 0.25])

    def test_huge_exponent_stays_capped(self):
        _, delays, _ = self.run_failing(max_attempts=1100, initial_delay=1, max_delay=7)
        self.assertEqual(delays[-1], 7.0)

    def test_stops_retrying_on_success(self):
        outcome, delays, calls = self.run_failing(attempts_to_fail=1, max_attempts=5,
                                                  initial_delay=0.1)
        self.assertEqual((outcome, delays, calls), ("up", [0.1], 2))

    def test_jitter_within_bounds_and_capped(self):
        _, delays, _ = self.run_failing(max_attempts=6, initial_delay=1, max_delay=100,
                                        jitter=True)
        for k, d in enumerate(delays, start=1):
            self.assertTrue(0.5 * 2 ** (k - 1) <= d <= 1.5 * 2 ** (k - 1), (k, d))
        with mock.patch("random.uniform", return_value=1.5):
            _, delays, _ = self.run_failing(max_attempts=3, initial_delay=1, max_delay=2,
                                            jitter=True)
        self.assertEqual(delays, [1.5, 2.0])

    def test_on_filters_exceptions(self):
        outcome, delays, calls = self.run_failing(on=ValueError)
        self.assertIsInstance(outcome, OSError)
        self.assertEqual((delays, calls), ([], 1))
        outcome, delays, calls = self.run_failing(on=(ValueError, OSError), max_attempts=2)
        self.assertEqual((delays, calls), ([1.0], 2))

    def test_bare_use(self):
        @S.retry_backoff
        def f():
            return 3

        self.assertEqual(f(), 3)

    def test_validation(self):
        cases = [
            (dict(max_attempts=0), ValueError, "max_attempts"),
            (dict(max_attempts=True), TypeError, "max_attempts"),
            (dict(max_attempts=2.5), TypeError, "max_attempts"),
            (dict(backoff="fibonacci"), ValueError, "backoff.*exponential.*linear.*constant"),
            (dict(backoff=None), TypeError, "backoff"),
            (dict(initial_delay=-1), ValueError, "initial_delay.*-1"),
            (dict(initial_delay=float("nan")), ValueError, "initial_delay.*nan"),
            (dict(initial_delay="1"), TypeError, "initial_delay"),
            (dict(max_delay=float("inf")), ValueError, "max_delay.*inf"),
            (dict(max_delay=False), TypeError, "max_delay"),
            (dict(jitter=1), TypeError, "jitter"),
            (dict(on=ValueError("x")), TypeError, "on"),
            (dict(on=[ValueError]), TypeError, "on"),
            (dict(on=(ValueError, int)), TypeError, "on"),
            (dict(on=()), ValueError, "on"),
        ]
        for options, err, pattern in cases:
            with self.subTest(options=options):
                with self.assertRaisesRegex(err, pattern):
                    S.retry_backoff(**options)


class RetryCachedTest(unittest.TestCase):
    def test_retries_then_caches_success(self):
        calls = []

        @S.retry_cached(max_attempts=3)
        def f(x):
            calls.append(x)
            if len(calls) < 3:
                raise ValueError("not yet")
            return x * 10

        with quiet() as logs:
            self.assertEqual(f(2), 20)
            self.assertEqual(f(2.0), 20)
        self.assertEqual(len(calls), 3)
        self.assertEqual(len(logs.records), 2)

    def test_failures_not_cached_by_default(self):
        calls = []

        @S.retry_cached(max_attempts=2)
        def f(x):
            calls.append(x)
            raise ValueError("no %d" % len(calls))

        with quiet():
            with self.assertRaisesRegex(ValueError, "no 2"):
                f([1])
            with self.assertRaisesRegex(ValueError, "no 4"):
                f([1])
        self.assertEqual(len(calls), 4)

    def test_cache_failures(self):
        calls = []

        @S.retry_cached(max_attempts=2, cache_failures=True)
        def f(x):
            calls.append(x)
            raise ValueError("no %d" % len(calls))

        with quiet():
            for _ in range(3):
                with self.assertRaisesRegex(ValueError, "no 2"):
                    f(1)
            self.assertEqual(len(calls), 2)
            f.cache_clear()
            with self.assertRaisesRegex(ValueError, "no 4"):
                f(1)

    def test_bare_use_and_validation(self):
        @S.retry_cached
        def f(x):
            return x

        self.assertEqual(f(1), 1)
        with self.assertRaisesRegex(ValueError, "max_attempts.*0"):
            S.retry_cached(max_attempts=0)
        with self.assertRaisesRegex(TypeError, "max_attempts"):
            S.retry_cached(max_attempts="2")
        with self.assertRaisesRegex(TypeError, "cache_failures"):
            S.retry_cached(cache_failures="yes")


class ProfiledTest(unittest.TestCase):
    def test_records_success_and_failure(self):
        class K:
            @S.profiled
            def work(self, fail):
                if fail:
                    raise ValueError("bad")
                return "ok"

        recorder = mock.Mock()
        with mock.patch.object(S, "record_metric", recorder):
            self.assertEqual(K().work(False), "ok")
            with self.assertRaisesRegex(ValueError, "bad"):
                K().work(True)
        self.assertEqual(recorder.call_count, 2)
        (name1, ms1, ok1), (name2, ms2, ok2) = [c.args for c in recorder.call_args_list]
        self.assertEqual((name1, ok1), (K.work.__qualname__, True))
        self.assertEqual((name2, ok2), (K.work.__qualname__, False))
        self.assertTrue(name1.endswith("K.work"))
        self.assertTrue(isinstance(ms1, float) and ms1 >= 0 and ms2 >= 0)

    def test_metric_failure_does_not_change_outcome(self):
        @S.profiled
        def f():
            return 5

        with mock.patch.object(S, "record_metric", side_effect=RuntimeError("bridge")), \
                quiet() as logs:
            self.assertEqual(f(), 5)
        self.assertEqual(logs.records[0][0], "warn")


if __name__ == "__main__":
    unittest.main()
