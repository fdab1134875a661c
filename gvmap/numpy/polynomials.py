"""Polynomial helpers of per-example code, as NumPy's own functions compute them:
``np.vander`` (a design matrix for a fit: the powers as running products, NumPy's
``multiply.accumulate``), ``np.polyder`` and ``np.polyint`` (coefficients times or divided by
a constant ``arange``, so NumPy's promotion: float32 coefficients give float64) and
``np.unstack`` (NumPy 2.1: the slices along an axis, a tuple).

Refused with a rewrite: ``np.roots`` (the eigenvalues of the companion matrix, complex in
general) and ``np.trim_zeros`` (its length is the data's).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ._core import convert, dtype_of, ndim_of, normalize_axis, operand, shape_of
from .elementwise import multiply, true_divide
from .indexing import along, getitem
from .reductions import cumprod
from .shape import broadcast_to, concatenate, expand_dims, flip, ones_like

__all__ = ["vander", "polyder", "polyint", "unstack"]


def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """numpy.vander: columns x**0, x**1, ... (reversed unless ``increasing``), the powers
    as running products in x's dtype promoted with int, as NumPy's multiply.accumulate."""
    x = operand(x, "vander")
    if ndim_of(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    try:
        n = shape_of(x)[0] if N is None else operator.index(N)
    except TypeError:
        raise TypeError("numpy.vander: N must be a fixed Python int (the number of columns)") from None
    if n < 0:
        raise ValueError("negative dimensions are not allowed")
    dtype = np.promote_types(dtype_of(x), int)
    x = convert(x, dtype)
    ones = ones_like(x, shape=(shape_of(x)[0], min(n, 1)))
    powers = cumprod(broadcast_to(expand_dims(x, 1), (shape_of(x)[0], max(n - 1, 0))), axis=1)
    v = concatenate([ones, powers], axis=1)
    return v if increasing else flip(v, axis=1)


def _coefficients(p: Any, name: str) -> Any:
    p = operand(p, name)
    if ndim_of(p) == 0:
        raise TypeError("len() of unsized object")
    return p


def polyder(p: Any, m: int = 1) -> Any:
    """numpy.polyder: ``p[:-1] * arange(n, 0, -1)``, m times (an int64 array factor, so
    NumPy's promotion)."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _coefficients(p, "polyder")
    for _ in range(m):
        n = shape_of(p)[0] - 1
        p = multiply(getitem(p, slice(None, -1)), np.arange(n, 0, -1))
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """numpy.polyint: ``p / arange(len(p), 0, -1)`` and the integration constant appended,
    m times; ``k`` a scalar or one constant per integration (traced ones too)."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    p = _coefficients(p, "polyint")
    if m == 0:
        return p
    k = np.zeros(m, float) if k is None else k
    k = operand(k, "polyint")
    k = expand_dims(k, 0) if ndim_of(k) == 0 else k
    if shape_of(k)[0] == 1 and m > 1:
        k = multiply(getitem(k, 0), np.ones(m, float))
    if shape_of(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    for i in range(m):
        scaled = true_divide(p, np.arange(shape_of(p)[0], 0, -1))
        p = concatenate([scaled, expand_dims(getitem(k, i), 0)])
    return p


def unstack(x: Any, /, *, axis: int = 0) -> tuple:
    """numpy.unstack: the slices of x along ``axis``, a tuple (NumPy 2.1)."""
    x = operand(x, "unstack")
    if ndim_of(x) == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = normalize_axis(axis, ndim_of(x))
    return tuple(along(x, axis, i) for i in range(shape_of(x)[axis]))


def roots_refusal(p: Any) -> Any:
    raise NotImplementedError(
        "gvmap cannot trace numpy.roots: the roots are the eigenvalues of the companion "
        "matrix, complex in general, which gvmap does not support. For a quadratic write "
        "the formula with np.sqrt of the discriminant (np.where for its sign); for a real "
        "root of another, a fixed number of Newton steps (x = x - np.polyval(p, x) / "
        "np.polyval(np.polyder(p), x))")
