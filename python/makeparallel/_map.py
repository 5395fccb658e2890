"""parallel_map: a lazy, chunked, ordered-or-not map over any iterable (API.md §2)."""

import collections
import itertools
import math
import sys
import threading
import time

from . import _validate, errors
from ._bridge import bridge, control
from ._chunk import _Failed, _run_chunk_remote, _run_chunk_timed
from ._submit import options, resolve_backend, submit_threads

_ON_ERROR = ("raise", "return", "skip")
_FIRST_CHUNK = 1  # before any chunk has been timed: items may be slow
_MAX_CHUNK = 8192
# A chunk sent to a worker interpreter or a member pays a fixed cost (its call, the function's
# pickle, the hand-off, the result's decoding: about a millisecond warm), so tiny items get
# bigger chunks there: B3 at 1,000,000 items went 0.57 -> 0.43 us/item with this cap (2026-11-30,
# 2-core VM, same process); the time target below still bounds what one chunk takes.
_MAX_REMOTE_CHUNK = 65536
# ... and no bigger than this in pickled bytes, there and back (items of 1 KB: chunks of 8,192,
# the count cap before the remote one; the caller and the worker each hold a few chunks).
_MAX_CHUNK_BYTES = 8 << 20
_CHUNKS_PER_WORKER = 4
_MAX_GROWTH = 4  # a chunk is at most this many times the previous one
_CHUNK_SECONDS = 0.02  # what one chunk should take: tens of ms, so stopping is prompt
# On the cluster a call costs ~4 ms more than on interpreters (B9, loopback with TLS): chunks of
# a quarter second keep that near 2%; stopping stays prompt there (cancel stops the worker).
_CLUSTER_CHUNK_SECONDS = 0.25


def _auto_chunksize(total, workers, cap=_MAX_CHUNK):
    # 4 chunks per worker, multiprocessing.Pool.map's default: enough to balance uneven items,
    # few enough that the per-chunk cost (tens of microseconds warm, around a millisecond
    # before the JIT has compiled the dispatch path) is spread over many tiny items.
    return max(1, min(cap, math.ceil(total / (workers * _CHUNKS_PER_WORKER))))


