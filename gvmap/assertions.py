"""``assert`` and ``if bad: raise E(...)`` on traced values: the loop's exception, raised for
the first example where it would be.

Per-example code checks its input as it goes: ``assert np.all(p >= 0), "negative
probabilities"``, ``if np.any(np.isnan(x)): raise ValueError("NaN in the input")``. The
condition is a traced bool, so Python's ``if`` cannot branch on it; but the branch only
raises, so the rest of the function is the same either way. gvmap takes the branch that
does not raise, goes on tracing, and records the condition as a ``check`` (the primitive
``checks.raise_where`` records for NumPy's own errors): once the batch has run, the first
example where it holds raises the loop's exception, of the user's class with the user's
arguments (``errors.LoopRaise``), with a note naming the example and the statement.

The statement is recognised in the calling frame's bytecode, at the instruction that asked
for the bool: a conditional jump whose other side is exactly ``assert`` (any message) or
``raise Name`` / ``raise Name(constant, ...)`` of an exception class. Anything else there
(a computed message for ``raise``, a call with keywords, ``and`` / ``or`` chains, a branch
that does more than raise) is Python control flow, refused as before with the np.where
rewrite. An ``assert`` message that is not a constant is not evaluated (it may hold traced
values): the note quotes the statement instead.

Several failing conditions are checked in program order, each over the whole batch: where
different examples fail different ones, the first condition's first failing example is
named, which the loop may reach later than another's.
"""
from __future__ import annotations

import dis
import functools
import linecache
import types
from typing import Any

import numpy as np

from .errors import LoopRaise, TracerConversionError

__all__ = ["raise_site", "defer", "attach"]

_JUMPS = {"POP_JUMP_IF_TRUE": True, "POP_JUMP_FORWARD_IF_TRUE": True,
          "POP_JUMP_BACKWARD_IF_TRUE": True, "POP_JUMP_IF_FALSE": False,
          "POP_JUMP_FORWARD_IF_FALSE": False, "POP_JUMP_BACKWARD_IF_FALSE": False}
_CALL = frozenset({"PRECALL", "CALL", "CALL_FUNCTION", "PUSH_NULL", "CACHE"})
_CLASS_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})


def _source(code: types.CodeType, lineno: int | None) -> str:
    line = linecache.getline(code.co_filename, lineno).strip() if lineno else ""
    return line or f"line {lineno} of {code.co_filename}"


@functools.lru_cache(maxsize=256)
def _instructions(code: types.CodeType) -> tuple[list, dict[int, int]]:
    """``code``'s instructions (an assert in a loop asks again each time), and each one's
    position by offset."""
    instructions = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    return instructions, {i.offset: k for k, i in enumerate(instructions)}


def raise_site(frame: Any) -> tuple[LoopRaise, bool] | None:
    """``(what the loop raises, the truth value that skips the raise)`` where ``frame`` asks
    for a bool to choose between raising and going on (module docstring); else None."""
    if frame is None:
        return None
    code = frame.f_code
    instructions, position = _instructions(code)
    at = position.get(frame.f_lasti)
    if at is None:
        return None
    if instructions[at].opname == "TO_BOOL":  # Python 3.13: the bool, then the jump
        at += 1
    jump = instructions[at] if at < len(instructions) else None
    if jump is None or jump.opname not in _JUMPS:
        return None
    skip = _JUMPS[jump.opname]  # the jump is taken for this truth value: past the raise
    block = instructions[at + 1:]
    if not block:
        return None
    first = block[0]
    if first.opname == "LOAD_ASSERTION_ERROR":
        cls: Any = AssertionError
    elif first.opname in _CLASS_LOADS:
        name = first.argval
        cls = frame.f_globals.get(name, frame.f_builtins.get(name))
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            return None
    else:
        return None
    args, called, k = [], False, 1
    while k < len(block) and block[k].opname != "RAISE_VARARGS":
        ins = block[k]
        if ins.opname == "LOAD_CONST" and not called:
            args.append(ins.argval)
        elif ins.opname in _CALL:
            called = called or ins.opname.startswith("CALL")
        elif cls is AssertionError:  # a computed message: not evaluated, the note quotes it
            args, called = None, True
        else:
            return None
        k += 1
    if k == len(block) or block[k].argval != 1 or (args and not called):
        return None
    if args is None:
        args = []
    try:
        cls(*args)
    except Exception:
        return None
    return LoopRaise(cls, tuple(args), _source(code, frame.f_lineno)), skip


def defer(x: Any, site: tuple[LoopRaise, bool]) -> bool:
    """Record that the loop raises ``site``'s exception where ``x`` is (is not) true, and
    answer the truth value that goes on without raising."""
    from . import numpy as gnp
    from .tracing import current_trace

    raised, skip = site
    if x.size != 1:  # the loop's own error
        raise ValueError("The truth value of an array with more than one element is ambiguous. "
                         "Use a.any() or a.all()")
    truth = gnp.reshape(x if x.dtype == np.bool_ else gnp.not_equal(x, 0), ())
    current_trace().raises.append((gnp.logical_not(truth) if skip else truth, raised))
    return skip


def attach(raises: list, leaves: list) -> list:
    """``leaves`` (a traced function's outputs) with the recorded raises threaded through
    the first, in program order, so that they run with every output."""
    from .tracing import bind
    from . import primitives as P

    if not leaves:
        raised = raises[0][1]
        raise TracerConversionError(
            f"`{raised.source}` tests a traced value in a function that returns nothing, so "
            f"there is no batched value to check it with. Return something (the checked "
            f"value itself), or test the batch after the call")
    out = leaves[0]
    for bad, raised in raises:
        out = bind(P.check_p, out, bad, error=raised, function="", reason="", hint="",
                   batch_dims=0)
    return [out] + list(leaves[1:])
