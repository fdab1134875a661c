"""Signal, calculus and statistics functions, each a composition of existing primitives:
pad, convolve, correlate, gradient, polyval, cov, corrcoef.

Lengths, widths and tap counts are static (they set shapes); values may be traced. Most of
these are elementwise chains of shifted slices, which the fusion pass merges into one
kernel, so a 5-tap convolution of a batch is one launch, not five.
"""
from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from .. import primitives as P
from ..aliasing import call_leaves
from ..tracing import Tracer, bind
from ._core import (check_operand, common_dtype, convert, dtype_of, ndim_of, normalize_axis,
                    operand, result_dtype, shape_of)
from .clip import clip
from .checks import raise_first
from .construction import array
from .elementwise import (add, equal, floor, less, less_equal, multiply, negative,
                          not_equal, rint, sqrt, subtract, true_divide, where)
from . import reductions, sorting
from .reductions import any as any_, mean, sum as sum_
from .indexing import along, getitem, take
from .linalg import matmul
from .arrays import diagonal, static_value
from .shape import (atleast_1d, broadcast_to, concatenate, expand_dims, flip, moveaxis, reshape,
                    squeeze, transpose, zeros_like)

__all__ = ["pad", "convolve", "correlate", "gradient", "polyval", "cov", "corrcoef"]


# ---------------------------------------------------------------- pad

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")
_STAT_MODES = {"maximum": "max", "minimum": "min", "mean": "mean", "median": "median"}
_PAD_KWARGS = {"constant": {"constant_values"}, "empty": set(), "edge": set(), "wrap": set(),
               "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
               "linear_ramp": {"end_values"}, **{m: {"stat_length"} for m in _STAT_MODES}}


def _pad_index(mode: str, before: int, after: int, n: int) -> np.ndarray:
    """For each position of the padded axis, the element of the original it copies
    (NumPy's repeated reflection / wrapping for widths beyond the axis, in closed form)."""
    p = np.arange(-before, n + after)
    if mode == "edge" or n == 1:
        return np.clip(p, 0, n - 1)
    if mode == "wrap":
        return p % n
    if mode == "reflect":
        period = 2 * (n - 1)
        i = p % period
        return np.where(i >= n, period - i, i)
    i = p % (2 * n)  # symmetric
    return np.where(i >= n, 2 * n - 1 - i, i)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """numpy.pad with static widths, axis by axis as NumPy pads (so corners take the last
    axis's fill, and each axis's statistics and ramps see the earlier axes' padding).
    ``constant``: concatenated fills (``constant_values`` may be traced scalars); ``edge``,
    ``reflect``, ``symmetric``, ``wrap``: one gather per axis with constant indices,
    reflections beyond the axis length repeated as NumPy repeats them (``reflect_type='odd'``:
    NumPy's rounds of 2 * edge - reflection); ``maximum``,
    ``minimum``, ``mean``, ``median``: the statistic of the first / last ``stat_length``
    elements (static), rounded for integer arrays as NumPy rounds it; ``linear_ramp``:
    NumPy's linspace from ``end_values`` (constants or a traced scalar) to the edge;
    ``empty``: zeros (NumPy leaves the pad area uninitialized, so any value is NumPy's)."""
    a = operand(array, "pad")
    if callable(mode):
        raise NotImplementedError(
            "numpy.pad with a function as mode calls it on each 1-D lane in place, which a "
            "traced program cannot do; pad with a supported mode, or build the pad area with "
            "np.concatenate of slices of the array")
    if mode not in _PAD_KWARGS:
        raise ValueError(f"mode '{mode}' is not supported")
    bad = set(kwargs) - _PAD_KWARGS[mode]
    if bad:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {bad}")
    odd = kwargs.get("reflect_type", "even") == "odd"
    pad_width = static_value(pad_width)
    if isinstance(pad_width, Tracer):
        raise TypeError("numpy.pad: pad_width sets the result's shape, which a traced program "
                        "must know before it runs; pass Python ints")
    nd = ndim_of(a)
    widths = np.asarray(pad_width)
    if not np.issubdtype(widths.dtype, np.integer):
        raise TypeError("`pad_width` must be of integral type.")
    widths = np.broadcast_to(widths, (nd, 2)).tolist()
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError("index can't contain negative values")
    if mode not in ("constant", "empty") and 0 in shape_of(a):
        for axis, pair in enumerate(widths):  # NumPy checks every axis first
            if shape_of(a)[axis] == 0 and any(pair):
                raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                 f"'constant' or 'empty'")
        mode = "empty"  # an empty result: nothing to fill
    if mode in ("constant", "empty"):
        fills = _constant_fills(kwargs.get("constant_values", 0), nd)
    elif mode == "linear_ramp":
        fills = _ramp_ends(kwargs.get("end_values", 0), nd)
    elif mode in _STAT_MODES:
        fills = _stat_lengths(kwargs.get("stat_length"), nd)
    for axis, (before, after) in enumerate(widths):
        if mode in _STAT_MODES:  # NumPy checks the lengths even where nothing is padded
            a = _pad_statistic(a, axis, before, after, fills[axis], mode)
            continue
        if not before and not after:
            continue
        n = shape_of(a)[axis]
        if mode in ("constant", "empty"):
            a = _pad_constant(a, axis, before, after, fills[axis])
        elif mode == "linear_ramp":
            a = _pad_linear_ramp(a, axis, before, after, fills[axis])
        elif odd and mode in ("reflect", "symmetric") and n > 1:
            a = _pad_reflect_odd(a, axis, before, after, mode == "symmetric")
        else:
            a = take(a, _pad_index(mode, before, after, n), axis=axis)
    return a


