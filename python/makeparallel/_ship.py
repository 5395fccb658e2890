"""Pickling that can send functions to worker interpreters by value.

Importable functions travel by reference (module + qualname), as with plain pickle. Functions
of the main script, lambdas, nested functions and closures travel by value: their code object
(one shared source per top-level def, see _shipshared; else marshal, or source text for
generators and coroutines, see _shipsource), the globals they name and
their captured cell values. The worker rebuilds them in a per-module namespace, so the main
script's top-level code never runs there. Classes a worker cannot import travel by value too
(_shipclass).
"""

import builtins
import importlib
import io
import marshal
import pickle
import sys
import types

from . import _bridge, _shipclass, _shipshared, _shipsource

__all__ = ["dumps", "loads", "describe_unpicklable", "Pickled", "PROTOCOL"]

PROTOCOL = pickle.HIGHEST_PROTOCOL


class _Empty:
    """Marks a closure cell that had no value yet."""

    def __reduce__(self):
        return (_empty, ())


def _empty():
    return _EMPTY


_EMPTY = _Empty()


def _importable(fn):
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return False
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return obj is fn


def _global_names(code, out):
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _global_names(const, out)
    return out


def _reduce_function(fn):
    code = fn.__code__
    shared = fn.__module__ == "__main__" or sys.modules.get(fn.__module__) is None
    if shared:
        names = _global_names(code, set())
        fn_globals = fn.__globals__
        globs = {n: fn_globals[n] for n in names if n in fn_globals}
    else:
        globs = None
    cells = fn.__closure__ or ()
    closure = tuple(_cell_value(c) for c in cells)
    shared_source = _source_of(code, fn, shared=True) if shared else None
    if shared_source is not None:
        code_ref = shared_source
    elif _shipsource.needs_source(code):
        code_ref, compiled = _source_of(code, fn)
        if compiled.co_freevars != code.co_freevars:  # the worker's cells come in its order
            by_name = dict(zip(code.co_freevars, closure))
            closure = tuple(by_name[n] for n in compiled.co_freevars)
    else:
        code_ref = marshal.dumps(code)
    base = (code_ref, fn.__name__, fn.__qualname__, fn.__module__, len(cells), shared)
    state = (globs, fn.__defaults__, fn.__kwdefaults__, closure, fn.__dict__ or None, fn.__doc__)
    return (_make_function, base, state, None, None, _fill_function)


# The caller's side of code sent as source, by code object, so the source is read and checked
# once, at the first submission (where its errors belong). _sources: (payload, code compiled from
# it) for the per-worker path (_shipsource); _shared_sources: the payload every worker compiles
# from one source (_shipshared), or None when the function keeps the per-worker path.
_sources = {}
_shared_sources = {}


def _source_of(code, fn, shared=False):
    """What ``fn`` (whose code is ``code``) sends as source: its _shipshared payload (or None)
    when ``shared``, else its _shipsource payload and the code compiled from it."""
    cache = _shared_sources if shared else _sources
    try:
        return cache[code]
    except KeyError:
        pass
    if shared:
        found = _shipshared.payload(fn)
    else:
        data = _shipsource.payload(fn)
        found = (data, _code(data))
    if len(cache) >= _MAX_CODES:
        cache.clear()
    cache[code] = found
    return found


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY


_namespaces = {}


def _namespace(module, shared):
    if not shared:
        try:
            return _imported(module).__dict__
        except Exception:
            pass
    holder = _namespaces.get(module)
    if holder is None:
        # A module object's dict, not a plain dict: GraalPy reads a module's globals through
        # cached lookups, a plain dict's by hashing on every read. Measured on fib(25) warm,
        # whose every call reads the global 'fib': 0.040-0.055 s with a plain dict, 0.009-0.024 s
        # with a module's, in one process.
        holder = types.ModuleType(module)
        holder.__dict__["__builtins__"] = builtins
        _namespaces[module] = holder
    return holder.__dict__


# Code objects rebuilt from marshal, by their bytes (or compiled from source, by its payload). A
# function shipped again (every chunk of a parallel_map carries it) gets a new function object
# but the same code object, so the JIT's work on it is kept; a fresh code object each time would
# run interpreted every time.
_codes = {}
_MAX_CODES = 256


def _code(code_bytes):
    code = _codes.get(code_bytes)
    if code is None:
        if len(_codes) >= _MAX_CODES:
            _codes.clear()
        if _shipshared.is_payload(code_bytes):
            code = _shipshared.define(code_bytes, _bridge.shared_code)
        elif type(code_bytes) is tuple:
            code = _shipsource.compile_payload(code_bytes)
        else:
            code = marshal.loads(code_bytes)
        _codes[code_bytes] = code
    return code


def _make_function(code_bytes, name, qualname, module, ncells, shared):
    closure = tuple(types.CellType() for _ in range(ncells)) if ncells else None
    fn = types.FunctionType(_code(code_bytes), _namespace(module, shared), name, None, closure)
    fn.__qualname__ = qualname
    fn.__module__ = module
    return fn


def _fill_function(fn, state):
    globs, defaults, kwdefaults, closure, fdict, doc = state
    if globs:
        fn.__globals__.update(globs)
    fn.__defaults__ = defaults
    fn.__kwdefaults__ = kwdefaults
    for cell, value in zip(fn.__closure__ or (), closure):
        if value is not _EMPTY:
            cell.cell_contents = value
    if fdict:
        fn.__dict__.update(fdict)
    fn.__doc__ = doc
    return fn


