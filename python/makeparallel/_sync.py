"""Synchronous decorators: they run the wrapped function in the caller's thread (API.md section 6).

``timer``, ``CallCounter``, ``memoize``, ``memoize_fast``, ``retry``, ``retry_backoff``,
``retry_cached`` and ``profiled``. Every wrapper keeps the wrapped function's metadata, binds as
a method like a plain function, never holds a lock while user code runs, and reports through the
package logger (only ``timer`` prints). Options are validated when the decorator is applied.

Test seams: the module globals ``_sleep`` (``time.sleep``), ``log`` and ``record_metric`` are
looked up at call time, so tests can patch ``makeparallel._sync._sleep`` and friends.
"""

import functools
import math
import random
import sys
import threading
import time
import types
from collections import OrderedDict, namedtuple

from ._retry import call_with_retries
from ._support import log, record_metric

__all__ = [
    "timer", "CallCounter", "memoize", "memoize_fast",
    "retry", "retry_backoff", "retry_cached", "profiled",
]

# Test seam: looked up on every retry so tests can record delays instead of sleeping.
# time.sleep releases the GIL, so other Python threads keep running while a retry waits.
_sleep = time.sleep

_BACKOFFS = ("exponential", "linear", "constant")

CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")


# ---------------------------------------------------------------- validation and plumbing

def _check_int(name, value, minimum):
    # bool is an int subclass, but retry(True) is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, got %r" % (name, value))
    if value < minimum:
        raise ValueError("%s must be >= %d, got %r" % (name, minimum, value))
    return value


def _check_delay(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number of seconds, got %r" % (name, value))
    if not math.isfinite(value) or value < 0:
        raise ValueError("%s must be a finite number >= 0, got %r" % (name, value))
    return float(value)


def _check_maxsize(maxsize):
    return None if maxsize is None else _check_int("maxsize", maxsize, 0)


def _check_on(on):
    classes = on if isinstance(on, tuple) else (on,)
    if not classes:
        raise ValueError("on must name at least one exception class, got ()")
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise TypeError("on must be an exception class or a tuple of them, got %r" % (on,))
    return classes


def _is_target(obj):
    # Distinguishes bare use (@memoize) from a call with options (@memoize(maxsize=8)).
    return callable(obj) or isinstance(obj, (staticmethod, classmethod))


def _apply(decorate, func):
    """Apply ``decorate`` to ``func``, seeing through staticmethod/classmethod objects.

    Without this, ``@memoize`` above ``@staticmethod`` would produce a plain function that
    binds ``self`` as its first argument.
    """
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(_apply(decorate, func.__func__))
    if not callable(func):
        raise TypeError("can only decorate a callable, got %r" % (func,))
    return decorate(func)


def _name(func):
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))


# ---------------------------------------------------------------- cache with single flight

_KWMARK = object()  # separates positional from keyword parts so f(1, 2) != f(1, b=2)


def _make_key(args, kwargs):
    """A hashable key: equal arguments (1 == 1.0, like functools.lru_cache) share a key."""
    key = args
    if kwargs:
        key = args + (_KWMARK,) + tuple(sorted(kwargs.items(), key=lambda kv: kv[0]))
    try:
        hash(key)
        return key
    except TypeError:
        # Unhashable arguments (lists, dicts): fall back to their repr. The tag keeps such
        # keys apart from a hashable tuple that happens to contain the same string.
        return (_KWMARK, repr(args), repr(sorted(kwargs.items(), key=lambda kv: kv[0])))


class _Failure:
    """A cached exception (``retry_cached(cache_failures=True)``) or one handed to waiters."""

    __slots__ = ("error", "traceback")

    def __init__(self, error):
        self.error = error
        self.traceback = error.__traceback__

    def reraise(self):
        # Restoring the original traceback stops it from growing on every re-raise.
        raise self.error.with_traceback(self.traceback)


class _Flight:
    """One computation in progress; other threads asking for the same key wait on it."""

    __slots__ = ("owner", "generation", "done", "value")

    def __init__(self, owner, generation):
        self.owner = owner
        self.generation = generation
        self.done = threading.Event()
        self.value = None


class _Cache:
    """LRU map plus in-flight table. The lock guards only bookkeeping, never user code."""

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._data = OrderedDict()
        self._flights = {}
        self._generation = 0
        self._hits = self._misses = 0

    def begin(self, key):
        """Return ``("hit", value)``, ``("own", flight)``, ``("wait", flight)`` or ``("again", None)``."""
        me = threading.get_ident()
        with self._lock:
            if key in self._data:
                self._hits += 1
                self._data.move_to_end(key)
                return "hit", self._data[key]
            flight = self._flights.get(key)
            if flight is None:
                self._misses += 1
                flight = self._flights[key] = _Flight(me, self._generation)
                return "own", flight
            if flight.owner == me:
                # Direct recursion on the same key: waiting on ourselves would deadlock.
                return "again", None
            self._hits += 1
            return "wait", flight

    def settle(self, key, flight, value, store):
        with self._lock:
            del self._flights[key]
            # A cache_clear() during the computation means the result may already be stale.
            if store and self.maxsize != 0 and flight.generation == self._generation:
                self._data[key] = value
                if self.maxsize is not None:
                    while len(self._data) > self.maxsize:
                        self._data.popitem(last=False)
        flight.value = value
        flight.done.set()

    def clear(self):
        with self._lock:
            self._data.clear()
            self._generation += 1
            self._hits = self._misses = 0

    def info(self):
        with self._lock:
            return CacheInfo(self._hits, self._misses, self.maxsize, len(self._data))


