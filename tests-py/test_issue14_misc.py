"""Issue 14, smaller items: metrics by plain name, /proc reads, parallel_map cancellation,
ParallelContext honouring decorated options, and asyncio cancellation of awaited handles.

No time.sleep as synchronisation: events and counters decide; sleeps inside task bodies are
workload, and the few timing bounds are loose enough that only a broken feature misses them.
"""
import asyncio
import os
import threading
import time
import types
import unittest
from unittest import mock

import makeparallel as mp

WAIT = 30  # bound of every wait expected to succeed


def read_proc_files():
    """What a system script reads from /proc, in every way it reads it (module level: ships)."""
    out = {}
    for path in ("/proc/self/status", "/proc/loadavg", "/proc/meminfo"):
        with open(path) as f:
            out[path] = f.read()
    with open("/proc/meminfo") as f:
        out["readline"] = f.readline()
        out["read(8)"] = f.read(8)
    with open("/proc/self/status") as f:
        out["lines"] = sum(1 for _ in f)
    with open("/proc/loadavg", "rb") as f:
        out["bytes"] = f.read()
    fd = os.open("/proc/loadavg", os.O_RDONLY)
    try:
        out["os.read"] = os.read(fd, 100)
    finally:
        os.close(fd)
    return out


class MetricsByPlainNameTest(unittest.TestCase):
    """API.md §7: get_metrics(name) finds a qualname, or an unambiguous plain __name__."""

    def setUp(self):
        mp.reset_metrics()

    def tearDown(self):
        mp.reset_metrics()

    def test_nested_profiled_function_is_found_by_its_name(self):
        @mp.profiled
        def profiled_func_14(x):
            return x * 2

        self.assertEqual(profiled_func_14(3), 6)
        self.assertIn("<locals>", profiled_func_14.__qualname__)
        by_qualname = mp.get_metrics(profiled_func_14.__qualname__)
        by_name = mp.get_metrics("profiled_func_14")
        self.assertIsNotNone(by_qualname)
        self.assertIsNotNone(by_name, "the plain __name__ finds the nested function's metrics")
        self.assertEqual((by_name.total_tasks, by_name.completed_tasks), (1, 1))
        every = mp.get_all_metrics()
        self.assertIn(profiled_func_14.__qualname__, every)
        self.assertIn("profiled_func_14", every, "upstream's test: name in get_all_metrics()")
        self.assertEqual(every["profiled_func_14"]["total_tasks"], 1)
        self.assertEqual(every.get("profiled_func_14")["completed_tasks"], 1)
        self.assertNotIn("no_such_function_14", every)
        self.assertIsNone(every.get("no_such_function_14"))
        self.assertIsInstance(every, dict)

    def test_two_functions_with_one_name_are_ambiguous(self):
        def make(k):
            @mp.profiled
            def twin_14():
                return k
            return twin_14

        def other():
            @mp.profiled
            def twin_14():
                return 0
            return twin_14

        make(1)()
        other()()
        self.assertIsNone(mp.get_metrics("twin_14"))
        self.assertNotIn("twin_14", mp.get_all_metrics())
        self.assertIsNotNone(mp.get_metrics(make(2).__qualname__))


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def bump(self):
        with self.lock:
            self.n += 1
            return self.n


def in_flight_bound():
    """Chunks an unsized map keeps in flight (two per pool thread), plus slack: at most this
    many single-item chunks can still run once a map is abandoned before it has timed any."""
    return 2 * mp.get_thread_pool_info()["current_num_threads"] + 10


def wait_idle():
    """Bounded: until no task of any launcher is queued or running (cancelled ones included)."""
    end = time.monotonic() + WAIT
    while mp.get_active_task_count() and time.monotonic() < end:
        time.sleep(0.01)  # bounded poll of a count; nothing to wait on
    return mp.get_active_task_count() == 0


