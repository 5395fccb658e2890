"""Issue 11: makeparallel/__init__.pyi types every public name, and its parameters are the runtime's.

A small checker of our own, so it runs wherever the suite runs (no node, no network): the stub is
parsed with ``ast`` and compared with ``inspect.signature`` of the runtime objects.

Rules:
- every name in ``makeparallel.__all__`` is declared at the stub's top level, and every public
  top-level stub name exists at runtime (names starting with ``_`` are stub-only helper types);
- a function, method or constructor declared once must have the runtime's parameters: names,
  order, kind (positional-only, positional-or-keyword, ``*args``, keyword-only, ``**kwargs``) and
  whether each has a default;
- overloads narrow the one runtime signature, so each overload must be a sub-signature of it
  (every parameter exists at runtime with the same kind and in the same order, has a default
  only where the runtime has one, and no runtime parameter without a default is left out),
  and together the overloads must name every runtime parameter. An overload may make a
  defaulted parameter required (``@memoize`` passes the function where ``maxsize`` goes);
- a public class's own public methods, properties and protocol dunders at runtime are all in
  the stub, and the stub's methods and attributes all exist at runtime.
"""
import ast
import inspect
import os
import subprocess
import types
import unittest

import makeparallel as mp

_KINDS = {
    "posonly": inspect.Parameter.POSITIONAL_ONLY,
    "args": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "vararg": inspect.Parameter.VAR_POSITIONAL,
    "kwonly": inspect.Parameter.KEYWORD_ONLY,
    "kwarg": inspect.Parameter.VAR_KEYWORD,
}
# Dunders whose presence changes how a class is used, so stub and runtime must agree on them.
_PROTOCOL_DUNDERS = ("__init__", "__call__", "__get__", "__enter__", "__exit__", "__await__",
                     "__iter__", "__next__", "__len__", "__contains__", "__getitem__")


def stub_path():
    """The stub shipped beside the package that was imported (the jar's copy under mvn test)."""
    return os.path.join(os.path.dirname(mp.__file__), "__init__.pyi")


def stub_params(node):
    """[(name, kind, has_default)] of an ast function definition, in declaration order."""
    a = node.args
    out = []
    positional = a.posonlyargs + a.args
    first_default = len(positional) - len(a.defaults)
    for i, arg in enumerate(positional):
        kind = _KINDS["posonly"] if i < len(a.posonlyargs) else _KINDS["args"]
        out.append((arg.arg, kind, i >= first_default))
    if a.vararg is not None:
        out.append((a.vararg.arg, _KINDS["vararg"], False))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        out.append((arg.arg, _KINDS["kwonly"], default is not None))
    if a.kwarg is not None:
        out.append((a.kwarg.arg, _KINDS["kwarg"], False))
    return out


