"""Shape functions: reshape, transpose and friends, concatenation, broadcasting, *_like.

Each returns its operand unchanged when the operation is the identity, so the graph holds
no do-nothing equations (the seed's graph has no transpose, reshape or broadcast).
"""
from __future__ import annotations

import math
import operator
from typing import Any, Sequence

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind, current_trace
from ._core import (check_operand, convert, dtype_of, ndim_of, normalize_axes, normalize_axis,
                    operand, reject_kwargs, result_dtype, shape_of)

__all__ = ["reshape", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims",
           "broadcast_to", "ravel", "concatenate", "stack", "zeros_like", "ones_like",
           "empty_like", "full_like", "copy", "flip", "shape", "ndim", "size", "atleast_1d"]


def _as_shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)):
        return (operator.index(shape),)
    return tuple(operator.index(d) for d in shape)


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None) -> Any:
    a = operand(a, "reshape")
    if shape is None:
        shape = newshape
    if order == "F":  # Fortran order is C order of the reversed axes
        target = _as_shape(shape)
        return transpose(reshape(transpose(a), tuple(reversed(target))))
    if order != "C":
        raise NotImplementedError(
            f"reshape(..., order={order!r}): gvmap reshapes in C or F order; write "
            f"order='C' or order='F' for the layout you mean")
    shape = list(_as_shape(shape))
    size = math.prod(shape_of(a))
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {tuple(shape)}")
        shape[shape.index(-1)] = size // known
    shape = tuple(shape)
    if math.prod(shape) != size or any(d < 0 for d in shape):
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    if shape == shape_of(a):
        return a
    return bind(P.reshape_p, a, new_sizes=shape)


def ravel(a: Any, order: str = "C") -> Any:
    return reshape(a, (-1,), order=order)


flatten = ravel


def flat_axis(a: Any, axis: Any) -> tuple[Any, int]:
    """(a, axis) as NumPy's take, repeat, compress, cumsum and sort read them: axis=None is
    the one axis of the flattened array."""
    if axis is None:
        return ravel(a), 0
    return a, normalize_axis(axis, ndim_of(a))


def one_d_if_0d(a: Any, axis: Any) -> tuple[Any, Any]:
    """(a, axis) as NumPy's C functions (argmax, argmin, cumsum, cumprod, argsort) read a
    0-d array with an axis: as the 1-d array of its one element (axis 0 or -1)."""
    if axis is not None and ndim_of(a) == 0:
        normalize_axis(axis, 1)  # NumPy's AxisError for any other axis
        return reshape(a, (1,)), 0
    return a, axis


def transpose(a: Any, axes: Any = None) -> Any:
    a = operand(a, "transpose")
    nd = ndim_of(a)
    if axes is None:
        perm = tuple(reversed(range(nd)))
    else:
        perm = tuple(normalize_axis(ax, nd) for ax in axes)
        if sorted(perm) != list(range(nd)):
            raise ValueError("axes don't match array")
    if perm == tuple(range(nd)):
        return a
    return bind(P.transpose_p, a, permutation=perm)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    nd = ndim_of(a)
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd, "axis1"), normalize_axis(axis2, nd, "axis2")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    nd = ndim_of(a)
    as_list = lambda x: list(x) if isinstance(x, (tuple, list)) else [x]
    source = [normalize_axis(s, nd, "source") for s in as_list(source)]
    destination = [normalize_axis(d, nd, "destination") for d in as_list(destination)]
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number of elements")
    order = [i for i in range(nd) if i not in source]
    for dst, s in sorted(zip(destination, source)):
        order.insert(dst, s)
    return transpose(a, order)


def squeeze(a: Any, axis: Any = None) -> Any:
    a = operand(a, "squeeze")
    shp = shape_of(a)
    if axis is None:
        dims = tuple(i for i, d in enumerate(shp) if d == 1)
    else:
        dims = normalize_axes(axis, len(shp))
        if any(shp[i] != 1 for i in dims):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return bind(P.squeeze_p, a, dimensions=dims) if dims else a


def expand_dims(a: Any, axis: Any) -> Any:
    a = operand(a, "expand_dims")
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    dims = normalize_axes(axes, ndim_of(a) + len(axes))
    return bind(P.expand_dims_p, a, dimensions=dims) if dims else a


def atleast_1d(a: Any) -> Any:
    a = operand(a, "atleast_1d")
    return expand_dims(a, 0) if ndim_of(a) == 0 else a


