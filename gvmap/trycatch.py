"""A per-example error the user's own ``try`` / ``except`` would catch: refused while tracing.

Per-example code guards a routine that can fail with a fallback::

    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        L = np.linalg.cholesky(A + 1e-3 * np.eye(len(A)))

The loop runs the ``except`` branch for each example where cholesky raises and the ``try``
branch for the others. gvmap runs one program for the whole batch: the failure is known only
when the plan runs, after the function has returned, so no ``except`` branch can be taken
per example (gvmap would raise the error for the first failing example, saying the loop
raises too, which is false here). So wherever gvmap records an operation that raises for
some examples' values (a linear-algebra routine that can fail, an index traced into an array
(``x[i]``, ``np.take``), a check of ``gvmap.numpy.checks``: ``1.0 / t``, ``math.sqrt(t)``,
``np.nanargmax``...) it asks whether a frame of the user's code on the stack is inside a
``try`` whose ``except`` clause catches that error (read from the frame's exception table,
the clause's classes evaluated in the frame, a clause that always raises again not
counting), and if so refuses at once, naming the call site and the ``np.where`` rewrite.

The refusal is raised inside the user's ``try``, where an ``except Exception`` would swallow
it and take the fallback for every example (a silently wrong answer): it is also recorded on
every trace level, and ``tracing.trace_function`` raises it again when the function returns.

Python 3.10 has no exception tables: there the runtime error is gvmap's only answer.
"""
from __future__ import annotations

import builtins
import dis
import functools
import sys
from typing import Any

import numpy as np

from .assertions import code_instructions
from .errors import TracerConversionError
from .sources import _is_user_code

__all__ = ["refuse_if_caught"]

_REWRITES = {
    "linalg": ("test the failure condition first and choose with np.where, computing the "
               "fallback for every example: for cholesky, ok = np.linalg.eigvalsh(a)[0] > 0; "
               "L = np.linalg.cholesky(np.where(ok, a, a + eps * np.eye(n))) (a shift that "
               "makes every example positive definite: a + max(0, eps - "
               "np.linalg.eigvalsh(a)[0]) * np.eye(n)); for solve / inv, a determinant or "
               "condition-number test, or np.linalg.lstsq / np.linalg.pinv, which cannot fail"),
    "index": ("clip the index and choose with np.where: ok = (i >= -n) & (i < n); v = "
              "np.where(ok, x[np.clip(i, -n, n - 1)], fallback)"),
    "check": ("test the failure condition first and choose with np.where, computing the "
              "fallback for every example: for a division, r = np.where(b != 0, a / np.where("
              "b != 0, b, 1), fallback); for math.sqrt / math.log, np.where(x > 0, np.sqrt("
              "np.where(x > 0, x, 1)), fallback)"),
}


_user_code = functools.lru_cache(maxsize=4096)(_is_user_code)  # by code object


@functools.lru_cache(maxsize=1024)
def _table(code: Any) -> tuple:
    parse = getattr(dis, "_parse_exception_table", None)
    return tuple(parse(code)) if parse is not None and hasattr(code, "co_exceptiontable") else ()


def _covering(table: tuple, offset: int) -> Any:
    return next((e for e in table if e.start <= offset < e.end), None)


def _load(frame: Any, ins: Any) -> Any:
    name = ins.argval
    if ins.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_NAME") and \
            name in frame.f_locals:
        return frame.f_locals[name]
    return frame.f_globals.get(name, getattr(builtins, name, None))


def _clauses_catch(frame: Any, start: int, errors: tuple) -> bool | None:
    """Whether the ``except`` clauses that begin at instruction ``start`` (just after the
    handler's PUSH_EXC_INFO) catch one of ``errors``; None for a handler that is no list of
    except clauses (a ``finally`` body)."""
    instructions, position = code_instructions(frame.f_code)
    k = start
    while k < len(instructions):
        ins = instructions[k]
        if ins.opname == "POP_TOP":
            return not _reraises(instructions, k + 1)  # a bare except
        if ins.opname == "RERAISE":
            return False  # no clause matched
        stack: list = []
        while k < len(instructions) and instructions[k].opname != "CHECK_EXC_MATCH":
            ins = instructions[k]
            if ins.opname.startswith("LOAD_") and ins.opname not in ("LOAD_ATTR", "LOAD_METHOD",
                                                                      "LOAD_CONST"):
                stack.append(_load(frame, ins))
            elif ins.opname == "LOAD_ATTR" and stack:
                stack[-1] = getattr(stack[-1], ins.argval, None)
            elif ins.opname == "BUILD_TUPLE" and len(stack) >= ins.arg:
                items = tuple(stack[len(stack) - ins.arg:])
                del stack[len(stack) - ins.arg:]
                stack.append(items)
            elif ins.opname not in ("CACHE", "NOP", "PUSH_NULL"):
                return None
            k += 1
        if not stack or k >= len(instructions):
            return None
        classes = stack[-1] if isinstance(stack[-1], tuple) else (stack[-1],)
        jump = instructions[k + 1] if k + 1 < len(instructions) else None
        if any(isinstance(c, type) and issubclass(e, c) for c in classes for e in errors):
            return not _reraises(instructions, k + 2)
        if jump is None or "JUMP" not in jump.opname or jump.argval not in position:
            return None
        k = position[jump.argval]
    return None


