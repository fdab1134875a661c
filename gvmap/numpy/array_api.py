"""NumPy 2's array-API spellings of functions gvmap traces already: the gufuncs
``np.vecdot`` / ``np.matvec`` / ``np.vecmat``, ``np.fabs``, and ``np.linalg``'s
``matmul``, ``tensordot``, ``outer``, ``vecdot``, ``matrix_transpose``, ``trace``,
``diagonal``, ``cross`` and ``svdvals`` (which act on the LAST axes where their ``np.``
namesakes act on the first, and check their operands as NumPy's do). Each is a
composition; the errors are NumPy's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._core import check_operand, convert, ndim_of, reject_kwargs, result_dtype, shape_of
from .arrays import diagonal as _diagonal, trace as _trace
from .elementwise import absolute
from .extras import cross as _cross
from .linalg import einsum, matmul, outer as _outer, tensordot as _tensordot
from .linalg_solvers import svd
from .shape import moveaxis, swapaxes

__all__ = ["vecdot", "matvec", "vecmat", "fabs"]
LINALG = ["matmul", "tensordot", "outer", "vecdot", "matrix_transpose", "trace", "diagonal",
          "cross", "svdvals"]  # np.linalg's, as linalg_<name> here


def fabs(x: Any, out=None) -> Any:
    """numpy.fabs: the absolute value in NumPy's float loop for x's dtype (int8 -> float16,
    int32 -> float64, as np.fabs.types resolve)."""
    reject_kwargs("fabs", out=out)
    x = check_operand(x, "fabs")
    return absolute(convert(x, result_dtype(np.fabs, x)))


def _gufunc_axes(name: str, axes: Any, axis: Any, ranks: tuple) -> list:
    """``axes=`` / ``axis=`` of a gufunc call as one core-axis tuple per operand."""
    if axes is not None and axis is not None:
        raise TypeError(f"{name}() cannot specify both 'axis' and 'axes'")
    if axis is not None:
        return [(axis,)] * len(ranks)
    return [tuple(a) if isinstance(a, (tuple, list)) else (a,) for a in axes[:len(ranks)]] \
        if axes is not None else [tuple(range(-r, 0)) for r in ranks]


def _core_last(x: Any, core: tuple) -> Any:
    """x with its gufunc core axes moved to the end, in their order."""
    n = ndim_of(x)
    if n < len(core):
        raise ValueError(f"operand has {n} dimensions, its core needs {len(core)}")
    return moveaxis(x, [c % n for c in core], list(range(n - len(core), n)))


def _gufunc(name: str, subscripts: str, ranks: tuple):
    def fn(x1: Any, x2: Any, /, out=None, *, axes: Any = None, axis: Any = None,
           dtype: Any = None, **kwargs: Any) -> Any:
        reject_kwargs(name, out=out, **kwargs)
        a, b = check_operand(x1, name), check_operand(x2, name)
        cores = _gufunc_axes(name, axes, axis, ranks)
        a, b = _core_last(a, cores[0]), _core_last(b, cores[1])
        dtype = result_dtype(np.multiply, a, b, dtype=dtype)  # the gufunc's loops: multiply's
        return einsum(subscripts, convert(a, dtype), convert(b, dtype))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"numpy.{name} (signature {getattr(np, name).signature}): einsum '{subscripts}'."
    return fn


vecdot = _gufunc("vecdot", "...i,...i->...", (1, 1))
matvec = _gufunc("matvec", "...ij,...j->...i", (2, 1))
vecmat = _gufunc("vecmat", "...i,...ij->...j", (1, 2))


def linalg_matmul(x1: Any, x2: Any, /) -> Any:
    return matmul(x1, x2)


def linalg_tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    return _tensordot(x1, x2, axes)


def linalg_outer(x1: Any, x2: Any, /) -> Any:
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are "
                         f"x1.ndim={ndim_of(x1)} and x2.ndim={ndim_of(x2)}.")
    return _outer(x1, x2)


def linalg_vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    return vecdot(x1, x2, axis=axis)


def linalg_matrix_transpose(x: Any, /) -> Any:
    if ndim_of(x) < 2:
        raise ValueError(f"Input array must be at least 2-dimensional, but it is {ndim_of(x)}")
    return swapaxes(x, -1, -2)


def linalg_trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    return _trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


def linalg_diagonal(x: Any, /, *, offset: int = 0) -> Any:
    return _diagonal(x, offset, axis1=-2, axis2=-1)


def linalg_cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    s1, s2 = shape_of(x1), shape_of(x2)
    if s1[axis:][:1] != (3,) or s2[axis:][:1] != (3,):
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but "
                         f"they are {s1[axis]} and {s2[axis]} dimensional instead.")
    return _cross(x1, x2, axis=axis)


def linalg_svdvals(x: Any, /) -> Any:
    return svd(x, compute_uv=False)