def runtime_params(obj):
    return [(p.name, p.kind, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(obj).parameters.values()]


def _fmt(params):
    return "(%s)" % ", ".join("%s%s:%s" % (n, "=" if d else "", k.name.lower()) for n, k, d in params)


def _decorators(node):
    names = set()
    for d in node.decorator_list:
        if isinstance(d, ast.Name):
            names.add(d.id)
        elif isinstance(d, ast.Attribute):
            names.add(d.attr)
    return names


def compare(where, stub_defs, obj):
    """Problems (strings) between the stub's definition(s) of ``where`` and the runtime ``obj``."""
    try:
        runtime = runtime_params(obj)
    except (TypeError, ValueError) as e:
        return ["%s: runtime signature unavailable: %s" % (where, e)]
    overloads = [d for d in stub_defs if "overload" in _decorators(d)]
    plain = [d for d in stub_defs if "overload" not in _decorators(d)]
    if plain and overloads:
        # A stub declares overloads only, never the implementation too.
        return ["%s: the stub mixes @overload and a plain definition" % where]
    if len(plain) > 1:
        return ["%s: declared %d times in the stub" % (where, len(plain))]
    if plain:
        declared = stub_params(plain[0])
        if declared != runtime:
            return ["%s: stub %s != runtime %s" % (where, _fmt(declared), _fmt(runtime))]
        return []
    problems = []
    by_name = {n: (i, k, d) for i, (n, k, d) in enumerate(runtime)}
    named = set()
    for number, node in enumerate(overloads, 1):
        declared = stub_params(node)
        label = "%s overload %d %s vs runtime %s" % (where, number, _fmt(declared), _fmt(runtime))
        last = -1
        for name, kind, default in declared:
            named.add(name)
            if name not in by_name:
                problems.append("%s: no runtime parameter %r" % (label, name))
                continue
            index, rkind, rdefault = by_name[name]
            if kind != rkind:
                problems.append("%s: %r is %s at runtime" % (label, name, rkind.name.lower()))
            if default and not rdefault:
                problems.append("%s: %r has no default at runtime" % (label, name))
            if index < last:
                problems.append("%s: %r is out of order" % (label, name))
            last = max(last, index)
        names = {n for n, _, _ in declared}
        for name, kind, default in runtime:
            required = not default and kind not in (_KINDS["vararg"], _KINDS["kwarg"])
            if required and name not in names:
                problems.append("%s: leaves out required %r" % (label, name))
    missing = [n for n, _, _ in runtime if n not in named]
    if missing:
        problems.append("%s: no overload names runtime parameter(s) %s (runtime %s)"
                        % (where, ", ".join(missing), _fmt(runtime)))
    return problems


def _assigned_on_self(cls):
    """Attribute names a class's own source assigns as ``self.<name> = ...``."""
    try:
        tree = ast.parse(inspect.getsource(cls))
    except (OSError, TypeError):
        return set()
    return {t.attr for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}


def _runtime_members(cls):
    """The class's own members the stub must declare: public ones and protocol dunders."""
    out = {}
    for name, value in vars(cls).items():
        if name.startswith("_") and name not in _PROTOCOL_DUNDERS:
            continue
        if inspect.isfunction(value) or isinstance(value, (property, staticmethod, classmethod)):
            out[name] = value
    return out


def compare_class(name, node, cls):
    problems = []
    defs, attrs = {}, set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.setdefault(item.name, []).append(item)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            attrs.add(item.target.id)
    runtime = _runtime_members(cls)
    for member in sorted(set(runtime) - set(defs)):
        problems.append("%s.%s exists at runtime but the stub does not declare it" % (name, member))
    self_attrs = None
    for member, member_defs in sorted(defs.items()):
        where = "%s.%s" % (name, member)
        if not hasattr(cls, member):
            problems.append("%s is in the stub but not at runtime" % where)
            continue
        value = inspect.getattr_static(cls, member)
        if "property" in _decorators(member_defs[0]):
            if not isinstance(value, property):
                problems.append("%s is a property in the stub, %s at runtime"
                                % (where, type(value).__name__))
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if member == "__init__" and member not in vars(cls):
            continue  # inherited constructor: checked where it is defined
        problems.extend(compare(where, member_defs, value))
    for attr in sorted(attrs):
        if attr.startswith("__"):
            continue  # __wrapped__ and friends are set by functools on instances
        if self_attrs is None:
            self_attrs = set().union(*(_assigned_on_self(c) for c in cls.__mro__ if c is not object))
        if not hasattr(cls, attr) and attr not in self_attrs:
            problems.append("%s.%s is in the stub but not at runtime" % (name, attr))
    return problems


def check_stub(source, module):
    """Every problem between the stub text ``source`` and the runtime ``module``, as strings."""
    tree = ast.parse(source)
    functions, classes, other = {}, {}, set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            other.add(node.target.id)
        elif isinstance(node, ast.Assign):
            other.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.TypeAlias):
            other.add(node.name.id)
    declared = set(functions) | set(classes) | other
    problems = []
    public = list(module.__all__)
    for name in public:
        if name not in declared:
            problems.append("%s is in makeparallel.__all__ but not in the stub" % name)
    for name in sorted(declared):
        if not name.startswith("_") and name not in public:
            problems.append("%s is in the stub but not in makeparallel.__all__" % name)
        if not (name.startswith("__") and name.endswith("__")) and not name.startswith("_") \
                and not hasattr(module, name):
            problems.append("%s is in the stub but does not exist at runtime" % name)
    for name, defs in sorted(functions.items()):
        if name in public and hasattr(module, name):
            problems.extend(compare(name, defs, getattr(module, name)))
    for name, node in sorted(classes.items()):
        if name in public and hasattr(module, name):
            obj = getattr(module, name)
            if not inspect.isclass(obj):
                problems.append("%s is a class in the stub, a %s at runtime" % (name, type(obj).__name__))
            else:
                problems.extend(compare_class(name, node, obj))
    return problems


