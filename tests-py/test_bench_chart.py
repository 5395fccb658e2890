"""Issue 12: bench/chart.py draws one row per criterion, each against its own limit.

The chart is split into a pure layout step (rows with positions, colours and labels) and a paint
step, so these tests check the geometry without decoding pixels; the PNG itself is checked for
its signature, chunk CRCs and a header that matches the layout's canvas.
"""
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "bench"))

import chart  # noqa: E402  (bench/ is not a package; the path above makes it importable)
import raster  # noqa: E402

LONG_NAME = ("a criterion whose name is much longer than any column of the picture could hold "
             "[even wrapped; it has * ! ~ & ; too] and keeps going on and on until it must be cut")


def _crit(name, value, op, limit, unit, met, counts=True):
    return {"name": name, "value": value, "op": op, "limit": limit, "unit": unit, "met": met,
            "miss": None, "note": None, "counts": counts}


def _report():
    return {
        "machine": {"mode": "quick", "cores": 2, "jit": "on", "graalpy": "25.0.3 x", "cpython": "3.11.7 y",
                    "date": "2026-11-29 14:00 UTC"},
        "B1": {"id": "B1", "title": "cpu", "met": False, "criteria": [
            _crit("threads vs Pool.map", 0.5, "<=", 1.0, "x", True),
            _crit("speed-up over serial", 1.2, ">=", 1.8, "x", False),
            _crit("reference wall (reference)", 3.0, "<", 1.0, "x", False, counts=False),
        ]},
        "B2": {"id": "B2", "title": "cancel", "met": True, "criteria": [
            _crit("tasks still active after", 0, "<=", 0, "tasks", True),
            _crit(LONG_NAME, 7.25, "<=", 100.0, "ms", True),
            _crit("not measured here", None, "<=", 2.0, "MB", None),
        ]},
    }


class LayoutTest(unittest.TestCase):
    def setUp(self):
        self.report = _report()
        self.lay = chart.layout(self.report)

    def test_one_row_per_counting_criterion_in_order(self):
        counting = [(b, c["name"]) for b in ("B1", "B2") for c in self.report[b]["criteria"] if c["counts"]]
        got = [(r["bench"], r["name"]) for r in self.lay["rows"] if r["counts"]]
        self.assertEqual(counting, got)
        for r in self.lay["rows"]:
            crit = next(c for c in self.report[r["bench"]]["criteria"] if c["name"] == r["name"])
            self.assertIs(crit["met"], r["met"], r["name"])

    def test_met_left_of_one_missed_right(self):
        rows = {r["name"]: r for r in self.lay["rows"]}
        met, missed = rows["threads vs Pool.map"], rows["speed-up over serial"]
        self.assertAlmostEqual(0.5, met["ratio"])
        self.assertAlmostEqual(1.5, missed["ratio"])  # '>=': limit / value, so right of 1 = short
        self.assertLess(met["bar_end"], met["x_one"])
        self.assertGreater(missed["bar_end"], missed["x_one"])
        self.assertEqual(raster.GREEN, met["color"])
        self.assertEqual(raster.RED, missed["color"])
        self.assertEqual("MET", met["status"])
        self.assertEqual("MISSED", missed["status"])
        self.assertLess(rows[LONG_NAME]["bar_end"], rows[LONG_NAME]["x_one"])

    def test_rows_that_cannot_go_on_a_log_axis_are_text_only(self):
        rows = {r["name"]: r for r in self.lay["rows"]}
        for name in ("tasks still active after", "not measured here"):
            self.assertIsNone(rows[name]["ratio"], name)
            self.assertIsNone(rows[name]["bar_end"], name)
        zero = rows["tasks still active after"]
        self.assertEqual("MET", zero["status"])
        self.assertIn("0 tasks <= 0 tasks", zero["value_label"])

    def test_reference_rows_are_grey_and_say_not_judged(self):
        ref = [r for r in self.lay["rows"] if not r["counts"]]
        self.assertEqual(["reference wall (reference)"], [r["name"] for r in ref])
        self.assertEqual(raster.GREY, ref[0]["color"])
        self.assertIn("NOT JUDGED", ref[0]["status"])

    def test_every_label_fits_on_the_canvas_and_the_font_has_its_glyphs(self):
        w, h = self.lay["width"], self.lay["height"]
        joined = "".join(t["text"] for t in self.lay["texts"])
        self.assertIn("threads vs Pool.map", joined)
        for t in self.lay["texts"]:
            self.assertGreaterEqual(t["x"], 0, t)
            self.assertGreaterEqual(t["y"], 0, t)
            self.assertLessEqual(t["x"] + raster.text_width(t["text"], t["scale"]), w, t)
            self.assertLessEqual(t["y"] + raster.text_height(t["scale"]), h, t)
            missing = sorted(set(ch for ch in t["text"] if ch not in raster.FONT))
            self.assertEqual([], missing, t["text"])
        for x0, y0, x1, y1, _ in self.lay["rects"]:
            self.assertTrue(0 <= x0 <= x1 <= w and 0 <= y0 <= y1 <= h, (x0, y0, x1, y1))

    def test_height_follows_the_row_count(self):
        more = _report()
        more["B1"]["criteria"] = more["B1"]["criteria"] + [_crit("extra %d" % i, 0.5, "<=", 1.0, "x", True)
                                                          for i in range(5)]
        self.assertGreater(chart.layout(more)["height"], self.lay["height"])

    def test_bad_criterion_is_a_clear_error(self):
        bad = _report()
        bad["B1"]["criteria"][0]["op"] = "=="
        with self.assertRaisesRegex(ValueError, "op.*'=='"):
            chart.layout(bad)


class PngTest(unittest.TestCase):
    def test_png_is_valid_and_matches_the_canvas(self):
        lay = chart.layout(_report())
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "chart.png")
            chart.paint(lay, path)
            with open(path, "rb") as f:
                data = f.read()
        self.assertEqual(b"\x89PNG\r\n\x1a\n", data[:8])
        pos, chunks = 8, {}
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos:pos + 4])
            tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
            self.assertEqual(zlib.crc32(tag + body) & 0xFFFFFFFF, crc, tag)
            chunks.setdefault(tag, b"")
            chunks[tag] += body
            pos += 12 + length
        self.assertEqual({b"IHDR", b"IDAT", b"IEND"}, set(chunks))
        w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
        self.assertEqual((lay["width"], lay["height"], 8, 2), (w, h, depth, colour))
        self.assertEqual(h * (1 + 3 * w), len(zlib.decompress(chunks[b"IDAT"])))


if __name__ == "__main__":
    unittest.main()
