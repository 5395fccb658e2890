"""B8: six realistic pure-Python CPU workloads, 8 tasks each, as a user's script would run them.

Run as a script, this is the makeparallel side: ``./makeparallel bench/workloads/realistic.py``
runs every workload with ``parallel_map(..., backend="interpreters")`` and prints one JSON line:
each workload's wall time and a digest of its results. The workloads are defined here, in the
main script, as users define them (they travel to the workers by value). The CPython peer
(``bench/peers/realistic.py``) imports this file and runs the same functions with
``ProcessPoolExecutor``; the digests must be equal.

Sizes are chosen so that one task takes about 0.5 s on CPython 3.11 on the 2-core benchmark VM
(``--scale`` multiplies them; the benchmark's quick profile uses a smaller scale).
"""

import hashlib
import itertools
import json
import math
import sys
import time

# ---- 1. n-body: the solar system's outer planets, symplectic Euler steps ----------------------

_SOLAR_MASS = 4 * math.pi * math.pi
_DAYS = 365.24


def _bodies():
    # Sun, Jupiter, Saturn, Uranus, Neptune: position (AU), velocity (AU/day -> AU/year), mass.
    raw = [
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0),
        ((4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01),
         (1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05),
         9.54791938424326609e-04),
        ((8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01),
         (-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05),
         2.85885980666130812e-04),
        ((1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01),
         (2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05),
         4.36624404335156298e-05),
        ((1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01),
         (2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05),
         5.15138902046611451e-05),
    ]
    return [[list(p), [v * _DAYS for v in vel], m * _SOLAR_MASS] for p, vel, m in raw]


def _energy(bodies):
    e = 0.0
    for i, (p, v, m) in enumerate(bodies):
        e += 0.5 * m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        for q, _, m2 in bodies[i + 1:]:
            dx, dy, dz = p[0] - q[0], p[1] - q[1], p[2] - q[2]
            e -= m * m2 / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def nbody(steps):
    """Energy before and after ``steps`` steps of 0.01 years (the usual benchmark kernel)."""
    bodies = _bodies()
    # Offset the Sun's momentum so the system's centre of mass stays put.
    px = py = pz = 0.0
    for _, v, m in bodies:
        px += v[0] * m
        py += v[1] * m
        pz += v[2] * m
    sun_v = bodies[0][1]
    sun_v[0], sun_v[1], sun_v[2] = -px / _SOLAR_MASS, -py / _SOLAR_MASS, -pz / _SOLAR_MASS
    before = _energy(bodies)
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    dt = 0.01
    for _ in range(steps):
        for (p1, v1, m1), (p2, v2, m2) in pairs:
            dx, dy, dz = p1[0] - p2[0], p1[1] - p2[1], p1[2] - p2[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * math.sqrt(d2))
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for p, v, _ in bodies:
            p[0] += dt * v[0]
            p[1] += dt * v[1]
            p[2] += dt * v[2]
    return before, _energy(bodies)


# ---- 2. permutation search: the shortest round trip through 10 cities, by brute force ------

def tour(seed):
    """The shortest closed tours through three sets of 10 cities placed by ``seed``."""
    return [_shortest_tour(seed * 3 + k) for k in range(3)]


def _shortest_tour(seed):
    """(length, order) of the shortest closed tour through 10 cities placed by ``seed``."""
    state = seed * 2654435761 % 2 ** 31 + 1
    cities = []
    for _ in range(10):
        state = (state * 1103515245 + 12345) % 2 ** 31
        x = state % 1000
        state = (state * 1103515245 + 12345) % 2 ** 31
        cities.append((x, state % 1000))
    dist = [[math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) for b in cities] for a in cities]
    best, best_order = float("inf"), None
    # City 0 first; each tour and its reverse are the same, so the second city is below the last.
    for order in itertools.permutations(range(1, 10)):
        if order[0] > order[-1]:
            continue
        length = dist[0][order[0]] + dist[order[-1]][0]
        prev = order[0]
        for c in order[1:]:
            length += dist[prev][c]
            prev = c
        if length < best:
            best, best_order = length, order
    return best, best_order


# ---- 3. ray tracer: spheres, a plane, one light, diffuse + shadows ---------------------------

