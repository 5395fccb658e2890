"""Reliability tests (issue 6): bad input, load, back-to-back batches, concurrent lifecycle,
boundary safety and durations at the limits.

Run: cd tests-py && ../makeparallel -m unittest test_reliability

Rules kept here: no time.sleep as synchronisation (events, barriers and bounded polling only),
every wait is bounded, and each test restores the global state in tearDown. A watchdog shuts
the runtime down if a section hangs, so a blocked submission fails the test instead of hanging it.

Scale (interpreter-only GraalPy, 2 CPUs; whole file ~85-100 s plus ~30 s start-up): section 2
runs 2,000 tasks on threads and 200 on interpreters as asked; section 3 runs 300 x 20 items on
threads as asked, with chunk sizes cycling through None/1/3/7/20 (so not every item is its own
task), and 50 x 20 items on interpreters with chunksize=10 (2 tasks per batch: lambdas and
closures are shipped by value, ~50-100 ms per interpreter task here). The interpreters pool is
configured once (configure(interpreters=2, warmup=True)) in setUpClass of the class using it.
Tests named test_bug_* pin down bugs this suite found (all fixed).
"""
import collections
import math
import random
import sys
import threading
import time
import unittest

import makeparallel as mp

NAN = float("nan")
INF = float("inf")

_STATS = collections.Counter()  # figures printed per section


def _say(msg):
    print("[reliability] " + msg, file=sys.stderr, flush=True)


# ---- task bodies (module level: the interpreters backend ships them by reference) -----------

def ident(x=None):
    return x


def double(i):
    return i * 2


def square(i):
    return i * i


def fail_value(i):
    raise ValueError("fail-%d" % i)


def block_on(event, limit=60.0):
    return "released" if event.wait(limit) else "never released"


def cooperative_forever(limit=20.0):
    """Loops until cancelled or timed out (check_cancelled raises); gives up after ``limit``."""
    idle = threading.Event()  # never set: wait() is a bounded pause, not synchronisation
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        mp.check_cancelled()
        idle.wait(0.002)
    return "NOT STOPPED"


def dep_add(results, i):
    return results[0] + i


def spin_forever():
    while True:
        pass


def raise_system_exit():
    raise SystemExit(7)


def raise_keyboard_interrupt():
    raise KeyboardInterrupt("from task")


# ---- helpers --------------------------------------------------------------------------------

