"""NumPy idioms of per-example code, each a composition of gvmap.numpy's functions (no
primitive of their own): index arithmetic (``np.unravel_index``, ``np.ravel_multi_index``,
``np.take``'s wrap and clip modes), ``np.lexsort``, ``np.block``, ``np.float_power``, the
NaN-skipping running sums and products, the static dtype questions (``np.iscomplexobj``,
``np.isrealobj``), the real-input answers of the complex helpers (``np.angle``,
``np.real_if_close``), ``np.apply_over_axes``, ``np.histogram2d``/``np.histogramdd`` with
static bins, ``np.linalg.cond``, NumPy 2's ``np.linalg.vector_norm``/``matrix_norm`` and
``ufunc.reduceat`` with constant indices (the loops over a Python function, vectorize and
apply_along_axis, are in mapped.py).

Static arguments (shapes, dims, modes, orders) are checked by NumPy's own function applied to
zero-size stand-ins of the traced operands, so the errors and their messages are NumPy's.
Per-value errors NumPy raises (an index out of range) cannot be raised for one example of a
batch at trace time; they are raised at run time by gvmap's gathers, whose index rule is
checked on every backend and plan kind (gvmap/implementations.py, ``index_error``).
"""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from . import linalg_solvers as ls
from ._core import (PY_SCALARS, as_operand, check_operand, convert, dtype_of, ndim_of,
                    normalize_axis, result_dtype, shape_of)
from ..tracing import Tracer
from .clip import clip
from .arrays import take_along_axis
from .elementwise import (add, arctan2, equal, floor_divide, greater_equal, isnan, less,
                          logical_and, logical_not, logical_or, multiply, power, remainder,
                          subtract, true_divide, where)
from .indexing import getitem, take as _take_raise
from .linalg import einsum, norm
from .reductions import any as any_, cumprod, cumsum, max as max_, min as min_, prod, sum as sum_
from .shape import broadcast_to, concatenate, expand_dims, ravel, reshape, transpose
from .sorting import argsort

__all__ = ["unravel_index", "ravel_multi_index", "take", "lexsort", "block", "float_power",
           "nancumsum", "nancumprod", "iscomplexobj", "isrealobj", "angle", "real_if_close",
           "apply_over_axes", "histogram2d", "histogramdd"]


def _operand(a: Any, name: str) -> Any:
    return as_operand(check_operand(a, name))


def _stand_in(x: Any) -> np.ndarray:
    """A zero-size array of x's dtype: NumPy's function checks the static arguments on it."""
    return np.zeros(0, dtype_of(x))


def _shape_stand_in(x: Any) -> np.ndarray:
    """A (read-only, zero-memory) zero array with x's shape and dtype."""
    return np.broadcast_to(np.zeros((), dtype_of(x)), shape_of(x))


def _known(x: Any) -> Any:
    """x with every known tracer in it (an array the traced code made from constants:
    ``np.array([0, 2])``, ``np.linspace(0, 1, 5)``) replaced by its value."""
    if isinstance(x, Tracer):
        return x if x.known is None else x.known
    if isinstance(x, (list, tuple)):
        return type(x)(_known(e) for e in x)
    return x


def _checked(i: Any, size: int) -> Any:
    """i itself, through a gather from ``arange(size)`` that raises gvmap's IndexError at run
    time for an i outside [0, size) (a negative i is moved below -size, so the gather's rule
    ``-size <= i < size`` refuses it as NumPy's ``[0, size)`` does)."""
    table = np.arange(max(size, 0), dtype=np.intp)
    return _take_raise(table, where(less(i, 0), subtract(i, max(size, 0)), i))