def _pad_reflect_odd(a: Any, axis: int, before: int, after: int, include_edge: bool) -> Any:
    """reflect_type='odd': NumPy's ``_set_reflect_both`` loop, each round reflecting at most
    the filled length (a whole number of periods) about the current edge, 2 * edge - x, so
    a pad wider than the axis keeps climbing as NumPy's does. Static indices: one gather
    and one subtraction per side and round."""
    period = shape_of(a)[axis]
    e = 1 if include_edge else 0
    dtype = dtype_of(a)
    while before > 0 or after > 0:
        filled = shape_of(a)[axis]
        usable = filled // period * period if include_edge else (filled - 1) // (period - 1) * (period - 1)
        left = right = None
        if before > 0:
            k = min(usable, before)
            chunk = take(a, np.arange(k - e, -e, -1), axis=axis)
            left = convert(subtract(multiply(2, along(a, axis, slice(0, 1))), chunk), dtype)
            before -= k
        if after > 0:
            k = min(usable, after)
            chunk = take(a, np.arange(filled - 2 + e, filled - 2 + e - k, -1), axis=axis)
            right = convert(subtract(multiply(2, along(a, axis, slice(filled - 1, filled))), chunk), dtype)
            after -= k
        a = concatenate([p for p in (left, a, right) if p is not None], axis=axis)
    return a


def _stat_lengths(length: Any, nd: int) -> list:
    """NumPy's ``_as_pairs(stat_length, ndim, as_index=True)``: rounded to intp, no
    negatives; None means the whole axis. It picks which elements are read, so it is part
    of the program: a traced value is refused."""
    length = static_value(length)
    if isinstance(length, Tracer):
        raise TypeError(
            "numpy.pad: stat_length picks the elements the statistic reads (a slice of static "
            "length), which a traced program must know before it runs; pass Python ints, or "
            "compute a per-example statistic with a mask (np.mean(x, where=np.arange(n) < k)) "
            "and join it with np.concatenate")
    if length is None:
        return [(None, None)] * nd
    x = np.round(np.array(length)).astype(np.intp, copy=False)
    if x.size in (1, 2) and x.ndim < 3 and x.shape != (2, 1):
        x = x.ravel()
        pair = (x[0], x[-1])
        if pair[0] < 0 or pair[1] < 0:
            raise ValueError("index can't contain negative values")
        return [tuple(int(v) for v in pair)] * nd
    if x.min() < 0:
        raise ValueError("index can't contain negative values")
    return [tuple(p) for p in np.broadcast_to(x, (nd, 2)).tolist()]


