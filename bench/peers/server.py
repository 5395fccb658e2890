"""The CPython side of a benchmark run: `python3 bench/peers/server.py PORT`.

bench/run.py (on GraalPy) starts this once and sends it one JSON request per line over a local
socket; every request is answered with one JSON line. Two kinds of work are done here:

* "run": one repetition of a peer workload. Runners (an executor, a pool) live across
  requests, so the peer is measured warm, exactly like the makeparallel side, and the two
  sides can alternate repetition by repetition.
* "proc": one whole process (start-up included), timed here because CPython's
  fork/exec/wait4 gives an exact wall time, where GraalPy's emulated subprocess adds about a
  second of its own overhead to every launch. Max RSS comes from GNU time when installed: a
  child forked from this server inherits its peak RSS in ``ru_maxrss`` (Linux keeps the
  pre-exec peak), which would put this server's tens of MB under ``python3 -c pass``.

A socket rather than stdin/stdout: pipes to a subprocess read as end-of-file under GraalPy.
"""
import importlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback

import _path  # noqa: F401
from benchlib import REPO_DIR, now, parse_emitted


def _tail(path, limit=2000):
    with open(path, errors="replace") as f:
        text = f.read()
    return text[-limit:]


_GNU_TIME = "/usr/bin/time"


def run_process(argv, env=None, timeout=600.0, cwd=None):
    """Runs ``argv`` to completion; wall time, max RSS of the process, and its emitted JSON."""
    rss_file = None
    if os.access(_GNU_TIME, os.X_OK):
        # GNU time is small, so the process it forks starts from a small peak RSS.
        fd, rss_file = tempfile.mkstemp(prefix="maxrss-")
        os.close(fd)
        argv = [_GNU_TIME, "-q", "-o", rss_file, "-f", "%M"] + list(argv)
    full_env = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = now()
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=full_env, cwd=cwd or REPO_DIR,
                             start_new_session=True)
        killer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        wall = now() - t
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    # In KiB on Linux; the launcher execs java, so this is the JVM itself.
    maxrss_kib, rss_source = usage.ru_maxrss, "wait4 (includes this server's peak)"
    if rss_file is not None:
        try:
            with open(rss_file) as f:
                maxrss_kib, rss_source = int(f.read().split()[-1]), "GNU time"
        except (OSError, ValueError, IndexError):
            pass  # killed before time wrote it: keep wait4's figure
        finally:
            os.unlink(rss_file)
    return {
        "wall_s": wall,
        "maxrss_mb": maxrss_kib / 1024.0,
        "maxrss_source": rss_source,
        "rc": p.returncode,
        "emitted": parse_emitted(stdout),
        "stdout_tail": stdout[-500:],
        "stderr_tail": stderr[-2000:],
        # The launcher rebuilds the runtime when Java sources changed: such a sample is void.
        "rebuilt": "building the runtime" in stderr,
    }


class Server:
    def __init__(self):
        self.runners = {}

    def runner(self, target, setup):
        if target not in self.runners:
            module, name = target.split(".")
            cls = getattr(importlib.import_module(module), "RUNNERS")[name]
            t = now()
            self.runners[target] = cls(**(setup or {}))
            self.runners[target].setup_s = now() - t
        return self.runners[target]

    def handle(self, req):
        op = req["op"]
        if op == "info":
            return {"python": platform.python_version(), "implementation": platform.python_implementation(),
                    "executable": sys.executable, "pid": os.getpid(), "cpu_count": os.cpu_count()}
        if op == "run":
            fresh = req["target"] not in self.runners
            r = self.runner(req["target"], req.get("setup"))
            out = r.run(**req.get("kwargs", {}))
            if fresh:
                out["setup_s"] = r.setup_s
            return out
        if op == "close":
            r = self.runners.pop(req["target"], None)
            if r is not None and hasattr(r, "close"):
                r.close()
            return {}
        if op == "proc":
            return run_process(req["argv"], req.get("env"), req.get("timeout", 600.0))
        raise ValueError("unknown op %r" % op)

    def close_all(self):
        for target in list(self.runners):
            self.handle({"op": "close", "target": target})


def main():
    port = int(sys.argv[1])
    sock = socket.create_connection(("127.0.0.1", port))
    rfile = sock.makefile("r", encoding="utf-8")
    wfile = sock.makefile("w", encoding="utf-8")
    server = Server()
    try:
        for line in rfile:
            try:
                resp = server.handle(json.loads(line))
            except Exception:
                resp = {"error": traceback.format_exc()}
            wfile.write(json.dumps(resp) + "\n")
            wfile.flush()
    finally:
        server.close_all()


if __name__ == "__main__":
    main()