def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a):
    s = 1.0 / math.sqrt(_dot(a, a))
    return (a[0] * s, a[1] * s, a[2] * s)


_SPHERES = [((0.0, 1.0, 5.0), 1.0, 0.9), ((-2.0, 0.6, 6.0), 0.6, 0.6), ((2.2, 0.8, 7.0), 0.8, 0.75),
            ((0.6, 0.3, 3.2), 0.3, 0.5)]
_LIGHT = (-5.0, 8.0, -3.0)


def _hit(origin, direction):
    """Nearest (distance, normal, albedo) along the ray, or None."""
    best = None
    for centre, radius, albedo in _SPHERES:
        oc = _sub(origin, centre)
        b = _dot(oc, direction)
        c = _dot(oc, oc) - radius * radius
        disc = b * b - c
        if disc > 0.0:
            t = -b - math.sqrt(disc)
            if t > 1e-6 and (best is None or t < best[0]):
                p = (origin[0] + t * direction[0], origin[1] + t * direction[1], origin[2] + t * direction[2])
                best = (t, _norm(_sub(p, centre)), albedo)
    if direction[1] < -1e-9:  # the floor, y = 0, a checkerboard
        t = -origin[1] / direction[1]
        if t > 1e-6 and (best is None or t < best[0]):
            x, z = origin[0] + t * direction[0], origin[2] + t * direction[2]
            albedo = 0.8 if (math.floor(x) + math.floor(z)) % 2 == 0 else 0.3
            best = (t, (0.0, 1.0, 0.0), albedo)
    return best


def raytrace(size):
    """A ``size`` x ``size`` grey image: the sum of its 0-255 pixels and a hash of them."""
    eye = (0.0, 1.2, -1.0)
    digest = hashlib.sha256()
    total = 0
    for j in range(size):
        row = bytearray(size)
        for i in range(size):
            d = _norm(((i - size / 2) / size, (size / 2 - j) / size + 0.1, 1.0))
            found = _hit(eye, d)
            shade = 0.05
            if found is not None:
                t, n, albedo = found
                p = (eye[0] + t * d[0], eye[1] + t * d[1], eye[2] + t * d[2])
                to_light = _norm(_sub(_LIGHT, p))
                lit = _dot(n, to_light)
                if lit > 0.0 and _hit((p[0] + n[0] * 1e-4, p[1] + n[1] * 1e-4, p[2] + n[2] * 1e-4), to_light) is None:
                    shade += albedo * lit
            v = min(255, int(shade * 255))
            row[i] = v
            total += v
        digest.update(row)
    return total, digest.hexdigest()[:16]


# ---- 4. constraint solver: sudoku by constraint propagation and search ----------------------

_DIGITS = "123456789"
_ROWS = "ABCDEFGHI"
_SQUARES = [r + c for r in _ROWS for c in _DIGITS]
_UNITS_LIST = ([[r + c for r in _ROWS] for c in _DIGITS] + [[r + c for c in _DIGITS] for r in _ROWS]
               + [[r + c for r in rs for c in cs] for rs in ("ABC", "DEF", "GHI") for cs in ("123", "456", "789")])
_UNITS = {s: [u for u in _UNITS_LIST if s in u] for s in _SQUARES}
_PEERS = {s: set(sum(_UNITS[s], [])) - {s} for s in _SQUARES}


def _assign(values, s, d):
    for other in values[s].replace(d, ""):
        if not _eliminate(values, s, other):
            return False
    return values


def _eliminate(values, s, d):
    if d not in values[s]:
        return values
    values[s] = values[s].replace(d, "")
    if not values[s]:
        return False
    if len(values[s]) == 1:
        d2 = values[s]
        if not all(_eliminate(values, s2, d2) for s2 in _PEERS[s]):
            return False
    for u in _UNITS[s]:
        places = [q for q in u if d in values[q]]
        if not places:
            return False
        if len(places) == 1 and not _assign(values, places[0], d):
            return False
    return values


def _search(values):
    if values is False:
        return False
    if all(len(values[s]) == 1 for s in _SQUARES):
        return values
    _, s = min((len(values[s]), s) for s in _SQUARES if len(values[s]) > 1)
    for d in values[s]:
        found = _search(_assign(dict(values), s, d))
        if found:
            return found
    return False