def _pad_statistic(a: Any, axis: int, before: int, after: int, lengths: tuple, mode: str) -> Any:
    """NumPy's ``_get_stats`` and ``_set_pad_area``: the statistic (keepdims) of the first
    and last ``length`` elements along ``axis`` (of the whole axis when the length is None
    or longer), rounded to the nearest even integer when ``a`` is an integer array (NumPy
    rounds in place, then assigns), broadcast over the pad widths."""
    n = shape_of(a)[axis]
    left, right = (n if k is None or n < k else k for k in lengths)
    if (left == 0 or right == 0) and mode in ("maximum", "minimum"):
        raise ValueError("stat_length of 0 yields no value for padding")
    if not before and not after:
        return a
    name = _STAT_MODES[mode]
    stat_fn = getattr(sorting if name == "median" else reductions, name)

    def stat(chunk: Any) -> Any:
        value = stat_fn(chunk, axis=axis, keepdims=True)
        if np.issubdtype(dtype_of(a), np.integer):
            value = rint(value)
        return convert(value, dtype_of(a))

    left_stat = stat(along(a, axis, slice(0, left)))
    right_stat = left_stat if left == right == n else stat(along(a, axis, slice(n - right, n)))
    return _pad_constant(a, axis, before, after, (left_stat, right_stat))


def _ramp_ends(values: Any, nd: int) -> list:
    """NumPy's ``_as_pairs(end_values, ndim)``, keeping its scalar kinds (they set the
    ramp's dtype): one or two values come back as NumPy scalars, a full table as Python
    numbers. A traced scalar serves every end."""
    values = static_value(values)
    if isinstance(values, Tracer):
        if values.ndim != 0:
            raise NotImplementedError(
                "gvmap supports a traced end_values as a scalar only; for per-axis traced ends "
                "pad one axis at a time (np.pad(x, ((w, w), (0, 0)), 'linear_ramp', "
                "end_values=e0), then the next axis)")
        return [(values, values)] * nd
    x = np.array(values)
    if x.ndim < 3 and x.size in (1, 2) and x.shape != (2, 1):
        x = x.ravel()
        return [(x[0], x[-1])] * nd
    return [tuple(p) for p in np.broadcast_to(x, (nd, 2)).tolist()]


def _pad_linear_ramp(a: Any, axis: int, before: int, after: int, ends: tuple) -> Any:
    """NumPy's ``_get_linear_ramps``: from each end value to the edge element (excluded),
    the right ramp reversed."""
    n = shape_of(a)[axis]
    ramp = lambda end, edge, num: _ramp(end, squeeze(along(a, axis, edge), axis), num,
                                        dtype_of(a), axis)
    left = ramp(ends[0], slice(0, 1), before) if before else None
    right = flip(ramp(ends[1], slice(n - 1, n), after), axis) if after else None
    return _pad_constant(a, axis, before, after, (left, right))


def _ramp(start: Any, stop: Any, num: int, dtype: np.dtype, axis: int) -> Any:
    """``np.linspace(start, stop, num, endpoint=False, dtype=dtype, axis=axis)`` with
    NumPy's exact arithmetic, including its one choice for the whole array: when ANY step
    is 0 (a subnormal delta, or an end equal to an edge) every sample is ``y / num *
    delta``, else ``y * step`` (the two round differently, which a floor for integer
    dtypes makes visible)."""
    dt = result_dtype(lambda s, e: np.empty(0, np.result_type(s, e, 1.0)), start, stop)
    delta = subtract(convert(stop, dt), convert(start, dt))
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * ndim_of(delta))
    step = true_divide(delta, np.asarray(num, dt)[()])
    any_zero = any_(equal(step, 0))
    y = where(any_zero, multiply(np.asarray(y / num, dt), delta), multiply(y, step))
    y = moveaxis(add(y, convert(start, dt)), 0, axis)
    if np.issubdtype(dtype, np.integer):
        y = floor(y)
    return convert(y, dtype)


def _constant_fills(values: Any, nd: int) -> list:
    """``constant_values`` as one (before, after) pair per axis, broadcast to (nd, 2) as
    NumPy does: constants, a traced array, or lists holding traced scalars."""
    values = static_value(values)
    if any(isinstance(v, Tracer) for v in call_leaves(values)):
        pairs = broadcast_to(array(values), (nd, 2))
        return [(getitem(pairs, (i, 0)), getitem(pairs, (i, 1))) for i in range(nd)]
    pairs = np.broadcast_to(np.asarray(values), (nd, 2))
    return [tuple(pairs[i, j][()] for j in range(2)) for i in range(nd)]


def _pad_constant(a: Any, axis: int, before: int, after: int, fill: tuple) -> Any:
    """``a`` between ``fill``'s two values, each broadcast to its pad area along ``axis``."""
    shape = shape_of(a)
    parts = [broadcast_to(convert(value, dtype_of(a)), shape[:axis] + (width,) + shape[axis + 1:])
             if width else None for width, value in zip((before, after), fill)]
    return concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=axis)