def wait_until(predicate, timeout, step=0.005):
    """Bounded polling: True as soon as predicate() holds, False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        pause.wait(step)


def restore_globals():
    mp.reset_shutdown()
    mp.set_max_concurrent_tasks(None)
    mp.configure_memory_limit(None)
    mp.configure_thread_pool(num_threads=6)
    mp.start_priority_worker()
    mp.reset_shutdown()


class Watchdog:
    """If the block runs longer than ``seconds``, lift the limits and shut the runtime down
    (cancelling everything) so blocked submissions and waits return and the test fails."""

    def __init__(self, seconds, what):
        self.seconds = seconds
        self.what = what
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        if self._stop.wait(self.seconds):
            return
        self.fired = True
        _say("WATCHDOG: %s still running after %ss; shutting the runtime down" % (self.what, self.seconds))
        try:
            mp.set_max_concurrent_tasks(None)
            mp.shutdown(timeout_secs=0.0, cancel_pending=True)
        except BaseException as exc:  # pragma: no cover - diagnostics only
            _say("watchdog: %r" % (exc,))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        return False


_INTERP_READY = []


def ensure_interpreters():
    if not _INTERP_READY:
        t0 = time.monotonic()
        mp.configure(interpreters=2, warmup=True)
        _INTERP_READY.append(True)
        _say("interpreters warm-up took %.1fs" % (time.monotonic() - t0))


class Base(unittest.TestCase):
    def setUp(self):
        self.assertTrue(wait_until(lambda: mp.get_active_task_count() == 0, 30),
                        "a previous test left %d tasks active" % mp.get_active_task_count())

    def tearDown(self):
        restore_globals()

    def assertDrains(self, timeout=30):
        ok = wait_until(lambda: mp.get_active_task_count() == 0, timeout)
        self.assertTrue(ok, "get_active_task_count() stayed at %d for %ss"
                        % (mp.get_active_task_count(), timeout))


# =============================================================================================
# 1. Bad input, table-driven
# =============================================================================================

Row = collections.namedtuple("Row", "label thunk exc names")

# Values that are not numbers at all, or not the number kind asked for.
_NOT_NUMBERS = [("str", "1"), ("bool", True), ("list", [1]), ("complex", 1j), ("bytes", b"1")]
_NOT_INTS = [("str", "2"), ("float", 2.0), ("nan", NAN), ("inf", INF), ("bool", True), ("list", [2])]


def _label(fn, arg, what, value):
    return "%s(%s=%s %r)" % (fn, arg, what, value)


def duration_rows(fn, arg, call, *, none_ok, zero_ok):
    """Rows for a seconds argument; ``call(v)`` passes v as that argument."""
    rows = []
    bad_values = [("nan", NAN), ("inf", INF), ("-inf", -INF), ("neg", -1), ("tiny-neg", -1e-9),
                  ("-2**63", -2 ** 63)]
    if not zero_ok:
        bad_values += [("zero", 0), ("zero-float", 0.0), ("minus-zero", -0.0)]
    for what, v in bad_values:
        rows.append(Row(_label(fn, arg, what, v), (lambda v=v: call(v)), ValueError, (arg,)))
    for what, v in _NOT_NUMBERS:
        rows.append(Row(_label(fn, arg, what, v), (lambda v=v: call(v)), TypeError, (arg,)))
    if not none_ok:
        rows.append(Row(_label(fn, arg, "None", None), (lambda: call(None)), TypeError, (arg,)))
    return rows


def int_rows(fn, arg, call, *, minimum, none_ok, java_range, names=None):
    """Rows for an int argument with an optional minimum and Java int range."""
    names = names or (arg,)
    rows = []
    bad_values = []
    if minimum is not None:
        bad_values += [("below-min", minimum - 1), ("-1", -1) if minimum - 1 != -1 else ("-2", -2)]
    if java_range:
        bad_values += [("2**63", 2 ** 63), ("2**31", 2 ** 31), ("-2**63", -2 ** 63 - 1)]
    elif minimum is not None:
        bad_values += [("-2**63", -2 ** 63)]
    for what, v in bad_values:
        rows.append(Row(_label(fn, arg, what, v), (lambda v=v: call(v)), ValueError, names))
    for what, v in _NOT_INTS:
        rows.append(Row(_label(fn, arg, what, v), (lambda v=v: call(v)), TypeError, names))
    if not none_ok:
        rows.append(Row(_label(fn, arg, "None", None), (lambda: call(None)), TypeError, names))
    return rows


def choice_rows(fn, arg, call, bad_strings, *, none_ok):
    rows = [Row(_label(fn, arg, "str", s), (lambda s=s: call(s)), ValueError, (arg,)) for s in bad_strings]
    for what, v in [("int", 5), ("bytes", b"threads"), ("list", ["raise"])]:
        rows.append(Row(_label(fn, arg, what, v), (lambda v=v: call(v)), TypeError, (arg,)))
    if not none_ok:
        rows.append(Row(_label(fn, arg, "None", None), (lambda: call(None)), TypeError, (arg,)))
    return rows


def bool_rows(fn, arg, call):
    return [Row(_label(fn, arg, what, v), (lambda v=v: call(v)), TypeError, (arg,))
            for what, v in [("str", "yes"), ("int", 1), ("None", None), ("float", 0.0)]]


def noncallable_rows(fn, arg, call, names=None):
    names = names or (arg, "callable")
    return [Row(_label(fn, arg, what, v), (lambda v=v: call(v)), TypeError, names)
            for what, v in [("int", 5), ("None", None), ("str", "abs"), ("list", [abs])]]


def _ctx_submit(**kwargs):
    with mp.ParallelContext() as ctx:
        ctx.submit(**kwargs)


class BadInput(Base):
    """Section 1: every bad argument raises TypeError/ValueError naming it, and leaves nothing."""

    def setUp(self):
        super().setUp()
        self.probe_launcher = mp.parallel(ident)
        self._last_probe = None
        self.release = threading.Event()
        self.done_h = mp.parallel(ident)(1)
        self.assertTrue(self.done_h.wait(30))
        self.pending_h = mp.parallel(block_on)(self.release)
        # The pending task is the only active one (a just-finished one may take a moment to go).
        self.assertTrue(wait_until(lambda: mp.get_active_task_count() == 1, 10))
        self.baseline_active = 1

    def tearDown(self):
        self.release.set()
        self.pending_h.wait(30)
        super().tearDown()

    # -- the table --------------------------------------------------------------------------

    def rows(self):
        """Rows expected to pass (bugs are kept apart in the expected-failure tests below)."""
        rows = []
        launchers = [("parallel", mp.parallel), ("parallel_fast", mp.parallel_fast),
                     ("parallel_pool", mp.parallel_pool), ("parallel_priority", mp.parallel_priority),
                     ("parallel_with_deps", mp.parallel_with_deps)]
        for lname, launcher in launchers:
            # decorator options
            rows += duration_rows(lname, "timeout", lambda v, L=launcher: L(timeout=v)(ident),
                                  none_ok=True, zero_ok=False)
            rows += int_rows(lname, "retries", lambda v, L=launcher: L(retries=v)(ident),
                             minimum=0, none_ok=False, java_range=False)
            rows += int_rows(lname, "priority", lambda v, L=launcher: L(priority=v)(ident),
                             minimum=None, none_ok=False, java_range=True)
            rows += choice_rows(lname, "backend", lambda v, L=launcher: L(backend=v)(ident),
                                ["gpu", "", "Threads"], none_ok=True)
            rows += [Row("%s(name=%r)" % (lname, v), (lambda v=v, L=launcher: L(name=v)(ident)), TypeError, ("name",))
                     for v in (5, b"x", ["n"])]
            # non-callables, bare and with options
            # bare: parallel(None) is parallel() (returns the decorator), so None is not bad here
            rows += [r for r in noncallable_rows(lname, "func", lambda v, L=launcher: L(v))
                     if "None" not in r.label]
            rows += noncallable_rows(lname + "(backend='threads')", "func",
                                     lambda v, L=launcher: L(backend="threads")(v))
            # call-time timeout=
            task = launcher(ident)
            rows += duration_rows(lname + "-call", "timeout", lambda v, T=task: T(1, timeout=v),
                                  none_ok=True, zero_ok=False)
        prio = mp.parallel_priority(ident)
        rows += int_rows("parallel_priority-call", "priority", lambda v: prio(1, priority=v),
                         minimum=None, none_ok=False, java_range=True)
        deps = mp.parallel_with_deps(ident)
        for what, v in [("int", 5), ("str", "task_0"), ("None-in-list", [None]), ("int-in-list", [5]),
                        ("handle-and-int", [self.done_h, 3]), ("dict", {"a": 1}), ("raw-host", [self.done_h._h])]:
            rows.append(Row(_label("parallel_with_deps-call", "depends_on", what, v),
                            (lambda v=v: deps(depends_on=v)), TypeError, ("depends_on",)))
        # bad call-time timeout together with a good dependency: still nothing registered
        rows += duration_rows("parallel_with_deps-call+dep", "timeout",
                              lambda v: deps(depends_on=[self.done_h], timeout=v), none_ok=True, zero_ok=False)

        # parallel_map
        def pm(**kw):
            args = {"func": double, "items": [1, 2, 3]}
            args.update(kw)
            return mp.parallel_map(args.pop("func"), args.pop("items"), **args)
        rows += noncallable_rows("parallel_map", "func", lambda v: pm(func=v))
        rows += [Row(_label("parallel_map", "items", w, v), (lambda v=v: pm(items=v)), TypeError, ("items",))
                 for w, v in [("int", 5), ("None", None), ("float", 1.5)]]
        rows += choice_rows("parallel_map", "backend", lambda v: pm(backend=v), ["gpu", ""], none_ok=True)
        rows += int_rows("parallel_map", "max_workers", lambda v: pm(max_workers=v),
                         minimum=1, none_ok=True, java_range=False)
        rows += int_rows("parallel_map", "chunksize", lambda v: pm(chunksize=v),
                         minimum=1, none_ok=True, java_range=False)
        rows += duration_rows("parallel_map", "timeout", lambda v: pm(timeout=v), none_ok=True, zero_ok=False)
        rows += choice_rows("parallel_map", "on_error", lambda v: pm(on_error=v),
                            ["ignore", "none", "RAISE"], none_ok=False)
        rows += [Row(_label("parallel_map", "ordered", w, v), (lambda v=v: pm(ordered=v)), TypeError, ("ordered",))
                 for w, v in [("str", "yes"), ("int", 1), ("None", None)]]
        rows += [Row(_label("parallel_map", "progress", w, v), (lambda v=v: pm(progress=v)), ValueError, ("progress",))
                 for w, v in [("str", "yes"), ("int", 2)]]

        # gather
        rows += [Row(_label("gather", "handles", w, v), (lambda v=v: mp.gather(v)), TypeError,
                     ("handles", "AsyncHandle"))
                 for w, v in [("int-in-list", [5]), ("None-in-list", [None]),
                              ("handle-and-str", [self.done_h, "x"])]]
        rows += choice_rows("gather", "on_error", lambda v: mp.gather([self.done_h], on_error=v),
                            ["return", "ignore", ""], none_ok=False)
        rows += duration_rows("gather", "timeout", lambda v: mp.gather([self.done_h], timeout=v),
                              none_ok=True, zero_ok=True)

        # ParallelContext and its submit
        rows += duration_rows("ParallelContext", "timeout", lambda v: mp.ParallelContext(timeout=v),
                              none_ok=True, zero_ok=False)
        rows += choice_rows("ParallelContext", "backend", lambda v: mp.ParallelContext(backend=v),
                            ["gpu"], none_ok=True)
        rows += int_rows("ParallelContext", "max_workers", lambda v: mp.ParallelContext(max_workers=v),
                         minimum=1, none_ok=True, java_range=False)
        rows += noncallable_rows("ParallelContext.submit", "func", lambda v: _ctx_submit(func=v))
        rows += [Row(_label("ParallelContext.submit", "args", w, v), (lambda v=v: _ctx_submit(func=ident, args=v)),
                     TypeError, ("args",))
                 for w, v in [("list", [1]), ("None", None), ("str", "ab"), ("int", 1)]]
        rows += [Row(_label("ParallelContext.submit", "kwargs", w, v),
                     (lambda v=v: _ctx_submit(func=ident, kwargs=v)), TypeError, ("kwargs",))
                 for w, v in [("list", [("x", 1)]), ("str", "x=1"), ("int", 1)]]

        # limits, lifecycle, configuration
        rows += int_rows("set_max_concurrent_tasks", "max_tasks", mp.set_max_concurrent_tasks,
                         minimum=1, none_ok=True, java_range=True)
        for what, v in [("nan", NAN), ("inf", INF), ("-inf", -INF), ("zero", 0), ("minus-zero", -0.0),
                        ("neg", -1), ("above-100", 100.0001), ("101", 101), ("2**63", 2 ** 63)]:
            rows.append(Row(_label("configure_memory_limit", "max_memory_percent", what, v),
                            (lambda v=v: mp.configure_memory_limit(v)), ValueError, ("max_memory_percent",)))
        for what, v in _NOT_NUMBERS:
            rows.append(Row(_label("configure_memory_limit", "max_memory_percent", what, v),
                            (lambda v=v: mp.configure_memory_limit(v)), TypeError, ("max_memory_percent",)))
        # 100 % can never be exceeded, so even a wrongly accepted call could not hold probes back
        rows += duration_rows("configure_memory_limit", "wait", lambda v: mp.configure_memory_limit(100, wait=v),
                              none_ok=False, zero_ok=True)
        rows += int_rows("configure_thread_pool", "num_threads", lambda v: mp.configure_thread_pool(num_threads=v),
                         minimum=1, none_ok=True, java_range=True)
        rows += [Row(_label("configure_thread_pool", "stack_size", w, v),
                     (lambda v=v: mp.configure_thread_pool(stack_size=v)), e, ("stack_size",))
                 for w, v, e in [("neg", -1, ValueError), ("-2**63", -2 ** 63, ValueError),
                                 ("str", "1m", TypeError), ("float", 1.5, TypeError),
                                 ("nan", NAN, TypeError), ("bool", True, TypeError)]]
        rows += choice_rows("configure", "backend", lambda v: mp.configure(backend=v), ["gpu", ""], none_ok=True)
        rows += int_rows("configure", "interpreters", lambda v: mp.configure(interpreters=v),
                         minimum=1, none_ok=True, java_range=True)
        rows += int_rows("configure", "max_tasks_per_worker", lambda v: mp.configure(max_tasks_per_worker=v),
                         minimum=1, none_ok=True, java_range=True)
        rows += bool_rows("configure", "warmup", lambda v: mp.configure(warmup=v))
        rows += duration_rows("shutdown", "timeout_secs", lambda v: mp.shutdown(timeout_secs=v),
                              none_ok=False, zero_ok=True)
        rows += bool_rows("shutdown", "cancel_pending", lambda v: mp.shutdown(timeout_secs=0.1, cancel_pending=v))

        # report_progress (outside a task: bad values are still checked first)
        for what, v in [("nan", NAN), ("inf", INF), ("-inf", -INF), ("above", 1.5), ("below", -0.1),
                        ("2**63", 2 ** 63), ("-1", -1)]:
            rows.append(Row(_label("report_progress", "progress", what, v),
                            (lambda v=v: mp.report_progress(v)), ValueError, ("progress",)))
        for what, v in [("str", "0.5"), ("None", None), ("bool", True), ("list", [0.5])]:
            rows.append(Row(_label("report_progress", "progress", what, v),
                            (lambda v=v: mp.report_progress(v)), TypeError, ("progress",)))
        for what, v in [("int", 5), ("bytes", b"task_0"), ("list", ["task_0"])]:
            rows.append(Row(_label("report_progress", "task_id", what, v),
                            (lambda v=v: mp.report_progress(0.5, task_id=v)), TypeError, ("task_id",)))

        # AsyncHandle methods, on a handle that is still running (nothing may wait or cancel)
        p = self.pending_h
        for mname, call in [("get", lambda v: p.get(v)), ("get-kw", lambda v: p.get(timeout=v)),
                            ("result", lambda v: p.result(v)), ("exception", lambda v: p.exception(v)),
                            ("wait", lambda v: p.wait(v)), ("wait-timeout_secs", lambda v: p.wait(timeout_secs=v))]:
            rows += duration_rows("AsyncHandle." + mname + "[pending]", "timeout", call, none_ok=True, zero_ok=True)
        rows += duration_rows("AsyncHandle.cancel_with_timeout[pending]", "timeout",
                              lambda v: p.cancel_with_timeout(v), none_ok=False, zero_ok=True)
        rows += duration_rows("AsyncHandle.cancel_with_timeout[done]", "timeout",
                              lambda v: self.done_h.cancel_with_timeout(v), none_ok=False, zero_ok=True)
        for what, k, v, name in [("key-int", 5, "v", "key"), ("key-None", None, "v", "key"),
                                 ("key-bytes", b"k", "v", "key"), ("value-int", "k", 5, "value"),
                                 ("value-None", "k", None, "value"), ("value-list", "k", ["v"], "value")]:
            rows.append(Row("AsyncHandle.set_metadata(%s)" % what, (lambda k=k, v=v: p.set_metadata(k, v)),
                            TypeError, (name,)))
        rows.append(Row("AsyncHandle.get_metadata(key-int)", (lambda: p.get_metadata(5)), TypeError, ("key",)))
        for mname in ("on_complete", "on_error", "on_progress"):
            rows += noncallable_rows("AsyncHandle." + mname, "callback",
                                     lambda v, m=mname: getattr(p, m)(v))
        rows += noncallable_rows("AsyncHandle.add_done_callback", "fn", lambda v: p.add_done_callback(v))

        # synchronous decorators
        rows += int_rows("retry", "max_retries", lambda v: mp.retry(max_retries=v),
                         minimum=0, none_ok=False, java_range=False)
        rows += int_rows("retry_backoff", "max_attempts", lambda v: mp.retry_backoff(max_attempts=v),
                         minimum=1, none_ok=False, java_range=False)
        rows += choice_rows("retry_backoff", "backoff", lambda v: mp.retry_backoff(backoff=v),
                            ["quadratic", "", "Exponential"], none_ok=False)
        rows += duration_rows("retry_backoff", "initial_delay", lambda v: mp.retry_backoff(initial_delay=v),
                              none_ok=False, zero_ok=True)
        rows += duration_rows("retry_backoff", "max_delay", lambda v: mp.retry_backoff(max_delay=v),
                              none_ok=False, zero_ok=True)
        rows += bool_rows("retry_backoff", "jitter", lambda v: mp.retry_backoff(jitter=v))
        rows += [Row(_label("retry_backoff", "on", w, v), (lambda v=v: mp.retry_backoff(on=v)), e, ("on",))
                 for w, v, e in [("int", 5, TypeError), ("str", "ValueError", TypeError),
                                 ("list", [ValueError], TypeError), ("non-exception", (int,), TypeError),
                                 ("None", None, TypeError), ("instance", (ValueError("x"),), TypeError),
                                 ("empty", (), ValueError)]]
        rows += int_rows("retry_cached", "max_attempts", lambda v: mp.retry_cached(max_attempts=v),
                         minimum=1, none_ok=False, java_range=False)
        rows += bool_rows("retry_cached", "cache_failures", lambda v: mp.retry_cached(cache_failures=v))
        for dname, deco in [("memoize", mp.memoize), ("memoize_fast", mp.memoize_fast)]:
            rows += int_rows(dname, "maxsize", lambda v, D=deco: D(maxsize=v),
                             minimum=0, none_ok=True, java_range=False)
            rows += noncallable_rows(dname + "()", "func", lambda v, D=deco: D()(v))
        for dname, deco in [("timer", mp.timer), ("profiled", mp.profiled), ("CallCounter", mp.CallCounter),
                            ("retry()", mp.retry()), ("retry_backoff()", mp.retry_backoff()),
                            ("retry_cached()", mp.retry_cached())]:
            rows += noncallable_rows(dname, "func", deco)
        rows += [Row(_label("get_metrics", "name", w, v), (lambda v=v: mp.get_metrics(v)), TypeError, ("name",))
                 for w, v in [("int", 5), ("None", None), ("bytes", b"f")]]
        return rows

    # -- checking one row -------------------------------------------------------------------

    def _probe(self):
        """Submits and runs one tiny task; returns its numeric id (ids come from one counter)."""
        h = self.probe_launcher(None)
        if not h.wait(15):
            raise AssertionError("probe task did not finish within 15s")
        h.get()
        return int(h.get_task_id().rsplit("_", 1)[1])

    def check_row(self, row):
        """Returns the list of problems with one row (empty when it behaves).

        A probe task before and after the row must get consecutive ids: the row registered no
        task, not even one that finished at once. Probes are chained (one per row)."""
        problems = []
        before_id = self._last_probe
        if before_id is None:
            try:
                before_id = self._probe()
            except mp.ShutdownError:
                mp.reset_shutdown()
                before_id = self._probe()
        self._last_probe = None
        try:
            row.thunk()
        except row.exc as e:
            msg = str(e).lower()
            if not any(n.lower() in msg for n in row.names):
                problems.append("%s: %s message %r does not name %s"
                                % (row.label, type(e).__name__, str(e), " or ".join(row.names)))
        except BaseException as e:  # wrong exception type (or an unexpected crash)
            problems.append("%s: raised %s(%r), expected %s"
                            % (row.label, type(e).__name__, str(e)[:200], row.exc.__name__))
        else:
            problems.append("%s: accepted, expected %s" % (row.label, row.exc.__name__))
        try:
            after_id = self._probe()
            if after_id != before_id + 1:
                problems.append("%s: registered %d task(s)" % (row.label, after_id - before_id - 1))
            self._last_probe = after_id
        except mp.ShutdownError:
            problems.append("%s: left the runtime shut down" % row.label)
            mp.reset_shutdown()
        # A task's slot is released just after its handle resolves: poll briefly (bounded).
        if not wait_until(lambda: mp.get_active_task_count() == self.baseline_active, 2, step=0.001):
            problems.append("%s: active count %d, expected %d"
                            % (row.label, mp.get_active_task_count(), self.baseline_active))
        return problems

    def run_rows_collecting(self, rows):
        problems = []
        for row in rows:
            problems += self.check_row(row)
        _STATS["bad inputs"] += len(rows)
        return problems

    def assertPendingUntouched(self):
        self.assertFalse(self.pending_h.done(), "a bad call resolved the pending handle")
        self.assertFalse(self.pending_h.cancelled(), "a bad call cancelled the pending handle")
        self.assertEqual(self.pending_h.get_all_metadata(), {})

    # -- tests ------------------------------------------------------------------------------

    def test_bad_inputs_table(self):
        rows = self.rows()
        self.assertGreater(len(rows), 300)
        labels = collections.Counter(r.label for r in rows)
        t0 = time.monotonic()
        failed = 0
        with Watchdog(90, "bad-input table") as dog:
            for row in rows:
                with self.subTest(row=row.label):
                    problems = self.check_row(row)
                    failed += bool(problems)
                    if problems:
                        self.fail("\n".join(problems))
        self.assertFalse(dog.fired, "the bad-input table hung")
        self.assertPendingUntouched()
        self.assertEqual(mp.get_thread_pool_info()["current_num_threads"], 6)
        _STATS["bad inputs"] += len(rows)
        _say("section 1: %d bad inputs tried (%d distinct labels), %d failing, %.1fs"
             % (len(rows), len(labels), failed, time.monotonic() - t0))

    def test_bug_done_handle_skips_timeout_validation(self):
        # Regression test (was a bug, fixed): _handle.py AsyncHandle._wait returns True when the task is already done *before*
        # validating timeout, so get/result/exception/wait on a finished handle accept
        # timeout=nan, inf, -1, "1", [1]... (expected ValueError/TypeError naming 'timeout').
        d = self.done_h
        rows = []
        for mname, call in [("get", lambda v: d.get(v)), ("result", lambda v: d.result(v)),
                            ("exception", lambda v: d.exception(v)), ("wait", lambda v: d.wait(v))]:
            rows += duration_rows("AsyncHandle." + mname + "[done]", "timeout", call, none_ok=True, zero_ok=True)
        problems = self.run_rows_collecting(rows)
        _say("section 1 (bug: done handle): %d bad inputs tried, %d problems" % (len(rows), len(problems)))
        if problems:
            self.fail("\n".join(problems))

    def test_bug_gather_non_iterable_handles_not_named(self):
        # Regression test (was a bug, fixed): _launchers.py gather() calls list(handles) unguarded: gather(5) / gather(None)
        # raise TypeError "'int' object is not iterable" that does not name 'handles'.
        rows = [Row(_label("gather", "handles", w, v), (lambda v=v: mp.gather(v)), TypeError, ("handles",))
                for w, v in [("int", 5), ("None", None), ("float", 1.5)]]
        problems = self.run_rows_collecting(rows)
        _say("section 1 (bug: gather handles): %d bad inputs tried, %d problems" % (len(rows), len(problems)))
        if problems:
            self.fail("\n".join(problems))

    def test_bug_stack_size_out_of_java_range(self):
        # Regression test (was a bug, fixed): _control.py configure_thread_pool() checks stack_size with _validate.integer (no
        # upper bound); 2**63 reaches Bridge.configureThreadPool(int, long) and fails with
        # TypeError "invalid instantiation of foreign object" (expected ValueError naming stack_size).
        rows = [Row(_label("configure_thread_pool", "stack_size", w, v),
                    (lambda v=v: mp.configure_thread_pool(stack_size=v)), ValueError, ("stack_size",))
                for w, v in [("2**63", 2 ** 63), ("2**64", 2 ** 64)]]
        problems = self.run_rows_collecting(rows)
        _say("section 1 (bug: stack_size): %d bad inputs tried, %d problems" % (len(rows), len(problems)))
        if problems:
            self.fail("\n".join(problems))

    def test_bug_parallel_map_progress_wrong_type(self):
        # Regression test (was a bug, fixed): _map.py parallel_map() answers any progress outside (True, False, "force") with
        # ValueError; a wrong *type* (None, a list) should be TypeError.
        rows = [Row(_label("parallel_map", "progress", w, v),
                    (lambda v=v: mp.parallel_map(double, [1], progress=v)), TypeError, ("progress",))
                for w, v in [("None", None), ("list", [True])]]
        problems = self.run_rows_collecting(rows)
        _say("section 1 (bug: progress type): %d bad inputs tried, %d problems" % (len(rows), len(problems)))
        if problems:
            self.fail("\n".join(problems))

    def test_bug_configure_leaves_backend_changed_on_bad_input(self):
        # Regression test (was a bug, fixed): _control.py configure() applies backend= (set_default_backend) before validating
        # interpreters/max_tasks_per_worker/warmup; configure(backend="interpreters",
        # interpreters=0) raises ValueError but the default backend is now "interpreters".
        from makeparallel import _submit
        before = _submit.default_backend()
        problems = []
        tried = 0
        try:
            for kw in ({"interpreters": 0}, {"max_tasks_per_worker": -1}, {"warmup": "yes"}):
                tried += 1
                try:
                    mp.configure(backend="interpreters", **kw)
                    problems.append("configure(%r) accepted" % (kw,))
                except (TypeError, ValueError):
                    pass
                now = _submit.default_backend()
                if now != before:
                    problems.append("configure(backend='interpreters', %r) raised but left default backend %r"
                                    % (kw, now))
                _submit.set_default_backend(before)
        finally:
            _submit.set_default_backend(before)
        _STATS["bad inputs"] += tried
        _say("section 1 (bug: configure half-applied): %d bad inputs tried, %d problems" % (tried, len(problems)))
        if problems:
            self.fail("\n".join(problems))


# =============================================================================================
# 2. Load
# =============================================================================================

class CallbackLedger:
    """Lock-protected counts of callback invocations per (task id, kind)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.errors = {}
        self.total = 0

    def hit(self, tid, kind, payload=None):
        with self.lock:
            self.counts[(tid, kind)] += 1
            self.total += 1
            if kind == "error":
                self.errors.setdefault(tid, payload)

    def snapshot_total(self):
        with self.lock:
            return self.total