def _cached(func, compute, cache, store_failures):
    """Wrap ``func`` so each key is computed once by ``compute`` and shared via ``cache``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        key = _make_key(args, kwargs)
        state, slot = cache.begin(key)
        if state == "hit":
            value = slot
        elif state == "wait":
            slot.done.wait()
            value = slot.value
        elif state == "again":
            return compute(*args, **kwargs)
        else:
            try:
                value = compute(*args, **kwargs)
            except BaseException as exc:
                cache.settle(key, slot, _Failure(exc), store_failures)
                raise
            cache.settle(key, slot, value, True)
            return value
        if type(value) is _Failure:
            value.reraise()
        return value

    wrapper.cache_clear = cache.clear
    wrapper.cache_info = cache.info
    return wrapper


def memoize(maxsize=None):
    """Cache results per argument key; use as ``@memoize`` or ``@memoize(maxsize=128)``.

    Thread-safe and recursion-safe. Concurrent calls with one key run the function once; the
    others wait and get its result, or its exception (failures are not cached). Keys follow
    ``functools.lru_cache`` (``f(1)`` and ``f(1.0)`` share one); unhashable arguments are keyed
    by ``repr``. ``maxsize`` bounds the cache with LRU eviction (``None``: unbounded; ``0``: no
    caching). The wrapper has ``cache_clear()`` and ``cache_info()``.
    Raises ``TypeError``/``ValueError`` for a bad ``maxsize``.
    """
    if _is_target(maxsize):
        return memoize()(maxsize)
    maxsize = _check_maxsize(maxsize)
    return functools.partial(_apply, lambda f: _cached(f, f, _Cache(maxsize), False))


def memoize_fast(maxsize=None):
    """Same contract as :func:`memoize`; kept for code written for upstream makeparallel.

    Upstream's variant used a lock-free map; here one short lock per call is already cheap.
    """
    return memoize(maxsize)


# ---------------------------------------------------------------- retries

def _run_attempts(func, args, kwargs, attempts, retry_on, delay_for):
    """Call ``func`` up to ``attempts`` times; ``delay_for(k)`` is the wait after failure k."""
    name = _name(func)

    def again(attempt, exc):
        if delay_for is None:
            log("warn", "%s: attempt %d/%d failed: %r; retrying" % (name, attempt, attempts, exc))
            return
        delay = delay_for(attempt)
        log("warn", "%s: attempt %d/%d failed: %r; retrying in %.3fs" % (name, attempt, attempts, exc, delay))
        _sleep(delay)

    def give_up(attempt, exc):
        log("warn", "%s: attempt %d/%d failed: %r; giving up" % (name, attempt, attempts, exc))

    return call_with_retries(func, args, kwargs, attempts - 1, retry_on, again, give_up)


def retry(max_retries=3):
    """Retry on ``Exception``: up to ``1 + max_retries`` calls, then re-raise the last error.

    Use as ``@retry`` or ``@retry(max_retries=5)``. Each failed attempt is logged at warn.
    Raises ``TypeError`` if ``max_retries`` is not an int, ``ValueError`` if it is negative.
    """
    if _is_target(max_retries):
        return retry()(max_retries)
    attempts = _check_int("max_retries", max_retries, 0) + 1

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return _run_attempts(func, args, kwargs, attempts, Exception, None)
        return wrapper

    return functools.partial(_apply, decorate)


def retry_backoff(max_attempts=3, backoff="exponential", initial_delay=1.0, max_delay=60.0,
                  jitter=False, on=(Exception,)):
    """Retry exceptions matching ``on`` with a growing pause; ``max_attempts`` calls in total.

    The pause after failure k is ``initial_delay * 2**(k-1)`` (exponential),
    ``initial_delay * k`` (linear) or ``initial_delay`` (constant), capped at ``max_delay``;
    ``jitter=True`` scales it by a random factor in [0.5, 1.5] before the cap. Other exceptions
    propagate at once. Pauses use ``time.sleep``, which releases the GIL.
    Raises ``TypeError``/``ValueError`` at decoration time for bad options.
    """
    if _is_target(max_attempts):
        return retry_backoff()(max_attempts)
    attempts = _check_int("max_attempts", max_attempts, 1)
    if not isinstance(backoff, str):
        raise TypeError("backoff must be a str, got %r" % (backoff,))
    if backoff not in _BACKOFFS:
        raise ValueError("backoff must be one of %s, got %r" % (", ".join(_BACKOFFS), backoff))
    initial = _check_delay("initial_delay", initial_delay)
    cap = _check_delay("max_delay", max_delay)
    if not isinstance(jitter, bool):
        raise TypeError("jitter must be a bool, got %r" % (jitter,))
    retry_on = _check_on(on)

    def delay_for(k):
        if backoff == "exponential":
            # Clamp the exponent: 2.0**1024 overflows, and the cap applies long before.
            delay = initial * 2.0 ** min(k - 1, 1023)
        elif backoff == "linear":
            delay = initial * k
        else:
            delay = initial
        delay = min(delay, cap)
        if jitter:
            delay = min(delay * random.uniform(0.5, 1.5), cap)
        return delay

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return _run_attempts(func, args, kwargs, attempts, retry_on, delay_for)
        return wrapper

    return functools.partial(_apply, decorate)


def retry_cached(max_attempts=3, cache_failures=False):
    """Retry on ``Exception`` up to ``max_attempts`` calls and cache the outcome per key.

    Successful results are cached with the key rules and single-flight behaviour of
    :func:`memoize`. With ``cache_failures=True`` the final exception is cached too and
    re-raised on later calls with the same arguments without calling again. The wrapper has
    ``cache_clear()`` and ``cache_info()``. Raises ``TypeError``/``ValueError`` for bad options.
    """
    if _is_target(max_attempts):
        return retry_cached()(max_attempts)
    attempts = _check_int("max_attempts", max_attempts, 1)
    if not isinstance(cache_failures, bool):
        raise TypeError("cache_failures must be a bool, got %r" % (cache_failures,))

    def decorate(func):
        def compute(*args, **kwargs):
            return _run_attempts(func, args, kwargs, attempts, Exception, None)
        return _cached(func, compute, _Cache(None), cache_failures)

    return functools.partial(_apply, decorate)


# ---------------------------------------------------------------- observation

def _format_duration(seconds):
    # Mirrors upstream's Rust Duration output (1.2s, 3.4ms, 5.6us) in ASCII-safe units.
    if seconds >= 1.0:
        return "%.6fs" % seconds
    if seconds >= 1e-3:
        return "%.3fms" % (seconds * 1e3)
    return "%.3fus" % (seconds * 1e6)


def timer(func):
    """Print ``Execution took: <duration>`` to ``sys.stdout`` after each successful call."""
    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            result = f(*args, **kwargs)
            print("Execution took: " + _format_duration(time.perf_counter() - start), file=sys.stdout)
            return result
        return wrapper
    return _apply(decorate, func)


def profiled(func):
    """Record each call's time and outcome via ``record_metric`` under the ``__qualname__``.

    Exceptions from the function are re-raised unchanged; a failure to record is logged and
    never changes the call's outcome.
    """
    def decorate(f):
        name = _name(f)

        def record(start, ok):
            try:
                record_metric(name, (time.perf_counter() - start) * 1e3, ok)
            except Exception as exc:
                log("warn", "profiled: could not record a metric for %s: %r" % (name, exc))

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                result = f(*args, **kwargs)
            except BaseException:
                record(start, False)
                raise
            record(start, True)
            return result
        return wrapper
    return _apply(decorate, func)


class CallCounter:
    """Count calls of the wrapped function in ``call_count``; ``reset()`` sets it back to 0.

    Thread-safe. On a method the count is shared by all instances (it belongs to the function).
    Works above or below ``@staticmethod``/``@classmethod``.
    """

    # ``CallCounter[[int], str]`` in an annotation, as the type stub declares it.
    __class_getitem__ = classmethod(types.GenericAlias)

    def __init__(self, func):
        self._kind = type(func) if isinstance(func, (staticmethod, classmethod)) else None
        target = func.__func__ if self._kind else func
        if not callable(target):
            raise TypeError("CallCounter needs a callable, got %r" % (func,))
        functools.update_wrapper(self, target)
        self._lock = threading.Lock()
        self._count = 0

    @property
    def call_count(self):
        """Number of calls since creation or the last ``reset()``."""
        return self._count

    def reset(self):
        """Set ``call_count`` back to 0."""
        with self._lock:
            self._count = 0

    def __call__(self, *args, **kwargs):
        with self._lock:
            self._count += 1
        return self.__wrapped__(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        # Bind like the function (or static/classmethod) we replace would.
        if self._kind is staticmethod:
            return self
        if self._kind is classmethod:
            return types.MethodType(self, objtype if objtype is not None else type(obj))
        if obj is None:
            return self
        return types.MethodType(self, obj)

    def __repr__(self):
        return "<CallCounter %s call_count=%d>" % (_name(self.__wrapped__), self._count)
