"""Lists of plain numbers cross to and from worker interpreters as packed arrays, not pickles.

GraalPy's pickle costs 230 ns an int to write and 85 ns to read (CPython's: 10 and 23), and a
``parallel_map`` of a cheap function over a million items spends most of its time there (B3).
``array`` converts the same list in 3-5 ns an item once the JIT has compiled it. A list whose
items are all exactly ``int`` (bools are not: they would come back as ints) in the range of a
64-bit integer, or all exactly ``float``, is sent as ``Packed``, which unpickles as an equal
list; anything else returns ``None`` and goes as a pickle as before. Little-endian on the wire,
so a cluster member of the other byte order reads it right.
"""

import array
import sys

MIN_ITEMS = 64  # shorter lists: the pickle is cheap, and the checks would cost more than it

# Integer typecodes, narrowest first, with the range each holds (sizes fixed by the array
# module on every platform CPython and GraalPy run on: 1, 2, 4, 8 bytes).
_INT_CODES = (("b", -(1 << 7), 1 << 7), ("h", -(1 << 15), 1 << 15), ("i", -(1 << 31), 1 << 31),
              ("q", -(1 << 63), 1 << 63))
_CODES = frozenset([code for code, _, _ in _INT_CODES] + ["d"])
_SWAP = sys.byteorder == "big"


class Packed:
    """A list of plain numbers as one typecode and the array's little-endian bytes."""

    __slots__ = ("code", "data")

    def __init__(self, code, data):
        self.code = code
        self.data = data

    def __reduce__(self):
        return (unpack, (self.code, self.data))


def _all_of(kind, values):
    for v in values:
        if type(v) is not kind:
            return False
    return True


def pack(values):
    """``values`` (a list) as a ``Packed``, or ``None`` when it is not a long list of plain numbers."""
    if type(values) is not list or len(values) < MIN_ITEMS:
        return None
    kind = type(values[0])
    if kind is int:
        if not _all_of(int, values):
            return None
        lo, hi = min(values), max(values)
        for code, low, high in _INT_CODES:
            if low <= lo and hi < high:
                break
        else:
            return None  # beyond 64 bits: pickle handles any size
    elif kind is float:
        if not _all_of(float, values):
            return None
        code = "d"
    else:
        return None
    a = array.array(code, values)
    if _SWAP:
        a.byteswap()
    return Packed(code, a.tobytes())


def unpack(code, data):
    """The list a ``Packed`` stands for (what its pickle calls on the receiving side)."""
    if code not in _CODES:
        raise ValueError("unknown packed typecode %r" % (code,))
    a = array.array(code)
    a.frombytes(data)
    if _SWAP:
        a.byteswap()
    return a.tolist()
