"""Draws every criterion of a results JSON against its limit as a PNG: `python3 bench/chart.py IN.json OUT.png`.

One row per criterion, grouped under a heading per benchmark. Criteria have different units
(x, us, s, MB, threads), so each row is drawn relative to its own limit on one log axis: value /
limit for '<=' and '<', limit / value for '>=' and '>', so left of the 1 line means met for
every row. A bar runs from 1 to that ratio, green where the criterion is met and red where it is
missed; reference and diagnostic criteria (`counts` false) are drawn in grey and labelled
"reference, not judged". A criterion whose value or limit is 0, negative or missing has no
place on a log axis and is a text-only row.

`layout` is pure (rows, texts and rectangles with positions and colours); `paint` draws a layout
with bench/raster.py, which needs nothing outside the standard library.
"""
import json
import math
import re
import sys

from raster import BLACK, GREEN, GREY, LIGHT, RED, WHITE, Canvas, ascii_text, text_height, text_width

SCALE = 2  # font scale: glyphs 10 x 14 pixels, 12 pixels a character
STEP = 6 * SCALE
LINE = 22  # pixels from one text line to the next (descenders included)
MARGIN = 30
INDENT = 24  # criterion rows sit under their benchmark's heading
TEXT_W = 640  # the column with names, values and MET / MISSED
GAP = 30  # between that column and the plot
NAME_LINES = 2  # a longer name is cut with "..."
OPS = {"<=": True, "<": True, ">=": False, ">": False}  # op -> "smaller is better"


def fmt(x):
    if x is None:
        return "-"
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return "%d" % x
    return ("%.0f" if abs(x) >= 100 else "%.1f" if abs(x) >= 10 else "%.2f" if abs(x) >= 1 else "%.3g") % x


def with_unit(x, unit):
    if x is None:
        return "not measured"
    if not unit:
        return fmt(x)
    return fmt(x) + ("x" if unit == "x" else " " + unit)


