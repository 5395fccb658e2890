"""Argument checks shared by the public functions: clear TypeError/ValueError at the call."""

import math
import numbers


def _type_name(value):
    return type(value).__name__


def seconds(name, value, *, allow_none=True, allow_zero=False):
    """A finite, positive duration in seconds (float), or None when allowed."""
    if value is None:
        if allow_none:
            return None
        raise TypeError("%s must be a number of seconds, not None" % name)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number of seconds, got %s %r" % (name, _type_name(value), value))
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("%s must be finite, got %r" % (name, value))
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("%s must be %s, got %r" % (name, ">= 0" if allow_zero else "> 0", value))
    return value


def integer(name, value, *, minimum=None, allow_none=False):
    """An int (not bool) >= minimum, or None when allowed."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an int, got %s %r" % (name, _type_name(value), value))
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError("%s must be >= %d, got %d" % (name, minimum, value))
    return value


_JAVA_INT_MIN = -(2 ** 31)
_JAVA_INT_MAX = 2 ** 31 - 1


def java_int(name, value, *, minimum=None, allow_none=False):
    """Like integer(), also bounded to what a Java int holds."""
    # Fast path for the common plain int (every submission checks its priority): the generic
    # check goes through the numbers.Integral ABC, which is slow until the JIT has compiled it.
    if type(value) is int and _JAVA_INT_MIN <= value <= _JAVA_INT_MAX and (minimum is None or value >= minimum):
        return value
    value = integer(name, value, minimum=minimum, allow_none=allow_none)
    if value is not None and not -(2 ** 31) <= value < 2 ** 31:
        raise ValueError("%s is out of range: %d" % (name, value))
    return value


def choice(name, value, options):
    if not isinstance(value, str):
        raise TypeError("%s must be a str, got %s %r" % (name, _type_name(value), value))
    if value not in options:
        raise ValueError("%s must be one of %s, got %r" % (name, ", ".join(repr(o) for o in options), value))
    return value


def callable_(name, value):
    if not callable(value):
        raise TypeError("%s must be callable, got %s %r" % (name, _type_name(value), value))
    return value
