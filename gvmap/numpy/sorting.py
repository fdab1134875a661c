"""Sorting, order statistics, searching and binning: sort, argsort, partition, argpartition,
median, percentile, quantile (and their NaN-ignoring forms), searchsorted, digitize, interp,
histogram, bincount.

Two primitives do the sorting (``sort`` and ``argsort``, primitives.py); everything else is
a composition. The order is NumPy's: NaNs last; ``argsort`` is stable on every backend (equal
values keep their order, as ``kind="stable"``; NumPy's default quicksort may order ties
differently, so ``np.argsort(x)`` agrees with NumPy's exactly where the values are distinct).
``partition`` is a full sort: a valid partition, though NumPy's order on either side of kth
is unspecified and usually differs. Order statistics follow NumPy's formulas operation by
operation (``_lerp``, ``_get_indexes``, the median's mean of the middle two), so results
agree to the bit, not only up to rounding.

Searching (``searchsorted``, ``digitize``, ``interp``, ``histogram``) counts comparisons
instead of bisecting: ``searchsorted(a, v)`` is the number of elements of ``a`` that sort
before ``v`` (NaN-aware), an elementwise comparison and a sum that fuse into one kernel and
batch without a loop. It is NumPy's answer when ``a`` is sorted, as NumPy requires.

Functions whose output SHAPE depends on the data (``unique``, ``nonzero``, ``argwhere``,
``flatnonzero``, ``bincount`` without a bound) cannot be batched: a batch of examples
would need a different shape per example. They are refused with a rewrite that works.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind
from .arrays import static_value
from ._core import (check_operand, common_dtype, convert, dtype_of, ndim_of, normalize_axes,
                    operand, refused, reject_kwargs, shape_of)
from .clip import clip
from .elementwise import (add, equal, floor, greater_equal, isnan, less, logical_and, logical_not,
                          logical_or, multiply, remainder, subtract, true_divide, where)
from .indexing import getitem, take
from .reductions import mean, sum as sum_
from .shape import (concatenate, copy, expand_dims, flat_axis, moveaxis, one_d_if_0d, ravel,
                    reshape, stack, transpose)

__all__ = ["sort", "argsort", "partition", "argpartition", "median", "percentile", "quantile",
           "nanmedian", "nanpercentile", "nanquantile", "searchsorted", "digitize", "interp",
           "histogram", "bincount", "unique", "nonzero", "argwhere", "flatnonzero"]

_STABLE_KINDS = ("stable", "mergesort")
_KINDS = (None, "quicksort", "heapsort") + _STABLE_KINDS


def _lanes(a: Any, axis: Any, order: Any, name: str, kind: Any = None) -> tuple[Any, int]:
    """(operand, axis) of a sort: axis=None sorts the flattened array, as NumPy does;
    ``order=`` (structured arrays) and kinds NumPy does not know are refused."""
    if order is not None:
        raise NotImplementedError(f"numpy.{name}(..., order=...) sorts structured arrays by "
                                  f"field, which gvmap does not have; sort the field itself")
    if kind not in _KINDS:
        raise ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")
    return flat_axis(operand(a, name), axis)


def _sorted(a: Any, axis: int, stable: bool = False) -> Any:
    if shape_of(a)[axis] <= 1:  # nothing to order; still a new value, as NumPy's copy
        return copy(a)
    return bind(P.sort_p, a, axis=axis, stable=stable)


def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
         stable: Any = None) -> Any:
    """numpy.sort: NaNs last. ``kind="stable"`` (or ``stable=True``) orders values that
    compare equal but differ (+0.0 and -0.0) as they came, on every backend; NumPy's
    other kinds leave their order unspecified, and so does gvmap."""
    a, axis = _lanes(a, axis, order, "sort", kind)
    return _sorted(a, axis, bool(stable) or kind in _STABLE_KINDS)


def argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
            stable: Any = None) -> Any:
    """numpy.argsort, always stable (ties keep their order: ``kind="stable"``'s answer,
    which NumPy's default quicksort gives only for distinct values); NaNs last."""
    a, axis = _lanes(*one_d_if_0d(operand(a, "argsort"), axis), order, "argsort", kind)
    return bind(P.argsort_p, a, axis=axis, index_dtype=np.dtype(np.intp))


def _check_kth(kth: Any, size: int, name: str) -> None:
    kth = static_value(kth)  # a closed-over array of kths is known
    if isinstance(kth, Tracer):
        raise NotImplementedError(f"numpy.{name} with a traced kth: kth must be a Python int "
                                  f"(or a sequence of them), known when the function is traced")
    ks = np.asarray(kth)
    if not np.issubdtype(ks.dtype, np.integer) or ks.ndim > 1:
        raise TypeError(f"{name}: kth must be an integer or a sequence of integers")
    for k in ks.ravel():
        if not -size <= k < size:
            raise ValueError(f"kth(={k}) out of bounds ({size})")


def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """numpy.partition as a full (stable) sort: element kth is where a sort puts it, smaller
    ones before and larger after, as NumPy promises; the order within each side, which NumPy
    leaves unspecified, is sorted here."""
    a, axis = _lanes(a, axis, order, "partition")
    _check_kth(kth, shape_of(a)[axis], "partition")
    return _sorted(a, axis, True)


def argpartition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
                 order: Any = None) -> Any:
    """numpy.argpartition as a full stable argsort (see ``partition``)."""
    a, axis = _lanes(a, axis, order, "argpartition")
    _check_kth(kth, shape_of(a)[axis], "argpartition")
    return bind(P.argsort_p, a, axis=axis, index_dtype=np.dtype(np.intp))