def make_callbacks(ledger, tid, style):
    """on_complete / on_error / done callbacks; style 'raise' raises after counting,
    'slow' does 10 ms of (non-synchronising) waiting first."""
    pause = threading.Event()

    def finish():
        if style == "slow":
            pause.wait(0.01)
        elif style == "raise":
            raise RuntimeError("callback fault injected for %s" % tid)

    def on_complete(value):
        ledger.hit(tid, "complete", value)
        finish()

    def on_error(exc):
        ledger.hit(tid, "error", exc)
        finish()

    def on_done(handle):
        ledger.hit(tid, "done", handle)
        finish()

    return on_complete, on_error, on_done


EXPECTED_ERROR = {
    "err": ValueError, "timeout": mp.TaskTimeoutError, "cancel": mp.TaskCancelledError,
    "dep_failed": mp.DependencyError, "dep_timeout": mp.DependencyError, "dep_cancel": mp.DependencyError,
    "hard_timeout": mp.TaskTimeoutError,
}
DEP_CAUSE = {"dep_failed": ValueError, "dep_timeout": mp.TaskTimeoutError, "dep_cancel": mp.TaskCancelledError}


DEP_SOURCE = {"dep_failed": "err", "dep_timeout": "timeout", "dep_cancel": "cancel", "dep_ok": "ok"}


