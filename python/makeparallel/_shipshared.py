"""Functions of the main script that all worker interpreters compile once, from one source.

A function sent by value arrives in each worker as a code object of its own (``marshal``), so
each worker interprets, profiles and JIT-compiles its own copy: the first round of a job paid
the warm-up once per worker. A top-level ``def`` whose source can be read instead travels as
its text, which the worker evaluates through the Java side as a cached polyglot source (binding
``makeparallel.code``); the engine that all contexts share then holds one compiled copy for
every worker, for workers that replace cancelled ones and, in a long-lived process, for later
runs of the same script.

The text is the ``def`` exactly as written, at its own line (so tracebacks name the right
lines), with what was evaluated where it was defined replaced: decorators by the identity,
default values and annotations by ``None`` (the shipped function gets the caller's own
defaults). Anything else (nested functions, closures, methods, lambdas, an indented ``def``,
a file changed since it was loaded) keeps the per-worker path.
"""

import sys
import types

__all__ = ["payload", "define"]

_TAG = "shared-source"


def _spans(node):
    """``(line, col, end_line, end_col, replacement)`` for each expression the def evaluated
    where it ran, last first: decorators become the identity, defaults and annotations None."""
    a = node.args
    exprs = list(a.defaults) + [d for d in a.kw_defaults if d is not None]
    for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if arg is not None and arg.annotation is not None:
            exprs.append(arg.annotation)
    if node.returns is not None:
        exprs.append(node.returns)
    spans = [(e.lineno, e.col_offset, e.end_lineno, e.end_col_offset, b"None") for e in exprs]
    spans += [(d.lineno, d.col_offset, d.end_lineno, d.end_col_offset, b"(lambda f: f)")
              for d in node.decorator_list]
    return sorted(spans, reverse=True)


def _blank(lines, node):
    """``lines`` (bytes) with the parts of ``_spans`` replaced, every line at its number."""
    for line, col, end_line, end_col, replacement in _spans(node):
        # Columns are UTF-8 byte offsets; keep the line breaks so every line keeps its number.
        head = lines[line - 1][:col]
        tail = lines[end_line - 1][end_col:]
        lines[line - 1] = head + replacement + b"\n" * (end_line - line) + tail
        for i in range(line, end_line):
            lines[i] = b""
    return lines


def _compiled(text, filename, name):
    """The code of the one function ``name`` that ``text`` defines at its top, or None."""
    try:
        module = compile(text, filename, "exec")
    except (SyntaxError, ValueError):
        return None
    found = [c for c in module.co_consts if getattr(c, "co_name", None) == name]
    return found[0] if len(found) == 1 else None


def _same_code(a, b):
    return a is not None and (a.co_code == b.co_code and a.co_varnames == b.co_varnames
            and a.co_names == b.co_names and a.co_argcount == b.co_argcount
            and a.co_kwonlyargcount == b.co_kwonlyargcount
            and a.co_posonlyargcount == b.co_posonlyargcount and a.co_flags == b.co_flags
            and a.co_firstlineno == b.co_firstlineno and _same_consts(a.co_consts, b.co_consts))


def _same_consts(a, b):
    """Literals and nested code (lambdas, comprehensions) alike: an edit that changed only a
    constant leaves the bytecode as it was."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, types.CodeType) or isinstance(y, types.CodeType):
            if not (isinstance(x, types.CodeType) and isinstance(y, types.CodeType) and _same_code(x, y)):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def source_lines(code):
    """``(lines, first_line)`` of the top-level ``def`` (decorators included) that ``code`` was
    compiled from, read from its file; None when it cannot be told.

    What ``inspect.getsourcelines`` gives for such a def, without ``inspect``: every worker
    that adopts a function runs this, and ``inspect`` would bring ``tokenize``, ``dis`` and a
    dozen more modules into each worker (parsed, held in its heap, and hot enough during its
    start to keep the JIT compiling them). The block ends before the next line that starts a
    statement at column 0, so a body whose string literal has such a line comes out short:
    ``payload`` then finds the text does not compile to ``code`` and the function keeps its
    own code, as for any file that cannot be read here.
    """
    first = code.co_firstlineno
    try:
        with open(code.co_filename, "rb") as f:
            text = f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError, TypeError, ValueError):
        return None
    # Lines as the compiler numbers them: split at "\n" only (str.splitlines would also split
    # at form feeds and other separators that a string or comment may hold).
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not 1 <= first <= len(lines) or lines[first - 1][:1].isspace():
        return None
    end = first - 1  # the def line: after the decorators, which may span lines
    while end < len(lines) and not lines[end].startswith(("def ", "async def ")):
        end += 1
    end += 1
    while end < len(lines):
        line = lines[end]
        # A closing bracket is never a statement's first character: it continues the def line
        # (as black writes a long signature's last line: ``) -> int:``).
        if line[:1] not in ("", " ", "\t", "\n", "\r", "\f", "#", ")", "]", "}") and line.strip():
            break
        end += 1
    while end > first and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return lines[first - 1:end], first


def payload(fn):
    """``(tag, filename, text, name)`` for ``fn`` if it can be compiled from one shared source,
    else None. The text is checked here, where the function was defined: it compiles to the
    same code as ``fn`` (the file has not changed since it was loaded)."""
    import ast  # here, not at the top: only a function that may share its code needs it
    code = fn.__code__
    name = code.co_name
    if (name == "<lambda>" or code.co_freevars or fn.__qualname__ != name
            or getattr(fn, "__name__", None) != name):
        return None
    found = source_lines(code)
    if found is None:
        return None
    lines, first = found
    try:
        tree = ast.parse("".join(lines))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    node = tree.body[0] if len(tree.body) == 1 else None
    if (not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != name
            or node.col_offset != 0 or getattr(node, "type_params", None)):
        return None
    # The file as read now must be the code that runs here (not edited since it was loaded).
    pad = "\n" * (first - 1)
    if not _same_code(_compiled(pad + "".join(lines), code.co_filename, name), code):
        return None
    body = _blank([ln.encode("utf-8") for ln in lines], node)
    text = pad + b"".join(body).decode("utf-8")
    text += ("" if text.endswith("\n") else "\n") + name + "\n"
    if _compiled(text, code.co_filename, name) is None:
        return None
    return (_TAG, code.co_filename, text, name)


def is_payload(data):
    return type(data) is tuple and len(data) == 4 and data[0] == _TAG


def define(data, binding):
    """The code object of the function a ``payload`` describes, compiled by the shared engine."""
    _, filename, text, name = data
    fn = binding.define(filename, text)
    code = fn.__code__
    # The text ran as the worker's __main__ module: leave nothing of it there.
    main = sys.modules["__main__"].__dict__
    if main.get(name) is fn:
        del main[name]
    return code
