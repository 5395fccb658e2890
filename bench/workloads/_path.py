"""Puts bench/ first on sys.path when a workload runs as a whole program (`./makeparallel
bench/workloads/cpu.py`), so `workloads.kernels` is imported by reference in the workers too."""
import os
import sys

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)