# ---------------------------------------------------------------- reducing axes

def _to_last(a: Any, axis: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    """The reduced axes merged into one last axis: (operand, its kept shape, the keepdims
    shape). axis=None reduces every axis, as NumPy's ``_ureduce`` does."""
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    kept = [d for d in range(len(shape)) if d not in axes]
    if list(axes) != list(range(len(shape) - len(axes), len(shape))):
        a = transpose(a, tuple(kept) + tuple(axes))
    kept_shape = tuple(shape[d] for d in kept)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    if len(axes) != 1:
        a = reshape(a, kept_shape + (n,))
    keep_shape = tuple(1 if d in axes else shape[d] for d in range(len(shape)))
    return a, kept_shape, keep_shape


def _last(a: Any, index: Any) -> Any:
    return getitem(a, (Ellipsis, index))


def _take_along_last(a: Any, idx: Any) -> Any:
    """``a[..., idx]`` lane by lane (np.take_along_axis on the last axis) for traced indices
    in range, as one gather from the flattened operand."""
    shape = shape_of(a)
    n, lanes = shape[-1], int(np.prod(shape[:-1], dtype=np.int64))
    idx_shape = shape_of(idx)
    offsets = (np.arange(lanes, dtype=np.intp) * n).reshape(shape[:-1] + (1,))
    flat_idx = add(convert(idx, np.intp), offsets)
    return reshape(take(ravel(a), ravel(flat_idx)), idx_shape)


# ---------------------------------------------------------------- median

def median(a: Any, axis: Any = None, out=None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """numpy.median: the mean of the middle one or two of the sorted values (NumPy's ``mean``,
    so its dtype), NaN where the lane holds a NaN."""
    reject_kwargs("median", out=out)
    a = operand(a, "median")
    x, _, keep_shape = _to_last(a, axis)
    n = shape_of(x)[-1]
    s = _sorted(x, ndim_of(x) - 1)
    h = n // 2
    mid = _last(s, slice(h, h + 1) if n % 2 else slice(h - 1, h + 1)) if n else s
    result = mean(mid, axis=-1)
    if dtype_of(a).kind == "f" and n:
        last = _last(s, n - 1)
        result = where(isnan(last), convert(last, dtype_of(result)), result)
    return reshape(result, keep_shape) if keepdims else result


def _nan_count_sorted(a: Any, axis: Any) -> tuple[Any, Any, tuple[int, ...]]:
    """Sorted lanes (NaNs last), how many values in each are not NaN, the keepdims shape."""
    x, _, keep_shape = _to_last(a, axis)
    s = _sorted(x, ndim_of(x) - 1)
    valid = sum_(logical_not(isnan(x)), axis=-1)
    return s, valid, keep_shape


def nanmedian(a: Any, axis: Any = None, out=None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """numpy.nanmedian: the median of each lane's non-NaN values (NaN where there are none),
    computed as NumPy's masked median does: (low + high) / 2 with low = high for an odd count."""
    reject_kwargs("nanmedian", out=out)
    a = operand(a, "nanmedian")
    if dtype_of(a).kind != "f":
        return median(a, axis, keepdims=keepdims)
    s, valid, keep_shape = _nan_count_sorted(a, axis)
    n = shape_of(s)[-1]
    if n == 0:
        return median(a, axis, keepdims=keepdims)
    h = valid // 2
    low = where(equal(valid % 2, 1), h, h - 1)
    lo_hi = _take_along_last(s, stack([_clip0(low, n), _clip0(h, n)], axis=-1))
    total = add(_last(lo_hi, 0), _last(lo_hi, 1))
    result = true_divide(total, np.asarray(2.0, dtype_of(a))[()])
    result = where(equal(valid, 0), np.asarray(np.nan, dtype_of(a))[()], result)
    return reshape(result, keep_shape) if keepdims else result


def _clip0(i: Any, n: int) -> Any:
    return clip(i, 0, n - 1)


# ---------------------------------------------------------------- quantiles

def _alpha_beta(alpha: float, beta: float):
    return lambda xp, n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


def _discrete(offset: float, keep_previous):
    """NumPy's ``_discrete_interpolation_to_boundaries``: the order statistic below the
    index n * q - 1 + offset where ``keep_previous(gamma, index)``, else the one above,
    never below 0."""
    def index(xp, n, q):
        virtual = n * q - 1 + offset
        previous = xp.floor(virtual)
        chosen = xp.where(keep_previous(xp, virtual - previous, virtual), previous, previous + 1)
        return xp.maximum(chosen.astype(np.intp), 0)
    return index


# NumPy's table (numpy/lib/_function_base_impl.py, _QuantileMethods): the virtual index of
# each method, written for xp = numpy (n a Python int) or gvmap.numpy (n traced, nan*).
_VIRTUAL_INDEX = {
    "inverted_cdf": _discrete(0.0, lambda xp, gamma, index: gamma == 0),
    "averaged_inverted_cdf": _alpha_beta(0, 1),
    "closest_observation": _discrete(-0.5, lambda xp, gamma, index: (gamma == 0) & (xp.floor(index) % 2 == 1)),
    "interpolated_inverted_cdf": _alpha_beta(0, 1),
    "hazen": _alpha_beta(0.5, 0.5),
    "weibull": _alpha_beta(0, 0),
    "linear": lambda xp, n, q: (n - 1) * q,
    "median_unbiased": _alpha_beta(1 / 3.0, 1 / 3.0),
    "normal_unbiased": _alpha_beta(3 / 8.0, 3 / 8.0),
    "lower": lambda xp, n, q: xp.floor((n - 1) * q).astype(np.intp),
    "higher": lambda xp, n, q: xp.ceil((n - 1) * q).astype(np.intp),
    "midpoint": lambda xp, n, q: 0.5 * (xp.floor((n - 1) * q) + xp.ceil((n - 1) * q)),
    "nearest": lambda xp, n, q: xp.around((n - 1) * q).astype(np.intp),
}
# ... and its ``fix_gamma`` where it is not the identity (gamma: virtual - previous index)
_FIX_GAMMA = {
    "averaged_inverted_cdf": lambda xp, gamma, virtual: xp.where(gamma == 0, 0.5, 1.0),
    "midpoint": lambda xp, gamma, virtual: xp.where(virtual % 1 == 0, 0.0, 0.5),
}


def _static_q(q: Any, name: str) -> tuple[np.ndarray, bool]:
    """q as NumPy takes it (an array; ``weak``: a Python number, weakly typed); a known
    q (a closed-over array, or one computed from constants) is its value."""
    q = static_value(q)
    if isinstance(q, Tracer):
        raise NotImplementedError(
            f"numpy.{name} with a traced q: gvmap needs the quantiles when the function is "
            f"traced (a Python number or a constant array); pass q as a constant, or compute "
            f"the order statistic from np.sort(a) and indices you compute")
    weak = type(q) in (int, float)
    return np.asanyarray(q), weak


def _check_method(method: str, name: str) -> None:
    if method not in _VIRTUAL_INDEX:
        raise ValueError(f"{method!r} is not a valid method. Use one of: "
                         f"{', '.join(map(repr, _VIRTUAL_INDEX))}")


def _lerp(a: Any, b: Any, t: Any) -> Any:
    """NumPy's ``_lerp``: a + (b - a) * t, or b - (b - a) * (1 - t) where t >= 0.5."""
    diff = subtract(b, a)
    low = add(a, multiply(diff, t))
    one_minus = 1 - t
    if isinstance(t, float):
        return subtract(b, multiply(diff, one_minus)) if t >= 0.5 else low
    high = subtract(b, multiply(diff, one_minus))
    return where(t >= 0.5, convert(high, dtype_of(low)), low)


def _quantile_sorted(s: Any, q: np.ndarray, weak: bool, method: str) -> Any:
    """NumPy's ``_quantile`` on lanes already sorted along the last axis (NaNs last): the
    result has q's dims first, then the lanes' dims."""
    n = shape_of(s)[-1]
    lanes = shape_of(s)[:-1]
    virtual = np.asanyarray(_VIRTUAL_INDEX[method](np, n, q))
    s0 = moveaxis(s, -1, 0)
    if np.issubdtype(virtual.dtype, np.integer):  # no interpolation: take the points
        result = take(s0, virtual, axis=0)
    else:
        prev = np.floor(virtual)
        nxt = prev + 1
        above, below = virtual >= n - 1, virtual < 0
        prev, nxt = np.where(above, -1, np.where(below, 0, prev)), np.where(above, -1, np.where(below, 0, nxt))
        prev, nxt = prev.astype(np.intp), nxt.astype(np.intp)
        gamma = np.asanyarray(virtual - prev)
        if method in _FIX_GAMMA:
            gamma = _FIX_GAMMA[method](np, gamma, virtual)
        gamma = np.asanyarray(gamma, dtype=virtual.dtype)
        t = float(gamma) if weak else gamma.reshape(virtual.shape + (1,) * len(lanes))
        result = _lerp(take(s0, prev, axis=0), take(s0, nxt, axis=0), t)
    if dtype_of(s).kind == "f":
        last = _last(s, n - 1)
        result = where(isnan(last), convert(last, dtype_of(result)), result)
    return result


def _keep_q(result: Any, q: np.ndarray, keep_shape: tuple[int, ...], keepdims: bool) -> Any:
    return reshape(result, q.shape + keep_shape) if keepdims else result


def _quantile_function(name: str, scale: int, nan: bool, doc: str):
    """numpy.quantile's signature for ``name``: ``_quantile`` of q / ``scale``, ignoring
    NaNs where ``nan``."""
    def fn(a: Any, q: Any, axis: Any = None, out=None, overwrite_input: bool = False,
           method: str = "linear", keepdims: bool = False, *, weights: Any = None,
           interpolation: Any = None) -> Any:
        return _quantile(name, a, q, axis, out, method, keepdims, weights, interpolation, scale,
                         nan)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


quantile = _quantile_function("quantile", 1, False, """numpy.quantile with constant q (a
    Python number or array): the sort is traced, the indices and weights of every method
    are NumPy's, found when the function is traced.""")
percentile = _quantile_function(
    "percentile", 100, False,
    "numpy.percentile: ``quantile`` of q / 100 (divided as NumPy divides it).")
nanquantile = _quantile_function("nanquantile", 1, True, """numpy.nanquantile: the quantile of
    each lane's non-NaN values (NaN where none are). How many there are is data, so the
    indices are computed in the graph, with NumPy's formulas, and gathered lane by lane.""")
nanpercentile = _quantile_function("nanpercentile", 100, True,
                                   "numpy.nanpercentile: ``nanquantile`` of q / 100.")


def _quantile(name, a, q, axis, out, method, keepdims, weights, interpolation, scale,
              nan=False):
    reject_kwargs(name, out=out, weights=weights)
    if interpolation is not None:
        method = interpolation
    _check_method(method, name)
    a = operand(a, name)
    qs, weak = _static_q(q, name)
    if scale != 1:
        qs = np.asanyarray(np.true_divide(qs, scale))
    if qs.ndim > 1:
        raise ValueError("q must be a scalar or 1d")
    if not (np.all(qs >= 0) and np.all(qs <= 1)):
        raise ValueError(f"{'Percentiles must be in the range [0, 100]' if scale != 1 else 'Quantiles must be in the range [0, 1]'}")
    if nan and dtype_of(a).kind == "f":
        return _nanquantile(a, qs, weak, axis, method, keepdims, name)
    x, _, keep_shape = _to_last(a, axis)
    n = shape_of(x)[-1]
    if n == 0:
        raise IndexError(f"numpy.{name} of an empty axis: there is no value to take "
                         f"(NumPy raises IndexError too)")
    result = _quantile_sorted(_sorted(x, ndim_of(x) - 1), qs, weak, method)
    return _keep_q(result, qs, keep_shape, keepdims)


def _nanquantile(a: Any, qs: np.ndarray, weak: bool, axis: Any, method: str, keepdims: bool,
                 name: str) -> Any:
    import gvmap.numpy as gnp

    s, valid, keep_shape = _nan_count_sorted(a, axis)
    n = shape_of(s)[-1]
    lanes = shape_of(valid)
    if n == 0:
        raise IndexError(f"numpy.{name} of an empty axis: there is no value to take")
    # NumPy computes with n a Python int (weakly typed): n in q's dtype keeps that dtype
    qv = qs if weak else qs.reshape(qs.shape + (1,) * len(lanes))
    count = valid if qs.dtype.kind in "iu" else convert(valid, qs.dtype)
    q_op = float(qs) if weak and qs.ndim == 0 else qv
    virtual = _VIRTUAL_INDEX[method](gnp, count, q_op)
    last = subtract(valid, 1)
    if dtype_of(virtual).kind in "iu":
        idx = where(virtual < 0, add(virtual, valid), virtual)
        result = _take_along_q(s, idx, qs, lanes)
    else:
        prev = floor(virtual)
        above, below = greater_equal(virtual, convert(last, dtype_of(virtual))), less(virtual, 0)
        prev_i = where(above, -1.0, where(below, 0.0, prev))
        next_i = where(above, -1.0, where(below, 0.0, add(prev, 1)))
        gamma = subtract(virtual, prev_i)
        if method in _FIX_GAMMA:
            gamma = _FIX_GAMMA[method](gnp, gamma, virtual)
        gamma = convert(gamma, dtype_of(virtual))
        lo = _take_along_q(s, _resolve(prev_i, valid), qs, lanes)
        hi = _take_along_q(s, _resolve(next_i, valid), qs, lanes)
        result = _lerp_traced(lo, hi, gamma, weak, dtype_of(s))
    nan_out = np.asarray(np.nan, dtype_of(result))[()]
    result = where(equal(valid, 0), nan_out, result)
    return _keep_q(result, qs, keep_shape, keepdims)


def _resolve(i: Any, valid: Any) -> Any:
    """An index from NumPy's ``_get_indexes`` (-1: the last valid value) into the lane."""
    i = convert(i, np.intp)
    return where(less(i, 0), add(i, valid), i)


def _take_along_q(s: Any, idx: Any, qs: np.ndarray, lanes: tuple[int, ...]) -> Any:
    """s[lane, idx[q, lane]] with q's dims first (as NumPy's result)."""
    n = shape_of(s)[-1]
    idx = _clip0(idx, n)
    if qs.ndim == 0:
        return _last(_take_along_last(s, expand_dims(idx, -1)), 0)
    idx_last = moveaxis(idx, 0, -1)  # lanes + (k,)
    got = _take_along_last(s, idx_last)
    return moveaxis(got, -1, 0)


def _lerp_traced(a: Any, b: Any, gamma: Any, weak: bool, data_dtype: np.dtype) -> Any:
    """``_lerp`` with gamma traced. For a weak q NumPy's t is a Python float: its products
    with the data are in the data's float dtype (float64 for ints), and 1 - t is rounded
    once, from float64."""
    cond = greater_equal(gamma, 0.5)
    t, one_minus = gamma, subtract(1.0, gamma)
    if weak:
        out = data_dtype if data_dtype.kind == "f" else np.dtype(np.float64)
        t, one_minus = convert(t, out), convert(one_minus, out)
    diff = subtract(b, a)
    low = add(a, multiply(diff, t))
    high = subtract(b, multiply(diff, one_minus))
    return where(cond, convert(high, dtype_of(low)), low)


# ---------------------------------------------------------------- searching and binning

def _before(a: Any, v: Any) -> Any:
    """a sorts strictly before v in NumPy's order (NaNs last): a < v, or v is NaN and a not."""
    lt = less(a, v)
    if dtype_of(a).kind == "f" or dtype_of(v).kind == "f":
        lt = logical_or(lt, logical_and(isnan(v), logical_not(isnan(a))))
    return lt


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """numpy.searchsorted of a sorted 1-D ``a`` (traced or constant): the number of elements
    of ``a`` that sort before each ``v`` (side='left') or not after it (side='right'),
    NaN-aware as NumPy's order. Counting costs len(a) comparisons per value, all in one
    fused kernel; NumPy's answer when ``a`` is sorted, which NumPy requires too."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
    a, v = operand(a, "searchsorted"), check_operand(v, "searchsorted")
    if ndim_of(a) != 1:
        raise ValueError("object too deep for desired array" if ndim_of(a) else
                         "object of too small depth for desired array")
    if sorter is not None:
        a = take(a, sorter)
    dt = common_dtype(a, v)
    a, v = convert(a, dt), convert(v, dt)
    ve = expand_dims(v, -1)
    hits = _before(a, ve) if side == "left" else logical_not(_before(ve, a))
    return sum_(hits, axis=-1, dtype=np.intp)


def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """numpy.digitize with constant bins (their direction is checked now, as NumPy does):
    searchsorted on the bins, reversed for decreasing ones."""
    x = check_operand(x, "digitize")
    bins = static_value(bins)  # closed-over bins are known: a constant
    if isinstance(bins, Tracer):
        raise NotImplementedError(
            "numpy.digitize with traced bins: NumPy checks which way the bins run (increasing "
            "or decreasing), which gvmap must know when the function is traced; pass bins as a "
            "constant, or use np.searchsorted(bins, x, side='left' if right else 'right') for "
            "increasing traced bins")
    bins = np.asarray(bins)
    if dtype_of(x).kind == "c" or bins.dtype.kind == "c":
        raise TypeError("x may not be complex")
    if bins.ndim != 1:
        raise ValueError("bins must be 1-dimensional")
    mono = np.all(bins[1:] >= bins[:-1]) if bins.size else True
    dec = np.all(bins[1:] <= bins[:-1]) if bins.size else True
    if not (mono or dec):
        raise ValueError("bins must be monotonically increasing or decreasing")
    side = "left" if right else "right"
    if mono:
        return searchsorted(bins, x, side=side)
    return subtract(len(bins), searchsorted(bins[::-1], x, side=side))


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """numpy.interp, as NumPy's C loop computes it (compiled_base.c): the interval j with
    xp[j] <= x < xp[j + 1] found by counting, the slope, and NumPy's fallbacks where the
    slope times a distance is NaN. ``xp`` and ``fp`` may be traced or constant, or the
    points a traced mask keeps (``t[ok], x[ok]``: masked.interp_selected)."""
    from .masked import Selection, interp_selected
    if any(isinstance(v, Selection) for v in (x, xp, fp)):
        return interp_selected(x, xp, fp, left, right, period)
    x = check_operand(x, "interp")
    xp_, fp_ = operand(xp, "interp"), operand(fp, "interp")
    if ndim_of(xp_) != 1 or ndim_of(fp_) != 1:
        raise ValueError("data must be 1 dimensional")
    if shape_of(xp_) != shape_of(fp_):
        raise ValueError("fp and xp are not of the same length.")
    if shape_of(xp_)[0] == 0:
        raise ValueError("array of sample points is empty")
    x, xp_, fp_ = (convert(v, np.float64) for v in (x, xp_, fp_))
    if period is not None:
        if isinstance(period, Tracer):
            raise NotImplementedError("numpy.interp with a traced period: pass it as a number")
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(float(period))
        left = right = None
        x = remainder(x, period)
        xp_ = remainder(xp_, period)
        order = argsort(xp_)
        xp_, fp_ = take(xp_, order), take(fp_, order)
        xp_ = concatenate([subtract(getitem(xp_, slice(-1, None)), period), xp_,
                           add(getitem(xp_, slice(0, 1)), period)])
        fp_ = concatenate([getitem(fp_, slice(-1, None)), fp_, getitem(fp_, slice(0, 1))])
    n = shape_of(xp_)[0]
    lval = getitem(fp_, 0) if left is None else convert(check_operand(left, "interp"), np.float64)
    rval = getitem(fp_, -1) if right is None else convert(check_operand(right, "interp"), np.float64)
    if n == 1:
        x0, f0 = getitem(xp_, 0), getitem(fp_, 0)
        return where(less(x, x0), lval, where(less(x0, x), rval, f0))
    # j: the last index with xp[j] <= x (NumPy's binary_search_with_guess), clipped to an
    # interval [j, j + 1] that exists
    j = subtract(searchsorted(xp_, x, side="right"), 1)
    jc = clip(j, 0, n - 2)
    xj, xj1 = take(xp_, jc), take(xp_, add(jc, 1))
    fj, fj1 = take(fp_, jc), take(fp_, add(jc, 1))
    slope = true_divide(subtract(fj1, fj), subtract(xj1, xj))
    res = add(multiply(slope, subtract(x, xj)), fj)
    nan_res = isnan(res)
    alt = add(multiply(slope, subtract(x, xj1)), fj1)
    alt = where(logical_and(isnan(alt), equal(fj, fj1)), fj, alt)
    res = where(nan_res, alt, res)
    # NumPy takes fp itself where x is a sample point ("avoid potential non-finite
    # interpolation"): 1 at xp = [1, 2], fp = [1, inf], where the slope gives inf * 0
    res = where(equal(x, xj), fj, res)
    x_last, f_last = getitem(xp_, -1), getitem(fp_, -1)
    res = where(equal(x, x_last), f_last, res)
    res = where(less(x, getitem(xp_, 0)), lval, res)
    res = where(less(x_last, x), rval, res)
    return where(isnan(x), x, res)


def histogram(a: Any, bins: Any = 10, range: Any = None, density: Any = None,
              weights: Any = None) -> tuple[Any, Any]:
    """numpy.histogram with static bins: a bin count and a ``range`` (or constant edges),
    so the edges are NumPy's own (np.histogram_bin_edges, a constant output), or a bin
    count alone, the edges then per example from its min and max (``_data_edges``). Each count is
    a sum of ``edges[i] <= a < edges[i + 1]`` (the last bin closed), the bin NumPy's
    corrected index arithmetic arrives at; values outside the range are not counted."""
    a = operand(a, "histogram")
    bins = static_value(bins)  # closed-over edges and range are known: constants
    range = tuple(static_value(r) for r in range) if isinstance(range, (tuple, list)) else static_value(range)
    if isinstance(bins, Tracer) or isinstance(range, Tracer) or (
            isinstance(range, (tuple, list)) and any(isinstance(r, Tracer) for r in range)):
        raise NotImplementedError(
            "numpy.histogram with traced bins or range: the edges would differ per example; "
            "pass bins (a count or constant edges) and range as constants")
    if isinstance(bins, str):
        raise NotImplementedError(
            f"numpy.histogram(..., bins={bins!r}) chooses the bins from the data, so each "
            f"example would have its own; pass a bin count and range=(lo, hi)")
    x = ravel(a)
    if range is None and np.ndim(bins) == 0 and shape_of(x)[0]:
        edges = _data_edges(x, operator.index(bins))
    else:
        edges = np.histogram_bin_edges(np.zeros(0, dtype_of(a)), bins=bins, range=range)
    x = expand_dims(x, -1)
    lo, hi = edges[:-1], edges[1:]
    inside = logical_and(greater_equal(x, lo), less(x, hi))
    closed = logical_and(equal(x, hi[-1]), np.arange(len(lo)) == len(lo) - 1)
    inside = logical_or(inside, closed)
    if weights is None:
        counts = sum_(inside, axis=0, dtype=np.intp)
    else:
        w = expand_dims(ravel(check_operand(weights, "histogram")), -1)
        if shape_of(w)[0] != shape_of(x)[0]:
            raise ValueError("weights should have the same shape as a.")
        # NumPy sums with bincount (in float64), then casts to the weights' dtype
        total = sum_(where(inside, convert(w, np.float64), 0.0), axis=0)
        counts = convert(total, dtype_of(w))
    if density:
        db = np.diff(edges).astype(float)
        return true_divide(true_divide(counts, db), sum_(counts)), edges
    return counts, edges


def _data_edges(x: Any, bins: int) -> Any:
    """NumPy's edges for ``bins`` equal bins and no range (np.histogram_bin_edges): from the
    1-d x's min to its max (each widened by 0.5 where they are equal), by np.linspace in
    NumPy's dtype (x's float dtype; float64 for ints and bools). NumPy's ValueError for an
    example whose min or max is not finite."""
    from .arrays import linspace
    from .checks import raise_where
    from .elementwise import isfinite
    from .reductions import any as any_, max as max_, min as min_

    if bins < 1:
        raise ValueError("`bins` must be positive, when an integer")
    if dtype_of(x).kind != "f":
        x = convert(x, np.float64)  # NumPy's int / uint8 (for bools) edges are float64
    lo, hi = min_(x), max_(x)
    same = equal(lo, hi)
    lo, hi = where(same, subtract(lo, 0.5), lo), where(same, add(hi, 0.5), hi)
    edges = linspace(lo, hi, bins + 1, dtype=dtype_of(x))
    finite = logical_and(isfinite(lo), isfinite(hi))
    edges = raise_where(edges, logical_not(finite), error="ValueError", function="histogram",
                        reason="autodetected range is not finite",
                        hint="np.histogram(np.nan_to_num(x), ...) or range=(lo, hi)")
    flat = any_(greater_equal(edges[:-1], edges[1:]))
    return raise_where(edges, logical_and(finite, flat), error="ValueError",
                       function="histogram", reason=f"Too many bins for data range. Cannot "
                       f"create {bins} finite-sized bins", hint="fewer bins, or range=(lo, hi)")


def _checked_bins(rows: Any, m: int) -> Any:
    """The traced bin indices of np.bincount(x, minlength=m), checked when the plan runs:
    NumPy's ValueError for a negative value, and an ExampleShapeError for a value >= m,
    whose NumPy result would have max(x) + 1 bins where every other example has m."""
    from .checks import raise_where
    from .reductions import any as any_

    rows = raise_where(rows, any_(less(rows, 0)), error="ValueError", function="bincount",
                       reason="'list' argument must have no negative elements")
    return raise_where(rows, any_(greater_equal(rows, m)), error="ShapeError",
                       function="bincount", reason=f"a value >= minlength={m} (NumPy's result "
                       f"would have max(x) + 1 bins, not the {m} fixed when tracing)",
                       hint=f"raise minlength to the number of values x can take, or count "
                       f"np.clip(x, 0, {m - 1})")


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    """numpy.bincount where the output length is known when the function is traced: x a
    constant (weights traced), x bool or unsigned with ``minlength`` at least its dtype's
    range, or any traced ints with ``minlength`` m > 0, the number of bins the user means
    (HOG orientations, LBP codes, class labels): m bins, checked when the plan runs, since
    a negative value is NumPy's ValueError and a value >= m would make NumPy's result longer
    (``ExampleShapeError``, naming the example). Without minlength the length, max(x) + 1,
    is data: refused with a rewrite."""
    minlength = operator.index(minlength)
    if minlength < 0:
        raise ValueError("'minlength' must not be negative")
    x = static_value(x)  # an array the function made from constants: its length is known
    if not isinstance(x, Tracer):
        xs = np.asarray(x)
        if xs.ndim != 1 or (xs.size and not np.issubdtype(xs.dtype, np.integer) and xs.dtype != np.bool_):
            raise TypeError("bincount: x must be a 1-D array of non-negative integers")
        if xs.size and xs.min() < 0:
            raise ValueError("'list' argument must have no negative elements")
        length = max(int(xs.max()) + 1 if xs.size else 0, minlength)
        rows = xs.astype(np.intp)
    else:
        dt = x.dtype
        if dt.kind not in "biu":
            raise TypeError(f"Cannot cast array data from dtype('{dt}') to dtype('int64') "
                            f"according to the rule 'safe' (numpy.bincount counts integers: "
                            f"x.astype(np.intp) first)")
        if ndim_of(x) != 1:
            raise ValueError("object too deep for desired array")
        bound = 2 if dt == np.bool_ else (2 ** (8 * dt.itemsize) if dt.kind == "u" else None)
        if minlength == 0:
            w = "w" if weights is not None else "1"
            raise NotImplementedError(
                f"numpy.bincount of a traced {dt} array without minlength: its output length, "
                f"max(x) + 1, depends on the data, so each example could need another shape. "
                f"Give the number of bins m: np.bincount(x, {'weights=w, ' if w == 'w' else ''}"
                f"minlength=m) (values must lie in [0, m), checked when it runs), or "
                f"counts = np.zeros(m); np.add.at(counts, x, {w}) (IndexError for values "
                f"outside [-m, m))")
        length = minlength
        rows = convert(x, np.intp)
        if bound is None or minlength < bound:  # values the dtype allows may miss the bins
            rows = _checked_bins(rows, minlength)
    # one scatter-add of the counts (or weights) into the bins, in order as NumPy adds them:
    # O(len(x) + length), where comparing each value with each bin was their product
    count = shape_of(rows)[0]
    if weights is None:
        return bind(P.scatter_p, np.zeros(length, np.intp), rows, np.ones(count, np.intp),
                    mode="add")
    w = convert(check_operand(weights, "bincount"), np.float64)
    if shape_of(w) != (count,):
        raise ValueError("The weights and list don't have the same length.")
    return bind(P.scatter_p, np.zeros(length), rows, w, mode="add")


# ---------------------------------------------------------------- data-dependent shapes

def _shape_refusal(name: str, rewrite: str) -> Callable:
    return refused(name, "its result's shape depends on the values (how many elements "
                   "qualify), so every example of a batch could need a different shape, which "
                   "a batched array cannot have", rewrite)


unique = _shape_refusal(
    "unique", "Keep a fixed shape: np.sort(x) and a mask of first occurrences, "
    "s = np.sort(x); first = np.concatenate([[True], s[1:] != s[:-1]]), or count the "
    "distinct values with first.sum()")
nonzero = _shape_refusal(
    "nonzero", "Keep a fixed shape: use the mask itself (np.where(x != 0, ..., ...)), or "
    "np.argsort(x == 0, kind='stable') to put the nonzero positions first, with "
    "np.count_nonzero(x) of them valid")
argwhere = _shape_refusal(
    "argwhere", "Keep a fixed shape: use the mask itself, or np.argsort(~mask.ravel(), "
    "kind='stable') to put its positions first, with mask.sum() of them valid")
flatnonzero = _shape_refusal(
    "flatnonzero", "Keep a fixed shape: np.argsort(np.ravel(x) == 0, kind='stable') puts "
    "the nonzero positions first, with np.count_nonzero(x) of them valid")