def _reduce_module(obj):
    return importlib.import_module, (obj.__name__,)


def _reduce_function_or_ref(obj):
    if _importable(obj):
        if obj is _function_ref:  # the reference to the reference: by name, as pickle does
            return NotImplemented
        return (_function_ref, (obj.__module__, obj.__qualname__))
    return _reduce_function(obj)


# One dict lookup per pickled object: reducer_override sees every element of a mapped list.
_REDUCERS = dict(_shipclass.REDUCERS)
_REDUCERS[types.FunctionType] = _reduce_function_or_ref
_REDUCERS[types.ModuleType] = _reduce_module


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        t = type(obj)
        reduce = _REDUCERS.get(t)
        if reduce is not None:
            return reduce(obj)
        if (t is type or isinstance(obj, type)) and _shipclass.by_value(obj):
            return _shipclass.reduce_class(obj)
        return NotImplemented


class Pickled:
    """A value pickled once and sent many times (parallel_map's function goes with every chunk).

    Unpickles as the value itself, not as a ``Pickled``.
    """

    __slots__ = ("data",)

    def __init__(self, obj):
        self.data = dumps(obj)

    def __reduce__(self):
        return (loads, (self.data,))


_dataclass_reducers = False


def dumps(obj):
    global _dataclass_reducers
    if not _dataclass_reducers:
        _dataclass_reducers = _shipclass.add_dataclass_reducers(_REDUCERS)
    buf = io.BytesIO()
    _Pickler(buf, PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data):
    return pickle.loads(data)


# Worker interpreters only (_worker sets it): a function that arrives by reference (an importable
# module's, imported here) runs on code compiled from one shared source, as a function sent by
# value does, instead of on the code this context's import made. Each context's import parses
# the module afresh, so without this every worker, and every run of a warm daemon, interpreted
# and JIT-compiled its own copy of the task function (engine.TraceCompilation: one call target
# per context and run). The function object stays the module's, with the module's globals,
# defaults and attributes; only its __code__ is replaced, by an equivalent code object (same
# file, first line, bytecode, names and constants, as _shipshared.payload checks), so its
# recursive and module-internal calls run on the shared code too.
_adopting = False
# id(code) -> (code, the shared code or None: it keeps its own). By identity: code objects
# compare by value, and two modules' identical defs are still two files.
_adopted = {}


def adopt_shared_code():
    global _adopting
    _adopting = True


def _adopt(fn):
    code = fn.__code__
    try:
        shared = _adopted[id(code)][1]
    except KeyError:
        try:
            data = _shipshared.payload(fn)
            shared = None if data is None else _code(data)
        except Exception:  # the code the import made runs as before; only the sharing is lost
            shared = None
        if shared is not None and (shared.co_freevars or shared.co_name != code.co_name):
            shared = None
        if len(_adopted) >= _MAX_CODES:
            _adopted.clear()
        _adopted[id(code)] = (code, shared)
        if shared is not None:
            _adopted[id(shared)] = (shared, shared)
    if shared is not None and fn.__code__ is not shared:
        fn.__code__ = shared
    return fn


def _imported(name):
    """The module ``name``: from sys.modules when it is there and done importing, else imported."""
    found = sys.modules.get(name)
    if found is None or getattr(getattr(found, "__spec__", None), "_initializing", False):
        return importlib.import_module(name)  # waits for another thread's import of it
    return found


def _function_ref(module, qualname):
    """An importable function, by reference, as pickle's own by-name form would give it."""
    # sys.modules first: every chunk of a map brings its function again, and a trip through the
    # import machinery per chunk kept its functions hot enough for the JIT to spend seconds of a
    # core compiling them in the middle of the job.
    obj = _imported(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if _adopting and type(obj) is types.FunctionType and obj.__qualname__ == obj.__name__:
        _adopt(obj)
    return obj


def _try(value):
    try:
        dumps(value)
        return None
    except Exception as exc:
        return exc


def _through_class(value, err):
    """", through class attribute C.name," when a by-value class carries what cannot be pickled."""
    cls = value if isinstance(value, type) else type(value)
    if isinstance(err, _shipclass.ShipError) or not _shipclass.by_value(cls):
        return ""
    for name, attr in _shipclass.class_state(cls).items():
        if _try(attr) is not None:
            return ", through class attribute %s.%s," % (cls.__qualname__, name)
    return ""


def describe_unpicklable(fn, args, kwargs):
    """Names the first part of a call that cannot be pickled, as ``(what, value, error)``."""
    for i, a in enumerate(args):
        err = _try(a)
        if err is not None:
            return "argument %d%s" % (i, _through_class(a, err)), a, err
    for k, v in kwargs.items():
        err = _try(v)
        if err is not None:
            return "keyword argument %r%s" % (k, _through_class(v, err)), v, err
    if type(fn) is types.FunctionType and not _importable(fn):
        for cell in fn.__closure__ or ():
            value = _cell_value(cell)
            err = _try(value)
            if err is not None:
                return "captured value", value, err
        fn_globals = fn.__globals__
        for n in sorted(_global_names(fn.__code__, set())):
            if n in fn_globals:
                err = _try(fn_globals[n])
                if err is not None:
                    return "global %r" % n, fn_globals[n], err
    err = _try(fn)
    if err is not None:
        return "the function", fn, err
    return None