def fit(s, width, lines=1):
    """`s` wrapped at spaces into at most `lines` lines of at most `width` pixels; the last line
    ends in "..." when the text does not fit. Words longer than a line are cut."""
    per = max(1, (width + SCALE) // STEP)  # characters per line (text_width is 6*n-1 columns)
    words, out = ascii_text(s).split(), []
    cur = ""
    while words:
        w = words.pop(0)
        if len(w) > per:
            words.insert(0, w[per:])
            w = w[:per]
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= per:
            cur += " " + w
        else:
            out.append(cur)
            cur = w
            if len(out) == lines:
                break
    else:
        if cur or not out:
            out.append(cur)
        return out
    rest = " ".join([cur] + words)
    last = out[-1] + " " + rest
    out[-1] = last[:max(0, per - 3)].rstrip() + "..."
    return out


def ratio_of(c):
    """The criterion's value relative to its limit, >1 = missed; None when a log axis cannot show it."""
    v, lim = c.get("value"), c.get("limit")
    if not isinstance(v, (int, float)) or not isinstance(lim, (int, float)):
        return None
    if not (0 < v < math.inf and 0 < lim < math.inf):
        return None
    return v / lim if OPS[c["op"]] else lim / v


def _why_no_bar(c):
    v, lim = c.get("value"), c.get("limit")
    if not isinstance(v, (int, float)):
        return "no bar: not measured"
    if not isinstance(lim, (int, float)):
        return "no bar: no limit"
    return "no bar: limit %s" % fmt(lim) if not 0 < lim < math.inf else "no bar: value %s" % fmt(v)


def _check(bid, c):
    if not isinstance(c, dict):
        raise TypeError("%s criteria: each criterion must be a dict, got %r" % (bid, c))
    for key in ("name", "op"):
        if key not in c:
            raise ValueError("%s criterion %r: missing key %r" % (bid, c.get("name"), key))
    if c["op"] not in OPS:
        raise ValueError("%s criterion %r: op %r is not one of %s" % (bid, c["name"], c["op"], ", ".join(OPS)))


def _status(c):
    if not c.get("counts", True):
        return "REFERENCE, NOT JUDGED", GREY
    return {True: ("MET", GREEN), False: ("MISSED", RED)}.get(c.get("met"), ("NOT JUDGED", GREY))


def _benchmarks(report):
    if not isinstance(report, dict):
        raise TypeError("report must be a dict (a results JSON object), got %s" % type(report).__name__)
    ids = sorted((k for k in report if re.fullmatch(r"B\d+", k)), key=lambda k: int(k[1:]))
    if not ids:
        raise ValueError("report has no benchmark keys (B1, B2, ...): keys are %s" % sorted(report))
    return [(k, report[k]) for k in ids]


def layout(report, width=1400, reference=True):
    """Positions, colours and labels of the chart of `report` (a results JSON object).

    Returns a dict: width, height, rows (one per drawn criterion: bench, name, counts, met,
    ratio, status, color, value_label, x_one, bar_end, y0, y1), texts (x, y, text, color, scale)
    and rects ((x0, y0, x1, y1, color)). `reference` False leaves out the criteria that do not
    count. Raises TypeError/ValueError naming what is wrong with `report`.
    """
    benches = _benchmarks(report)
    texts, rects, rows = [], [], []
    plot0, plot1 = MARGIN + TEXT_W + GAP, width - MARGIN
    full = width - 2 * MARGIN

    def text(x, y, s, color, avail):
        for i, line in enumerate(fit(s, avail)):
            texts.append({"x": x, "y": y + i * LINE, "text": line, "color": color, "scale": SCALE})

    mach = report.get("machine") or {}
    if not isinstance(mach, dict):
        raise TypeError("report['machine'] must be a dict, got %s" % type(mach).__name__)
    y = 16
    text(MARGIN, y, "makeparallel benchmarks: every criterion against its limit", BLACK, full)
    y += 26
    text(MARGIN, y, "%s run, %s cores, JIT %s, GraalPy %s, CPython %s, %s" % (
        mach.get("mode", "?"), mach.get("cores", "?"), mach.get("jit", "?"),
        str(mach.get("graalpy", "?")).split()[0], str(mach.get("cpython", "?")).split()[0],
        mach.get("date", "?")), GREY, full)
    y += 26
    for line in fit("Bar: value / limit on a log scale (limit / value for >= and >), so left of the "
                    "1 line = met. Green met, red missed, grey: reference, not judged.", full, 3):
        texts.append({"x": MARGIN, "y": y, "text": line, "color": GREY, "scale": SCALE})
        y += LINE

    # Per-row entries first (their ratios fix the axis), positions after.
    entries = []
    for bid, b in benches:
        crits = b.get("criteria") or []
        if not isinstance(crits, list):
            raise TypeError("%s criteria must be a list, got %s" % (bid, type(crits).__name__))
        for c in crits:
            _check(bid, c)
        crits = [c for c in crits if reference or c.get("counts", True)]
        entries.append((bid, b, crits))
    ratios = [r for _, _, cs in entries for r in map(ratio_of, cs) if r]
    lo = max(-3, min([-1] + [math.floor(math.log10(r)) for r in ratios]))
    hi = min(3, max([1] + [math.ceil(math.log10(r)) for r in ratios]))

    def xpos(r):
        v = min(max(math.log10(r), lo), hi)
        return int(round(plot0 + (v - lo) / (hi - lo) * (plot1 - plot0)))

    x_one = xpos(1.0)
    y += 12
    axis_top = y + 22  # decade labels above the plot
    ticks = []
    for d in range(lo, hi + 1):
        label = ("%g" % (10.0 ** d)) + "x"
        x = xpos(10.0 ** d)
        tx = min(max(x - text_width(label, SCALE) // 2, plot0 - GAP), plot1 - text_width(label, SCALE))
        ticks.append((x, tx, label))
        texts.append({"x": tx, "y": y, "text": label, "color": GREY, "scale": SCALE})
    y = axis_top + 6
    for bid, b, crits in entries:
        y += 8
        status = {True: ("target met", GREEN), False: ("target missed", RED)}.get(b.get("met"), ("", GREY))
        head = fit("%s %s" % (b.get("id", bid), b.get("title", "")), TEXT_W - text_width(status[0], SCALE) - 3 * STEP)[0]
        texts.append({"x": MARGIN, "y": y, "text": head, "color": BLACK, "scale": SCALE})
        if status[0]:
            texts.append({"x": MARGIN + text_width(head, SCALE) + 2 * STEP, "y": y, "text": status[0],
                          "color": status[1], "scale": SCALE})
        y += LINE + 6
        for c in crits:
            word, color = _status(c)
            names = fit(c["name"], TEXT_W - INDENT, NAME_LINES)
            value_label = "%s %s %s" % (with_unit(c.get("value"), c.get("unit")), c["op"],
                                        with_unit(c.get("limit"), c.get("unit")))
            y0 = y
            name_color = BLACK if c.get("counts", True) else GREY
            for line in names:
                texts.append({"x": MARGIN + INDENT, "y": y, "text": line, "color": name_color, "scale": SCALE})
                y += LINE
            for line in fit(value_label, TEXT_W - INDENT, 2):
                texts.append({"x": MARGIN + INDENT, "y": y, "text": line, "color": name_color, "scale": SCALE})
                y += LINE
            # The verdict follows the value on its line when it fits there, else on a line of its own.
            after = MARGIN + INDENT + text_width(line, SCALE) + 2 * STEP
            if after + text_width(word, SCALE) <= MARGIN + TEXT_W:
                y -= LINE
            else:
                after = MARGIN + INDENT
            texts.append({"x": after, "y": y, "text": word, "color": color, "scale": SCALE})
            y += LINE + 6
            y1 = y - 6
            r = ratio_of(c)
            mid = (y0 + y1) // 2
            bar_end = None
            if r is not None:
                bar_end = xpos(r)
                if abs(bar_end - x_one) < 4:  # at or next to the 1 line: still show which side
                    left = r < 1 or (r == 1 and c.get("met") is not False)
                    bar_end = x_one - 4 if left else x_one + 4
                rects.append((min(x_one, bar_end), mid - 9, max(x_one, bar_end) + 1, mid + 9, color))
                if not 10.0 ** lo <= r <= 10.0 ** hi:  # beyond the axis: say so in white on the cut end
                    mark = "<<" if r < 1 else ">>"
                    mx = bar_end + 4 if r < 1 else bar_end - 4 - text_width(mark, SCALE)
                    texts.append({"x": mx, "y": mid - 7, "text": mark, "color": WHITE, "scale": SCALE})
            else:
                why = fit(_why_no_bar(c), plot1 - x_one - 10)[0]
                # A white patch keeps the grid lines from running through the words.
                rects.append((x_one + 6, mid - 10, min(plot1, x_one + 14 + text_width(why, SCALE)), mid + 12, WHITE))
                texts.append({"x": x_one + 10, "y": mid - 7, "text": why, "color": GREY, "scale": SCALE})
            rows.append({"bench": bid, "name": c["name"], "counts": bool(c.get("counts", True)),
                         "met": c.get("met"), "ratio": r, "status": word, "color": color,
                         "value_label": value_label, "x_one": x_one, "bar_end": bar_end, "y0": y0, "y1": y1})
    axis_bottom = y
    grid = [(x, axis_top, x + 1, axis_bottom, LIGHT) for x, _, _ in ticks if x != x_one]
    rects[:0] = grid + [(x_one - 1, axis_top, x_one + 2, axis_bottom, BLACK)]
    y += 6
    for _, tx, label in ticks:
        texts.append({"x": tx, "y": y, "text": label, "color": GREY, "scale": SCALE})
    y += LINE + 4
    text(MARGIN, y, "Notes, misses and series: latest.md beside this picture.", GREY, full)
    height = y + text_height(SCALE) + 16
    return {"width": width, "height": height, "rows": rows, "texts": texts, "rects": rects}


def paint(lay, path):
    """Draws a `layout` result and writes it to `path` as a PNG."""
    cv = Canvas(lay["width"], lay["height"])
    for x0, y0, x1, y1, color in lay["rects"]:
        cv.rect(x0, y0, x1, y1, color)
    for t in lay["texts"]:
        cv.text(t["x"], t["y"], t["text"], t["color"], t["scale"])
    cv.png(path)


def draw(report, path):
    paint(layout(report), path)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: python3 bench/chart.py RESULTS.json OUT.png\n")
        return 2
    with open(argv[1]) as f:
        draw(json.load(f), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