class LoadMixin:
    def run_mixed_load(self, plan, make, rng, what, watchdog_secs, verify_secs):
        """Submit ``plan`` (a list of kinds), check every outcome and callback, return
        ``(entries, ledger, figures)``.

        ``make[kind](i)`` returns ``(handle, expected)`` for the producer kinds (ok, err, timeout,
        cancel; a cancel producer's ``cancel()`` is called here); ``make["dep"](i, producer,
        producer_expected, source_kind)`` submits a dependent. One task in 25 gets callbacks that
        raise, one in 20 slow ones, one in 4 registers them only after it finished.
        """
        ledger = CallbackLedger()
        entries = []
        producers = {"ok": [], "err": [], "timeout": [], "cancel": []}
        styles = collections.Counter()
        cancel_returns = []
        late_done_cancels = 0
        t0 = time.monotonic()
        with Watchdog(watchdog_secs, what) as dog:
            for i, kind in enumerate(plan):
                style = "raise" if i % 25 == 0 else "slow" if i % 20 == 1 else "plain"
                late = i % 4 == 3
                styles[style] += 1
                if kind in producers:
                    h, expected = make[kind](i)
                    if kind == "cancel":
                        cancel_returns.append(h.cancel())
                    producers[kind].append((h, expected))
                else:
                    src = DEP_SOURCE[kind]
                    pool = producers[src]
                    if not pool:  # no producer yet: make one now (checked through its dependents)
                        p, pval = make[src](i)
                        if src == "cancel":
                            p.cancel()
                        pool.append((p, pval))
                    p, pval = pool[rng.randrange(len(pool))]
                    h, expected = make["dep"](i, p, pval, src)
                if not late:
                    self.register(ledger, h, style)
                entries.append((h, kind, expected, style, late))
            submit_secs = time.monotonic() - t0
            problems = self.verify(entries, ledger, wait_secs=verify_secs)
            # Cancel after completion is a no-op that returns False and fires nothing again.
            before = ledger.snapshot_total()
            for h, kind, *_ in entries[:200]:
                if h.cancel():
                    problems.append("%s (%s): cancel() after completion returned True" % (h.get_task_id(), kind))
                late_done_cancels += 1
            wait_until(lambda: ledger.snapshot_total() != before, 0.2)
            if ledger.snapshot_total() != before:
                problems.append("cancel() after completion fired callbacks again")
        self.assertFalse(dog.fired, what + " hung")
        self.assertEqual(cancel_returns.count(False), 0, "cancel() of a never-ending task returned False")
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertDrains(30)
        kinds = collections.Counter(plan)
        figures = ("%d tasks (%s), faults injected: %d errors, %d timeouts, %d cancels, "
                   "%d dependents of failed producers, %d raising + %d slow callbacks, %d late registrations, "
                   "%d cancels after completion; %d callback calls; submit %.1fs, total %.1fs"
                   % (len(entries), dict(kinds), kinds["err"], kinds["timeout"], kinds["cancel"],
                      kinds["dep_failed"] + kinds["dep_timeout"] + kinds["dep_cancel"], styles["raise"] * 3,
                      styles["slow"] * 3, sum(1 for e in entries if e[4]), late_done_cancels,
                      ledger.snapshot_total(), submit_secs, time.monotonic() - t0))
        return entries, ledger, figures

    def register(self, ledger, h, style):
        c, e, d = make_callbacks(ledger, h.get_task_id(), style)
        h.on_complete(c)
        h.on_error(e)
        h.add_done_callback(d)

    def verify(self, entries, ledger, *, wait_secs):
        """entries: list of (handle, kind, expected, style, late). Checks outcomes and callbacks."""
        deadline = time.monotonic() + wait_secs
        unresolved = [h for h, *_ in entries if not h.wait(max(0.0, deadline - time.monotonic()))]
        self.assertEqual(unresolved, [], "%d handles never resolved" % len(unresolved))
        # Late registrations: on a finished task they must fire immediately, once.
        for h, kind, expected, style, late in entries:
            if late:
                self.register(ledger, h, style)
        expected_calls = 2 * len(entries)
        ok = wait_until(lambda: ledger.snapshot_total() >= expected_calls, 30)
        problems = []
        if not ok:
            problems.append("callbacks: %d of %d fired within 30s" % (ledger.snapshot_total(), expected_calls))
        for h, kind, expected, style, late in entries:
            problems += self.check_outcome(h, kind, expected, ledger)
        # Give a stray duplicate a moment to show up, then count again (bounded).
        wait_until(lambda: ledger.snapshot_total() > expected_calls, 0.3)
        if ledger.snapshot_total() != expected_calls:
            problems.append("callbacks fired %d times in total, expected exactly %d"
                            % (ledger.snapshot_total(), expected_calls))
        return problems

    def check_outcome(self, h, kind, expected, ledger):
        tid = h.get_task_id()
        out = []
        if not h.done():
            return ["%s (%s): not done" % (tid, kind)]
        c, e, d = (ledger.counts[(tid, k)] for k in ("complete", "error", "done"))
        if kind == "ok" or kind == "dep_ok":
            try:
                v1, v2 = h.get(5), h.get(5)
                if v1 != expected or v2 != expected:
                    out.append("%s (%s): got %r/%r, expected %r" % (tid, kind, v1, v2, expected))
            except BaseException as exc:
                out.append("%s (%s): raised %r, expected %r" % (tid, kind, exc, expected))
            if h.cancelled():
                out.append("%s (%s): cancelled() after success" % (tid, kind))
            if h.exception(5) is not None:
                out.append("%s (%s): exception() not None" % (tid, kind))
            if (c, e, d) != (1, 0, 1):
                out.append("%s (%s): callbacks complete/error/done fired %d/%d/%d times, expected 1/0/1"
                           % (tid, kind, c, e, d))
            return out
        want = EXPECTED_ERROR[kind]
        errs = []
        for _ in range(2):
            try:
                v = h.get(5)
                out.append("%s (%s): returned %r, expected %s" % (tid, kind, v, want.__name__))
                return out
            except BaseException as exc:
                errs.append(exc)
        if not isinstance(errs[0], want):
            out.append("%s (%s): raised %s(%s), expected %s"
                       % (tid, kind, type(errs[0]).__name__, errs[0], want.__name__))
        elif errs[0] is not errs[1]:
            out.append("%s (%s): repeated get() raised a different error object" % (tid, kind))
        if kind == "err" and str(errs[0]) != expected:
            out.append("%s (%s): message %r, expected %r" % (tid, kind, str(errs[0]), expected))
        if kind in DEP_CAUSE and not isinstance(errs[0].__cause__, DEP_CAUSE[kind]):
            out.append("%s (%s): __cause__ is %r, expected %s"
                       % (tid, kind, errs[0].__cause__, DEP_CAUSE[kind].__name__))
        if h.cancelled() != (kind == "cancel"):
            out.append("%s (%s): cancelled() is %s" % (tid, kind, h.cancelled()))
        if (c, e, d) != (0, 1, 1):
            out.append("%s (%s): callbacks complete/error/done fired %d/%d/%d times, expected 0/1/1"
                       % (tid, kind, c, e, d))
        elif not isinstance(ledger.errors.get(tid), want):
            out.append("%s (%s): on_error got %r" % (tid, kind, ledger.errors.get(tid)))
        return out


