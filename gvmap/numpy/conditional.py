"""Choosing per element: np.select, np.piecewise; and np.meshgrid, np.fill_diagonal.

``select`` is a chain of ``where`` (the first true condition wins, as NumPy evaluates
them). ``piecewise`` applies each function to the elements its condition selects, exactly
as NumPy's ``y[cond] = f(x[cond])`` does: the function receives ``x[cond]`` as a
``masked.Selection``, so elementwise functions, constants and reductions of the selected
elements (``lambda t: t.mean()``) all keep NumPy's meaning.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tracing import Tracer
from ._core import check_operand, common_dtype, convert, dtype_of, ndim_of, shape_of
from .elementwise import logical_not, logical_or, where, where_operand
from .indexing import take
from .masked import Selection, write_selected
from .shape import broadcast_to, ravel, reshape, zeros_like

__all__ = ["select", "piecewise", "meshgrid", "fill_diagonal"]


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(choicelist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [check_operand(c, "select") for c in condlist]
    for i, c in enumerate(conds):
        if dtype_of(c) != np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    choices = [check_operand(c, "select") for c in choicelist]
    default = check_operand(default, "select")
    dtype = common_dtype(*choices, default)
    out = where_operand(default, dtype)
    for cond, choice in zip(reversed(conds), reversed(choices)):
        out = where(cond, where_operand(choice, dtype), out)
    return out


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    x = check_operand(x, "piecewise")
    if isinstance(condlist, (Tracer, np.ndarray)) and (ndim_of(condlist) == 0 or
                                                       ndim_of(condlist) == ndim_of(x)):
        condlist = [condlist]  # NumPy: a single condition array
    conds = [c if isinstance(c, Tracer) else np.asarray(c, dtype=bool) for c in condlist]
    if len(funclist) == len(conds) + 1:  # the last function: where no condition holds
        others = conds[0]
        for c in conds[1:]:
            others = logical_or(others, c)
        conds.append(logical_not(others))
    elif len(funclist) != len(conds):
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")
    y = zeros_like(x)
    for cond, func in zip(conds, funclist):
        if shape_of(cond) != shape_of(x):
            raise ValueError(f"piecewise: a condition has shape {shape_of(cond)}, x {shape_of(x)}")
        value = func(Selection(x, cond), *args, **kw) if callable(func) else func
        y = write_selected(y, cond, value)
    return y


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> tuple:
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    ones = (1,) * n
    out = [reshape(ravel(check_operand(x, "meshgrid")), ones[:i] + (-1,) + ones[i + 1:])
           for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        shape = tuple(max(shape_of(o)[d] for o in out) for d in range(n))
        out = [broadcast_to(o, shape) for o in out]
    return tuple(out)


def fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    """numpy.fill_diagonal into a traced local array (in place, as NumPy): the positions
    come from NumPy's own fill_diagonal on an index array; ``val`` repeats along them."""
    if not isinstance(a, Tracer):
        raise TypeError(
            "np.fill_diagonal(a, v) with a traced v writes into the NumPy array a, which "
            "cannot hold a traced value; make a inside the function (a = np.zeros(...), "
            "a = x.copy()) so gvmap can record the write")
    marks = np.arange(int(np.prod(a.shape))).reshape(a.shape)
    np.fill_diagonal(marks, -1, wrap=wrap)
    positions = np.flatnonzero(marks.ravel() == -1)
    if positions.size == 0:
        return
    values = ravel(check_operand(val, "fill_diagonal"))
    cycled = take(values, np.arange(positions.size) % int(np.prod(shape_of(values)) or 1))
    with a._trace.internal_views(a._var):  # the ravel below is gvmap's, not the user's view
        flat = ravel(a).copy()
        flat[positions] = cycled
        new = flat.reshape(a.shape)
    a._assign(new, "np.fill_diagonal(x, ...)", "Write into a copy: `x = x.copy()` first")