def _reraises(instructions: tuple, k: int) -> bool:
    """Does the except clause whose body starts at instruction ``k`` raise, on every path,
    before it ends (``except LinAlgError as e: log(e); raise RuntimeError(...) from e``)?
    Then the loop raises for that example too, and nothing is caught: no jump before the
    raise, and no POP_EXCEPT (the clause's end)."""
    for ins in instructions[k:]:
        if ins.opname in ("RAISE_VARARGS", "RERAISE"):
            return True
        if ins.opname == "POP_EXCEPT" or "JUMP" in ins.opname or ins.opname.startswith(
                ("RETURN", "FOR_ITER")):
            return False
    return False


def _catching_handler(frame: Any, errors: tuple) -> bool:
    """Is ``frame`` (stopped at a call) inside a try whose except catches one of ``errors``?
    Handlers innermost first: ``with`` blocks, ``finally`` bodies, cleanups and clauses that
    do not match re-raise to the next one out."""
    table = _table(frame.f_code)
    if not table:
        return False
    instructions, position = code_instructions(frame.f_code)
    entry, seen = _covering(table, frame.f_lasti), set()
    while entry is not None and entry.target not in seen:
        seen.add(entry.target)
        k = position.get(entry.target)
        if k is not None and instructions[k].opname == "PUSH_EXC_INFO" and \
                k + 1 < len(instructions) and instructions[k + 1].opname != "WITH_EXCEPT_START":
            if _clauses_catch(frame, k + 1, errors):
                return True
        entry = _covering(table, entry.target)
    return False


def _catching_site(errors: tuple) -> str | None:
    """``file:line (in function)`` of the innermost frame of the user's code, within the
    traced functions, whose try / except catches one of ``errors``; None where none does."""
    from .tracing import _stack, trace_function
    levels = len(_stack())
    frame = sys._getframe(2)
    while frame is not None and levels:
        if frame.f_code is trace_function.__code__:
            levels -= 1
        elif _user_code(frame.f_code) and _catching_handler(frame, errors):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}, in {frame.f_code.co_name}"
        frame = frame.f_back
    return None


def _loop_name(error: type) -> str:
    """The loop's name of ``error``: NumPy's or Python's class that gvmap's subclasses."""
    base = next(c for c in error.__mro__ if not c.__module__.startswith("gvmap"))
    return base.__name__ if base.__module__ == "builtins" else "numpy.linalg.LinAlgError" \
        if issubclass(base, np.linalg.LinAlgError) else f"{base.__module__}.{base.__qualname__}"


def refuse_if_caught(what: str, errors: tuple, kind: str) -> None:
    """Refuse ``what`` (an operation that raises one of ``errors`` for some examples' values)
    where the user's code would catch that error (module docstring); ``kind``: "linalg" or
    "check", which rewrite to name."""
    site = _catching_site(errors)
    if site is None:
        return
    from .tracing import _stack
    names = " / ".join(dict.fromkeys(_loop_name(e) for e in errors))
    error = TracerConversionError(
        f"{what} inside a `try:` whose `except` catches {names} ({site}): the loop over "
        f"examples takes that except branch for each example where {what} raises, but "
        f"gvmap.vmap runs one program for the whole batch and learns of the failure only "
        f"when the plan runs, so it cannot take an except branch per example. Rewrite the "
        f"fallback without try/except: {_REWRITES[kind]}.")
    for trace in _stack():
        if getattr(trace, "caught_refusal", None) is None:
            trace.caught_refusal = error
    raise error
