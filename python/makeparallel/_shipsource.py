"""Function code that GraalPy's marshal cannot carry, sent as source text instead.

GraalPy 25.0 loses part of a generator's or coroutine's code in a ``marshal`` round trip: a
function made from the loaded code raises ``UnboundLocalError`` for its own arguments, or the
JVM throws a NullPointerException that ends the process. Code nested inside a marshalled
function survives, and so does code compiled from source; so such a function travels as the
source of its ``def`` (read where it was defined), and the worker compiles it once and keeps the
code object, as it does for marshalled code.

The ``def`` is compiled inside a factory whose parameters are the function's free variables, so
its closure cells exist (the unpickler fills them), and, for a method, inside a class of the
same name, so private names are mangled as in the original. Decorators, default values and
annotations are dropped from the text: they were evaluated where the function was defined, and
the shipped function gets the caller's own defaults.
"""

import sys

from ._shipclass import ShipError

__all__ = ["needs_source", "payload", "compile_payload"]

# CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_SUSPENDING = 0x20 | 0x80 | 0x100 | 0x200
_MARSHAL_LOSES_GENERATORS = sys.implementation.name == "graalpy"
_FACTORY = "__makeparallel_factory__"


def needs_source(code):
    return _MARSHAL_LOSES_GENERATORS and bool(code.co_flags & _SUSPENDING)


class SourceUnavailable(ShipError):
    """The source of a function that must travel as source cannot be found or compiled."""


def _unavailable(code, why):
    return SourceUnavailable(
        "%s is a generator or async function, which GraalPy cannot send to a worker interpreter "
        "as compiled code, and its source text %s; define it with 'def' in a .py file (the "
        "script or a module it imports), or use backend='threads'" % (code.co_qualname
                                                                       if hasattr(code, "co_qualname")
                                                                       else code.co_name, why))


def _enclosing_class(qualname):
    """The name of the class a method was defined in, or None for a function."""
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[-2] != "<locals>":
        return parts[-2]
    return None


def payload(fn):
    """What a worker needs to compile ``fn``'s code: ``(text, filename, first_line, class, name, freevars)``."""
    import inspect  # here, not at the top: a worker that never ships source never loads it
    import textwrap
    code = fn.__code__
    if code.co_name == "<lambda>":
        raise _unavailable(code, "cannot be told apart from the line it is on (a lambda)")
    try:
        lines, first = inspect.getsourcelines(code)
    except (OSError, TypeError) as exc:
        raise _unavailable(code, "is not available (%s)" % exc) from None
    return (textwrap.dedent("".join(lines)), code.co_filename, first,
            _enclosing_class(fn.__qualname__), code.co_name, code.co_freevars)


def _strip(node):
    """The def without what was evaluated where it was defined."""
    node.decorator_list = []
    a = node.args
    a.defaults = []
    a.kw_defaults = [None] * len(a.kwonlyargs)
    for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if arg is not None:
            arg.annotation = None
    node.returns = None
    return node


def compile_payload(data):
    """The code object of the function described by ``payload``; raises SourceUnavailable."""
    import ast
    text, filename, first, cls, name, freevars = data
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as exc:
        raise SourceUnavailable("the source of %s in %s cannot be compiled on its own: %s"
                                % (name, filename, exc)) from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != name:
        raise SourceUnavailable("the source of %s in %s line %d is not its def (the file changed "
                                "since it was loaded?)" % (name, filename, first))
    ast.increment_lineno(node, first - 1)
    body = [_strip(node)]
    if cls is not None:
        body = [ast.ClassDef(name=cls, bases=[], keywords=[], body=body, decorator_list=[],
                             type_params=[])]
        result = ast.Subscript(value=ast.Attribute(value=ast.Name(id=cls, ctx=ast.Load()),
                                                   attr="__dict__", ctx=ast.Load()),
                               slice=ast.Constant(value=name), ctx=ast.Load())
    else:
        result = ast.Name(id=name, ctx=ast.Load())
    factory = ast.FunctionDef(
        name=_FACTORY,
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=v) for v in freevars], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=body + [ast.Return(value=result)], decorator_list=[], returns=None, type_params=[])
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    scratch = {"__name__": "__makeparallel_source__"}
    exec(compile(module, filename, "exec"), scratch)
    fn = scratch[_FACTORY](*[None] * len(freevars))
    if isinstance(fn, (staticmethod, classmethod)):
        fn = fn.__func__
    code = fn.__code__
    if set(code.co_freevars) != set(freevars):
        raise SourceUnavailable("the source of %s in %s line %d does not match its code (the file "
                                "changed since it was loaded?)" % (name, filename, first))
    return code
