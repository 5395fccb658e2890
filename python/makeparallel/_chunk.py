"""One chunk of a parallel_map, run where it was sent: a worker thread, a worker interpreter or
a cluster member.

Kept apart from ``_map`` so that a worker interpreter imports only this (and ``_pack``) to run
chunks, not the caller's side of the map and the package's API behind it.
"""

import collections
import itertools
import time

from . import _pack

_BATCH_SECONDS = 0.001  # a chunk checks its stop flag at least this often (tiny items)
_clock = time.perf_counter


class _Failed:
    """A chunk in which some items raised: every value (None where it raised) and the errors by
    position in the chunk. A plain list comes back instead when nothing raised."""

    __slots__ = ("values", "errors")

    def __init__(self, values, errors):
        self.values = values
        self.errors = errors

    def __reduce__(self):  # slots only: pickle it explicitly for the interpreters backend
        return (_Failed, (self.values, self.errors))


def _run_chunk(func, chunk):
    """Runs one whole chunk: the list of results, or a ``_Failed`` if any item raised."""
    return _run_chunk_timed(func, chunk)[0]


def _run_chunk_timed(func, chunk, start=0, live=None, on_fail=None):
    """Runs one chunk in a worker: ``(list or _Failed, seconds it took)``.

    ``live`` is the chunk's stop flag, a list that is emptied to stop it: the chunk checks it
    between batches of items, a batch starting at one item and doubling while a batch takes
    under ``_BATCH_SECONDS``, so slow items are checked one by one and tiny items pay about one
    check per millisecond. ``on_fail`` (``on_error="raise"``) makes the first error stop the
    chunk; when callable it is called with the failing item's index in the whole map, so later
    chunks of the same map stop too (threads backend: same interpreter).

    Nothing is allocated per item besides the result, so a tiny item costs about the call of
    ``func``. Other errors are collected, not raised, and the chunk goes on.
    """
    # deque.extend(map(...)) runs the loop inside the interpreter's builtins: about half the
    # cost per item of a Python for-loop until the JIT has compiled this function. Unlike
    # list.extend it keeps what it appended before func raised, so the failing item is the one
    # at len(done), and the rest of the batch goes on from the same iterator.
    t0 = _clock()
    done = collections.deque()
    it = iter(chunk)
    left = len(chunk)
    errors = None
    step = left if live is None else 1
    mark = t0
    while left > 0 and (live is None or live):
        batch = itertools.islice(it, step)
        before = len(done)
        while True:
            try:
                done.extend(map(func, batch))
                break
            except Exception as exc:
                if errors is None:
                    errors = {}
                errors[len(done)] = exc
                done.append(None)
                if on_fail is not None:  # on_error="raise": the rest of the map is moot
                    if live is not None:
                        live.clear()
                    if on_fail is not True:
                        on_fail(start + len(done) - 1)
                    left = 0
                    break
        if left:
            left -= len(done) - before
            now = _clock()
            if now - mark < _BATCH_SECONDS:
                step *= 2
            mark = now
    return (list(done) if errors is None else _Failed(list(done), errors)), _clock() - t0


def _run_chunk_remote(func, chunk, start=0, live=None, on_fail=None):
    """``_run_chunk_timed`` in a worker interpreter or member: a result list of plain numbers
    goes back packed (``_pack``), the rest as a pickle."""
    rows, seconds = _run_chunk_timed(func, chunk, start, live, on_fail)
    packed = _pack.pack(rows)
    return (rows if packed is None else packed), seconds