class _Progress:
    """One stderr progress bar: done/total, rate and ETA, at most ~10 redraws a second."""

    def __init__(self, total, mode):
        self.total = total
        self.enabled = mode == "force" or (mode and getattr(sys.stderr, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.last = 0.0
        self.done = 0

    def advance(self, n):
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= 0.1 or (self.total is not None and self.done >= self.total):
            self.last = now
            self._draw(now)

    def _draw(self, now):
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            frac = self.done / self.total
            bar = "#" * int(frac * 30)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            line = "\r[%-30s] %d/%d %5.1f%% %.1f it/s ETA %s" % (
                bar, self.done, self.total, frac * 100, rate, "?" if math.isinf(eta) else "%.1fs" % eta)
        else:
            line = "\r%d items %.1f it/s" % (self.done, rate)
        sys.stderr.write(line)
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            self._draw(time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()


def parallel_map(func, items, *, backend=None, max_workers=None, chunksize=None, timeout=None,
                 on_error="raise", ordered=True, progress=False):
    """Apply ``func`` to every item in parallel.

    Returns a list in input order (``ordered=True``) or an iterator of results as they finish.
    ``on_error``: ``"raise"`` raises the error of the lowest failing index after cancelling the
    remaining work, ``"return"`` puts the exception in that slot, ``"skip"`` leaves it out.
    ``timeout`` is a deadline for the whole map. ``progress=True`` draws a bar on stderr when it
    is a terminal (``progress="force"`` draws it regardless).
    """
    _validate.callable_("func", func)
    if not hasattr(items, "__iter__"):
        raise TypeError("items must be iterable, got %s" % type(items).__name__)
    backend = resolve_backend(backend)
    max_workers = _validate.integer("max_workers", max_workers, minimum=1, allow_none=True)
    chunksize = _validate.integer("chunksize", chunksize, minimum=1, allow_none=True)
    if chunksize is not None:
        chunksize = min(chunksize, 2 ** 31 - 1)  # larger chunks mean the same thing: "all of it"
    timeout = _validate.seconds("timeout", timeout)
    _validate.choice("on_error", on_error, _ON_ERROR)
    if not isinstance(ordered, bool):
        raise TypeError("ordered must be a bool, got %s" % type(ordered).__name__)
    if progress is None or not isinstance(progress, (bool, int, str)):
        raise TypeError("progress must be a bool or 'force', got %s %r" % (type(progress).__name__, progress))
    if progress not in (True, False, "force"):
        raise ValueError("progress must be True, False or 'force', got %r" % (progress,))
    sender = None
    if backend in ("interpreters", "cluster"):
        from . import _remote, _ship
        _remote.check_task(func)
        try:
            shipped = _ship.Pickled(func)  # pickled once, not once per chunk
        except Exception:
            _remote.check_shippable(func, "func")  # raises the TypeError that names the culprit
            raise
        sender = _remote.ChunkSender(func, _run_chunk_remote, shipped, None if on_error != "raise" else True,
                                     backend)
        workers = max_workers or _remote.configured_size(backend)
    else:
        workers = max_workers or control.threadPoolSize()
    try:
        total = len(items)
    except TypeError:
        total = None
    # With max_workers, at most that many chunks are in flight (so at most that many run);
    # otherwise two per worker keep the pool busy while memory stays bounded.
    in_flight = max_workers or 2 * workers
    # A range is cut into sub-ranges: a chunk of it costs nothing to build, and pickles (for
    # the interpreters backend) in a few bytes instead of a few bytes per item.
    source = items if type(items) is range else iter(items)
    run = _Run(func, sender, source, total, backend, workers, chunksize, timeout, on_error, progress,
               in_flight, ordered)
    if ordered:
        return run.collect()
    return run.unordered()


class _Run:
    def __init__(self, func, sender, it, total, backend, workers, chunksize, timeout, on_error, progress,
                 in_flight, ordered):
        self.func = func
        self.sender = sender  # interpreters: sends a chunk as the worker's call
        self.name = getattr(func, "__qualname__", None) or "map"
        self.opts = options(self.name)  # a chunk's options when the map has no timeout
        self.in_flight = in_flight
        self.it = it
        self.backend = backend
        self.workers = workers
        self.fixed_chunk = chunksize
        # Sized from measured time per item, up to the count-based cap: a chunk takes tens of
        # ms, so stopping, failing and abandoning are prompt, while tiny items still get chunks
        # of thousands.
        most = _MAX_CHUNK if backend == "threads" else _MAX_REMOTE_CHUNK
        self.cap = most if total is None else _auto_chunksize(total, workers, most)
        self.per_item = None  # seconds per item of the latest timed chunk
        self.last_size = 0
        # Stop flags of the chunks in flight, by start index: a failing chunk (threads backend,
        # on_error="raise") stops the later ones from its worker thread, hence the lock.
        self.lives = {}
        self.lives_lock = threading.Lock()
        self.on_fail = None
        if on_error == "raise":
            self.on_fail = self._stop_after if backend == "threads" else True
        # The engine's group of this map's chunks: it hands chunks back in the order they finish
        # (unordered) and cancels queued chunks before running ones. The map's deadline is not
        # the group's: every chunk carries what is left of it as its own timeout, so a wait for
        # the next chunk ends when one times out, and its items come back as timeout errors
        # under on_error (a group deadline would end that wait empty-handed first).
        self.group = bridge.newGroup(None)
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self.on_error = on_error
        self.progress = _Progress(total, progress)
        self.window = collections.deque()  # (start_index, items_count, handle, stop flag)
        # Unordered: window entries by their index in the group (ordered reads the window).
        self.by_member = None if ordered else {}
        self.index = 0
        self.exhausted = False

    def _size(self):
        if self.fixed_chunk:
            return self.fixed_chunk
        if self.per_item is None:
            size = _FIRST_CHUNK
        else:
            target = _CLUSTER_CHUNK_SECONDS if self.backend == "cluster" else _CHUNK_SECONDS
            want = self.cap if self.per_item <= 0 else int(target / self.per_item)
            size = max(1, min(self.cap, want, max(1, self.last_size) * _MAX_GROWTH))
            item_bytes = None if self.sender is None else self.sender.item_bytes
            if item_bytes:
                size = max(1, min(size, int(_MAX_CHUNK_BYTES / item_bytes)))
        self.last_size = size
        return size

    def _stop_after(self, index):
        """Called from a failing chunk (threads, on_error="raise"): chunks after it stop."""
        self.exhausted = True  # and no new chunk starts: the map is going to raise
        with self.lives_lock:
            for start, live in self.lives.items():
                if start > index:
                    live.clear()

    def _chunk(self):
        size = self._size()
        if type(self.it) is range:
            chunk = self.it[self.index:self.index + size]
        else:
            chunk = list(itertools.islice(self.it, size))
        if len(chunk) < size:
            self.exhausted = True
        return chunk

    def _fill(self):
        while not self.exhausted and len(self.window) < self.in_flight:
            chunk = self._chunk()
            if not chunk:
                break
            left = None
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise errors.TaskTimeoutError("parallel_map timed out after %ss" % self.timeout)
            live = [True]
            with self.lives_lock:
                self.lives[self.index] = live
            h = self._submit(chunk, left, live)
            entry = (self.index, len(chunk), h, live)
            self.window.append(entry)
            member = self.group.add(h._h)
            if self.by_member is not None:
                self.by_member[member] = entry
            self.index += len(chunk)

    def _submit(self, chunk, left, live):
        opts = self.opts if left is None else options(self.name, 0, left)
        if self.sender is not None:
            return self.sender.submit(chunk, self.index, self.name, opts, left)
        return submit_threads(_run_chunk_timed, (self.func, chunk, self.index, live, self.on_fail), {},
                              self.name, opts, left, 0)

    def _cancel_all(self):
        # Flags first: a threads chunk cannot be stopped from outside, it stops between items.
        with self.lives_lock:
            for live in self.lives.values():
                live.clear()
        self.group.cancelAll()

    def _settle(self, start, count, h):
        """Waits for a chunk: ``(values, errors)``, errors None or {position in chunk: exception}."""
        try:
            rows, seconds = h.get()
        except BaseException as exc:  # the chunk as a whole failed (timeout, cancel, crash)
            return [None] * count, dict.fromkeys(range(count), exc)
        finally:
            with self.lives_lock:
                self.lives.pop(start, None)
        ran = len(rows.values) if type(rows) is _Failed else len(rows)
        if ran:
            self.per_item = seconds / ran
        if type(rows) is _Failed:
            return rows.values, rows.errors
        return rows, None

    def _apply(self, values, errors):
        """The chunk's output under ``on_error`` ("raise" raises its lowest failing item)."""
        if self.on_error == "raise":
            raise errors[min(errors)]
        if self.on_error == "return":
            values = list(values)
            for i, exc in errors.items():
                values[i] = exc
            return values
        return [v for i, v in enumerate(values) if i not in errors]

    def collect(self):
        """Ordered: the whole result list, built a chunk at a time."""
        out = []
        try:
            self._fill()
            while self.window:
                start, count, h, _ = self.window.popleft()
                values, errors = self._settle(start, count, h)
                if errors is not None:
                    values = self._apply(values, errors)
                self._fill()
                self.progress.advance(count)
                out.extend(values)
        except BaseException:
            self._cancel_all()
            raise
        finally:
            self.progress.close()
        return out

    def unordered(self):
        """Unordered: results as their chunks finish."""
        try:
            self._fill()
            while self.window:
                start, count, h, _ = self._pop_first_done()
                values, errors = self._settle(start, count, h)
                if errors is not None:
                    if self.on_error == "raise":
                        first = min(errors)
                        raise self._lowest_error(start + first, errors[first])
                    values = self._apply(values, errors)
                self._fill()
                self.progress.advance(count)
                yield from values
        except BaseException:
            self._cancel_all()
            raise
        finally:
            self.progress.close()

    def _pop_first_done(self):
        # Blocks in the engine until the next chunk finishes (each chunk carries what was left
        # of the map's timeout as its own, so this returns).
        entry = self.by_member.pop(self.group.next(None))
        self.window.remove(entry)
        return entry

    def _lowest_error(self, idx, exc):
        # An earlier chunk may still fail at a lower index; settle those first.
        self.exhausted = True
        best = (idx, exc)
        for start, count, h, live in list(self.window):
            if start > best[0]:
                live.clear()
                h.cancel()
                continue
            _, errors = self._settle(start, count, h)
            if errors is not None:
                first = min(errors)
                if start + first < best[0]:
                    best = (start + first, errors[first])
        return best[1]