def _strides(dims: Sequence[int], order: str) -> list[int]:
    """Element strides of an array of ``dims`` in C or Fortran order."""
    strides, step = [0] * len(dims), 1
    for k in (range(len(dims) - 1, -1, -1) if order != "F" else range(len(dims))):
        strides[k] = step
        step *= dims[k]
    return strides


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple:
    """numpy.unravel_index with traced integer ``indices`` and a static ``shape``: one
    floor division and remainder per dim (``np.unravel_index(np.argmax(x), x.shape)``).
    An index outside [0, size) raises gvmap's gather IndexError at run time (NumPy raises a
    ValueError)."""
    if isinstance(indices, (np.ndarray, np.generic, list) + PY_SCALARS):
        return np.unravel_index(indices, shape, order)  # a NumPy value: NumPy's answer
    if isinstance(shape, Tracer):
        raise TypeError("numpy.unravel_index: `shape` must be static (a tuple of ints, e.g. "
                        "x.shape), not a traced array")
    no_dims = isinstance(shape, (tuple, list)) and len(shape) == 0
    probe = np.zeros((), dtype_of(indices)) if no_dims else _stand_in(indices)
    np.unravel_index(probe, shape, order)  # NumPy's checks: dtype, shape's entries, order
    dims = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(map(operator.index, shape))
    size = int(np.prod(dims, dtype=np.int64))
    if size > 0:  # NumPy's checks of the indices' shape against the shape (0-d: one index)
        np.unravel_index(_shape_stand_in(indices), shape, order)
    flat = _checked(convert(indices, np.intp), size)
    out = []
    for d, stride in zip(dims, _strides(dims, order)):
        q = floor_divide(flat, stride) if stride != 1 else flat
        out.append(remainder(q, d) if d != 1 else multiply(q, 0))
    return tuple(out)


_CLIPMODES = ("raise", "wrap", "clip")


def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise", order: str = "C") -> Any:
    """numpy.ravel_multi_index with a traced multi-index and static ``dims``: the sum of
    each (wrapped, clipped or checked) index times its stride. ``mode="raise"``: an index
    outside [0, d) raises gvmap's gather IndexError at run time (NumPy: ValueError)."""
    if isinstance(dims, Tracer):
        raise TypeError("numpy.ravel_multi_index: `dims` must be static (a tuple of ints)")
    if isinstance(multi_index, Tracer):
        multi_index = [getitem(multi_index, k) for k in range(shape_of(multi_index)[0])] \
            if ndim_of(multi_index) else multi_index
    if isinstance(multi_index, Tracer) or not isinstance(multi_index, (tuple, list)):
        raise TypeError("numpy.ravel_multi_index: `multi_index` must be a sequence of integer "
                        "arrays, one per dim")
    parts = [check_operand(i, "ravel_multi_index") for i in multi_index]
    parts = [p if isinstance(p, Tracer) else np.asarray(p) for p in parts]
    # NumPy's checks on stand-ins: dtypes, lengths, broadcasting, modes, order, dims' size
    np.ravel_multi_index(tuple(_shape_stand_in(p) for p in parts), dims, "clip", order)
    np.ravel_multi_index(tuple(_stand_in(p) for p in parts), dims, mode, order)
    dims = (operator.index(dims),) if np.ndim(dims) == 0 else tuple(map(operator.index, dims))
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    total = None
    for p, d, m, stride in zip(parts, dims, modes, _strides(dims, order)):
        i = convert(p, np.intp)
        if m == "wrap":
            i = remainder(i, d)
        elif m == "clip":
            i = clip(i, 0, d - 1)
        else:
            i = _checked(i, d)
        term = multiply(i, stride) if stride != 1 else i
        total = term if total is None else add(total, term)
    shape = np.broadcast_shapes(*(shape_of(p) for p in parts))
    return total if shape_of(total) == shape else broadcast_to(total, shape)


