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
for the bool: a conditional jump between going on and exactly ``assert`` (any message) or
``raise Name`` / ``raise Name(constant, ...)`` of an exception class, so ``assert a and
b`` and ``if a or b: raise E`` are a check per condition. Anything else there (a computed
message for ``raise``, a call with keywords, ``assert a or b``, ``if a and b: raise``, a
branch that does more than raise) is Python control flow, refused as before with the
np.where rewrite. An ``assert`` message that is not a constant is not evaluated (it may
hold traced values): the note quotes the statement instead.

The conditions are deferred with NumPy's and the math module's (``Trace.raises``) and
bound as one check (``checks.bind_check``) before the next equation that may raise and at
the end: the first example where any fails raises the exception of the first condition
failing there, as the loop does, also in a function that returns nothing.
"""
from __future__ import annotations

import dis
import functools
import linecache
import types
from typing import Any

import numpy as np

from .errors import LoopRaise

__all__ = ["raise_site", "in_assert", "defer"]

_JUMPS = {"POP_JUMP_IF_TRUE": True, "POP_JUMP_FORWARD_IF_TRUE": True,
          "POP_JUMP_BACKWARD_IF_TRUE": True, "POP_JUMP_IF_FALSE": False,
          "POP_JUMP_FORWARD_IF_FALSE": False, "POP_JUMP_BACKWARD_IF_FALSE": False}
_CALL = frozenset({"PRECALL", "CALL", "CALL_FUNCTION", "PUSH_NULL", "CACHE"})
_CLASS_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})


def _source(code: types.CodeType, lineno: int | None) -> str:
    line = linecache.getline(code.co_filename, lineno).strip() if lineno else ""
    return line or f"line {lineno} of {code.co_filename}"


@functools.lru_cache(maxsize=1024)
def code_instructions(code: types.CodeType) -> tuple[list, dict[int, int]]:
    """``code``'s instructions (an assert in a loop asks again each time; gvmap.trycatch
    reads them for every check), and each one's position by offset."""
    instructions = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    return instructions, {i.offset: k for k, i in enumerate(instructions)}


def _raise_block(frame: Any, instructions: list, start: int) -> tuple[LoopRaise, int] | None:
    """The raise that begins at instruction ``start`` (``assert``'s, or ``raise Name`` /
    ``raise Name(constants...)``) and the index of its RAISE_VARARGS; else None."""
    if start >= len(instructions):
        return None
    first = instructions[start]
    if first.opname == "LOAD_ASSERTION_ERROR":
        cls: Any = AssertionError
    elif first.opname in _CLASS_LOADS:
        name = first.argval
        cls = frame.f_globals.get(name, frame.f_builtins.get(name))
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            return None
    else:
        return None
    args: list | None = []
    called, k = False, start + 1
    while k < len(instructions) and instructions[k].opname != "RAISE_VARARGS":
        ins = instructions[k]
        if ins.opname == "LOAD_CONST" and not called:
            args.append(ins.argval)
        elif ins.opname in _CALL:
            called = called or ins.opname.startswith("CALL")
        elif cls is AssertionError:  # a computed message: not evaluated, the note quotes it
            args, called = None, True
        else:
            return None
        k += 1
    if k == len(instructions) or instructions[k].argval != 1 or (args and not called):
        return None
    args = args or []
    try:
        cls(*args)
    except Exception:
        return None
    return LoopRaise(cls, tuple(args), _source(frame.f_code, frame.f_lineno)), k


def _skips(jump: Any, instructions: list, end: int) -> bool:
    """Is ``jump`` a forward conditional jump to just past the raise ending at ``end``?"""
    return jump.opname in _JUMPS and jump.argval > jump.offset and end + 1 < len(instructions) \
        and jump.argval == instructions[end + 1].offset


def _jump(frame: Any) -> tuple[list, dict[int, int], int] | None:
    """``frame``'s instructions, their positions by offset, and the index of the conditional
    jump it is asking a bool for (after Python 3.13's TO_BOOL); None elsewhere."""
    if frame is None:
        return None
    instructions, position = code_instructions(frame.f_code)
    at = position.get(frame.f_lasti)
    if at is not None and instructions[at].opname == "TO_BOOL":  # 3.13: the bool, the jump
        at += 1
    if at is None or at + 1 >= len(instructions) or instructions[at].opname not in _JUMPS:
        return None
    return instructions, position, at


def in_assert(frame: Any) -> bool:
    """Whether ``frame`` is testing a condition of an ``assert`` statement (for the refusal's
    message, where ``raise_site`` did not take it): its jump falls through to, or (``assert
    a and b``) jumps to, the assertion's ``LOAD_ASSERTION_ERROR``, or (``assert a or b``)
    jumps past the assertion's raise."""
    found = _jump(frame)
    if found is None:
        return False
    instructions, position, at = found
    end = position.get(instructions[at].argval)
    target = instructions[end] if end is not None else None
    if "LOAD_ASSERTION_ERROR" in (instructions[at + 1].opname, getattr(target, "opname", None)):
        return True
    return end is not None and end > at + 1 and instructions[end - 1].opname == "RAISE_VARARGS" \
        and any(ins.opname == "LOAD_ASSERTION_ERROR" for ins in instructions[at + 1:end])


def raise_site(frame: Any) -> tuple[LoopRaise, bool] | None:
    """``(what the loop raises, the truth value that goes on)`` where ``frame`` asks for a
    bool to choose between raising and going on (module docstring); else None.

    Two layouts: the raise follows the jump (``assert c``, ``if c: raise E``), the jump
    skipping it; or the jump goes to the raise (the first conditions of ``assert a and b``,
    ``if a or b: raise E``), which the last condition's jump skips. Both jumps must go
    forward to just past the raise, which keeps loops (``while c: ...`` followed by a
    raise) out."""
    found = _jump(frame)
    if found is None:
        return None
    instructions, position, at = found
    jump = instructions[at]
    if jump.argval <= jump.offset:
        return None
    follows = _raise_block(frame, instructions, at + 1)
    if follows is not None and _skips(jump, instructions, follows[1]):
        return follows[0], _JUMPS[jump.opname]  # the jump, taken for this truth, goes on
    target = position.get(jump.argval)
    goes_to = _raise_block(frame, instructions, target) if target else None
    if goes_to is not None and _skips(instructions[target - 1], instructions, goes_to[1]):
        return goes_to[0], not _JUMPS[jump.opname]  # not taking the jump goes on
    return None


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
    from .trycatch import refuse_if_caught  # the loop's except would catch it: refused
    refuse_if_caught("an assert (or `if bad: raise`)", (raised.cls,), "check")
    current_trace().raises.append((gnp.logical_not(truth) if skip else truth, raised))
    return skip