def generic_gaps(source, module):
    """Classes generic in the stub (``class X[T]``) that cannot be subscripted at runtime.

    Where that holds, ``def f() -> AsyncHandle[int]`` type-checks but raises ``TypeError`` when
    Python evaluates the annotation (without ``from __future__ import annotations``).
    """
    gaps = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and getattr(node, "type_params", None) \
                and node.name in module.__all__:
            try:
                getattr(module, node.name)[int]
            except TypeError:
                gaps.append(node.name)
    return gaps


class StubMatchesRuntime(unittest.TestCase):
    def setUp(self):
        path = stub_path()
        self.assertTrue(os.path.isfile(path), "no type stub at %s" % path)
        with open(path, encoding="utf-8") as f:
            self.source = f.read()

    def test_stub_matches_runtime(self):
        problems = check_stub(self.source, mp)
        self.assertEqual([], problems, "\n" + "\n".join(problems))

    # The classes the stub makes generic can be subscripted at runtime too, so an annotation
    # such as `-> AsyncHandle[int]` does not fail when Python evaluates it.
    def test_generic_stub_classes_subscriptable_at_runtime(self):
        self.assertEqual([], generic_gaps(self.source, mp))

    def test_py_typed_marker_ships(self):
        # PEP 561: without the marker, type checkers ignore an installed package's stub.
        self.assertTrue(os.path.isfile(os.path.join(os.path.dirname(mp.__file__), "py.typed")))

    def test_every_public_callable_is_checked(self):
        # Guards the checker itself: every public function and class gets a signature check
        # (a name the checker silently skipped would make the match test pass vacuously).
        tree = ast.parse(self.source)
        seen = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        for name in mp.__all__:
            obj = getattr(mp, name)
            if inspect.isfunction(obj) or (inspect.isclass(obj) and name == obj.__name__):
                self.assertIn(name, seen, "%s is not checked as a def/class" % name)


