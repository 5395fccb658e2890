"""A stand-in for a user's main script: test_ship_main runs it as ``__main__``.

Everything here is defined at the top level of the main module (or inside its functions), where
a worker interpreter cannot import it: it must travel by value.
"""
import dataclasses
import enum
import threading


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def moved(self, d):
        return Point(self.x + d, self.y + d)  # names its own class: shipped with itself


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int
    b: str = "b"


@dataclasses.dataclass(frozen=True, slots=True)
class Slotted:
    a: int
    b: tuple = ()


class MainError(Exception):
    pass


class Tag(str):
    def shout(self):
        return Tag(self.upper() + "!")


class Count(int):
    def double(self):
        return Count(self * 2)


class Shape:
    SIDES = 4

    def __init__(self, side):
        self._side = side

    @classmethod
    def unit(cls):
        return cls(1)

    @staticmethod
    def describe(n):
        return "%d sides" % n

    @property
    def area(self):
        return self._side * self._side

    def __eq__(self, other):
        return type(other) is Shape and other._side == self._side


class Color(enum.Enum):
    RED = 1
    GREEN = 2
    SCARLET = 1  # an alias

    def warm(self):
        return self is Color.RED

    @classmethod
    def default(cls):
        return cls.GREEN


class Size(str, enum.Enum):
    S = "s"
    L = "l"


class Coded(enum.Enum):
    A = (1, "a")

    def __new__(cls, number, text):  # members made by our own __new__: cannot be rebuilt by value
        obj = object.__new__(cls)
        obj._value_ = number
        obj.text = text
        return obj


def use_enums(color, size):
    return color, color.warm(), Color.default(), Size("l"), size


UNSHIPPABLE_LOCK = threading.Lock()


class HoldsLock:
    lock = UNSHIPPABLE_LOCK


def move_all(p):
    return p.moved(1), dataclasses.fields(p)[1].name, dataclasses.asdict(p)


def raise_main_error(x):
    raise MainError("bad %s" % x)


def tag_and_count(t, c):
    return t.shout(), c.double()


def use_shape(s):
    return Shape.unit(), Shape.describe(Shape.SIDES), s.area, type(s).__name__


def frozen_round_trip(f, s):
    try:
        f.a = 99
    except dataclasses.FrozenInstanceError:
        return Frozen(f.a + 1), Slotted(s.a + 1, s.b)
    return "not frozen"


def make_local_class():
    class Local:
        def __init__(self, v):
            self.v = v

        def get(self):
            return self.v
    return Local


def local_class_task():
    cls = make_local_class()
    return cls(5).get(), cls.__qualname__


def class_identity(p):
    # The same class object in a worker for every task: isinstance holds between tasks.
    return id(type(p)), id(Point)


def squares(n, start=0):
    total = 0
    for i in range(start, n):
        total += i * i
        yield total


def squares_list(n):
    return list(squares(n, start=1))


def uses_generator(n):
    return list(squares(n)) + [sum(x * x for x in range(n))]


async def times_ten(x):
    return x * 10


def run_coroutine(x):
    import asyncio
    return asyncio.run(times_ten(x))


class Walker:
    def __init__(self, items):
        self.__items = list(items)  # name-mangled: the method's source must be compiled in its class

    def each(self):
        for item in self.__items:
            yield item

    def pairs(self):
        return [(a, b) for a in self.each() for b in self.each() if a < b]


def walk(items):
    return Walker(items).pairs()


def make_stepper(step):
    def stepper(n):
        for i in range(n):
            yield i * step
    return stepper


NO_SOURCE = {}
exec("def gen_without_source(n):\n    yield n\n", NO_SOURCE)
gen_without_source = NO_SOURCE["gen_without_source"]


def use_gen_without_source(n):
    return list(gen_without_source(n))