class LoadThreads(LoadMixin, Base):
    """Section 2a: 2,000 mixed tasks on the threads backend."""

    N = 2000

    def test_two_thousand_mixed_tasks(self):
        rng = random.Random(6)
        # 1000 ok, 300 errors, 100 cooperative timeouts, 200 cancels, 400 dependents
        # (200 on failed, 50 on timed-out, 50 on cancelled producers, 100 on successful ones).
        plan = (["ok"] * 1000 + ["err"] * 300 + ["timeout"] * 100 + ["cancel"] * 200
                + ["dep_failed"] * 200 + ["dep_timeout"] * 50 + ["dep_cancel"] * 50 + ["dep_ok"] * 100)
        self.assertEqual(len(plan), self.N)
        rng.shuffle(plan)
        ok_launch = mp.parallel(double)
        dep_launch = mp.parallel_with_deps(dep_add)
        make = threads_faults(ok=lambda i: (ok_launch(i), 2 * i))
        make["dep"] = lambda i, p, pval, src: (dep_launch(i, depends_on=[p]),
                                                 pval + i if src == "ok" else None)
        entries, ledger, figures = self.run_mixed_load(plan, make, rng, "threads load", 100, 60)
        _STATS["load tasks threads"] += len(entries)
        _say("section 2 threads: " + figures)


