"""Task dependencies with @parallel_with_deps: pipelines, fan-in, and failure propagation.

A task given depends_on=[...] is scheduled when its dependencies finish and receives the tuple
of their results as its first argument. If a dependency fails, the dependent fails at once
with DependencyError whose __cause__ is the dependency's error (no waiting).
"""
import time

from makeparallel import DependencyError, parallel, parallel_with_deps

# --- 1. an ETL pipeline: extract -> transform -> validate -> load -------------------------------------
log = []


@parallel_with_deps
def extract_data(source):
    log.append("extract")
    time.sleep(0.05)
    return {"source": source, "rows": [3, 1, 2, None, 5]}


@parallel_with_deps
def transform_data(deps):
    raw = deps[0]  # the result of extract_data
    log.append("transform")
    return {"source": raw["source"], "rows": sorted(r for r in raw["rows"] if r is not None)}


@parallel_with_deps
def validate_data(deps):
    transformed = deps[0]
    log.append("validate")
    assert all(isinstance(r, int) for r in transformed["rows"])
    return transformed


@parallel_with_deps
def load_data(deps):
    validated = deps[0]
    log.append("load")
    return "loaded %d rows from %s" % (len(validated["rows"]), validated["source"])


h1 = extract_data("production_db")
h2 = transform_data(depends_on=[h1])
h3 = validate_data(depends_on=[h2])
h4 = load_data(depends_on=[h3])
result = h4.get()
print("pipeline:", result, "| order:", log)
assert result == "loaded 4 rows from production_db"
assert log == ["extract", "transform", "validate", "load"]
assert h2.get() == {"source": "production_db", "rows": [1, 2, 3, 5]}

# --- 2. fan-in: results arrive in depends_on order, followed by the task's own arguments --------------


@parallel_with_deps
def fetch(name, delay):
    time.sleep(delay)
    return name


@parallel_with_deps
def combine(deps, separator, upper=False):
    text = separator.join(deps)
    return text.upper() if upper else text


slow = fetch("users", 0.15)
fast = fetch("orders", 0.01)
joined = combine(" + ", depends_on=[slow, fast], upper=True)
assert joined.get() == "USERS + ORDERS", joined.get()
print("fan-in:", joined.get())

# Without depends_on the function is called with its own arguments only.
assert combine(("a", "b"), "-").get() == "a-b"

# --- 3. a diamond, mixing launchers: any AsyncHandle can be a dependency -------------------------------


@parallel
def base_value():
    return 10


@parallel_with_deps
def double(deps):
    return deps[0] * 2


@parallel_with_deps
def square(deps):
    return deps[0] ** 2


@parallel_with_deps
def total(deps):
    return sum(deps)


root = base_value()  # a plain @parallel task
left = double(depends_on=[root])
right = square(depends_on=[root])
diamond = total(depends_on=[left, right])
assert diamond.get() == 10 * 2 + 10 ** 2
print("diamond:", diamond.get())

# --- 4. a failing dependency fails its dependents at once -----------------------------------------------


@parallel_with_deps
def broken_source():
    time.sleep(0.05)
    raise ValueError("source unavailable")


@parallel_with_deps
def consumer(deps):
    raise AssertionError("consumer must not run when its dependency failed")


start = time.monotonic()
src = broken_source()
dependent = consumer(depends_on=[src])
second_level = consumer(depends_on=[dependent])
try:
    dependent.get()
except DependencyError as exc:
    print("dependent failed:", type(exc).__name__, "caused by", repr(exc.__cause__))
    assert isinstance(exc.__cause__, ValueError)
else:
    raise SystemExit("expected DependencyError")
try:
    second_level.get()
except DependencyError:
    pass
else:
    raise SystemExit("expected DependencyError two levels down")
took = time.monotonic() - start
assert took < 3.0, "failure should propagate at once, took %.2fs" % took
try:
    src.get()
except ValueError:
    pass
else:
    raise SystemExit("the source itself should raise ValueError")

print("dependencies: all checks passed")
