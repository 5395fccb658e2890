"""B7 peer: RSS of each ProcessPoolExecutor worker, run as its own process."""
import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import _path  # noqa: F401
from benchlib import emit, proc_status


def _pid_after(seconds):
    time.sleep(seconds)  # keeps every worker busy at once, so each one is started
    return os.getpid()


def _pss_mb(pid):
    # PSS splits pages shared after fork between the processes that share them.
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=6)
    a = ap.parse_args()
    parent_before = proc_status()["VmRSS_mb"]
    with ProcessPoolExecutor(max_workers=a.workers) as ex:
        pids = sorted(set(ex.map(_pid_after, [0.3] * a.workers)))
        time.sleep(0.3)
        workers = [{"pid": p, "rss_mb": proc_status(p)["VmRSS_mb"], "pss_mb": _pss_mb(p)} for p in pids]
        parent_after = proc_status()["VmRSS_mb"]
    emit({"workers": workers, "parent_rss_before_mb": parent_before, "parent_rss_after_mb": parent_after})


if __name__ == "__main__":
    main()
