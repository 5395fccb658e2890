"""Draws the headline ratios of a results JSON as a PNG: `python3 bench/chart.py IN.json OUT.png`.

Neither GraalPy nor this machine's CPython has a plotting library, so this is a small
self-contained raster writer (zlib + struct) with a built-in 5x7 pixel font. One row per
benchmark: a bar from parity (1.0) to ours / peer on a log scale, so a bar to the left means
makeparallel is faster or smaller; green where the benchmark's target is met, red where not.
"""
import json
import math
import re
import struct
import sys
import zlib

# 5x7 glyphs, one string per row, "#" = ink. Text is drawn upper-case.
FONT = {
    " ": ["     "] * 7,
    "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
    "A": [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "B": ["#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "],
    "C": [" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "],
    "D": ["#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "],
    "E": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
    "F": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "],
    "G": [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
    "H": ["#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "I": [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "J": ["  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "],
    "K": ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
    "L": ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
    "M": ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
    "N": ["#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"],
    "O": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "P": ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
    "Q": [" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"],
    "R": ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
    "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
    "T": ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
    "U": ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "V": ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
    "W": ["#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "],
    "X": ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
    "Y": ["#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "],
    "Z": ["#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"],
    ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
    ",": ["     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "],
    ":": ["     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "],
    "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
    "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
    "=": ["     ", "     ", "#####", "     ", "#####", "     ", "     "],
    "<": ["   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "],
    ">": [" #   ", "  #  ", "   # ", "    #", "   # ", "  #  ", " #   "],
    "/": ["    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "],
    "(": ["   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "],
    ")": [" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "],
    "%": ["##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"],
    "_": ["     ", "     ", "     ", "     ", "     ", "     ", "#####"],
    "'": ["  #  ", "  #  ", " #   ", "     ", "     ", "     ", "     "],
    "?": [" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "],
}

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (30, 30, 30), (150, 150, 150), (225, 225, 225)
GREEN, RED, BLUE = (46, 160, 67), (207, 34, 46), (9, 105, 218)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = [bytearray(WHITE * w) for _ in range(h)]

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.px[y][3 * x0:3 * x1] = row

    def text(self, x, y, s, color=BLACK, scale=2):
        for ch in s.upper():
            glyph = FONT.get(ch, FONT["?"])
            for gy, line in enumerate(glyph):
                for gx, c in enumerate(line):
                    if c == "#":
                        self.rect(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale, color)
            x += 6 * scale
        return x

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(r) for r in self.px)

        def chunk(tag, data):
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


def fmt(x):
    if x is None:
        return "-"
    return ("%.0f" if abs(x) >= 100 else "%.1f" if abs(x) >= 10 else "%.2f" if abs(x) >= 1 else "%.3g") % x


def draw(report, path):
    # The JSON file keeps one key per benchmark id (B1 ... B7) beside "machine" and the rest.
    ids = sorted(k for k in report if re.fullmatch(r"B\d+", k))
    rows = [report[k] for k in ids]
    left, right, top, row_h = 40, 40, 110, 64
    width = 1100
    height = top + row_h * len(rows) + 70
    cv = Canvas(width, height)
    mach = report["machine"]
    cv.text(left, 16, "MAKEPARALLEL / CPYTHON PEER, MEASURED SIDE BY SIDE (LOG SCALE: LEFT OF 1 = BETTER)", BLACK, 2)
    cv.text(left, 42, "%s RUN, %s CORES, JIT %s, GRAALPY %s, CPYTHON %s, %s" % (
        mach["mode"], mach["cores"], mach["jit"], mach["graalpy"].split()[0], mach["cpython"].split()[0],
        mach["date"]), GREY, 2)
    lo, hi = -2.0, 3.0  # decades shown: 0.01 .. 1000
    x0, x1 = left + 430, width - right

    def xpos(r):
        v = min(max(math.log10(r), lo), hi)
        return int(x0 + (v - lo) / (hi - lo) * (x1 - x0))

    axis_y = top + row_h * len(rows)
    for d in range(int(lo), int(hi) + 1):
        x = xpos(10.0 ** d)
        cv.rect(x, top - 10, x + 1, axis_y, LIGHT)
        label = ("%g" % (10.0 ** d)) + "X"
        cv.text(x - len(label) * 6, axis_y + 8, label, GREY, 2)
    one = xpos(1.0)
    cv.rect(one - 1, top - 10, one + 2, axis_y, BLACK)
    for i, b in enumerate(rows):
        y = top + i * row_h
        color = {True: GREEN, False: RED}.get(b.get("met"), GREY)
        cv.text(left, y + 8, "%s %s" % (b["id"], b["title"]), BLACK, 2)
        status = {True: "TARGET MET", False: "TARGET MISSED", None: "NOT JUDGED"}[b.get("met")]
        r = b.get("ratio")
        if r:
            cv.text(left, y + 32, "%sX  %s" % (fmt(r), status), color, 2)
            xr = xpos(r)
            cv.rect(min(one, xr), y + 10, max(one, xr) + 1, y + 44, color)
            t = b.get("target_ratio")
            if t:
                xt = xpos(t)
                for yy in range(y + 4, y + 50, 6):
                    cv.rect(xt - 1, yy, xt + 2, yy + 3, BLUE)
        else:
            cv.text(left, y + 32, status, color, 2)
            cv.text(x0 + 10, y + 20, "NO PEER: %s %s (TARGET %s)" % (
                fmt(b.get("ours")), b.get("unit", ""), b.get("target", "").split(";")[0]), color, 2)
    cv.text(left, axis_y + 40, "BLUE DASHES: TARGET RATIO. B4, B5, B7 TARGETS ARE ABSOLUTE (SEE LATEST.MD).", GREY, 2)
    cv.png(path)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        draw(json.load(f), dst)


if __name__ == "__main__":
    main()
