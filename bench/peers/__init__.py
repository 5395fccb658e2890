"""CPython peers of the benchmark suite: the same work, written the way a Python user would."""
