"""Numerical integration: numpy.trapezoid (numpy.trapz where this NumPy still has it),
NumPy's formula operation for operation, a composition of existing primitives.

The sample count along ``axis`` is static (it sets shapes); samples, coordinates and the
spacing may be traced.
"""
from __future__ import annotations

from typing import Any

from ._core import ndim_of, normalize_axis, operand, shape_of
from .elementwise import add, multiply, true_divide
from .extras import diff
from .indexing import along
from .reductions import sum as sum_
from .shape import reshape

__all__ = ["trapezoid"]


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """numpy.trapezoid: ``sum(d * (y[1:] + y[:-1]) / 2.0)`` along ``axis``, with ``d`` the
    spacing ``dx`` or the differences of the coordinates ``x`` (1-D ones along ``axis``,
    else x of y's shape), in NumPy's order of operations so dtypes and rounding match."""
    y = operand(y, "trapezoid")
    nd = ndim_of(y)
    axis = normalize_axis(axis, nd)
    if x is None:
        d = dx
    else:
        x = operand(x, "trapezoid")
        if ndim_of(x) == 1:
            d = diff(x)
            shape = [1] * nd
            shape[axis] = shape_of(d)[0]
            d = reshape(d, tuple(shape))
        else:
            d = diff(x, axis=axis)
    pairs = add(along(y, axis, slice(1, None)), along(y, axis, slice(None, -1)))
    return sum_(true_divide(multiply(d, pairs), 2.0), axis)