def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    """numpy.take in all three modes: "raise" (gvmap's gather, its index rule), "wrap"
    (``indices % n``: -1 is the last, n the first, as NumPy) and "clip" (into [0, n - 1]:
    negative indices become 0, as NumPy's clip mode does not count from the end)."""
    if out is not None:
        raise TypeError("numpy.take(..., out=...) writes in place; use the returned value")
    mode = "raise" if mode is None else mode
    if mode not in _CLIPMODES:
        np.take(np.zeros(1), 0, mode=mode)  # NumPy's error for an unknown mode
    a = _operand(a, "take")
    if axis is None or ndim_of(a) == 0:  # NumPy takes from a 0-d array as from a 1-d one
        a = ravel(a)
        axis = 0 if axis is None else axis
    if mode == "raise":
        return _take_raise(a, indices, axis)
    axis = normalize_axis(axis, ndim_of(a))
    n = shape_of(a)[axis]
    if isinstance(indices, (list, tuple)):  # [i, 0] with a traced i: one traced array
        indices = check_operand(indices, "take")
    if not isinstance(indices, Tracer):
        index = np.asarray(indices)
        if index.size and n == 0:
            raise IndexError("cannot do a non-empty take from an empty axes.")
        if index.size == 0:
            index = index.astype(np.intp)
        np.take(np.zeros(1), _stand_in(index), mode=mode)  # NumPy's check of the dtype
        if n:
            index = index % n if mode == "wrap" else np.clip(index, 0, n - 1)
        return _take_raise(a, index.astype(np.intp), axis)
    if indices.dtype.kind not in "iub":
        np.take(np.zeros(1), _stand_in(indices), mode=mode)  # NumPy's TypeError for floats
    if n == 0 and indices.size:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    index = convert(indices, np.intp)
    if n:
        index = remainder(index, n) if mode == "wrap" else clip(index, 0, n - 1)
    return _take_raise(a, index, axis)


def lexsort(keys: Any, axis: int = -1) -> Any:
    """numpy.lexsort: stable argsorts chained from the first key to the last (the last key
    is the primary one), along ``axis``; ``keys`` a sequence of arrays or an array whose
    first axis runs over the keys."""
    if isinstance(keys, Tracer):
        keys = [getitem(keys, k) for k in range(shape_of(keys)[0])] if ndim_of(keys) else [keys]
    keys = [as_operand(check_operand(k, "lexsort")) for k in keys]
    # NumPy's checks on stand-ins: a key at least, equal shapes, the axis
    np.lexsort([_shape_stand_in(k) for k in keys], axis=axis)
    if ndim_of(keys[0]) == 0:
        return np.intp(0)
    axis = normalize_axis(axis, ndim_of(keys[0]))
    order = argsort(keys[0], axis=axis, kind="stable")
    for key in keys[1:]:
        step = argsort(take_along_axis(key, order, axis), axis=axis, kind="stable")
        order = take_along_axis(order, step, axis)
    return order


def _block_leaves(arrays: Any) -> tuple[Any, Any]:
    """The nesting with each leaf an array (a Python scalar becomes NumPy's default dtype, as
    np.block makes it), and the same nesting of zero NumPy stand-ins (tuples kept, so that
    np.block raises its own error for them)."""
    if isinstance(arrays, (list, tuple)):
        pairs = [_block_leaves(a) for a in arrays]
        return (type(arrays)(p[0] for p in pairs), type(arrays)(p[1] for p in pairs))
    leaf = as_operand(check_operand(arrays, "block"))
    leaf = leaf if isinstance(leaf, Tracer) else np.asarray(leaf)
    return leaf, np.zeros(shape_of(leaf), dtype_of(leaf))


def _block(arrays: Any, depth: int, ndim: int, level: int) -> Any:
    if isinstance(arrays, list):
        parts = [_block(a, depth, ndim, level + 1) for a in arrays]
        return concatenate(parts, axis=-(depth - level)) if len(parts) > 1 else parts[0]
    missing = ndim - ndim_of(arrays)
    return reshape(arrays, (1,) * missing + shape_of(arrays)) if missing else arrays


def block(arrays: Any) -> Any:
    """numpy.block: NumPy's own np.block on zero stand-ins of the leaves decides the depth,
    the result's shape and dtype and every error (mismatched depths, empty lists, tuples);
    the traced result is then the same nested concatenation, innermost lists joined along
    the last axis, each leaf first given the result's rank by leading size-1 dims."""
    leaves, stand_ins = _block_leaves(arrays)
    expected = np.block(stand_ins)
    depth, inner = 0, arrays
    while isinstance(inner, list):
        depth, inner = depth + 1, inner[0]
    out = _block(leaves, depth, expected.ndim, 0)
    return convert(out, expected.dtype)


