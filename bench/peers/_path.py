"""Puts bench/ first on sys.path so `workloads.kernels` and `benchlib` import from any cwd."""
import os
import sys

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)