class MapStopsPromptlyTest(unittest.TestCase):
    """Issue 14 item 8: breaking out of, closing, or failing a parallel_map stops its work."""

    def test_break_out_of_unordered_generator_map(self):
        calls = Counter()

        def slowish(x):
            calls.bump()
            time.sleep(0.02)  # workload
            return x

        def source():
            yield from range(100000)

        for x in mp.parallel_map(slowish, source(), ordered=False):
            break
        at_break = calls.n
        # The next map queues behind whatever the abandoned one still runs: when it is done,
        # the abandoned map has run all it ever will (nothing refills an abandoned window).
        self.assertEqual(mp.parallel_map(abs, [-1, -2, 3]), [1, 2, 3])
        after = calls.n - at_break
        # Before the fix: chunks of 16, 32, ... 8192 items in flight, thousands of calls.
        self.assertLess(after, in_flight_bound(), "calls made after the break")
        self.assertTrue(wait_idle())
        self.assertLess(calls.n - at_break, in_flight_bound())

    def test_closing_an_unordered_map_stops_its_chunks_between_items(self):
        calls = Counter()

        def slowish(x):
            calls.bump()
            time.sleep(0.02)  # workload
            return x

        it = mp.parallel_map(slowish, range(400), chunksize=100, ordered=False)
        next(it)  # the first chunk is done; the others are running
        it.close()
        at_close = calls.n
        self.assertTrue(wait_idle())
        # Chunks of 100 each stop after their current item once the map is closed.
        self.assertLess(calls.n - at_close, 20, "calls made after close()")

    def test_raise_does_not_wait_for_the_failing_chunk(self):
        calls = Counter()

        def first_fails(x):
            if x == 0:
                raise ValueError("item 0")
            calls.bump()
            time.sleep(0.05)  # workload: the whole chunk would take 10 s
            return x

        for ordered in (True, False):
            with self.subTest(ordered=ordered):
                calls.n = 0
                with self.assertRaisesRegex(ValueError, "item 0"):
                    list(mp.parallel_map(first_fails, range(200), chunksize=200, ordered=ordered))
                self.assertLess(calls.n, 20, "items run before the error arrived")
                self.assertTrue(wait_idle())
                with self.assertRaisesRegex(ValueError, "item 0"):
                    list(mp.parallel_map(first_fails, iter(range(200)), ordered=ordered))
                self.assertTrue(wait_idle())
                self.assertLess(calls.n, in_flight_bound())

    def test_raise_keeps_the_lowest_failing_index(self):
        gate = threading.Event()

        def f(x):
            if x == 2:
                gate.wait(WAIT)  # the lowest failure comes last
                raise KeyError(2)
            if x >= 5:
                gate.set()
                raise KeyError(x)
            return x

        for ordered in (True, False):
            with self.subTest(ordered=ordered):
                gate.clear()
                with self.assertRaises(KeyError) as cm:
                    list(mp.parallel_map(f, range(12), chunksize=1, ordered=ordered))
                self.assertEqual(cm.exception.args, (2,))

    def test_chunk_size_follows_the_measured_time_per_item(self):
        # White-box, deterministic: the sizes _Run picks for a measured time per item.
        from makeparallel import _map
        run = _map._Run(abs, None, iter(()), None, "threads", 2, None, None, "raise", False, 4, True)
        self.assertEqual(run._size(), 1, "nothing measured yet: items may be slow")
        run.per_item = 1e-7  # tiny items: grow (by at most 4x a chunk) to the 8192 cap
        sizes = [run._size() for _ in range(9)]
        self.assertEqual(sizes[:3], [4, 16, 64])
        self.assertEqual(sizes[-1], 8192)
        run.per_item = 0.005  # 5 ms items: chunks of about 20 ms
        self.assertEqual(run._size(), 4)
        run.per_item = 2.0  # slow items: one at a time
        self.assertEqual(run._size(), 1)
        known = _map._Run(abs, None, iter(()), 100, "threads", 2, None, None, "raise", False, 4, True)
        known.per_item = 1e-7
        self.assertLessEqual(max(known._size() for _ in range(9)), 13, "capped at 4 chunks a worker")
        sender = types.SimpleNamespace(item_bytes=None)
        remote = _map._Run(abs, sender, iter(()), None, "interpreters", 2, None, None, "raise", False, 4, True)
        remote.per_item = 1e-7  # a chunk sent to a worker costs ~1 ms more: tiny items get bigger chunks
        self.assertEqual(max(remote._size() for _ in range(12)), 65536)
        sender.item_bytes = 100_000  # big items (or results): at most 8 MB of pickles a chunk
        self.assertEqual(remote._size(), 83)
        fixed = _map._Run(abs, None, iter(()), None, "threads", 2, 500, None, "raise", False, 4, True)
        fixed.per_item = 2.0
        self.assertEqual(fixed._size(), 500, "an explicit chunksize is kept")

    def test_interpreters_chunks_are_capped_by_their_pickled_bytes(self):
        # End to end on worker interpreters, with the byte cap lowered: 2 KB items of a cheap
        # function would grow to chunks of 125 by time and count; 20 KB allows 9 (items there,
        # their lengths back).
        from makeparallel import _map
        sizes = []
        real_chunk = _map._Run._chunk

        def recording(run):
            chunk = real_chunk(run)
            sizes.append(len(chunk))
            return chunk
        items = [bytes([i % 256]) * 2000 for i in range(1000)]
        with mock.patch.object(_map, "_MAX_CHUNK_BYTES", 20_000), \
                mock.patch.object(_map._Run, "_chunk", recording):
            out = mp.parallel_map(len, items, backend="interpreters")
        self.assertEqual(out, [2000] * 1000)
        self.assertGreater(len(sizes), 100, sizes)
        self.assertLessEqual(max(sizes), 9, sizes)

    def test_tiny_items_map_correctly_across_growing_chunks(self):
        self.assertEqual(mp.parallel_map(abs, range(-50000, 0)), list(range(50000, 0, -1)))
        self.assertEqual(sorted(mp.parallel_map(abs, iter(range(-30000, 0)), ordered=False)),
                         list(range(1, 30001)))

    def test_interpreters_raise_does_not_wait_for_the_failing_chunk(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "calls")
            with self.assertRaisesRegex(ValueError, "item 0"):
                mp.parallel_map(log_and_fail_first, [(log, x) for x in range(100)], chunksize=100,
                                backend="interpreters")
            with open(log) if os.path.exists(log) else open(os.devnull) as f:
                self.assertLess(len(f.read()), 20, "items run before the error arrived")


