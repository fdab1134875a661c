"""Array utilities, each a composition of existing primitives (so they batch with no rule of
their own and fuse where they are elementwise): take_along_axis, put_along_axis, diag,
diagonal, trace, diagflat, the split family, fliplr, flipud, rot90, kron, linspace,
logspace, geomspace, arange with a static length, and the dtype queries result_type and
can_cast on traced values.

Shapes are static in a traced program, so every count here (the number of samples of
linspace, the sections of split, the length of arange) must be a Python int; traced
endpoints, values and indices are fine.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Sequence

import numpy as np

from .. import primitives as P
from ..graph import Literal
from ..tracing import Tracer, bind, current_trace
from ._core import (broadcast_shapes, check_operand, convert, dtype_of, ndim_of, normalize_axis,
                    operand, result_dtype, shape_of)
from .checks import raise_where
from .elementwise import (add, equal, floor, log10, logical_or, multiply, power, sign, subtract,
                          true_divide, where)
from .indexing import along, constant_indices, gather, getitem, take, wrap_traced
from .reductions import any as any_, argmax, sum as sum_
from .shape import (broadcast_to, concatenate, expand_dims, flip, moveaxis, ravel, reshape,
                    transpose)
from .updates import broadcast_written, setitem

__all__ = ["take_along_axis", "put_along_axis", "diag", "diagonal", "trace", "diagflat",
           "split", "array_split", "hsplit", "vsplit", "dsplit", "fliplr", "flipud", "rot90",
           "kron", "linspace", "logspace", "geomspace", "arange", "result_type", "can_cast",
           "finfo", "iinfo"]


def static_value(x: Any) -> Any:
    """A known tracer's value (``Tracer.known``: an array made or closed over in the
    function), so indices, widths and coordinates known at trace time are treated as the
    constants they are (checked now, planned once); anything else as it is."""
    known = x.known if isinstance(x, Tracer) else None
    return x if known is None else known


# ---------------------------------------------------------------- gathers along an axis

def _along_axis_operands(arr: Any, indices: Any, axis: Any, name: str):
    """NumPy's checks of take/put_along_axis, and the shape the fancy index NumPy builds
    has: ``indices`` broadcast against ``arr`` on every axis but ``axis``."""
    arr = operand(arr, name)
    indices = static_value(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    if not np.issubdtype(dtype_of(indices), np.integer):
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        if ndim_of(indices) != 1:
            raise ValueError(f"when axis=None, `indices` must have a single dimension "
                             f"(numpy.{name})")
        arr, axis = ravel(arr), 0
    elif ndim_of(indices) != ndim_of(arr):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = normalize_axis(axis, ndim_of(arr))
    one = lambda s: tuple(1 if i == axis else d for i, d in enumerate(s))
    try:
        other = broadcast_shapes(one(shape_of(arr)), one(shape_of(indices)))
    except ValueError:
        raise ValueError(f"shape mismatch: indices of shape {shape_of(indices)} cannot be "
                         f"broadcast against arr of shape {shape_of(arr)} off axis {axis}") from None
    with_size = lambda n: tuple(n if i == axis else d for i, d in enumerate(other))
    return arr, indices, axis, with_size


def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:
    """numpy.take_along_axis as ONE flat gather: each index becomes a linear position
    (constant offsets of the other axes plus ``index * stride``), so per-example indices
    batch as one ``take``. An index outside [-n, n) raises IndexError, as in NumPy."""
    arr, indices, axis, with_size = _along_axis_operands(arr, indices, axis, "take_along_axis")
    n = shape_of(arr)[axis]
    k = shape_of(indices)[axis]
    arr = broadcast_to(arr, with_size(n))
    indices = broadcast_to(indices, with_size(k)) if isinstance(indices, Tracer) else \
        np.broadcast_to(indices, with_size(k))
    out_shape = with_size(k)
    stride = math.prod(shape_of(arr)[axis + 1:])
    grid = np.indices(out_shape, sparse=False)
    offsets = sum(g * s for i, (g, s) in enumerate(zip(grid, _strides(shape_of(arr)))) if i != axis)
    offsets = np.zeros(out_shape, np.intp) + offsets  # 0 (a Python int) for a 1-D arr
    fixed, bad = (wrap_traced(indices, n) if isinstance(indices, Tracer)
                  else (constant_indices(indices, n, axis), None))  # constants checked now
    linear = add(offsets, multiply(convert(fixed, np.intp), stride)) \
        if isinstance(fixed, Tracer) else offsets + fixed * stride
    if bad is not None:  # past its own axis: make the linear index fail the gather too
        linear = where(bad, math.prod(shape_of(arr)), linear)
    return gather(ravel(arr), linear, 0)


def _strides(shape: Sequence[int]) -> list[int]:
    """Row-major element strides of ``shape``."""
    out, s = [], 1
    for d in reversed(shape):
        out.append(s)
        s *= d
    return out[::-1]


def put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> None:
    """numpy.put_along_axis as a functional update: ``arr`` (a traced local array) then
    stands for the written array, as NumPy's in-place write makes it. Writes into an
    argument of the traced function stay refused (NumPy would change the caller's array).

    Constant indices are an index update NumPy plans once (one gather plus one select).
    Traced indices compare every index with every position of its row, the last write to
    a position winning as in NumPy: O(n * k) per row for k indices into an axis of n."""
    indices = static_value(indices)
    if not isinstance(arr, Tracer):
        if isinstance(values, Tracer) or isinstance(indices, Tracer):
            raise TypeError(
                "np.put_along_axis writes into its first argument in place, and a NumPy array "
                "cannot hold traced values; start from a traced array (e.g. "
                "y = np.zeros_like(x); np.put_along_axis(y, idx, v, axis=-1))")
        np.put_along_axis(arr, indices, values, axis)
        return
    what = "np.put_along_axis(arr, ...)"
    rewrite = "Write into a copy: `arr = arr.copy()` first"
    shape = arr.shape
    with arr._trace.internal_views(arr._var):
        a, idx, ax, with_size = _along_axis_operands(arr, indices, axis, "put_along_axis")
        value = convert(check_operand(values, "put_along_axis"), arr.dtype)
        if not isinstance(idx, Tracer):  # NumPy's own fancy index (_make_along_axis_idx)
            nd = ndim_of(a)
            key = tuple(idx if d == ax else np.arange(s).reshape((1,) * d + (s,) + (1,) * (nd - d - 1))
                        for d, s in enumerate(shape_of(a)))
            new = setitem(a, key, value)
        else:
            new = _put_traced(a, idx, value, ax, with_size)
        new = reshape(new, shape)
    arr._assign(new, what, rewrite)


def _put_traced(a: Any, idx: Any, value: Any, axis: int, with_size) -> Any:
    n, k = shape_of(a)[axis], shape_of(idx)[axis]
    idx = broadcast_to(idx, with_size(k))
    value = broadcast_written(value, with_size(k))
    rows = take(np.arange(n), idx)                 # the index rule: IndexError outside [-n, n)
    rows, value, base = (moveaxis(x, axis, -1) for x in (rows, value, a))
    hits = equal(expand_dims(rows, -1), np.arange(n))         # (..., k, n): write k hits j
    last = (k - 1) - argmax(getitem(hits, (Ellipsis, slice(None, None, -1), slice(None))), axis=-2)
    written = any_(hits, axis=-2)
    gathered = take_along_axis(value, last, axis=-1)
    return moveaxis(where(written, gathered, base), -1, axis)


# ---------------------------------------------------------------- diagonals

def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """numpy.diagonal: the two axes move last and merge, and the diagonal is one strided
    slice of the merged axis (start ``offset``, step ``cols + 1``); it becomes the last axis."""
    a = operand(a, "diagonal")
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    i, j = normalize_axis(axis1, nd, "axis1"), normalize_axis(axis2, nd, "axis2")
    if i == j:
        raise ValueError("axis1 and axis2 cannot be the same")
    offset = operator.index(offset)
    a = moveaxis(a, (i, j), (-2, -1))
    rows, cols = shape_of(a)[-2:]
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    flat = reshape(a, shape_of(a)[:-2] + (rows * cols,))
    start = offset if offset >= 0 else -offset * cols
    if length == 0:
        return along(flat, ndim_of(flat) - 1, slice(0, 0))
    return along(flat, ndim_of(flat) - 1, slice(start, start + (length - 1) * (cols + 1) + 1, cols + 1))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: Any = None) -> Any:
    """numpy.trace: the sum of ``diagonal``, in np.sum's accumulator dtype."""
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def diag(v: Any, k: int = 0) -> Any:
    """numpy.diag: of a 2-D array its k-th diagonal; of a 1-D one the square matrix with v
    on the k-th diagonal, as ``where(mask, row, 0)`` with a constant mask (elementwise, so
    it fuses with what follows)."""
    v = operand(v, "diag")
    k = operator.index(k)
    if ndim_of(v) == 2:
        return diagonal(v, k)
    if ndim_of(v) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape_of(v)[0]
    m = n + abs(k)
    zeros = np.zeros((abs(k),), dtype_of(v))
    row = concatenate([zeros, v]) if k > 0 else concatenate([v, zeros]) if k < 0 else v
    mask = np.eye(m, m, k, dtype=bool)
    return where(mask, expand_dims(row, 0), np.zeros((), dtype_of(v))[()])


def diagflat(v: Any, k: int = 0) -> Any:
    return diag(ravel(operand(v, "diagflat")), k)


# ---------------------------------------------------------------- splitting and flipping

def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """numpy.array_split: static slices (views). N sections of an axis of n: the first
    n % N have n // N + 1 elements, the rest n // N."""
    ary = operand(ary, "array_split")
    axis = normalize_axis(axis, ndim_of(ary))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extras = divmod(n, sections)
        sizes = [each + 1] * extras + [each] * (sections - extras)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [operator.index(i) for i in indices_or_sections] + [n]
    return [along(ary, axis, slice(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(operand(ary, "split"))[normalize_axis(axis, ndim_of(ary))]
        if indices_or_sections and n % operator.index(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    if ndim_of(operand(ary, "hsplit")) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    if ndim_of(operand(ary, "vsplit")) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    if ndim_of(operand(ary, "dsplit")) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def fliplr(m: Any) -> Any:
    if ndim_of(operand(m, "fliplr")) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    if ndim_of(operand(m, "flipud")) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """numpy.rot90, as NumPy writes it: flips and one transpose (all views)."""
    m = operand(m, "rot90")
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    nd = ndim_of(m)
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if axes[0] >= nd or axes[0] < -nd or axes[1] >= nd or axes[1] < -nd:
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(nd))
    a0, a1 = axes[0] % nd, axes[1] % nd
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, axes[1]), perm)
    return flip(transpose(m, perm), axes[1])


def kron(a: Any, b: Any) -> Any:
    """numpy.kron: a with size-1 dims interleaved, times b likewise (one fused product),
    reshaped to the blocks."""
    a, b = operand(a, "kron"), operand(b, "kron")
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return multiply(a, b)
    nd = max(ndim_of(a), ndim_of(b))
    a = reshape(a, (1,) * (nd - ndim_of(a)) + shape_of(a))
    b = reshape(b, (1,) * (nd - ndim_of(b)) + shape_of(b))
    sa, sb = shape_of(a), shape_of(b)
    spread_a = reshape(a, tuple(d for s in sa for d in (s, 1)))
    spread_b = reshape(b, tuple(d for s in sb for d in (1, s)))
    return reshape(multiply(spread_a, spread_b), tuple(x * y for x, y in zip(sa, sb)))


# ---------------------------------------------------------------- ranges with static counts

def _count(num: Any, name: str) -> int:
    num = static_value(num)
    if isinstance(num, Tracer):
        raise TypeError(
            f"numpy.{name}: the number of samples sets the result's shape, which a traced "
            f"program must know before it runs; pass a Python int (the endpoints may be traced)")
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    return num


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0, *, device: Any = None) -> Any:
    """numpy.linspace with traced endpoints and a static ``num``, NumPy's formula step for
    step: ``arange(num) * step + start`` (``/ div * delta`` where the step underflows to 0),
    the last sample set to ``stop``, floored for an integer dtype."""
    num = _count(num, "linspace")
    # Python numbers stay weak here, as NumPy's _array_converter keeps them
    start, stop = (check_operand(x, "linspace") for x in (start, stop))
    div = (num - 1) if endpoint else num
    dt = result_dtype(lambda s, e: np.empty(0, np.result_type(s, e, 1.0)), start, stop)
    dtype = dt if dtype is None else np.dtype(dtype)
    integer_dtype = np.issubdtype(dtype, np.integer)
    start, stop = convert(start, dt), convert(stop, dt)
    delta = subtract(stop, start)
    nd = ndim_of(delta)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * nd)
    if div > 0:
        step = true_divide(delta, np.asarray(div, dt)[()])
        underflow = multiply(true_divide(y, np.asarray(div, dt)[()]), delta)
        y = where(equal(step, 0), underflow, multiply(y, step))
    else:
        step = np.nan
        y = multiply(y, delta)
    y = add(y, start)
    if endpoint and num > 1:
        last = np.arange(num).reshape((-1,) + (1,) * nd) == num - 1
        y = where(last, stop, y)  # stop broadcasts against each sample (right-aligned)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if integer_dtype:
        y = floor(y)
    y = convert(y, dtype)
    return (y, step) if retstep else y


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: Any = None, axis: int = 0) -> Any:
    """numpy.logspace: ``base ** linspace(start, stop, num)``."""
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    if ndim_of(base) != 0:
        raise NotImplementedError("gvmap supports numpy.logspace with a scalar base only")
    out = power(base, y)
    return out if dtype is None else convert(out, dtype)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    """numpy.geomspace, NumPy's formula: start rotated to positive by its sign, logspace of
    the log10 endpoints, the endpoints set exactly. NumPy raises ValueError for an endpoint
    0: a known one raises now, a traced one when the plan runs, naming the first example
    with a zero endpoint (``checks.raise_where``)."""
    num = _count(num, "geomspace")
    start, stop = (operand(x, "geomspace") for x in (start, stop))
    for x in map(static_value, (start, stop)):
        if not isinstance(x, Tracer) and np.any(np.asarray(x) == 0):
            raise ValueError("Geometric sequence cannot include zero")
    zero_endpoint = logical_or(equal(start, 0), equal(stop, 0))
    dt = result_type(start, stop, float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = convert(start, dt), convert(stop, dt)
    out_sign = sign(start)
    start = true_divide(start, out_sign)
    stop = true_divide(stop, out_sign)
    result = logspace(log10(start), log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:
        position = np.arange(num).reshape((-1,) + (1,) * (ndim_of(result) - 1))
        result = where(position == 0, start, result)
        if num > 1 and endpoint:
            result = where(position == num - 1, stop, result)
    result = multiply(result, out_sign)
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return raise_where(convert(result, dtype), zero_endpoint, error="ValueError",
                       function="geomspace", reason="Geometric sequence cannot include zero",
                       hint="give that example nonzero endpoints, or np.where(start == 0, "
                            "np.nan, start) for NaNs there")


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None, *,
           device: Any = None, like: Any = None) -> Any:
    """numpy.arange; with a traced ``start`` its length must be static, written
    ``arange(start, start + n)`` with a Python number n: the result is
    ``start + arange(0, n, step)``. Any other traced bound is refused: the length would
    depend on the data, and a traced program's shapes cannot. The length is that of
    ``np.arange(0, n, step)``; for a float n NumPy derives it from the rounded
    ``(start + n) - start``, so an integer n is the exact match."""
    if not any(isinstance(static_value(x), Tracer) for x in (start, stop, step)):
        start, stop, step = (static_value(x) for x in (start, stop, step))
        return np.arange(start, stop, step, dtype=dtype) if stop is not None else \
            np.arange(start, step=step, dtype=dtype)
    if stop is None or isinstance(step, Tracer):
        raise TypeError(_ARANGE_REFUSAL)
    length = _static_offset(start, stop)
    if length is None:
        raise TypeError(_ARANGE_REFUSAL)
    offsets = np.arange(0, length, 1 if step is None else step)
    dt = np.dtype(dtype) if dtype is not None else result_dtype(
        lambda s, o: np.empty(0, np.result_type(s, o)), start, offsets)
    return convert(add(convert(start, dt), offsets.astype(dt)), dt)


_ARANGE_REFUSAL = (
    "numpy.arange with a traced bound: the number of elements would depend on the data, and "
    "a traced program's shapes must be known before it runs. With a traced start and a "
    "static length write np.arange(start, start + n) with n a Python number, or "
    "start + np.arange(n)")


def _static_offset(start: Any, stop: Any) -> Any:
    """n where ``stop`` was recorded as ``start + n`` with a literal n, else None."""
    trace = current_trace()
    if not isinstance(start, Tracer) or not isinstance(stop, Tracer) or trace is None:
        return None
    if start.ndim != 0:
        return None
    made = {v: e for e in trace.eqns for v in e.outvars}
    sources = {start._var}  # start and its conversions (start + 2.5 converts start first)
    for e in trace.eqns:
        if e.primitive is P.convert_element_type_p and e.invars[0] in sources:
            sources.add(e.outvars[0])
    eqn = made.get(stop._var)
    if eqn is None or eqn.primitive is not P.add_p:
        return None
    lhs, rhs = eqn.invars
    for own, other in ((lhs, rhs), (rhs, lhs)):
        if isinstance(own, Literal) or own not in sources or not isinstance(other, Literal):
            continue
        return np.asarray(other.value)[()]
    return None


# ---------------------------------------------------------------- dtype queries

def _dtype_stand_in(x: Any) -> Any:
    """What NumPy's dtype functions see for a traced value: its dtype (a traced array is
    never a weak Python scalar)."""
    return x.dtype if isinstance(x, Tracer) else x


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """numpy.result_type; a traced value answers with its dtype (a static answer)."""
    return np.result_type(*[_dtype_stand_in(x) for x in arrays_and_dtypes])


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """numpy.can_cast; a traced value answers with its dtype (a static answer)."""
    return np.can_cast(_dtype_stand_in(from_), _dtype_stand_in(to), casting)


# NumPy's own: they read ``.dtype``, which a traced value has (np.finfo(x.dtype) is static)
finfo, iinfo = np.finfo, np.iinfo