def _puzzle(seed):
    """A puzzle with 24 givens taken from a solved grid shuffled by ``seed`` (deterministic)."""
    base = [[(r * 3 + r // 3 + c) % 9 + 1 for c in range(9)] for r in range(9)]
    state = seed * 2654435761 % 2 ** 32
    def rand(n):
        nonlocal state
        state = (state * 1103515245 + 12345) % 2 ** 31
        return state % n
    digits = list(range(1, 10))
    for i in range(8, 0, -1):
        k = rand(i + 1)
        digits[i], digits[k] = digits[k], digits[i]
    grid = [[digits[v - 1] for v in row] for row in base]
    cells = list(range(81))
    for i in range(80, 0, -1):
        k = rand(i + 1)
        cells[i], cells[k] = cells[k], cells[i]
    keep = set(cells[:24])
    return "".join(str(grid[i // 9][i % 9]) if i in keep else "." for i in range(81))


def sudoku(count, seed=0):
    """Solves ``count`` puzzles; (solved, a hash of the solutions)."""
    digest = hashlib.sha256()
    solved = 0
    for k in range(count):
        grid = _puzzle(seed * 1000 + k)
        values = {s: _DIGITS for s in _SQUARES}
        for s, d in zip(_SQUARES, grid):
            if d in _DIGITS and not _assign(values, s, d):
                values = False
                break
        result = _search(values)
        if result:
            solved += 1
            digest.update("".join(result[s] for s in _SQUARES).encode())
    return solved, digest.hexdigest()[:16]


# ---- 5. tokenizer: a hand-written lexer over generated source text -------------------------

_KEYWORDS = frozenset(["def", "return", "if", "else", "for", "in", "while", "and", "or", "not"])


def _program(lines, seed):
    parts = []
    for i in range(lines):
        k = (i * 7919 + seed) % 5
        if k == 0:
            parts.append("def f%d(a, b):\n    return a * %d + b - 0x%x\n" % (i, i % 97, i))
        elif k == 1:
            parts.append("if x%d >= %d.%d and not y:\n    z = 'str %d' + \"q\"\n" % (i, i, i % 10, i))
        elif k == 2:
            parts.append("for i in range(%d):  # loop %d\n    total += i ** 2 // 3\n" % (i % 50, i))
        elif k == 3:
            parts.append("while n != %d: n = (n << 1) | %d\n" % (i, i % 8))
        else:
            parts.append("values = [%d, %d.5e-3, 'a%d', {'k': %d}]\n" % (i, i, i, i))
    return "".join(parts)


def tokenize(lines, seed=0):
    """Token counts by kind over a generated program of ``lines`` statements."""
    text = _program(lines, seed)
    counts = {}
    i, n = 0, len(text)
    line_start = True
    indent_stack = [0]
    while i < n:
        c = text[i]
        if line_start:
            j = i
            while j < n and text[j] == " ":
                j += 1
            width = j - i
            if width > indent_stack[-1]:
                indent_stack.append(width)
                counts["INDENT"] = counts.get("INDENT", 0) + 1
            while width < indent_stack[-1]:
                indent_stack.pop()
                counts["DEDENT"] = counts.get("DEDENT", 0) + 1
            i, line_start = j, False
            continue
        if c == "\n":
            kind, i, line_start = "NEWLINE", i + 1, True
        elif c == " ":
            i += 1
            continue
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
            kind = "COMMENT"
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            kind = "KEYWORD" if text[i:j] in _KEYWORDS else "NAME"
            i = j
        elif c.isdigit():
            j = i + 1
            if c == "0" and j < n and text[j] in "xX":
                j += 1
                while j < n and text[j] in "0123456789abcdefABCDEF":
                    j += 1
                kind = "HEX"
            else:
                kind = "INT"
                while j < n and text[j].isdigit():
                    j += 1
                if j < n and text[j] == ".":
                    kind = "FLOAT"
                    j += 1
                    while j < n and text[j].isdigit():
                        j += 1
                if j < n and text[j] in "eE":
                    kind = "FLOAT"
                    j += 1
                    if text[j] in "+-":
                        j += 1
                    while j < n and text[j].isdigit():
                        j += 1
            i = j
        elif c in "'\"":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            kind, i = "STRING", j + 1
        else:
            two = text[i:i + 2]
            if two in ("**", "//", ">=", "<=", "==", "!=", "<<", ">>", "+=", "-="):
                kind, i = "OP", i + 2
            else:
                kind, i = "OP", i + 1
        counts[kind] = counts.get(kind, 0) + 1
    return sorted(counts.items())


# ---- 6. compression: LZ77 with a hash chain, then a checksum of the output -----------------

def _text(size, seed):
    words = ["parallel", "engine", "python", "worker", "task", "queue", "result", "cancel",
             "the", "a", "of", "and", "to", "in", "timeout", "priority", "memory", "limit"]
    out, state = [], seed + 1
    while sum(len(w) + 1 for w in out) < size:
        state = (state * 1103515245 + 12345) % 2 ** 31
        out.append(words[state % len(words)])
    return " ".join(out).encode()[:size]


def lz77(size, seed=0):
    """LZ77-compresses ``size`` bytes of generated text: (tokens, literals, adler32-like sum)."""
    data = _text(size, seed)
    n = len(data)
    window, min_len, max_len = 4096, 4, 32
    heads = {}
    i = tokens = literals = 0
    a, b = 1, 0
    while i < n:
        best_len = best_dist = 0
        if i + min_len <= n:
            key = data[i:i + min_len]
            chain = heads.get(key)
            if chain:
                for j in reversed(chain[-4:]):
                    if i - j > window:
                        break
                    length = min_len
                    while i + length < n and length < max_len and data[j + length] == data[i + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_dist = length, i - j
            heads.setdefault(key, []).append(i)
        if best_len >= min_len:
            symbol = (best_dist << 8) | best_len
            for k in range(i + 1, min(i + best_len, n - min_len + 1)):
                heads.setdefault(data[k:k + min_len], []).append(k)
            i += best_len
        else:
            symbol = data[i]
            literals += 1
            i += 1
        tokens += 1
        a = (a + symbol) % 65521
        b = (b + a) % 65521
    return tokens, literals, (b << 16) | a


# ---- the job --------------------------------------------------------------------------------

# name -> (function, the 8 tasks' arguments at scale 1.0, how an argument scales)
WORKLOADS = {
    "nbody": (nbody, [55000 + 500 * k for k in range(8)], "int"),
    "tour": (tour, list(range(8)), "fixed"),
    "raytrace": (raytrace, [310 + k for k in range(8)], "sqrt"),
    "sudoku": (sudoku, [140] * 8, "int"),
    "tokenize": (tokenize, [30000 + 100 * k for k in range(8)], "int"),
    "lz77": (lz77, [20000 + 200 * k for k in range(8)], "int"),
}


def arguments(name, scale):
    _, args, how = WORKLOADS[name]
    if how == "fixed" or scale == 1.0:
        return list(args)
    if how == "sqrt":
        return [max(8, int(a * math.sqrt(scale))) for a in args]
    return [max(1, int(a * scale)) for a in args]


def digest(results):
    """A short, exact fingerprint of a workload's results (floats by repr: every bit counts)."""
    return hashlib.sha256(repr(results).encode()).hexdigest()[:16]


def run_all(map_fn, scale, names=None):
    """Runs each workload through ``map_fn(function, arguments)``; {name: {s, digest}}."""
    out = {}
    for name in names or WORKLOADS:
        fn = WORKLOADS[name][0]
        args = arguments(name, scale)
        t0 = time.perf_counter()
        results = list(map_fn(fn, args))
        out[name] = {"s": time.perf_counter() - t0, "digest": digest(results)}
    return out


def _options(argv):
    scale, names, rounds = 1.0, None, 1
    for arg in argv:
        key, _, value = arg.partition("=")
        if key == "--scale":
            scale = float(value)
        elif key == "--only":
            names = value.split(",")
        elif key == "--rounds":
            rounds = int(value)
    return scale, names, rounds


if __name__ == "__main__":
    import makeparallel as mp

    scale, names, rounds = _options(sys.argv[1:])
    t0 = time.perf_counter()
    laps = [run_all(lambda f, a: mp.parallel_map(f, a, chunksize=1, backend="interpreters"), scale, names)
            for _ in range(rounds)]
    print("BENCH-JSON " + json.dumps({"side": "makeparallel", "rounds": laps, "total_s": time.perf_counter() - t0}))
