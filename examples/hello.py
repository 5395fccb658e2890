"""Hello from makeparallel: one background task, its result, and the runtime it ran on."""
import sys

import makeparallel
from makeparallel import parallel


@parallel
def greet(name):
    return "hello, %s" % name


handle = greet("world")
print(handle.get())
print("makeparallel", makeparallel.__version__, "on", sys.implementation.name, sys.version.split()[0])