def float_power(x1: Any, x2: Any, out: Any = None, *, where: Any = True, dtype: Any = None,
                **kwargs: Any) -> Any:
    """numpy.float_power: x1 ** x2 computed in float64 whatever the operands (NumPy has only
    float64, long double and complex loops), so integers take negative powers."""
    if out is not None:
        raise TypeError("numpy.float_power(..., out=...) writes in place; use the returned value")
    if where is not True:
        raise NotImplementedError("gvmap does not support numpy.float_power(..., where=...); "
                                  "write np.where(mask, np.float_power(x1, x2), fill)")
    x1, x2 = check_operand(x1, "float_power"), check_operand(x2, "float_power")
    dtype = result_dtype(lambda a, b: np.float_power(a, b, dtype=dtype, **kwargs), x1, x2)
    return power(convert(x1, dtype), convert(x2, dtype))


def _nan_scan(scan: Any, fill: Any, name: str):
    def fn(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
        if out is not None:
            raise TypeError(f"numpy.{name}(..., out=...) writes in place; use the returned value")
        a = _operand(a, name)
        if ndim_of(a) == 0:  # NumPy scans a 0-d array as a 1-d one (axis 0 or -1)
            a = ravel(a)
        if dtype_of(a).kind in "fc":
            a = where(isnan(a), np.asarray(fill, dtype_of(a))[()], a)
        return scan(a, axis, dtype)
    fn.__name__ = name
    fn.__doc__ = (f"numpy.{name}: NaNs counted as {fill} (NumPy's replacement), then "
                  f"numpy.{name[3:]}; integer and bool arrays have no NaN.")
    return fn


nancumsum = _nan_scan(cumsum, 0, "nancumsum")
nancumprod = _nan_scan(cumprod, 1, "nancumprod")


def iscomplexobj(x: Any) -> bool:
    """numpy.iscomplexobj: answered by the dtype, known when the function is traced."""
    return dtype_of(x).kind == "c" if not isinstance(x, (list, tuple)) else np.iscomplexobj(
        [_shape_stand_in(e) if isinstance(e, Tracer) else e for e in x])


def isrealobj(x: Any) -> bool:
    """numpy.isrealobj: ``not iscomplexobj(x)``, known from the dtype."""
    return not iscomplexobj(x)


def angle(z: Any, deg: bool = False) -> Any:
    """numpy.angle of real input: arctan2(0, z), so -0.0 and negative numbers give pi, NaN
    gives NaN (complex arrays are outside gvmap)."""
    z = _operand(z, "angle")
    a = arctan2(0, z)
    return multiply(a, 180 / np.pi) if deg else a


def real_if_close(a: Any, tol: Any = 100) -> Any:
    """numpy.real_if_close of real input: the input itself, as NumPy returns it."""
    return _operand(a, "real_if_close")


def apply_over_axes(func: Any, a: Any, axes: Any) -> Any:
    """numpy.apply_over_axes: ``func(a, axis)`` for each axis in turn, a result one dim
    shorter given its dim back (NumPy's loop, its error for other shapes)."""
    val = _operand(a, "apply_over_axes")
    n = ndim_of(val)
    if np.ndim(axes) == 0:
        axes = (axes,)
    for axis in axes:
        if axis < 0:
            axis = n + axis
        res = func(val, axis)
        if ndim_of(res) != ndim_of(val):
            res = expand_dims(res, axis)
            if ndim_of(res) != ndim_of(val):
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


def _columns(sample: Any) -> list[Any]:
    """histogramdd's sample as its D columns: an (N, D) array, or a sequence of D arrays."""
    if isinstance(sample, Tracer) and ndim_of(sample) == 2:
        return [getitem(sample, (slice(None), k)) for k in range(shape_of(sample)[1])]
    if isinstance(sample, Tracer):
        return [ravel(sample)]
    cols = [check_operand(c, "histogramdd") for c in sample]
    if len({shape_of(c) for c in cols}) > 1:
        raise ValueError("histogramdd: every coordinate array of `sample` must have the same "
                         f"shape (got {[shape_of(c) for c in cols]})")
    return [ravel(c) for c in cols]


def histogramdd(sample: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple:
    """numpy.histogramdd with static bins: counts (or constant edges) with ``range`` for
    each dim, so the edges are NumPy's own (histogramdd on an empty stand-in, which checks
    the arguments too). A sample is in bin k of a dim when edges[k] <= x < edges[k + 1] (the
    last bin closed), NumPy's searchsorted rule; NaN and values outside are not counted.
    The counts are one einsum of the per-dim bin masks."""
    bins, range = _known(bins), _known(range)
    for arg, what in ((bins, "bins"), (range, "range")):
        if any(isinstance(x, Tracer) for x in _flat(arg)):
            raise NotImplementedError(
                f"numpy.histogramdd with traced {what}: the edges would differ per example; "
                f"pass bins (counts or constant edges) and range as constants")
    cols = _columns(sample)
    d = len(cols)
    try:  # NumPy's reading of bins: one per dim, or one for every dim
        counts = list(bins) if len(bins) == d else None
    except TypeError:
        counts = [bins] * d
    ranges = [None] * d if range is None else list(range)
    for k, (b, r) in enumerate(zip(counts or [], ranges)):
        if np.ndim(b) == 0 and r is None and not isinstance(b, str):
            raise NotImplementedError(
                f"numpy.histogramdd without a range for dim {k} takes it from the data (its "
                f"min and max), so the edges would differ per example; pass range=[(lo, hi), "
                f"...] or constant edges")
    dtype = np.result_type(*(dtype_of(c) for c in cols))
    _, edges = np.histogramdd(np.zeros((0, d), dtype), bins, range, density)
    masks = []
    for x, e in zip(cols, edges):
        x = expand_dims(x, -1)
        lo, hi = e[:-1], e[1:]
        inside = logical_and(greater_equal(x, lo), less(x, hi))
        last = np.arange(len(lo)) == len(lo) - 1
        masks.append(convert(logical_or(inside, logical_and(equal(x, hi[-1]), last)), np.float64))
    letters = "abcdefghijklmopqrstuvwxyz"[:d]
    operands = masks
    spec = ",".join(f"n{c}" for c in letters)
    if weights is not None:
        w = ravel(check_operand(weights, "histogramdd"))
        if shape_of(w)[0] != shape_of(cols[0])[0]:
            raise ValueError("The weights and list don't have the same length.")  # bincount's
        operands, spec = masks + [convert(w, np.float64)], spec + ",n"
    hist = einsum(f"{spec}->{letters}", *operands)
    if density:
        total = sum_(hist)
        for k, e in enumerate(edges):
            shape = [1] * d
            shape[k] = len(e) - 1
            hist = true_divide(hist, np.diff(e).reshape(shape))
        hist = true_divide(hist, total)
    return hist, list(edges)


def _flat(x: Any) -> list:
    if isinstance(x, (list, tuple)):
        return [e for item in x for e in _flat(item)]
    return [x]


def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple:
    """numpy.histogram2d: histogramdd of the (x, y) pairs; bins a count, a pair of counts,
    constant edges or a pair of them, as NumPy reads them."""
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n != 1 and n != 2:
        bins = [np.asarray(bins)] * 2
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


# ---------------------------------------------------------------- np.linalg, ufunc.reduceat

def cond(x: Any, p: Any = None) -> Any:
    """numpy.linalg.cond as NumPy computes it: the ratio of the extreme singular values for
    p None / 2 / -2, else ``norm(x, p) * norm(inv(x), p)`` in float64; a NaN result becomes
    inf unless x has a NaN. Where NumPy's inverse fails (an exact zero pivot, i.e. a zero
    LU determinant) its result is NaN, so inf: here the inverse is taken of the identity in
    such an example (gvmap's inv would raise) and the result set to NaN likewise. (With
    p='nuc' NumPy's svd of that NaN inverse raises LinAlgError; here the result is inf.)"""
    x = _operand(x, "linalg.cond")
    shape = shape_of(x)
    stand_in = np.zeros(shape, dtype_of(x))
    if len(shape) >= 2:  # identities: NumPy's svd of a NaN inverse would raise
        stand_in = stand_in + np.eye(shape[-2], shape[-1], dtype=dtype_of(x))
    with np.errstate(all="ignore"):  # NumPy's checks: dims, square, p, empty
        np.linalg.cond(stand_in, p)
    if p is None or p in (2, -2):
        s = ls.svd(x, compute_uv=False)
        first, last = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        r = true_divide(last, first) if p == -2 else true_divide(first, last)
    else:
        result_t = np.float32 if dtype_of(x) == np.float32 else np.float64
        xd = convert(x, np.float64)
        singular = equal(ls.det(xd), 0)
        n = shape_of(x)[-1]
        safe = where(expand_dims(singular, (-2, -1)), np.eye(n), xd)
        r = multiply(norm(xd, p, axis=(-2, -1)), norm(ls.inv(safe), p, axis=(-2, -1)))
        r = convert(where(singular, np.nan, r), result_t)
    undefined = logical_and(isnan(r), logical_not(any_(isnan(x), axis=(-2, -1))))
    return where(undefined, np.asarray(np.inf, dtype_of(r))[()], r)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """numpy.linalg.vector_norm (NumPy 2's array-API function): a vector norm over one axis,
    several (flattened together, as NumPy reshapes them) or all of them."""
    x = _operand(x, "linalg.vector_norm")
    shape = list(shape_of(x))
    if axis is None:
        flat, along = ravel(x), 0
    elif isinstance(axis, tuple):
        axes = tuple(normalize_axis(a, len(shape)) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
        rest = tuple(i for i in range(len(shape)) if i not in axes)
        size = int(np.prod([shape[i] for i in axes], dtype=int))
        flat = reshape(transpose(x, axes + rest), (size,) + tuple(shape[i] for i in rest))
        along = 0
    else:
        flat, along = x, axis
    result = norm(flat, ord=ord, axis=along)
    if keepdims:
        kept = range(len(shape)) if axis is None else (
            axis if isinstance(axis, tuple) else (axis,))
        for i in kept:
            shape[normalize_axis(i, len(shape))] = 1
        result = reshape(result, tuple(shape))
    return result


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """numpy.linalg.matrix_norm (NumPy 2's array-API function): norm over the last two axes."""
    return norm(_operand(x, "linalg.matrix_norm"), ord=ord, axis=(-2, -1), keepdims=keepdims)


_REDUCERS = {"add": sum_, "multiply": prod, "maximum": max_, "minimum": min_}


def reduceat(name: str):
    """``np.<name>.reduceat(a, indices, axis=0, dtype=None)`` with constant indices: the
    reduction of each slice a[indices[i]:indices[i + 1]] (to the end for the last), and
    a[indices[i]] itself where indices[i] >= indices[i + 1], NumPy's rule; one concatenate
    of the pieces. NumPy's own reduceat on a zero stand-in checks the indices and gives
    the dtype."""
    ufunc, reduce = getattr(np, name), _REDUCERS[name]

    def fn(a: Any, indices: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        if out is not None:
            raise TypeError(f"numpy.{name}.reduceat(..., out=...) writes in place; use the "
                            f"returned value")
        indices = _known(indices)
        if isinstance(indices, Tracer):
            raise NotImplementedError(
                f"numpy.{name}.reduceat with traced indices: the segments would differ per "
                f"example. Pass the indices as constants"
                + (", or for sums use a cumulative sum: c = np.concatenate([[0], "
                   "np.cumsum(a)]); c[ends] - c[starts]" if name == "add" else ""))
        a = _operand(a, f"{name}.reduceat")
        if ndim_of(a) == 0:
            raise TypeError("cannot reduceat on a scalar")
        idx = np.asarray(indices)
        expected = ufunc.reduceat(np.zeros(shape_of(a), dtype_of(a)), idx, axis, dtype)
        axis = normalize_axis(axis, ndim_of(a))
        a = convert(a, expected.dtype)
        n = shape_of(a)[axis]
        pieces = []
        for k, start in enumerate(idx.tolist()):
            stop = idx[k + 1] if k + 1 < len(idx) else n
            rest = (slice(None),) * axis
            if start < stop:
                piece = getitem(a, rest + (slice(start, stop),))
                pieces.append(convert(reduce(piece, axis=axis, keepdims=True), expected.dtype))
            else:
                pieces.append(getitem(a, rest + (slice(start, start + 1),)))
        if not pieces:
            return np.zeros(expected.shape, expected.dtype)
        return concatenate(pieces, axis) if len(pieces) > 1 else pieces[0]
    fn.__name__ = f"{name}.reduceat"
    return fn
