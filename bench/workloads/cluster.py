"""B9: the cluster backend against interpreters, on one machine over loopback with TLS.

    ./makeparallel bench/workloads/cluster.py [--members 2] [--workers 1] [--reps 3]

Starts `--members` member processes (`./makeparallel member`, TLS 1.3, certificates made with
keytool in a temporary folder), joins them from this process, and times in the same run:
- a no-op call one at a time (round trip: dispatch, the member's worker, the reply), µs/task;
- a bulk of no-op calls in flight together (throughput), tasks/s;
- B1's kind of work, fib(N) x T tasks, on `interpreters` here and on the cluster with this
  process's calls kept off its own machine (`local=False`: everything crosses the network) and
  with them on it (`local=True`).

Every member runs on this machine's cores, so nothing here can show a speed-up from more
machines; the figures are the cluster's overhead. By default the members together have as many
worker interpreters as the machine has cores (`--workers` each), as `interpreters` has here: more
would share the cores and time the oversubscription, not the cluster. The scaling beyond one machine is worked out
from them on paper (printed at the end, and stated as such).
"""
import argparse
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time

if __name__ == "__main__":  # run as a whole program: make bench/ importable
    import _path  # noqa: F401
import makeparallel as mp
from benchlib import REPO_DIR, emit, median, now
from workloads.kernels import fib, noop

PASSWORD = "bench-pass-1"
BASE_PORT = 18600


def log(msg):
    import sys
    print("B9: " + msg, file=sys.stderr, flush=True)


def keytool():
    for home in (os.environ.get("MAKEPARALLEL_JAVA_HOME"), os.environ.get("JAVA_HOME")):
        if home and os.path.exists(os.path.join(home, "bin", "keytool")):
            return os.path.join(home, "bin", "keytool")
    found = shutil.which("keytool") or (sorted(glob.glob("/usr/lib/jvm/*/bin/keytool")) or [None])[-1]
    if not found:
        raise SystemExit("B9 needs the JDK's keytool to make its certificates")
    return found