class CheckerCatchesDrift(unittest.TestCase):
    """The checker fails on the drifts it exists for (a stub edited on purpose)."""

    def setUp(self):
        with open(stub_path(), encoding="utf-8") as f:
            self.source = f.read()

    def problems(self, old, new, count=1):
        self.assertTrue(old in self.source, "the stub no longer contains %r" % old)
        return "\n".join(check_stub(self.source.replace(old, new, count), mp))

    def test_public_name_without_stub(self):
        out = self.problems("def reset_metrics() -> None: ...\n", "")
        self.assertIn("reset_metrics is in makeparallel.__all__ but not in the stub", out)

    def test_renamed_parameter(self):
        out = self.problems("def get_metrics(name: str)", "def get_metrics(fn_name: str)")
        self.assertIn("get_metrics: stub (fn_name:positional_or_keyword)", out)

    def test_renamed_parameter_in_overload(self):
        out = self.problems("def gather[T](handles: Iterable[AsyncHandle[T]], on_error: Literal[\"none\"]",
                            "def gather[T](items: Iterable[AsyncHandle[T]], on_error: Literal[\"none\"]")
        self.assertIn("no runtime parameter 'items'", out)

    def test_keyword_only_turned_positional(self):
        out = self.problems("def wait(self, timeout: float | None = None, *, timeout_secs",
                            "def wait(self, timeout: float | None = None, timeout_secs")
        self.assertIn("AsyncHandle.wait: stub", out)

    def test_method_missing_from_stub(self):
        out = self.problems("    def get_progress(self) -> float: ...\n", "")
        self.assertIn("AsyncHandle.get_progress exists at runtime but the stub does not declare it", out)

    def test_stub_name_missing_at_runtime(self):
        out = self.problems("def reset_metrics() -> None: ...\n",
                            "def reset_metrics() -> None: ...\ndef reset_everything() -> None: ...\n")
        self.assertIn("reset_everything is in the stub but does not exist at runtime", out)

    def test_default_dropped_at_runtime(self):
        out = self.problems("def shutdown(timeout_secs: float = 30.0", "def shutdown(timeout_secs: float")
        self.assertIn("shutdown: stub", out)

    def test_runtime_name_added_without_stub(self):
        # A new public function at runtime (faked on a copy of the module: tests never edit
        # the package) that nobody added to the stub.
        fake = _module_copy()

        def new_launcher(func=None, *, backend=None):
            return func
        fake.new_launcher = new_launcher
        fake.__all__ = list(mp.__all__) + ["new_launcher"]
        out = "\n".join(check_stub(self.source, fake))
        self.assertIn("new_launcher is in makeparallel.__all__ but not in the stub", out)

    def test_runtime_parameter_renamed(self):
        fake = _module_copy()

        def get_metrics(qualname):
            return None
        fake.get_metrics = get_metrics
        out = "\n".join(check_stub(self.source, fake))
        self.assertIn("get_metrics: stub (name:positional_or_keyword) != runtime "
                      "(qualname:positional_or_keyword)", out)

    def test_overloads_leaving_a_parameter_out(self):
        # Every overload renames it: each is flagged, and so is the union missing the runtime's.
        out = self.problems('progress: bool | Literal["force"] = False', "bar: bool = False", count=-1)
        self.assertIn("no runtime parameter 'bar'", out)
        self.assertIn("parallel_map: no overload names runtime parameter(s) progress", out)


def _module_copy():
    fake = types.ModuleType("makeparallel_copy")
    fake.__dict__.update({k: v for k, v in vars(mp).items() if k != "__name__"})
    return fake


class ExampleRuns(unittest.TestCase):
    def test_typing_example_runs(self):
        # typing_example.py is what pyright reads; running it keeps it honest API use.
        import contextlib
        import io
        import typing_example
        with contextlib.redirect_stdout(io.StringIO()) as out:  # @timer prints its timing
            got = typing_example.main()
        self.assertEqual([9, 17, ["0", "1", "2"], 55, 1], got)
        self.assertIn("Execution took: ", out.getvalue())


def _pyright():
    """The pyright executable named by MAKEPARALLEL_PYRIGHT, else None.

    Opt-in only (not whatever ``pyright`` is on PATH): the example is kept clean for the
    version the README names, and nothing is installed or fetched here.
    """
    exe = os.environ.get("MAKEPARALLEL_PYRIGHT")
    return exe if exe and os.path.isfile(exe) else None


class PyrightStrict(unittest.TestCase):
    """pyright --strict over the stub and typing_example.py, when pyright is installed.

    Optional: set MAKEPARALLEL_PYRIGHT to the pyright executable (see README, "Type hints");
    without it this skips, and the checker above is what always runs.
    """

    def test_example_is_clean_under_pyright_strict(self):
        exe = _pyright()
        if exe is None:
            self.skipTest("pyright not installed (set MAKEPARALLEL_PYRIGHT to its executable)")
        if not hasattr(subprocess, "run"):
            self.skipTest("no subprocess support in this context")
        here = os.path.dirname(os.path.abspath(__file__))
        package_root = os.path.dirname(os.path.dirname(stub_path()))
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "pyrightconfig.json")
            with open(config, "w") as f:
                json.dump({"typeCheckingMode": "strict", "pythonVersion": "3.12",
                           "extraPaths": [package_root],
                           "reportUnnecessaryTypeIgnoreComment": "error"}, f)
            try:
                done = subprocess.run([exe, "-p", config, os.path.join(here, "typing_example.py"),
                                       stub_path()], capture_output=True, text=True, timeout=300)
            except OSError as e:
                self.skipTest("cannot start pyright: %s" % e)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