def threads_faults(ok):
    """The producers of a threads-backend mixed load: ``ok`` plus errors, cooperative
    timeouts and cancels (one in 20 cancelled while running). Each maps i to (handle, expected)."""
    err_launch = mp.parallel_fast(fail_value)
    loop_launch = mp.parallel_pool(cooperative_forever)

    def cancel(i):
        h = loop_launch()
        if i % 20 == 0:  # some cancelled while running, most while queued or just started
            wait_until(lambda: h.running() or h.done(), 2)
        return h, None

    return {"ok": ok, "err": lambda i: (err_launch(i), "fail-%d" % i),
            "timeout": lambda i: (loop_launch(timeout=0.2), None), "cancel": cancel}


class Interpreters(LoadMixin, Base):
    """Section 2b, 3b, 5b: the interpreters backend (small counts: workers start slowly)."""

    @classmethod
    def setUpClass(cls):
        ensure_interpreters()

    def test_two_hundred_mixed_tasks(self):
        launch = mp.parallel(backend="interpreters")
        ok_l, err_l, spin_l = launch(square), launch(fail_value), launch(spin_forever)
        ledger = CallbackLedger()
        entries = []
        t0 = time.monotonic()
        with Watchdog(100, "interpreters load") as dog:
            # Hard timeouts first, so they are running (not queued) when the deadline passes.
            for i in range(3):
                h = spin_l(timeout=0.3)
                self.register(ledger, h, "plain")
                entries.append((h, "hard_timeout", None, "plain", False))
            for i in range(197):
                style = "raise" if i % 25 == 0 else "slow" if i % 20 == 1 else "plain"
                if i % 5 == 2:
                    h, kind, expected = err_l(i), "err", "fail-%d" % i
                else:
                    h, kind, expected = ok_l(i), "ok", i * i
                late = i % 4 == 3
                if not late:
                    self.register(ledger, h, style)
                entries.append((h, kind, expected, style, late))
            problems = self.verify(entries, ledger, wait_secs=90)
            for h, kind, *_ in entries[:3]:
                if not h.cancel_with_timeout(30):
                    problems.append("%s: spinning worker code never stopped" % h.get_task_id())
        self.assertFalse(dog.fired, "interpreters load hung")
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertDrains(30)
        kinds = collections.Counter(e[1] for e in entries)
        _STATS["load tasks interpreters"] += len(entries)
        _say("section 2 interpreters: %d tasks (%s), %d callback calls, %.1fs"
             % (len(entries), dict(kinds), ledger.snapshot_total(), time.monotonic() - t0))

    def test_fifty_map_batches(self):
        t0 = time.monotonic()
        items = 0
        with Watchdog(90, "interpreters map batches") as dog:
            for b in range(50):
                k = b * 1000

                def f(x):  # a closure: shipped by value with its captured k
                    return x * 3 + k
                got = mp.parallel_map(f if b % 2 else (lambda x, k=k: x * 3 + k), range(20),
                                      backend="interpreters", chunksize=10)
                self.assertEqual(got, [x * 3 + k for x in range(20)], "batch %d" % b)
                items += 20
        self.assertFalse(dog.fired)
        self.assertDrains(30)
        _STATS["map items interpreters"] += items
        _say("section 3 interpreters: 50 batches, %d items, %.1fs" % (items, time.monotonic() - t0))

    def test_system_exit_and_keyboard_interrupt_in_worker(self):
        launch = mp.parallel(backend="interpreters")
        with self.assertRaises(SystemExit):
            launch(raise_system_exit)().get(timeout=60)
        with self.assertRaises(KeyboardInterrupt):
            launch(raise_keyboard_interrupt)().get(timeout=60)
        self.assertEqual(launch(square)(9).get(timeout=60), 81)
        self.assertDrains(30)


# =============================================================================================
# 3. Back-to-back batches (threads)
# =============================================================================================

class MapBatches(Base):
    def test_three_hundred_batches(self):
        chunks = [None, 1, 3, 7, 20]
        t0 = time.monotonic()
        items = 0
        mismatches = []
        with Watchdog(100, "threads map batches") as dog:
            for b in range(300):
                data = list(range(b * 20, b * 20 + 20))
                cs = chunks[b % len(chunks)]
                if b % 3 == 0:
                    got = mp.parallel_map(double, data, chunksize=cs)
                    want = [2 * x for x in data]
                elif b % 3 == 1:
                    got = sorted(mp.parallel_map(double, iter(data), chunksize=cs, ordered=False))
                    want = [2 * x for x in data]
                else:
                    # a failing item every 7: exceptions stay in their slots
                    def g(x):
                        if x % 7 == 0:
                            raise ValueError(x)
                        return -x
                    got = mp.parallel_map(g, (x for x in data), chunksize=cs, on_error="return")
                    got = [("E", e.args[0]) if isinstance(e, ValueError) else e for e in got]
                    want = [("E", x) if x % 7 == 0 else -x for x in data]
                items += len(data)
                if got != want:
                    mismatches.append((b, cs, got, want))
        self.assertFalse(dog.fired)
        self.assertEqual(mismatches, [], "first mismatching batch: %r" % (mismatches[:1],))
        self.assertDrains(30)
        _STATS["map items threads"] += items
        _say("section 3 threads: 300 batches, %d items, %.1fs" % (items, time.monotonic() - t0))


# =============================================================================================
# 4. Concurrent lifecycle
# =============================================================================================