def certificates(folder, members):
    """One CA (truststore ca.p12) and a signed key per member, as README's recipe makes them."""
    kt = keytool()

    def run(*args):
        subprocess.run(["sh", "-c", 'exec "$@" >/dev/null 2>&1', "sh", kt, *args, "-storepass", PASSWORD],
                       cwd=folder, check=True)

    run("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=b9-ca",
        "-ext", "bc:c", "-validity", "2", "-keystore", "ca-key.p12", "-storetype", "PKCS12")
    run("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca-key.p12", "-file", "ca.pem")
    run("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "ca.p12", "-storetype", "PKCS12")
    for m in members:
        run("-genkeypair", "-alias", m, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + m,
            "-validity", "2", "-keystore", m + ".p12", "-storetype", "PKCS12")
        run("-certreq", "-alias", m, "-keystore", m + ".p12", "-file", m + ".csr")
        run("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca-key.p12", "-infile", m + ".csr", "-outfile",
            m + ".pem", "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth,clientAuth")
        run("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", m + ".p12")
        run("-importcert", "-noprompt", "-alias", m, "-file", m + ".pem", "-keystore", m + ".p12")


def start_members(folder, count, peers, workers):
    procs = []
    env = dict(os.environ, MAKEPARALLEL_CLUSTER_PASSWORD=PASSWORD, MAKEPARALLEL_DAEMON="0")
    for i in range(1, count + 1):
        name = "m%d" % i
        log_file = os.path.join(folder, name + ".err")
        open(log_file, "w").close()
        # The shell redirects: a file object as stderr= is not honoured by every Python here.
        cmd = [os.path.join(REPO_DIR, "makeparallel"), "member", "--cluster", "b9", "--bind",
               "127.0.0.1:%d" % (BASE_PORT + i), "--peers", peers, "--keystore", os.path.join(folder, name + ".p12"),
               "--truststore", os.path.join(folder, "ca.p12"), "--workers", str(workers)]
        procs.append((subprocess.Popen(["sh", "-c", 'exec "$@" 2>"$B9_LOG" >/dev/null', "sh", *cmd],
                                       env=dict(env, B9_LOG=log_file), start_new_session=True), log_file, name))
    deadline = time.time() + 300
    for p, log_file, name in procs:
        while "worker interpreters" not in open(log_file).read():
            if p.poll() is not None or time.time() > deadline:
                raise SystemExit("member %s did not start: %s" % (name, open(log_file).read()))
            time.sleep(0.2)
    return procs


def stop_members(procs):
    for p, _, _ in procs:
        p.send_signal(signal.SIGTERM)
    for p, _, _ in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


def one_at_a_time(task, n):
    t = now()
    for _ in range(n):
        task().get()
    return (now() - t) / n * 1e6


def bulk(task, n):
    t = now()
    hs = [task() for _ in range(n)]
    for h in hs:
        h.get()
    return n / (now() - t)


def fib_job(task, n, tasks):
    t = now()
    hs = [task(n) for _ in range(tasks)]
    for h in hs:
        h.get()
    return now() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--members", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0, help="worker interpreters per member "
                    "(default: the cores shared out among the members)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--noop", type=int, default=300)
    ap.add_argument("--bulk", type=int, default=2000)
    ap.add_argument("--n", type=int, default=27)
    ap.add_argument("--tasks", type=int, default=16)
    a = ap.parse_args()
    if a.workers <= 0:
        a.workers = max(1, (os.cpu_count() or 1) // a.members)
    folder = tempfile.mkdtemp(prefix="b9-")
    names = ["caller"] + ["m%d" % i for i in range(1, a.members + 1)]
    peers = ",".join("127.0.0.1:%d" % (BASE_PORT + i) for i in range(len(names)))
    certificates(folder, names)
    procs = start_members(folder, a.members, peers, a.workers)
    try:
        from makeparallel._bridge import control
        settings = {"name": "b9", "bind": "127.0.0.1:%d" % BASE_PORT, "peers": peers,
                    "keystore": os.path.join(folder, "caller.p12"), "truststore": os.path.join(folder, "ca.p12"),
                    "password": PASSWORD, "local": False}
        log("joining")
        mp.configure(cluster=settings, interpreters=os.cpu_count(), warmup=True)
        log("joined")
        want = a.members * a.workers
        deadline = time.time() + 120
        while (control.poolSize("cluster") or 0) < want and time.time() < deadline:
            time.sleep(0.1)
        log("cluster capacity %s" % control.poolSize("cluster"))
        sides = {"interpreters": mp.parallel(backend="interpreters"), "cluster": mp.parallel(backend="cluster")}
        noops = {k: d(noop) for k, d in sides.items()}
        fibs = {k: d(fib) for k, d in sides.items()}
        for k in sides:  # warm both sides: workers, code, connections
            log("warming " + k)
            one_at_a_time(noops[k], 50)
            bulk(noops[k], 200)
            fib_job(fibs[k], a.n, a.tasks)
        res = {k: {"noop_us": [], "bulk_per_s": [], "fib_s": []} for k in sides}
        for _ in range(a.reps):
            for k in sides:  # interleaved, so the machine's drift hits both
                res[k]["noop_us"].append(one_at_a_time(noops[k], a.noop))
                res[k]["bulk_per_s"].append(bulk(noops[k], a.bulk))
                res[k]["fib_s"].append(fib_job(fibs[k], a.n, a.tasks))
        out = {k: {m: median(v) for m, v in r.items()} for k, r in res.items()}
        out["cluster"]["members"] = a.members
        out["cluster"]["workers"] = control.poolSize("cluster")
        out["samples"] = res
        i, c = out["interpreters"], out["cluster"]
        print("B9 on %d cores, %d member process(es) of %d worker(s) on loopback with TLS, against "
              "interpreters with %d here; medians of %d:" % (os.cpu_count(), a.members, a.workers, os.cpu_count(), a.reps))
        print("  no-op, one at a time: interpreters %.0f us, cluster %.0f us (%.1fx)"
              % (i["noop_us"], c["noop_us"], c["noop_us"] / i["noop_us"]))
        print("  no-op throughput:     interpreters %.0f/s, cluster %.0f/s (%.2fx)"
              % (i["bulk_per_s"], c["bulk_per_s"], c["bulk_per_s"] / i["bulk_per_s"]))
        print("  fib(%d) x %d:         interpreters %.2f s, cluster %.2f s (%.2fx)"
              % (a.n, a.tasks, i["fib_s"], c["fib_s"], c["fib_s"] / i["fib_s"]))
        per_task = max(0.0, c["noop_us"] - i["noop_us"]) / 1e6
        task_s = i["fib_s"] * os.cpu_count() / a.tasks
        print("On paper (not measured: one machine here): a task of %.3f s costs %.2f ms more per call on the "
              "cluster, so K machines of %d cores would run %d such tasks in about %.2f s x ceil(%d / (K x %d)) "
              "calls per worker, the overhead being %.2f%% of each call."
              % (task_s, per_task * 1e3, os.cpu_count(), a.tasks, task_s + per_task, a.tasks, os.cpu_count(),
                 100 * per_task / task_s))
        emit(out)
    finally:
        stop_members(procs)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
