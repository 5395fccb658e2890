"""Lists of plain numbers cross to and from worker interpreters packed (``_pack``, issue 12's B3):
the round trip keeps every value and every type, and only lists that can be packed are."""

import math
import pickle
import sys
import unittest

import makeparallel as mp
from makeparallel import _chunk, _pack


def _roundtrip(values):
    packed = _pack.pack(values)
    return packed, (None if packed is None else pickle.loads(pickle.dumps(packed)))


class PackTest(unittest.TestCase):
    def test_ints_take_the_narrowest_code_that_holds_them(self):
        for lo, hi, code in ((-128, 127, "b"), (-129, 0, "h"), (0, 32767, "h"), (0, 32768, "i"),
                             (-(1 << 31), 0, "i"), (0, 1 << 31, "q"), (-(1 << 63), (1 << 63) - 1, "q")):
            with self.subTest(lo=lo, hi=hi):
                values = [lo] + list(range(100)) + [hi]
                packed, back = _roundtrip(values)
                self.assertEqual(packed.code, code)
                self.assertEqual(back, values)
                self.assertTrue(all(type(v) is int for v in back))

    def test_floats_keep_their_bits(self):
        values = [x / 7 for x in range(100)] + [-0.0, math.inf, -math.inf, 5e-324, sys.float_info.max]
        packed, back = _roundtrip(values + [math.nan])
        self.assertEqual(packed.code, "d")
        self.assertEqual(back[:-1], values)
        self.assertEqual([math.copysign(1, v) for v in back[:-1]], [math.copysign(1, v) for v in values])
        self.assertTrue(math.isnan(back[-1]))

    def test_what_is_not_a_long_list_of_one_plain_number_type_is_left_to_pickle(self):
        ints = list(range(100))
        for values in (ints[:_pack.MIN_ITEMS - 1],  # short
                       ints + [True],  # a bool would come back as 1
                       [True] * 100,
                       ints + [1.5],  # mixed
                       [0.5] * 99 + [1],
                       ints + [1 << 63],  # beyond 64 bits
                       ints + [-(1 << 63) - 1],
                       tuple(ints),  # not a list
                       [str(i) for i in ints],
                       []):
            with self.subTest(values=values[-2:]):
                self.assertIsNone(_pack.pack(values))

    def test_a_subclass_of_int_or_float_is_not_packed(self):
        class Id(int):
            pass
        self.assertIsNone(_pack.pack([Id(1)] * 100))
        self.assertIsNone(_pack.pack(list(range(99)) + [Id(1)]))

    def test_an_unknown_code_is_refused(self):
        with self.assertRaisesRegex(ValueError, "typecode 'u'"):
            _pack.unpack("u", b"ab")

    def test_a_chunk_of_numbers_comes_back_packed_and_others_do_not(self):
        rows, _ = _chunk._run_chunk_remote(lambda x: x + 1, range(1000))
        self.assertIs(type(rows), _pack.Packed)
        self.assertEqual(pickle.loads(pickle.dumps(rows)), list(range(1, 1001)))
        rows, _ = _chunk._run_chunk_remote(lambda x: x > 3, range(1000))
        self.assertEqual(rows, [x > 3 for x in range(1000)])
        rows, _ = _chunk._run_chunk_remote(lambda x: 1 // (x % 10), range(1000))
        self.assertIs(type(rows), _chunk._Failed, "a chunk with errors goes as it did")


def _scale(x):
    return x * 0.5


class PackedMapTest(unittest.TestCase):
    """End to end through worker interpreters: values and types as the threads backend gives them."""

    def check(self, func, items):
        want = [func(x) for x in items]
        got = mp.parallel_map(func, items, backend="interpreters")
        self.assertEqual(got, want)
        self.assertEqual([type(v) for v in got], [type(v) for v in want])

    def test_numbers_out_and_back(self):
        self.check(lambda x: x + 1, range(200_000))
        self.check(lambda x: -x * 1_000_000_007, list(range(20_000)))
        self.check(_scale, list(range(20_000)))
        self.check(float, [x - 10_000 for x in range(20_000)])

    def test_types_that_look_like_numbers_stay_what_they_are(self):
        self.check(lambda x: x % 3 == 0, list(range(5_000)))
        self.check(lambda x: x << 70, list(range(5_000)))
        self.check(lambda x: 0.5 if x % 2 else 1, list(range(5_000)))
        self.check(lambda x: x, [True, False] * 1_000)
        self.check(lambda x: x, [1 << 64] + list(range(1_000)))


if __name__ == "__main__":
    unittest.main()