class ConcurrentLifecycle(Base):
    def test_eight_threads_reconfigure_while_submitting(self):
        launch = mp.parallel(double)
        dep_launch = mp.parallel_with_deps(dep_add)
        escaped = []
        escaped_lock = threading.Lock()
        stop = threading.Event()
        start = threading.Barrier(10)
        ops = collections.Counter()
        ops_lock = threading.Lock()
        submitted = []  # (handle, expected or None for dependents)
        refused = [0]
        enough = threading.Event()  # set once the submitter has had a fair share of the churn
        churn_deadline = time.monotonic() + 20

        def record(exc, who):
            with escaped_lock:
                escaped.append("%s: %s: %s" % (who, type(exc).__name__, exc))

        def reconfigure(seed):
            rng = random.Random(seed)
            try:
                start.wait(30)
                for n in range(300):
                    if n >= 20 and (enough.is_set() or time.monotonic() > churn_deadline):
                        break
                    op = rng.choice(["pool"] * 3 + ["limit"] * 3 + ["info"] * 2 + ["shutdown", "reset"])
                    if op == "pool":
                        mp.configure_thread_pool(num_threads=rng.randint(1, 8))
                    elif op == "limit":
                        mp.set_max_concurrent_tasks(rng.choice([None, 1, 2, 3, 5, 8]))
                    elif op == "shutdown":
                        mp.shutdown(timeout_secs=0.1)
                        mp.reset_shutdown()
                    elif op == "reset":
                        mp.reset_shutdown()
                    else:
                        info = mp.get_thread_pool_info()
                        if not (isinstance(info.get("current_num_threads"), int)
                                and 1 <= info["current_num_threads"] <= 8):
                            raise AssertionError("bad pool info %r" % (info,))
                    with ops_lock:
                        ops[op] += 1
            except BaseException as exc:
                record(exc, "reconfigurer %d" % seed)

        def submitter():
            i = 0
            try:
                start.wait(30)
                prev = None
                while not stop.is_set():
                    if len(submitted) >= 400:  # enough: idle until the reconfigurers finish
                        enough.set()
                        stop.wait(0.01)
                        continue
                    try:
                        if prev is not None and i % 5 == 0:
                            h = dep_launch(i, depends_on=[prev])
                            submitted.append((h, None))
                        else:
                            h = launch(i)
                            submitted.append((h, 2 * i))
                            prev = h
                    except mp.ShutdownError:
                        refused[0] += 1
                    i += 1
            except BaseException as exc:
                record(exc, "submitter")

        threads = [threading.Thread(target=reconfigure, args=(s,), daemon=True) for s in range(8)]
        sub = threading.Thread(target=submitter, daemon=True)
        t0 = time.monotonic()
        with Watchdog(90, "concurrent lifecycle") as dog:
            for t in threads + [sub]:
                t.start()
            start.wait(30)
            for t in threads:
                t.join(60)
            stop.set()
            # the submitter may be waiting for a slot: lift the limit so it can notice `stop`
            mp.set_max_concurrent_tasks(None)
            mp.reset_shutdown()
            sub.join(30)
            alive = [t.name for t in threads + [sub] if t.is_alive()]
            restore_globals()
            problems = []
            deadline = time.monotonic() + 60
            for h, expected in submitted:
                if not h.wait(max(0.0, deadline - time.monotonic())):
                    problems.append("%s never resolved" % h.get_task_id())
                    continue
                try:
                    v = h.get(1)
                    if expected is not None and v != expected:
                        problems.append("%s returned %r, expected %r" % (h.get_task_id(), v, expected))
                except mp.ShutdownError:
                    if expected is not None:  # only dependents may be failed by a shutdown
                        problems.append("%s (plain task) failed with ShutdownError" % h.get_task_id())
                except mp.DependencyError as exc:
                    if expected is not None or not isinstance(exc.__cause__, mp.ShutdownError):
                        problems.append("%s failed: %r (cause %r)" % (h.get_task_id(), exc, exc.__cause__))
                except BaseException as exc:
                    problems.append("%s failed: %s: %s" % (h.get_task_id(), type(exc).__name__, exc))
        self.assertFalse(dog.fired, "concurrent lifecycle hung")
        self.assertEqual(alive, [], "threads did not finish")
        self.assertEqual(escaped, [], "\n".join(escaped))
        self.assertEqual(problems, [], "\n".join(problems[:30]))
        self.assertDrains(30)
        self.assertEqual(launch(21).get(timeout=30), 42)
        self.assertEqual(mp.parallel_map(double, range(10)), [2 * x for x in range(10)])
        info = mp.get_thread_pool_info()
        self.assertEqual(info["current_num_threads"], 6)
        # surplus workers of the larger pools leave once idle: no thread leak
        self.assertTrue(wait_until(lambda: mp.get_thread_pool_info()["live_threads"] <= 6, 10),
                        "live worker threads stay above the pool size: %r" % (mp.get_thread_pool_info(),))
        self.assertGreaterEqual(len(submitted), 100, "too few submissions overlapped the churn")
        _STATS["lifecycle tasks"] += len(submitted)
        _say("section 4: 8 reconfiguring threads did %s; %d tasks submitted, %d refused by shutdown; %.1fs"
             % (dict(ops), len(submitted), refused[0], time.monotonic() - t0))


# =============================================================================================
# 5. Boundary safety
# =============================================================================================

_CLASS_POWERS = ("forName", "getRuntime", "exec", "getDeclaredMethods", "getMethods", "newInstance",
                 "getClassLoader", "loadClass", "getDeclaredField", "halt", "exit")


def looks_like_java_power(obj):
    """True if ``obj`` is a usable java.lang.Class / Runtime (or lets one reach members like it)."""
    if obj is None:
        return False
    try:
        import java
        if java.is_type(obj):
            return True
    except Exception:
        pass
    for name in _CLASS_POWERS:
        try:
            getattr(obj, name)
            return True
        except Exception:
            pass
    text = repr(obj)
    return "java.lang.Class" in text or "java.lang.Runtime" in text or "JavaClass" in text


class Boundary(Base):
    def attempt(self, label, fn, tried):
        tried.append(label)
        try:
            got = fn()
        except BaseException as exc:
            if isinstance(exc, (SystemExit, KeyboardInterrupt)):
                raise
            return None
        self.assertFalse(looks_like_java_power(got), "%s yielded %r" % (label, got))
        return got

    def test_bridge_and_handle_cannot_reach_java(self):
        from makeparallel._bridge import bridge
        import polyglot
        h = mp.parallel(fail_value)(1)
        h.wait(30)
        host = h._h
        err_view = host.error()
        tried = []
        targets = {"bridge": bridge, "handle._h": host, "error view": err_view,
                   "bridge.submit": getattr(bridge, "submit", None)}
        members = ["getClass", "class", "runtime", "task", "hashCode", "toString", "equals", "notify",
                   "wait", "static", "__class__", "__dict__", "__module__", "getRuntime", "forName",
                   "gate", "config", "backends", "MAX_DURATION", "LOG"]
        self.assertIsNotNone(targets["bridge.submit"])
        for tname, obj in targets.items():
            for m in members:
                got = self.attempt("%s.%s" % (tname, m), lambda o=obj, m=m: getattr(o, m), tried)
                if got is not None and m in ("__class__", "getClass", "class"):
                    for inner in ("forName", "getRuntime", "static", "class"):
                        self.attempt("%s.%s.%s" % (tname, m, inner), lambda g=got, i=inner: getattr(g, i), tried)
            self.attempt("%s.getClass()" % tname, lambda o=obj: o.getClass(), tried)
            self.attempt("type(%s).__getattribute__(getClass)" % tname,
                         lambda o=obj: type(o).__getattribute__(o, "getClass"), tried)
            self.attempt("dir(%s) members" % tname,
                         lambda o=obj: [getattr(o, n) for n in dir(o) if n in _CLASS_POWERS], tried)
        # the private fields behind the bridge and the handle
        for obj, field in ((bridge, "runtime"), (host, "task"), (err_view, "cause_task_id")):
            tried.append("private field %s" % field)
            with self.assertRaises(AttributeError):
                getattr(obj, field)
        # Host class lookup is off.
        import java
        for cls in ("java.lang.Runtime", "java.lang.Class", "java.lang.System",
                    "io.makeparallel.python.Bridge", "io.makeparallel.TaskRuntime"):
            tried.append("java.type(%r)" % cls)
            with self.assertRaises(Exception, msg="java.type(%r) must fail" % cls):
                java.type(cls)
        for expr in ("java.lang.Runtime", "java.lang.Runtime.getRuntime()"):
            tried.append(expr)
            got = self.attempt(expr, lambda e=expr: eval(e, {"java": java}), tried)
            self.assertIsNone(got, expr)
        # Only the bridge binding exists.
        for name in ("makeparallel.runtime", "makeparallel.bridge.runtime", "java", "Runtime",
                     "python", "makeparallel", "", "bridge"):
            tried.append("polyglot.import_value(%r)" % name)
            try:
                got = polyglot.import_value(name)
            except Exception:
                got = None
            self.assertIsNone(got, "polyglot.import_value(%r) returned %r" % (name, got))
        self.assertIsNotNone(polyglot.import_value("makeparallel.bridge"))
        for lang, src in (("java", "java.lang.Runtime"), ("js", "Java.type('java.lang.Runtime')")):
            tried.append("polyglot.eval(%s)" % lang)
            self.attempt("polyglot.eval(%s)" % lang, lambda l=lang, s=src: polyglot.eval(language=l, string=s), tried)
        # An exported method still works (the bridge is usable, just narrow).
        self.assertIsInstance(bridge.activeCount(), int)
        _STATS["boundary attempts"] += len(tried)
        _say("section 5: %d escape attempts, none yielded a Java class or Runtime" % len(tried))

    def test_system_exit_and_keyboard_interrupt_in_task(self):
        launch = mp.parallel
        with self.assertRaises(SystemExit) as cm:
            launch(raise_system_exit)().get(timeout=30)
        self.assertEqual(cm.exception.code, 7)
        with self.assertRaises(KeyboardInterrupt):
            launch(raise_keyboard_interrupt)().get(timeout=30)
        # and from callbacks
        fired = threading.Event()
        h = launch(ident)(3)
        h.on_complete(lambda v: (_ for _ in ()).throw(SystemExit(9)))
        h.add_done_callback(lambda _h: (_ for _ in ()).throw(KeyboardInterrupt()))
        h.add_done_callback(lambda _h: fired.set())
        self.assertTrue(fired.wait(30), "a later callback did not run after one raised SystemExit")
        self.assertEqual(launch(double)(21).get(timeout=30), 42)
        self.assertDrains(30)


