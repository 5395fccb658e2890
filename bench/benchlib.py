"""Helpers shared by the orchestrator (GraalPy) and the peers (CPython): statistics, /proc.

Only the standard library, and only what behaves the same on both interpreters.
"""

import json
import os
import subprocess
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)

now = time.perf_counter


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def _quantile(s, q):
    # Linear interpolation between closest ranks (numpy's default), on sorted data.
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(samples, scale=1.0, digits=6):
    """Median and spread of ``samples`` (each multiplied by ``scale``).

    The spread is given both as min/max and as the interquartile range, and as max-min
    relative to the median, so a reader can tell a real difference from noise at a glance.
    """
    xs = [x * scale for x in samples if x is not None]
    if not xs:
        return {"n": 0, "median": None}
    s = sorted(xs)
    med = median(s)
    r = lambda v: round(v, digits)  # noqa: E731
    return {
        "n": len(s),
        "median": r(med),
        "min": r(s[0]),
        "max": r(s[-1]),
        "q1": r(_quantile(s, 0.25)),
        "q3": r(_quantile(s, 0.75)),
        "spread_pct": round(100.0 * (s[-1] - s[0]) / med, 1) if med else None,
        "samples": [r(x) for x in xs],
    }


def proc_status(pid=None):
    """Selected fields of /proc/<pid>/status: VmRSS and VmHWM in MB, and Threads.

    GraalPy's Java POSIX layer reads /proc files as empty, so when a direct read yields
    nothing this falls back to `cat` in a subprocess.
    """
    pid = os.getpid() if pid is None else pid
    path = "/proc/%d/status" % pid
    text = ""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        pass
    if not text:
        text = subprocess.run(["cat", path], capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key + "_mb"] = int(value.split()[0]) / 1024.0
        elif key == "Threads":
            out["threads"] = int(value.strip())
    return out


def emit(obj):
    """Print one JSON line; the orchestrator reads the last such line of a program's output."""
    print("BENCH-JSON " + json.dumps(obj), flush=True)


def parse_emitted(text):
    for line in reversed(text.splitlines()):
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    return None


def jvm_live_heap(pid=None, classes=()):
    """Live Java heap of a JVM after a full GC, via `jcmd PID GC.class_histogram`.

    RSS of a JVM is mostly the heap's high-water mark and rarely shrinks, so it cannot show
    whether dropped objects were freed; the histogram (which forces a full GC first) can.
    Returns ``{"live_mb": ..., "instances": {class: count}}``, or None without jcmd.
    """
    pid = os.getpid() if pid is None else pid
    argv0 = subprocess.run(["cat", "/proc/%d/cmdline" % pid], capture_output=True, text=True).stdout.split("\0")[0]
    jcmd = os.path.join(os.path.dirname(argv0), "jcmd")
    if not os.path.exists(jcmd):
        return None
    # Through a file: the histogram is ~1 MB, and GraalPy's subprocess does not drain a pipe
    # while the child runs (the child then blocks forever once the pipe buffer is full).
    fd, path = tempfile.mkstemp(prefix="histogram-", suffix=".txt")
    os.close(fd)
    try:
        subprocess.run(["sh", "-c", '"$0" "$1" GC.class_histogram > "$2" 2>&1', jcmd, str(pid), path])
        with open(path) as f:
            out = f.read()
    finally:
        os.unlink(path)
    # compiler_mb: what the jar-based Graal compiler's own objects hold (its graphs in flight
    # live in this heap, tens of MB that come and go with what it is compiling), matched by
    # class name as the Java leak tests do (LeakProbe.compilerBytes).
    res = {"live_mb": None, "compiler_mb": 0.0, "instances": {c: 0 for c in classes}}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["Total"] and len(parts) >= 3:
            res["live_mb"] = int(parts[2]) / (1024.0 * 1024.0)
        elif len(parts) >= 4 and parts[0].endswith(":"):
            if "jdk.graal.compiler." in parts[3] or "jdk.vm.ci." in parts[3]:
                res["compiler_mb"] += int(parts[2]) / (1024.0 * 1024.0)
            if parts[3] in res["instances"]:
                res["instances"][parts[3]] = int(parts[1])
    return res