def log_and_fail_first(arg):
    log, x = arg
    if x == 0:
        raise ValueError("item 0")
    with open(log, "a") as f:
        f.write(".")
    time.sleep(0.1)  # workload: the whole chunk would take 10 s
    return x


class ParallelContextHonoursDecoratorTest(unittest.TestCase):
    """Issue 14: ParallelContext.submit ran a decorated function on threads, without options."""

    def probe_pair(self):
        seen = []

        @mp.parallel(backend="interpreters", timeout=25.0, name="ctx_probe")
        def probe():
            seen.append(1)  # on interpreters this is the worker's copy of the list
            return len(seen)

        return seen, probe

    def test_decorated_backend_timeout_and_name_are_kept(self):
        seen, probe = self.probe_pair()
        with mp.ParallelContext() as ctx:
            h = ctx.submit(probe)
        self.assertEqual(h.get(WAIT * 4), 1)
        self.assertEqual(seen, [], "ran in a worker interpreter, not on the caller's threads")
        self.assertEqual(h.get_timeout(), 25.0)
        self.assertEqual(h.get_name(), "ctx_probe")

    def test_explicit_context_settings_win(self):
        seen, probe = self.probe_pair()
        with mp.ParallelContext(backend="threads", timeout=20.0) as ctx:
            h = ctx.submit(probe)
        self.assertEqual(h.get(WAIT), 1)
        self.assertEqual(seen, [1], "the context's backend wins")
        self.assertEqual(h.get_timeout(), 20.0, "the context's timeout wins")


class AwaitCancellationTest(unittest.TestCase):
    """Issue 14: asyncio.wait_for(handle, t) timing out must cancel the task, as it does a future."""

    def test_wait_for_timeout_cancels_the_task(self):
        started = threading.Event()

        def loop():
            started.set()
            end = time.monotonic() + WAIT
            while time.monotonic() < end:
                mp.check_cancelled()
                time.sleep(0.005)  # workload
            return "never cancelled"

        h = mp.parallel(loop)()
        try:
            self.assertTrue(started.wait(WAIT))

            async def main():
                with self.assertRaises(TimeoutError):
                    await asyncio.wait_for(h, 0.2)

            asyncio.run(main())
            self.assertTrue(h.cancelled(), "the awaited task was cancelled with the awaiting one")
            self.assertTrue(h.cancel_with_timeout(WAIT), "and its code stopped")
        finally:
            h.cancel()

    def test_awaiting_a_finished_or_successful_handle_is_unchanged(self):
        h = mp.parallel(lambda: 42)()

        async def main():
            return await asyncio.wait_for(h, WAIT)

        self.assertEqual(asyncio.run(main()), 42)
        self.assertFalse(h.cancelled())


@unittest.skipUnless(os.path.exists("/proc/self/status"), "needs Linux /proc")
class ProcFilesTest(unittest.TestCase):
    """/proc files report size 0; they must still read as under CPython (issue 14 item 11)."""

    def check(self, out):
        self.assertTrue(out["/proc/self/status"].startswith("Name:"), out["/proc/self/status"][:80])
        self.assertIn("VmRSS", out["/proc/self/status"])
        self.assertEqual(len(out["/proc/loadavg"].split()), 5, out["/proc/loadavg"])
        self.assertTrue(out["/proc/meminfo"].startswith("MemTotal:"))
        self.assertTrue(out["readline"].startswith("MemTotal:") and out["readline"].endswith("\n"))
        self.assertTrue(out["read(8)"].startswith("MemFree") or len(out["read(8)"]) == 8, out["read(8)"])
        self.assertGreater(out["lines"], 10)
        self.assertEqual(len(out["bytes"].split()), 5)
        self.assertEqual(len(out["os.read"].split()), 5)

    def test_main_context(self):
        self.check(read_proc_files())

    def test_threads_task(self):
        self.check(mp.parallel(read_proc_files)().get(WAIT))

    def test_interpreters_worker(self):
        self.check(mp.parallel(backend="interpreters")(read_proc_files)().get(WAIT * 4))

    def test_empty_regular_file_still_reads_empty(self):
        import tempfile
        with tempfile.NamedTemporaryFile() as tmp:
            with open(tmp.name) as f:
                self.assertEqual(f.read(), "")
                self.assertEqual(f.seek(0, 2), 0)


if __name__ == "__main__":
    unittest.main()
