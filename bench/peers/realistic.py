"""B8 peer: the six workloads of bench/workloads/realistic.py on CPython with
ProcessPoolExecutor(cores), as a user would write it; prints the same JSON line.

``python3 bench/peers/realistic.py [--scale=F] [--only=a,b] [--rounds=N]``
"""
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import _path  # noqa: F401
from workloads import realistic

if __name__ == "__main__":
    scale, names, rounds = realistic._options(sys.argv[1:])
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
        laps = [realistic.run_all(lambda f, a: ex.map(f, a), scale, names) for _ in range(rounds)]
    print("BENCH-JSON " + json.dumps({"side": "cpython", "rounds": laps, "total_s": time.perf_counter() - t0}))