# ---------------------------------------------------------------- convolution

# Up to this many taps a correlation is a sum of shifted slices times taps (an elementwise
# chain: one fused kernel, O(n * taps)); beyond it the graph would grow with every tap, so
# the windows are gathered once and contracted with the taps (one matmul, same cost).
FUSED_TAPS = 16


def _correlate_valid(a: Any, v: Any, real: Any = None) -> Any:
    """c[k] = sum_j a[k + j] * v[j] for k in [0, n - m], n >= m: O((n - m + 1) * m).
    ``real`` (a constant bool array over a, or None): the places of a that are not zero
    padding; only those terms are summed, as NumPy's overlap sums, so an inf or NaN in v
    reaches only the outputs whose overlap holds it (0 * inf would be NaN everywhere)."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    length = n - m + 1
    if m <= FUSED_TAPS:
        out = None
        for j in range(m):
            term = multiply(getitem(a, slice(j, j + length)), getitem(v, j))
            if real is not None and not real[j:j + length].all():
                term = where(real[j:j + length], term, np.zeros((), dtype_of(term))[()])
            out = term if out is None else add(out, term)
        return out
    at = np.arange(length)[:, None] + np.arange(m)[None, :]
    if real is None:
        return _contracted(a, at, v)
    # the windows that lie in a alone are one contraction; those reaching into the padding
    # (at most m - 1 at each end) sum their real terms only
    inside = real[at].all(axis=1)
    first, last = (np.flatnonzero(inside)[[0, -1]] if inside.any() else (length, length - 1))
    parts = []
    for rows in (at[:first], at[first:last + 1], at[max(first, last + 1):]):
        if not len(rows):
            continue
        if real[rows].all():
            parts.append(_contracted(a, rows, v))
        else:
            terms = multiply(take(a, rows, axis=0), v)
            parts.append(sum_(where(real[rows], terms, np.zeros((), dtype_of(terms))[()]), axis=1))
    return parts[0] if len(parts) == 1 else concatenate(parts)


def _contracted(a: Any, at: np.ndarray, v: Any) -> Any:
    """The windows ``a[at]`` ((L, m), gathered once) contracted with the taps: one matmul."""
    windows = take(a, at, axis=0)
    return bind(P.dot_general_p, windows, v, dimension_numbers=(((1,), (0,)), ((), ())))


def _correlate(a: Any, v: Any, mode: str, name: str) -> Any:
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    if m > n:  # NumPy correlates the other way round and reverses
        return flip(_correlate(v, a, mode, name), 0)
    dtype = common_dtype(a, v)
    a, v = convert(a, dtype), convert(v, dtype)
    left = {"full": m - 1, "same": m // 2, "valid": 0}[mode]
    right = {"full": m - 1, "same": m - 1 - m // 2, "valid": 0}[mode]
    real = None
    if left or right:
        zero = np.zeros((), dtype)[()]
        a = concatenate([broadcast_to(zero, (left,)), a, broadcast_to(zero, (right,))])
        real = np.r_[np.zeros(left, bool), np.ones(n, bool), np.zeros(right, bool)]
    return _correlate_valid(a, v, real)


def _signal_operands(a: Any, v: Any, name: str) -> tuple[Any, Any]:
    a, v = operand(a, name), operand(v, name)
    for x in (a, v):
        if ndim_of(x) > 1:
            raise ValueError("object too deep for desired array")
    return a, v


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """numpy.correlate of two 1-D arrays of static lengths: ``c[k] = sum_j a[k + j] * v[j]``,
    zero-padded for 'full' and 'same'. Small kernels (up to ``FUSED_TAPS`` taps) are a sum
    of shifted slices times taps, which fuses into one kernel; cost O(len(out) * taps)."""
    a, v = _signal_operands(a, v, "correlate")
    if ndim_of(a) == 0 or ndim_of(v) == 0:
        raise ValueError("object of too small depth for desired array")
    return _correlate(a, v, mode, "correlate")


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """numpy.convolve: the correlation with the shorter operand reversed (NumPy's own
    definition), so the same fused shifted-slice sum; cost O(len(out) * taps)."""
    a, v = _signal_operands(a, v, "convolve")
    a, v = atleast_1d(a), atleast_1d(v)
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    if shape_of(a)[0] == 0:
        raise ValueError("a cannot be empty")
    if shape_of(v)[0] == 0:
        raise ValueError("v cannot be empty")
    return _correlate(a, flip(v, 0), mode, "convolve")


# ---------------------------------------------------------------- gradient

def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """numpy.gradient, NumPy's formulas operation for operation (second-order central
    differences inside, first- or second-order one-sided ones at the edges), each piece
    computed in NumPy's dtype and cast to the result's as NumPy's assignment casts.
    Spacings: scalars (traced or not) or 1-D coordinates; constant coordinates that are
    evenly spaced take NumPy's uniform formula as NumPy does, traced ones always the
    general formula (equal up to rounding)."""
    f = operand(f, "gradient")
    nd = ndim_of(f)
    if axis is None:
        axes = tuple(range(nd))
    else:  # in the order given: the results come in that order
        axes = tuple(normalize_axis(a, nd) for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
    dx = _spacings(f, varargs, axes)
    edge_order = operator.index(edge_order)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    if edge_order < 1:
        raise NotImplementedError("gvmap supports numpy.gradient with edge_order 1 or 2")
    otype = dtype_of(f)
    if not np.issubdtype(otype, np.inexact):
        if np.issubdtype(otype, np.integer):
            f = convert(f, np.float64)
        otype = np.dtype(np.float64)
    outs = []
    for ax, ax_dx in zip(axes, dx):
        if shape_of(f)[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        outs.append(_gradient_axis(f, ax, ax_dx, edge_order, otype))
    return outs[0] if len(axes) == 1 else tuple(outs)


def _spacings(f: Any, varargs: tuple, axes: tuple) -> list:
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and ndim_of(varargs[0]) == 0:
        return [_scalar(varargs[0])] * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    dx = []
    for ax, distances in zip(axes, varargs):
        distances = static_value(distances)
        if ndim_of(distances) == 0:
            dx.append(_scalar(distances))
            continue
        if not isinstance(distances, Tracer):
            distances = np.asanyarray(distances)
        if ndim_of(distances) != 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape_of(distances)[0] != shape_of(f)[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding "
                             "dimension")
        if np.issubdtype(dtype_of(distances), np.integer):
            distances = convert(distances, np.float64)
        if isinstance(distances, Tracer):
            dx.append(subtract(getitem(distances, slice(1, None)), getitem(distances, slice(None, -1))))
            continue
        diffx = np.diff(distances)
        dx.append(diffx[0] if (diffx == diffx[0]).all() else diffx)
    return dx


def _scalar(d: Any) -> Any:
    """A scalar spacing as NumPy holds it (asanyarray: a NumPy float, not a weak one)."""
    return d if isinstance(d, Tracer) else np.asanyarray(d)[()]


def _gradient_axis(f: Any, ax: int, ax_dx: Any, edge_order: int, otype: np.dtype) -> Any:
    nd = ndim_of(f)
    at = lambda k: along(f, ax, k)
    uniform = ndim_of(ax_dx) == 0

    def shaped(c: Any) -> Any:  # a 1-D coefficient along ``ax``
        return reshape(c, tuple(-1 if i == ax else 1 for i in range(nd)))

    if uniform:
        inner = true_divide(subtract(at(slice(2, None)), at(slice(None, -2))), multiply(2., ax_dx))
    else:
        dx1, dx2 = getitem(ax_dx, slice(0, -1)), getitem(ax_dx, slice(1, None))
        a = true_divide(negative(dx2), multiply(dx1, add(dx1, dx2)))
        b = true_divide(subtract(dx2, dx1), multiply(dx1, dx2))
        c = true_divide(dx1, multiply(dx2, add(dx1, dx2)))
        inner = add(add(multiply(shaped(a), at(slice(None, -2))), multiply(shaped(b), at(slice(1, -1)))),
                    multiply(shaped(c), at(slice(2, None))))
    if edge_order == 1:
        dx_0 = ax_dx if uniform else getitem(ax_dx, 0)
        dx_n = ax_dx if uniform else getitem(ax_dx, -1)
        first = true_divide(subtract(at(slice(1, 2)), at(slice(0, 1))), dx_0)
        last = true_divide(subtract(at(slice(-1, None)), at(slice(-2, -1))), dx_n)
    else:
        if uniform:
            a, b, c = true_divide(-1.5, ax_dx), true_divide(2., ax_dx), true_divide(-0.5, ax_dx)
        else:
            dx1, dx2 = getitem(ax_dx, 0), getitem(ax_dx, 1)
            a = true_divide(negative(add(multiply(2., dx1), dx2)), multiply(dx1, add(dx1, dx2)))
            b = true_divide(add(dx1, dx2), multiply(dx1, dx2))
            c = true_divide(negative(dx1), multiply(dx2, add(dx1, dx2)))
        first = add(add(multiply(a, at(slice(0, 1))), multiply(b, at(slice(1, 2)))),
                    multiply(c, at(slice(2, 3))))
        if uniform:
            a, b, c = true_divide(0.5, ax_dx), true_divide(-2., ax_dx), true_divide(1.5, ax_dx)
        else:
            dx1, dx2 = getitem(ax_dx, -2), getitem(ax_dx, -1)
            a = true_divide(dx2, multiply(dx1, add(dx1, dx2)))
            b = true_divide(negative(add(dx2, dx1)), multiply(dx1, dx2))
            c = true_divide(add(multiply(2., dx2), dx1), multiply(dx2, add(dx1, dx2)))
        last = add(add(multiply(a, at(slice(-3, -2))), multiply(b, at(slice(-2, -1)))),
                   multiply(c, at(slice(-1, None))))
    pieces = [convert(broadcast_to(p, shape_of(at(s))), otype)
              for p, s in ((first, slice(0, 1)), (inner, slice(1, -1)), (last, slice(-1, None)))]
    return concatenate(pieces, axis=ax)


# ---------------------------------------------------------------- polynomials and statistics

def polyval(p: Any, x: Any) -> Any:
    """numpy.polyval by Horner's rule, as NumPy computes it: ``y = y * x + p[i]`` from
    ``zeros_like(x)`` (one fused chain; p's length is static)."""
    p, x = operand(p, "polyval"), operand(x, "polyval")
    if ndim_of(p) == 0:
        raise TypeError("iteration over a 0-d array")
    y = zeros_like(x)
    for i in range(shape_of(p)[0]):
        y = add(multiply(y, x), getitem(p, i))
    return y


def _as_rows(m: Any, rowvar: bool, dtype: Any, name: str) -> Any:
    m = operand(m, name)
    if ndim_of(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    x = convert(m, dtype)
    x = reshape(x, (1,) * (2 - ndim_of(x)) + shape_of(x))
    if not rowvar and shape_of(x)[0] != 1:
        x = transpose(x)
    return x


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None) -> Any:
    """numpy.cov, NumPy's steps: rows are variables; the (weighted) means are subtracted
    in place (so in ``dtype``); ``X @ (X * w).T`` (one contraction) is scaled by
    ``1 / fact``, where with weights ``w = fweights * aweights`` (float64), ``v1 = sum(w)``
    and ``fact`` is ``v1`` (ddof 0), ``v1 - ddof`` (no aweights) or
    ``v1 - ddof * sum(w * aweights) / v1``; ``fact <= 0`` becomes 0 (inf/NaN results).

    Constant weights are checked as NumPy checks them (and ``fact`` computed once, with
    NumPy's warning). Traced weights: their shape is checked while tracing, their values
    when the batch runs (``checks.raise_first``): the first example whose weights NumPy
    rejects raises NumPy's error for it (a non-integer frequency TypeError, a negative
    weight ValueError, weights summing to 0 average's ZeroDivisionError, in NumPy's order)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = operand(m, "cov")
    if dtype is None:
        dtype = np.result_type(dtype_of(m), np.float64) if y is None else \
            np.result_type(dtype_of(m), dtype_of(operand(y, "cov")), np.float64)
    x = _as_rows(m, rowvar, dtype, "cov")
    if shape_of(x)[0] == 0:  # NumPy's answer whatever the dtype
        return np.array([]).reshape(0, 0)
    if y is not None:
        x = concatenate([x, _as_rows(y, rowvar, dtype, "cov")], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    if fweights is None and aweights is None:
        scale = _inverse_fact(shape_of(x)[1] - ddof)
        x = subtract(x, expand_dims(mean(x, axis=1), 1))
        # NumPy's `c *= np.true_divide(1, fact)`: a float64 product cast back to c's dtype
        c = matmul(x, transpose(x))
        return squeeze(convert(multiply(c, np.float64(scale)), dtype_of(c)))
    n = shape_of(x)[1]
    f, f_bad = (None, []) if fweights is None else _cov_weights(fweights, n, "fweights")
    a, a_bad = (None, []) if aweights is None else _cov_weights(aweights, n, "aweights")
    w = f if a is None else a if f is None else multiply(f, a)
    wide = np.result_type(dtype, np.float64)  # average's result dtype for X and float64 w
    if isinstance(w, Tracer):
        v1 = sum_(convert(w, wide))
        fact = _cov_fact(v1, ddof, w, a, sum_)
        fact = where(less_equal(fact, 0), np.zeros((), dtype_of(fact))[()], fact)
        scale = true_divide(1, fact)
    else:
        v1 = np.sum(w.reshape(1, -1), axis=1, dtype=wide)[0]
        if v1 == 0.0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        scale = _inverse_fact(_cov_fact(v1, ddof, w, a, np.sum))
    avg = true_divide(sum_(multiply(convert(x, wide), convert(w, wide)), axis=1), v1)
    x = convert(subtract(x, expand_dims(avg, 1)), dtype)  # NumPy's X -= avg[:, None]
    c = matmul(x, transpose(multiply(x, w)))
    c = convert(multiply(c, scale), dtype_of(c))
    if isinstance(w, Tracer):  # NumPy's checks, in its order (average's last)
        zero = (equal(v1, 0), "ZeroDivisionError", "cov", "Weights sum to zero, can't be "
                "normalized", "weights with a positive sum in every example")
        c = raise_first(c, f_bad + a_bad + [zero])
    return squeeze(c)


def _cov_weights(values: Any, n: int, name: str) -> tuple[Any, Any]:
    """One of cov's weight vectors as NumPy takes it: float64, 1-D of length ``n``,
    non-negative, and for ``fweights`` integer-valued. Constant weights are checked as
    NumPy checks them (same errors, same order) and come back as a NumPy array; traced
    ones are checked for shape only and come back with a traced bool scalar: whether this
    example's weights break the value rules: ``checks.raise_first`` conditions."""
    values = static_value(values)
    if not isinstance(values, Tracer):
        w = np.asarray(values, dtype=float)
        if name == "fweights" and not np.all(w == np.around(w)):
            raise TypeError("fweights must be integer")
        if w.ndim > 1:
            raise RuntimeError(f"cannot handle multidimensional {name}")
        if w.shape[0] != n:
            raise RuntimeError(f"incompatible numbers of samples and {name}")
        if any(w < 0):
            raise ValueError(f"{name} cannot be negative")
        return w, []
    values = check_operand(values, "cov")
    if ndim_of(values) > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if shape_of(values)[0] != n:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    w = convert(values, np.float64)
    conditions = []
    if name == "fweights" and dtype_of(values).kind == "f":  # NaN is not an integer either
        conditions.append((any_(not_equal(w, rint(w))), "TypeError", "cov",
                           "fweights must be integer", "np.rint(fweights)"))
    conditions.append((any_(less(w, 0.0)), "ValueError", "cov", f"{name} cannot be negative",
                       f"np.maximum({name}, 0)"))
    return w, conditions


def _inverse_fact(fact: Any) -> Any:
    """NumPy's ``1 / fact`` of a known normalization: ``fact <= 0`` warns and becomes 0."""
    if fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        fact = 0.0
    with np.errstate(divide="ignore"):
        return np.true_divide(1, fact)


def _cov_fact(v1: Any, ddof: int, w: Any, a: Any, total: Any) -> Any:
    """NumPy's normalization of a weighted cov, in operators so that it serves NumPy
    scalars (constant weights, ``total`` np.sum) and tracers (``total`` the traced sum)."""
    if ddof == 0:
        return v1
    if a is None:
        return v1 - ddof
    return v1 - ddof * total(w * a) / v1


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """numpy.corrcoef: ``cov`` divided by the outer product of the standard deviations,
    clipped to [-1, 1] as NumPy clips. (NumPy 2.4 removed the ``bias`` and ``ddof``
    arguments, which had no effect; so does this signature.)"""
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return true_divide(c, c)
    stddev = sqrt(diagonal(c))
    c = true_divide(c, expand_dims(stddev, 1))
    c = true_divide(c, expand_dims(stddev, 0))
    return clip(c, -1, 1)
