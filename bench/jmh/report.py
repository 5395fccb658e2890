"""Turns a JMH JSON result (-rf json) into the Markdown table of bench/results/jmh.md."""
import argparse
import json
import math


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.3f}"


def rows(results):
    for r in results:
        name = r["benchmark"].removeprefix("io.makeparallel.bench.")
        params = ", ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
        m = r["primaryMetric"]
        yield name, params, r["threads"], r["mode"], m
        # JMH groups report one secondary metric per group member.
        for sub, sm in sorted((r.get("secondaryMetrics") or {}).items()):
            yield f"{name}:{sub}", params, "", r["mode"], sm


def spread(m):
    """Fastest and slowest measured iteration: on a loaded machine, often more telling than the mean."""
    raw = [x for fork in m.get("rawData") or [] for x in fork]
    return f"{fmt(min(raw))} – {fmt(max(raw))}" if raw else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("json")
    ap.add_argument("--nproc", required=True)
    ap.add_argument("--java", required=True)
    ap.add_argument("--load-start", required=True)
    ap.add_argument("--load-end", required=True)
    ap.add_argument("--command", default="bench/jmh/run.sh")
    a = ap.parse_args()
    with open(a.json) as f:
        results = json.load(f)
    forks = sorted({r["forks"] for r in results})
    print("# JMH results: the Java side of dispatch\n")
    print(f"Command: `{a.command}`. Forks: {', '.join(map(str, forks))}; warm-up and measurement "
          "as annotated on each class (3 x 1 s, 5 x 1 s) unless the command overrides them.\n")
    print(f"- nproc: {a.nproc}")
    print(f"- JDK: {a.java}")
    print(f"- load at start: `{a.load_start.strip()}`")
    print(f"- load at end: `{a.load_end.strip()}`\n")
    print("| benchmark | params | threads | mode | score ± error | iterations min – max | units |")
    print("|---|---|---|---|---|---|---|")
    for name, params, threads, mode, m in rows(results):
        err = m.get("scoreError")
        print(f"| {name} | {params} | {threads} | {mode} | {fmt(m['score'])} ± {fmt(err)} "
              f"| {spread(m)} | {m['scoreUnit']} |")


if __name__ == "__main__":
    main()