def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    array = operand(array, "broadcast_to")
    shape = _as_shape(shape)
    src = shape_of(array)
    k = len(shape) - len(src)
    if k < 0 or any(s not in (1, d) for s, d in zip(src, shape[k:])):
        raise ValueError(f"operands could not be broadcast together with remapped shapes "
                         f"[original->remapped]: {src} and requested shape {shape}")
    if src == shape:
        return array
    return bind(P.broadcast_in_dim_p, array, shape=shape,
                broadcast_dimensions=tuple(range(k, len(shape))))


def concatenate(arrays: Sequence[Any], axis: Any = 0, out=None, dtype=None, casting=None) -> Any:
    reject_kwargs("concatenate", out=out, casting=casting)
    arrays = [operand(a, "concatenate") for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    nd = ndim_of(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    if any(ndim_of(a) != nd for a in arrays):
        raise ValueError("all the input arrays must have same number of dimensions, but "
                         f"got ranks {[ndim_of(a) for a in arrays]}")
    axis = normalize_axis(axis, nd)
    for a in arrays:
        if any(x != y for i, (x, y) in enumerate(zip(shape_of(a), shape_of(arrays[0]))) if i != axis):
            raise ValueError(f"all the input array dimensions except for the concatenation axis "
                             f"must match exactly, but got shapes {[shape_of(x) for x in arrays]}")
    dtype = np.dtype(dtype) if dtype is not None else result_dtype(
        lambda *xs: np.concatenate(xs), *arrays)
    arrays = [convert(a, dtype) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return bind(P.concatenate_p, *arrays, dimension=axis)


def stack(arrays: Sequence[Any], axis: int = 0, out=None, dtype=None, casting=None) -> Any:
    reject_kwargs("stack", out=out, casting=casting)
    arrays = [operand(a, "stack") for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis(axis, ndim_of(arrays[0]) + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, dtype=dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None) -> Any:
    """An array of a's shape (or ``shape``) filled with ``fill_value``. It depends on ``a``'s
    shape only, so under vmap it stays unbatched unless ``fill_value`` is batched."""
    a = operand(a, "full_like")
    dtype = np.dtype(dtype) if dtype is not None else dtype_of(a)
    shape = shape_of(a) if shape is None else _as_shape(shape)
    fill = check_operand(fill_value, "full_like")
    if current_trace() is None and not isinstance(fill, Tracer):
        from ..backends import current_backend
        xp = current_backend().xp
        return xp.full(shape, xp.asarray(fill).astype(dtype), dtype=dtype)
    if ndim_of(fill) != 0:
        fill = broadcast_to(fill, shape)
    out = broadcast_to(convert(fill, dtype), shape)
    if not isinstance(out, Tracer):
        # A 0-d result of a concrete fill would be a NumPy scalar: NumPy, not gvmap, would
        # then see what is done with it, e.g. indexing it with a traced index fails. The
        # equation (broadcast to shape ()) makes it a traced value.
        out = bind(P.broadcast_in_dim_p, out, shape=(), broadcast_dimensions=())
    return out


def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None) -> Any:
    return full_like(a, 0, dtype=dtype, shape=shape)


def ones_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None) -> Any:
    return full_like(a, 1, dtype=dtype, shape=shape)


def empty_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None) -> Any:
    """numpy.empty_like: any values are allowed, and zeros make results reproducible."""
    return full_like(a, 0, dtype=dtype, shape=shape)


def copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    """A new value: writing into the copy (``y = x.copy(); y += 1``, ``y[i] = v``) must not
    change ``x``, as in NumPy. Recorded as a conversion to the same dtype, which the
    clean-up passes remove once tracing has resolved every write (passes.py)."""
    a = operand(a, "copy")
    if not isinstance(a, Tracer):
        return np.array(a, copy=True) if isinstance(a, np.ndarray) else a
    return bind(P.convert_element_type_p, a, new_dtype=a.dtype)


def flip(m: Any, axis: Any = None) -> Any:
    m = operand(m, "flip")
    dims = normalize_axes(axis, ndim_of(m))
    return bind(P.rev_p, m, dimensions=dims) if dims else m


def shape(a: Any) -> tuple[int, ...]:
    return shape_of(a)


def ndim(a: Any) -> int:
    return ndim_of(a)


def size(a: Any, axis: Any = None) -> int:
    shp = shape_of(a)
    return math.prod(shp) if axis is None else shp[normalize_axis(axis, len(shp))]
