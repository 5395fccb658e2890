"""The caller's side of the ``interpreters`` backend: ship a call, decode its outcome."""

import inspect
import pickle
import sys

from . import _pack, _ship, _shipclass, errors
from ._bridge import check, control
from . import _submit


class _RemoteTraceback(Exception):
    """Carries a worker's traceback text as the ``__cause__`` of the error it raised."""

    def __init__(self, tb):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return '\n"""\n%s"""' % self.tb


def _encode(fn, args, kwargs, retries, path):
    try:
        # The path goes first, in its own pickle: the worker must apply it before it can
        # import the modules the call refers to.
        return (_ship.dumps(path) + _ship.dumps((fn, tuple(args), kwargs, retries))).decode("latin-1")
    except Exception as exc:
        raise _not_shippable(fn, args, kwargs, exc) from None


def _not_shippable(fn, args, kwargs, exc):
    name = getattr(fn, "__qualname__", repr(fn))
    culprit = _ship.describe_unpicklable(fn, args, kwargs)
    if culprit is None:
        return TypeError("cannot send %s to a worker interpreter: %s" % (name, exc))
    what, value, err = culprit
    hint = "" if isinstance(err, _shipclass.ShipError) else (
        "; only values that pickle can go to a worker interpreter: pass what is needed to make "
        "it there instead, or use backend='threads'")
    return TypeError("cannot send %s to a worker interpreter: %s %s (%s) cannot be pickled: %s%s"
                     % (name, what, _short_repr(value), type(value).__name__, err, hint))


def _short_repr(value):
    try:
        r = repr(value)
    except Exception:
        r = "<%s object>" % type(value).__name__
    return r if len(r) <= 80 else r[:77] + "..."


def check_task(fn):
    """Raise TypeError now if what ``fn`` returns could never come back from a worker."""
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
        name = getattr(fn, "__qualname__", repr(fn))
        raise TypeError("cannot run %s in a worker interpreter: it is a generator or async function, and "
                        "the generator or coroutine it returns cannot be sent back; submit a function "
                        "that consumes it instead (return list(%s(...)), or asyncio.run(...) for a "
                        "coroutine)" % (name, getattr(fn, "__name__", name)))


def check_shippable(fn, what="func"):
    """Raise TypeError now if ``fn`` cannot be sent to a worker interpreter."""
    try:
        _ship.dumps(fn)
    except Exception as exc:
        raise _not_shippable(fn, (), {}, exc) from None


def decode_result(data):
    return _ship.loads(data.encode("latin-1"))


def rebuild_error(type_name, data):
    exc, tb, message = _ship.loads(data.encode("latin-1"))
    if exc is None:
        exc = errors.TaskError("%s: %s" % (type_name, message), type_name, tb)
    else:
        exc.__cause__ = _RemoteTraceback(tb)
    return exc


def encode_call(fn, args, kwargs, deps, retries):
    """``(payload, prepare)`` of a call for a worker: its pickle now, or with ``deps`` a
    ``prepare`` that pickles it with their results once they are in (checked now all the same)."""
    check_task(fn)
    path = list(sys.path)
    if deps:
        _encode(fn, (None,) + tuple(args), kwargs, retries, path)  # fail now, not in a worker

        def prepare():
            try:
                results = tuple(d._value() for d in deps)
                return _encode(fn, (results,) + tuple(args), kwargs, retries, path)
            except BaseException as exc:
                return exc
        return None, prepare
    return _encode(fn, args, kwargs, retries, path), None


class ChunkSender:
    """Submits the chunks of one ``parallel_map`` on this backend, each as one worker call.

    What every chunk shares (the path, the pickled function, the runner) is pickled once; a
    chunk then costs one pickle of its items. The call around them holds only importable
    functions and plain values, so the builtin pickler writes it: makeparallel's own pickler
    calls back into Python for every object, and on GraalPy that hook-laden ``dumps`` is a
    compilation unit large enough that the JIT can give up on it (it ran out of its 100 s
    budget here), leaving every chunk's submission interpreted. A ``range`` chunk is plain
    data; any other chunk's items go through makeparallel's pickler, which ships what the
    worker cannot import.
    """

    __slots__ = ("func", "prefix", "runner", "shipped", "on_fail", "backend", "item_bytes")

    def __init__(self, func, runner, shipped, on_fail, backend="interpreters"):
        self.backend = backend
        self.func = func
        self.prefix = _ship.dumps(list(sys.path))
        self.runner = runner
        self.shipped = shipped
        self.on_fail = on_fail
        self.item_bytes = None  # pickled bytes per item, there and back, of the latest chunk

    def submit(self, chunk, start, name, opts, timeout):
        """The handle of ``chunk`` (its items from index ``start``), submitted with ``opts``
        (``_submit.options``, whose timeout is ``timeout``: seconds or None)."""
        if type(chunk) is range:
            items = chunk
        elif (packed := _pack.pack(chunk)) is not None:
            items = packed
        else:
            try:
                items = _ship.Pickled(chunk)
            except Exception as exc:
                raise _item_not_shippable(self.func, chunk, start, exc) from None
        # No stop flag: a worker's chunk is stopped by cancelling its task, not by a list the
        # caller could clear, so it runs its items in one batch.
        call = (self.runner, (self.shipped, items, start, None, self.on_fail), {}, 0)
        payload = (self.prefix + pickle.dumps(call, _ship.PROTOCOL)).decode("latin-1")
        sent = 0 if items is chunk else len(items.data)  # a Pickled's or a Packed's bytes
        count = len(chunk)

        def decode(data):
            self.item_bytes = (sent + len(data)) / count
            return decode_result(data)
        return _submit.submit_remote(payload, None, name, opts, None, timeout, self.backend, decode=decode)


def _item_not_shippable(fn, chunk, start, exc):
    name = getattr(fn, "__qualname__", repr(fn))
    for i, item in enumerate(chunk):
        culprit = _ship.describe_unpicklable(fn, (item,), {})
        if culprit is not None:
            _, value, err = culprit
            return TypeError("cannot send item %d of %s's map to a worker interpreter: %s (%s) cannot be "
                             "pickled: %s; only values that pickle can go to a worker interpreter, or use "
                             "backend='threads'" % (start + i, name, _short_repr(value), type(value).__name__, err))
    return TypeError("cannot send items %d-%d of %s's map to a worker interpreter: %s"
                     % (start, start + len(chunk) - 1, name, exc))



def configured_size(backend="interpreters"):
    n = control.poolSize(backend)
    return n if n is not None and n > 0 else control.cpuCount()


def configure(size, max_tasks_per_worker, warmup):
    """Pool ``size`` and recycling quota (None keeps the current one); ``warmup`` starts all now."""
    check(control.configureInterpreters(size, max_tasks_per_worker, warmup))
