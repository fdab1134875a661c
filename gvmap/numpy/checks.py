"""NumPy functions that raise for some examples' values, and the one way gvmap raises too.

``raise_where(value, bad, ...)`` records a ``check`` primitive: ``value`` once no element of
the bool ``bad`` is True; else NumPy's error (``gvmap.errors.ExampleValueError`` /
``ExampleIndexError``, subclasses of the built-in ones) naming the first failing example,
on every backend, as the per-example loop raises at that example. A condition known while
tracing raises at once, as NumPy does.

Here: ``np.nanargmax`` / ``np.nanargmin`` (NumPy's composition: NaNs replaced by -inf /
+inf, then argmax / argmin, raising "All-NaN slice encountered" for a slice of NaNs only).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..errors import EXAMPLE_ERRORS, LoopRaise
from ..trycatch import refuse_if_caught
from ..tracing import Tracer, bind
from ._core import check_operand, dtype_of, reject_kwargs
from .elementwise import isnan, where
from .reductions import all as all_, argmax, argmin

__all__ = ["nanargmax", "nanargmin"]  # (raise_where, raise_first: for other modules)


def raise_where(value: Any, bad: Any, *, error: str, function: str, reason: str,
                hint: str = "") -> Any:
    """``value``, checked: NumPy's ``error`` for the first example where ``bad`` holds."""
    if not isinstance(bad, Tracer) or bad.known is not None:
        known = bad.known if isinstance(bad, Tracer) else np.asarray(bad)
        if np.any(known):
            raise EXAMPLE_ERRORS[error](function, reason, (), hint)
        return value
    _refuse_if_caught(function, (error,))
    return bind(P.check_p, value, bad, error=error, function=function, reason=reason,
                hint=hint, batch_dims=0)


def _refuse_if_caught(function: str, errors: tuple) -> None:
    """Refused where the user's try / except would catch the loop's error (gvmap.trycatch);
    the errors only gvmap raises (an int past int64, a longer result) are no loop's."""
    loop = tuple(e.cls if isinstance(e, LoopRaise) else EXAMPLE_ERRORS[e] for e in errors
                 if isinstance(e, LoopRaise) or e not in ("BeyondInt64Error", "ShapeError"))
    if loop:
        refuse_if_caught(function if "." in function or " " in function or not function
                         else f"numpy.{function}", loop, "check")


def raise_first(value: Any, conditions: list) -> Any:
    """``value``, checked against several conditions in program order, each ``(bad, error,
    function, reason, hint)`` or ``(bad, LoopRaise)``: the first example where any holds
    raises the error of the first condition that holds THERE, as the loop does (checked
    one after the other, a later condition's earlier example would lose to an earlier
    condition's later one). One check, on an int8 code per example."""
    if len(conditions) == 1:
        bad, *spec = conditions[0]
        if len(spec) == 1:  # a LoopRaise (gvmap.assertions)
            return bind(P.check_p, value, bad, error=spec[0], function="", reason="", hint="",
                        batch_dims=0)
        error, function, reason, hint = spec
        return raise_where(value, bad, error=error, function=function, reason=reason, hint=hint)
    code: Any = np.int8(0)
    for k in reversed(range(len(conditions))):
        code = where(conditions[k][0], np.int8(k + 1), code)
    specs = tuple(c[1] if len(c) == 2 else tuple(c[1:]) for c in conditions)
    _refuse_if_caught(next((c[2] for c in conditions if len(c) > 2), "the check"),
                      tuple(c[1] for c in conditions))
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