# =============================================================================================
# 6. Durations at the limits
# =============================================================================================

class Durations(Base):
    def test_huge_timeouts_accepted_or_rejected(self):
        launch = mp.parallel(double)
        for t in (1e300, 2 ** 63, 1e18, 2 ** 1023 * 1.5):
            with self.subTest(timeout=t):
                try:
                    h = launch(5, timeout=t)
                except ValueError as exc:
                    self.assertIn("timeout", str(exc))
                    continue
                self.assertEqual(h.get(timeout=30), 10)
                got = h.get_timeout()
                self.assertTrue(got is not None and math.isfinite(got) and got > 0, got)
        # huge waits everywhere else
        h = launch(1)
        self.assertEqual(h.get(timeout=1e300), 2)
        self.assertTrue(h.wait(2 ** 63))
        self.assertEqual(mp.gather([h], timeout=1e300), [2])
        self.assertEqual(mp.parallel_map(double, range(5), timeout=2 ** 63), [0, 2, 4, 6, 8])
        with mp.ParallelContext(timeout=1e300) as ctx:
            hc = ctx.submit(double, (4,))
        self.assertEqual(hc.get(timeout=30), 8)
        mp.configure_memory_limit(100, wait=1e300)  # 100 % can never be exceeded
        self.assertEqual(launch(3).get(timeout=30), 6)
        mp.configure_memory_limit(None)
        self.assertTrue(mp.shutdown(timeout_secs=1e300))
        mp.reset_shutdown()
        self.assertEqual(launch(2).get(timeout=30), 4)
        self.assertDrains(30)

    def test_bug_huge_timeout_get_timeout_roundtrip(self):
        # Regression test (was a bug, fixed): python/Bridge.duration clamps a timeout to 100 years and HostHandle.timeout()
        # reports the clamped value: timeout=1e300 (or 2**63) is accepted but get_timeout()
        # returns 3153600000.0 instead of the timeout given (API.md §3: "the timeout= given").
        launch = mp.parallel(double)
        got = {}
        for t in (1e300, 2 ** 63):
            h = launch(5, timeout=t)
            self.assertEqual(h.get(timeout=30), 10)
            got[t] = h.get_timeout()
        self.assertEqual(got, {1e300: 1e300, 2 ** 63: float(2 ** 63)})

    def test_huge_timeout_hard_deadline_never_fires_early(self):
        # A huge deadline must not overflow into "already expired".
        release = threading.Event()
        h = mp.parallel(block_on)(release, 30, timeout=1e300)
        self.assertTrue(wait_until(lambda: h.running() or h.done(), 10))
        self.assertFalse(h.wait(0.2), "a task with timeout=1e300 finished early: %r" % (h,))
        release.set()
        self.assertEqual(h.get(timeout=30), "released")

    def test_minus_zero_and_tiny_timeouts(self):
        launch = mp.parallel(double)
        before = mp.get_active_task_count()
        with self.assertRaises(ValueError) as cm:
            launch(1, timeout=-0.0)
        self.assertIn("timeout", str(cm.exception))
        with self.assertRaises(ValueError):
            mp.parallel(timeout=-0.0)
        with self.assertRaises(ValueError):
            mp.ParallelContext(timeout=-0.0)
        self.assertLessEqual(mp.get_active_task_count(), before)
        # positive but below a nanosecond: rejected with ValueError, or accepted and timed out
        for t in (1e-300, 5e-324, 1e-10):
            with self.subTest(timeout=t):
                try:
                    h = mp.parallel(cooperative_forever)(timeout=t)
                except ValueError as exc:
                    self.assertIn("timeout", str(exc))
                    continue
                with self.assertRaises(mp.TaskTimeoutError):
                    h.get(timeout=30)
        self.assertDrains(30)

    def test_map_sizes_at_the_limits(self):
        # huge but valid max_workers: works normally, or ValueError naming the option
        for kw in ({"max_workers": 2 ** 63}, {"max_workers": 2 ** 31}):
            with self.subTest(**kw):
                try:
                    got = mp.parallel_map(double, range(7), **kw)
                except ValueError as exc:
                    self.assertIn(next(iter(kw)), str(exc))
                    continue
                self.assertEqual(got, [2 * x for x in range(7)])
        self.assertDrains(30)

    def test_bug_map_huge_chunksize(self):
        # Regression test (was a bug, fixed): _map.py parallel_map() validates chunksize with no upper bound; chunksize=2**63
        # (and, on GraalPy, even sys.maxsize) reaches itertools.islice in _Run._chunk and fails
        # with islice's own ValueError ("% for islice() must be None or an integer: 0 <= x <=
        # sys.maxsize.") that does not name chunksize. Expected: work normally (clamp) or a
        # ValueError naming chunksize.
        problems = []
        for cs in (2 ** 63, 2 ** 63 - 1):
            try:
                got = mp.parallel_map(double, range(7), chunksize=cs)
                if got != [2 * x for x in range(7)]:
                    problems.append("chunksize=%d: %r" % (cs, got))
            except ValueError as exc:
                if "chunksize" not in str(exc):
                    problems.append("chunksize=%d: ValueError %r does not name chunksize" % (cs, str(exc)))
        self.assertDrains(30)
        self.assertEqual(problems, [])

    def test_retry_backoff_huge_delays_do_not_overflow(self):
        # initial_delay=1e300 with 1,100 attempts: the exponential delay passes 2**1023 and inf;
        # every pause must stay finite and capped (sleep and log are the module's test seams).
        from makeparallel import _sync
        delays = []
        calls = [0]

        def flaky():
            calls[0] += 1
            if calls[0] < 1100:
                raise OSError("transient %d" % calls[0])
            return "finally"

        saved = (_sync._sleep, _sync.log)
        _sync._sleep, _sync.log = delays.append, (lambda level, msg: None)
        try:
            for backoff in ("exponential", "linear", "constant"):
                calls[0] = 0
                del delays[:]
                wrapped = mp.retry_backoff(max_attempts=1100, backoff=backoff, initial_delay=1e300,
                                           max_delay=2.5, jitter=True)(flaky)
                self.assertEqual(wrapped(), "finally")
                self.assertEqual(len(delays), 1099)
                self.assertTrue(all(math.isfinite(d) and 0 <= d <= 2.5 for d in delays), backoff)
        finally:
            _sync._sleep, _sync.log = saved

    def test_max_concurrent_at_the_limits(self):
        for n in (2 ** 63, 2 ** 63 - 1, 2 ** 31, 2 ** 64, -2 ** 63):
            with self.subTest(n=n):
                with self.assertRaises(ValueError) as cm:
                    mp.set_max_concurrent_tasks(n)
                self.assertIn("max_tasks", str(cm.exception))
        # the largest accepted value behaves as "no limit" in practice
        mp.set_max_concurrent_tasks(2 ** 31 - 1)
        hs = [mp.parallel(double)(i) for i in range(20)]
        self.assertEqual([h.get(timeout=30) for h in hs], [2 * i for i in range(20)])
        self.assertDrains(30)


def tearDownModule():
    _say("figures: %s" % dict(_STATS))


if __name__ == "__main__":
    unittest.main()
