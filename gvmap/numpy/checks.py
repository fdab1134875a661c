"""NumPy functions that raise for some examples' values, and the one way gvmap raises too.

``raise_where(value, bad, ...)`` records a check: ``value`` once no element of the bool
``bad`` is True; else NumPy's error (``gvmap.errors.ExampleValueError`` /
``ExampleIndexError``, subclasses of the built-in ones) naming the first failing example,
on every backend, as the per-example loop raises at that example. A condition known while
tracing raises at once, as NumPy does; the others are deferred and bound together, in
program order, as one ``check`` primitive (``raise_first``).

Here: ``np.nanargmax`` / ``np.nanargmin`` (NumPy's composition: NaNs replaced by -inf /
+inf, then argmax / argmin, raising "All-NaN slice encountered" for a slice of NaNs only).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..errors import EXAMPLE_ERRORS
from ..tracing import Tracer, bind
from ..trycatch import refuse_if_caught
from ._core import check_operand, dtype_of, ndim_of, reject_kwargs
from .elementwise import isnan, where
from .reductions import all as all_, any as any_, argmax, argmin

__all__ = ["nanargmax", "nanargmin"]  # (raise_where, raise_first, bind_check: for other modules)


def raise_where(value: Any, bad: Any, *, error: str, function: str, reason: str,
                hint: str = "") -> Any:
    """``value``, checked: NumPy's ``error`` for the first example where ``bad`` holds."""
    return raise_first(value, [(bad, error, function, reason, hint)])


def raise_first(value: Any, conditions: list) -> Any:
    """``value``, checked against several conditions in program order, each ``(bad, error,
    function, reason, hint)`` or ``(bad, LoopRaise)``: the first example where any holds
    raises the error of the first condition that holds THERE, as the loop does.

    A condition known while tracing raises at once, as NumPy does. The others are deferred
    (``Trace.raises``): the trace binds them as ONE check before its next equation that may
    raise (``Primitive.raises``: a gather, np.linalg, a nested function's check) and at its
    end (``bind_check``), so that checks from different functions (``math.sqrt(a) +
    math.log(b)``) raise the loop's error for its first failing example too, a check whose
    result nothing reads still raises, and the plan waits for one check, not one per call."""
    from ..tracing import current_trace

    deferred = []
    for condition in conditions:
        bad = condition[0]
        if not isinstance(bad, Tracer) or bad.known is not None:
            known = bad.known if isinstance(bad, Tracer) else np.asarray(bad)
            if np.any(known):
                raise _error(condition[1:], ())
            continue
        deferred.append(condition)
    if deferred:
        _refuse_if_caught(deferred)
    current_trace().raises.extend(deferred)
    return value


def _refuse_if_caught(conditions: list) -> None:
    """Refused where the user's try / except would catch the loop's error for one of
    ``conditions`` (gvmap.trycatch); the errors only gvmap raises (an int past int64, a
    longer result) are no loop's."""
    loop, function = [], None
    for condition in conditions:
        spec = condition[1:]
        if len(spec) == 1:  # a LoopRaise
            loop.append(spec[0].cls)
        elif spec[0] not in ("BeyondInt64Error", "ShapeError"):
            loop.append(EXAMPLE_ERRORS[spec[0]])
            function = function or spec[1]
    if loop:
        what = ("the check" if not function else function if "." in function or " " in function
                else f"numpy.{function}")
        refuse_if_caught(what, tuple(loop), "check")


def _error(spec: tuple, example: tuple) -> BaseException:
    """The exception of a condition's spec (``(LoopRaise,)`` or (error, function, reason,
    hint)) for ``example``."""
    if len(spec) == 1:
        return spec[0].make(example)
    error, function, reason, hint = spec
    return EXAMPLE_ERRORS[error](function, reason, example, hint)


def bind_check(value: Any, conditions: list) -> Any:
    """``value`` through ONE ``check`` of ``conditions`` (traced, in program order): each
    example's code is the position of the first condition that holds for it (0: none), in
    the narrowest integer dtype that holds them all; the first example with a nonzero code
    raises that condition's error."""
    if len(conditions) == 1:
        bad, *spec = conditions[0]
        if len(spec) == 1:  # a LoopRaise (gvmap.assertions)
            return bind(P.check_p, value, bad, error=spec[0], function="", reason="", hint="",
                        batch_dims=0)
        error, function, reason, hint = spec
        return bind(P.check_p, value, bad, error=error, function=function, reason=reason,
                    hint=hint, batch_dims=0)
    code_type = next(t for t in (np.int8, np.int16, np.int32)
                     if len(conditions) <= np.iinfo(t).max)
    code: Any = code_type(0)
    for k in reversed(range(len(conditions))):
        bad = conditions[k][0]
        if ndim_of(bad):  # the example fails it where any element holds (NumPy's order)
            bad = any_(bad)
        code = where(bad, code_type(k + 1), code)
    specs = tuple(c[1] if len(c) == 2 else tuple(c[1:]) for c in conditions)
    return bind(P.check_p, value, code, error=specs, function="", reason="", hint="",
                batch_dims=0)


def _nanarg(name: str, fill: float, arg: Any) -> Any:
    rewrite = f"np.{name[3:]}(np.where(np.isnan(x), {'-' if fill < 0 else ''}np.inf, x))"

    def fn(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        reject_kwargs(name, out=out)
        a = check_operand(a, name)
        if dtype_of(a).kind != "f":  # nothing is NaN: NumPy's argmax
            return arg(a, axis, keepdims=keepdims)
        nan = isnan(a)
        index = arg(where(nan, fill, a), axis, keepdims=keepdims)
        return raise_where(index, all_(nan, axis=axis, keepdims=keepdims), error="ValueError",
                           function=name, reason="All-NaN slice encountered",
                           hint=f"{rewrite} gives index 0 for such a slice")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"numpy.{name}: {name[3:]} with NaNs ignored; a slice of NaNs only raises "
                  f"ValueError naming the first such example, as the loop does.")
    return fn


nanargmax = _nanarg("nanargmax", -np.inf, argmax)
nanargmin = _nanarg("nanargmin", np.inf, argmin)
