"""Classes of the main script, and local classes, sent to worker interpreters by value.

A worker cannot import the main script (its top-level code must not run twice) nor reach a
class defined inside a function, so such a class travels as its name, bases, metaclass and the
contents of its ``__dict__`` (its methods by value, as functions are). Each class gets a tracker
id the first time it is pickled, and every interpreter keeps id -> class: a worker rebuilds a
class once and reuses it for later tasks and chunks (``isinstance`` holds between them), and
when instances or raised errors come back, the caller maps the id to its ORIGINAL class, so
``isinstance(result, Point)`` and ``except MyError:`` work there.
"""

import enum
import os
import sys
import threading
import types
import weakref

__all__ = ["ShipError", "by_value", "class_state", "reduce_class", "REDUCERS"]

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement or type()

_lock = threading.RLock()
_ids = weakref.WeakKeyDictionary()  # class -> tracker id (pickled from or rebuilt here)
_classes = weakref.WeakValueDictionary()  # tracker id -> class
_unfilled = set()  # ids of classes made here whose __dict__ has not been filled in yet


class ShipError(TypeError):
    """A value that cannot travel to a worker interpreter; the message says what to do instead."""


def by_value(cls):
    """True for a class that a worker could not find by module and qualified name."""
    module = getattr(cls, "__module__", None)
    if module == "builtins" or not (getattr(cls, "__flags__", _HEAPTYPE) & _HEAPTYPE):
        return False
    qualname = getattr(cls, "__qualname__", "")
    if module == "__main__" or "<" in qualname:
        return True
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj is not cls  # not where its names say: plain pickle could not find it either


def _tracker_id(cls):
    with _lock:
        tid = _ids.get(cls)
        if tid is None:
            tid = os.urandom(16).hex()
            _ids[cls] = tid
            _classes[tid] = cls
        return tid


def _mangled(cls, name):
    if name.startswith("__") and not name.endswith("__"):
        return "_%s%s" % (cls.__name__.lstrip("_"), name)
    return name


def class_state(cls):
    state = dict(cls.__dict__)
    slots = state.get("__slots__", ())
    if isinstance(slots, str):
        slots = (slots,)
    for name in slots:  # member descriptors: type() makes them again from __slots__
        state.pop(_mangled(cls, name), None)
    for name in ("__dict__", "__weakref__", "_abc_impl"):  # made by type() / ABCMeta
        state.pop(name, None)
    return state


def reduce_class(cls):
    """A pickle reduce value that rebuilds ``cls`` by value (once per interpreter)."""
    if isinstance(cls, enum.EnumMeta):
        return _reduce_enum(cls)
    state = class_state(cls)
    skeleton = {k: state.pop(k) for k in ("__slots__", "__module__", "__doc__") if k in state}
    skeleton["__qualname__"] = cls.__qualname__
    base = (_tracker_id(cls), cls.__name__, cls.__bases__, type(cls), skeleton)
    return (_make_class, base, state, None, None, _fill_class)


def _make_class(tid, name, bases, meta, skeleton, members=()):
    with _lock:
        cls = _classes.get(tid)
        if cls is None:
            def body(ns):
                ns.update(skeleton)
                for key, value in members:  # an enum's members, in their order (aliases too)
                    ns[key] = value
            cls = types.new_class(name, bases, {"metaclass": meta}, body)
            _classes[tid] = cls
            _ids[cls] = tid
            _unfilled.add(tid)
        return cls


_ENUM_METHODS = (types.FunctionType, classmethod, staticmethod, property)


def _reduce_enum(cls):
    # The enum machinery makes the members while it makes the class, so they go with the class's
    # name; its methods (which may name the class) are set afterwards, like any class's dict.
    if isinstance(getattr(cls, "_new_member_", None), types.FunctionType):
        raise ShipError("enum class %s defines its own __new__, and such an enum cannot be sent to a "
                        "worker interpreter by value; define it in a module next to the script and "
                        "import it from there" % cls.__qualname__)
    members = tuple((name, member._value_) for name, member in cls._member_map_.items())
    state = {k: v for k, v in cls.__dict__.items()
             if k not in cls._member_map_ and k != "__new__" and isinstance(v, _ENUM_METHODS)}
    skeleton = {k: cls.__dict__[k] for k in ("__module__", "__doc__") if k in cls.__dict__}
    skeleton["__qualname__"] = cls.__qualname__
    base = (_tracker_id(cls), cls.__name__, cls.__bases__, type(cls), skeleton, members)
    return (_make_class, base, state, None, None, _fill_class)


def _fill_class(cls, state):
    # A class this interpreter already had (the caller's original, or one a worker rebuilt for
    # an earlier task) keeps its own __dict__: only a class just made here is filled in.
    with _lock:
        tid = _ids.get(cls)
        if tid not in _unfilled:
            return cls
        _unfilled.discard(tid)
    for key, value in state.items():
        setattr(cls, key, value)
    return cls


def _reduce_classmethod(obj):
    return type(obj), (obj.__func__,)


def _reduce_property(obj):
    return type(obj), (obj.fget, obj.fset, obj.fdel, obj.__doc__)


def _mappingproxy(d):
    return types.MappingProxyType(d)


def _reduce_mappingproxy(obj):
    return _mappingproxy, (dict(obj),)


def _dataclass_sentinel(name):
    import dataclasses
    return getattr(dataclasses, name)


# dataclasses tells fields, defaults and factories apart by the identity of these markers, so
# they travel by name: a copy would make fields() empty and every default look set. Their
# reducers join the pickler's once dataclasses is loaded (add_dataclass_reducers): no sentinel can
# exist before, and a worker that never meets a dataclass never imports it (nor inspect, re
# and the rest it pulls in).
_SENTINELS = {}


def _reduce_sentinel(obj):
    name = _SENTINELS.get(id(obj))
    if name is None:
        return NotImplemented
    return _dataclass_sentinel, (name,)


REDUCERS = {
    classmethod: _reduce_classmethod,
    staticmethod: _reduce_classmethod,
    property: _reduce_property,
    types.MappingProxyType: _reduce_mappingproxy,
}


def add_dataclass_reducers(reducers):
    """Once ``dataclasses`` is imported: its sentinels' reducers into ``reducers``; True when done."""
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is None:
        return False
    for name in ("MISSING", "_HAS_DEFAULT_FACTORY", "_FIELD", "_FIELD_CLASSVAR", "_FIELD_INITVAR", "KW_ONLY"):
        if hasattr(dataclasses, name):
            _SENTINELS[id(getattr(dataclasses, name))] = name
    for name in ("MISSING", "_HAS_DEFAULT_FACTORY", "_FIELD"):
        value = getattr(dataclasses, name, None)
        if value is not None and not isinstance(value, type):
            reducers[type(value)] = _reduce_sentinel
    return True
