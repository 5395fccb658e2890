"""Workloads of the benchmark suite (see bench/README.md).

A package, not loose scripts, so that worker interpreters import the kernels by reference:
a function of the main script is shipped by value and rebuilt for every task, which would
measure something other than the work itself.
"""
