"""gvmap.numpy: NumPy's functions, traceable (``import gvmap.numpy as gnp``).

Each function is a composition of gvmap's primitives. On traced values it records them; on
concrete arrays it runs them at once on the current backend and returns backend arrays.
Plain NumPy calls on traced values land here too, through the Tracer's
``__array_function__``/``__array_ufunc__`` and the tables filled at the bottom of this file.
"""
from __future__ import annotations

import numpy as _np

from ..tracing import HANDLED_FUNCTIONS as _HANDLED_FUNCTIONS, HANDLED_UFUNCS as _HANDLED_UFUNCS
from .elementwise import *  # noqa: F401,F403
from . import updates as _updates
from .elementwise import UFUNCS as _UFUNCS, __all__ as _elementwise_all
from .clip import clip
from .construction import array, asanyarray, asarray, ascontiguousarray, full
from .extras import *  # noqa: F401,F403
from .extras import __all__ as _extras_all
from .indexing import getitem, take
from .joining import __all__ as _joining_all
from .conditional import fill_diagonal, meshgrid, piecewise, select
from .joining import (append, atleast_2d, atleast_3d, column_stack, delete, dstack, hstack, insert,
                      vstack)
from .linalg import dot, einsum, inner, matmul, norm, outer, tensordot, vdot
from .reductions import (all, amax, amin, any, argmax, argmin, cumprod, cumsum, max, mean, min,
                         prod, std, sum, var)
from .shape import (atleast_1d, broadcast_to, concatenate, copy, empty_like, expand_dims,
                    flatten, flip, full_like, moveaxis, ndim, ones_like, ravel, reshape, shape,
                    size, squeeze, stack, swapaxes, transpose, zeros_like)

__all__ = sorted(set(_elementwise_all) | set(_extras_all) | set(_joining_all) | {"fill_diagonal", "meshgrid", "piecewise", "select",
    "clip", "array", "asarray", "asanyarray", "ascontiguousarray", "full", "getitem", "take", "dot", "einsum", "inner", "matmul", "norm", "outer", "tensordot", "vdot",
    "all", "amax", "amin", "any", "argmax", "argmin", "cumprod", "cumsum", "max", "mean", "min", "prod",
    "std", "sum", "var", "atleast_1d", "broadcast_to", "concatenate", "copy", "empty_like",
    "expand_dims", "flatten", "flip", "full_like", "moveaxis", "ndim", "ones_like", "ravel", "reshape", "shape",
    "size", "squeeze", "stack", "swapaxes", "transpose", "zeros_like"})


def _handle(names, namespace) -> None:
    """``names`` in ``__all__``, and NumPy's function of each traced as ``namespace``'s
    (matched by identity, so np.linalg.norm never lands on a same-named function; ufuncs
    are matched by name, below)."""
    global __all__
    __all__ = sorted(set(__all__) | set(names))
    for name in names:
        np_fn = getattr(_np, name, None)
        if np_fn is not None and not isinstance(np_fn, _np.ufunc) and callable(np_fn):
            _HANDLED_FUNCTIONS[np_fn] = namespace[name]


_handle(__all__, globals())
_HANDLED_FUNCTIONS[_np.linalg.norm] = norm  # gvmap.numpy.linalg.norm is the module linalg.py

# ufuncs, by name; their reduce/accumulate/outer methods map to the matching functions
_HANDLED_UFUNCS.update(_UFUNCS)
_HANDLED_UFUNCS["matmul"] = matmul
for _name in ("add", "multiply", "maximum", "minimum"):  # unbuffered: repeats accumulate
    _HANDLED_UFUNCS[f"{_name}.at"] = _updates.ufunc_at(_name)
_HANDLED_UFUNCS["logical_and.reduce"] = lambda a, axis=0, keepdims=False: all(a, axis, keepdims=keepdims)
_HANDLED_UFUNCS["logical_or.reduce"] = lambda a, axis=0, keepdims=False: any(a, axis, keepdims=keepdims)
_HANDLED_UFUNCS["add.accumulate"] = lambda a, axis=0, dtype=None: cumsum(a, axis, dtype)
_HANDLED_UFUNCS["multiply.accumulate"] = lambda a, axis=0, dtype=None: cumprod(a, axis, dtype)


def _outer(ufunc_impl):
    """ufunc.outer(a, b): a gets b's rank in trailing size-1 dims, then the ufunc broadcasts."""
    return lambda a, b: ufunc_impl(expand_dims(a, tuple(range(ndim(a), ndim(a) + ndim(b)))), b)


for _name, _impl in list(_UFUNCS.items()):
    _uf = getattr(_np, _name, None)
    if isinstance(_uf, _np.ufunc) and _uf.nin == 2:
        _HANDLED_UFUNCS[f"{_name}.outer"] = _outer(_impl)

# --- indexing utilities, signal and calculus, statistics, ranges (issue 12) ---
from . import arrays as _arrays, signal as _signal
from .arrays import *  # noqa: F401,F403,E402
from .signal import *  # noqa: F401,F403,E402
from .reductions import cummax, cummin  # noqa: E402

_handle(_arrays.__all__, vars(_arrays))
_handle(_signal.__all__, vars(_signal))
__all__ = sorted(set(__all__) | {"cummax", "cummin"})
_HANDLED_UFUNCS["maximum.accumulate"] = lambda a, axis=0, dtype=None: cummax(a, axis, dtype)
_HANDLED_UFUNCS["minimum.accumulate"] = lambda a, axis=0, dtype=None: cummin(a, axis, dtype)
# reductions with where= and initial= (NumPy's ufunc.reduce signature)
_HANDLED_UFUNCS["add.reduce"] = lambda a, axis=0, dtype=None, keepdims=False, initial=None, where=None: \
    sum(a, axis, dtype, keepdims=keepdims, initial=initial, where=where)
_HANDLED_UFUNCS["multiply.reduce"] = lambda a, axis=0, dtype=None, keepdims=False, initial=None, where=None: \
    prod(a, axis, dtype, keepdims=keepdims, initial=initial, where=where)
_HANDLED_UFUNCS["maximum.reduce"] = lambda a, axis=0, dtype=None, keepdims=False, initial=None, where=None: \
    max(a if dtype is None else astype(a, dtype), axis, keepdims=keepdims, initial=initial, where=where)
_HANDLED_UFUNCS["minimum.reduce"] = lambda a, axis=0, dtype=None, keepdims=False, initial=None, where=None: \
    min(a if dtype is None else astype(a, dtype), axis, keepdims=keepdims, initial=initial, where=where)


# --- sorting and searching ---
from . import sorting as _sorting
from .sorting import (argpartition, argsort, argwhere, bincount, digitize, flatnonzero, histogram,
                      interp, median, nanmedian, nanpercentile, nanquantile, nonzero, partition,
                      percentile, quantile, searchsorted, sort, unique)

_handle(_sorting.__all__, vars(_sorting))
for _name in ("unique_values", "unique_counts", "unique_inverse", "unique_all", "extract"):
    if hasattr(_np, _name):  # NumPy 2's unique_* and extract: data-dependent shapes too
        _HANDLED_FUNCTIONS[getattr(_np, _name)] = _sorting._shape_refusal(
            _name, "See numpy.unique's refusal for a fixed-shape rewrite: np.sort(x) and a mask "
            "of first occurrences" if _name != "extract" else
            "Keep a fixed shape: np.where(condition, x, 0), or a masked sum")


# --- linear algebra: np.linalg's solvers and decompositions, and np.polyfit ---------------
from . import linalg_solvers as _linalg_solvers  # noqa: E402
from .linalg_solvers import polyfit  # noqa: E402,F401

for _name in ("solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "lstsq", "qr",
              "svd", "pinv", "matrix_rank", "matrix_power", "multi_dot"):
    _HANDLED_FUNCTIONS[getattr(_np.linalg, _name)] = getattr(_linalg_solvers, _name)
for _name in ("eig", "eigvals"):  # refused, naming eigh / eigvalsh (complex results)
    _HANDLED_FUNCTIONS[getattr(_np.linalg, _name)] = getattr(_linalg_solvers, _name)
_HANDLED_FUNCTIONS[_np.polyfit] = polyfit
__all__ = sorted(set(__all__) | {"polyfit"})


# --- numerical integration ---------------------------------------------------------------
from . import integration as _integration  # noqa: E402
from .integration import trapezoid  # noqa: E402,F401

__all__ = sorted(set(__all__) | set(_integration.__all__))
for _name in ("trapezoid", "trapz"):  # NumPy 2.0 renamed trapz (removed in 2.4)
    if hasattr(_np, _name):
        _HANDLED_FUNCTIONS[getattr(_np, _name)] = trapezoid

# --- data-preparation habits: nan_to_num, sliding_window_view ---
from . import dataprep as _dataprep  # noqa: E402
from .dataprep import nan_to_num, sliding_window_view  # noqa: E402,F401

_handle(_dataprep.__all__, vars(_dataprep))
_HANDLED_FUNCTIONS[_np.lib.stride_tricks.sliding_window_view] = sliding_window_view

# --- small NumPy habits ---
from . import habits as _habits  # noqa: E402
from .habits import (allclose, array_equal, array_equiv, broadcast_arrays, compress,  # noqa: E402,F401
                     cumulative_prod, cumulative_sum, diag_indices_from, ediff1d, fix, isin,
                     isneginf, isposinf, ix_, nanprod, resize, rollaxis, signbit,
                     tril_indices_from, triu_indices_from, unwrap)

_handle(_habits.__all__, vars(_habits))
__all__ = sorted(set(__all__) | {"signbit"})
_HANDLED_UFUNCS["signbit"] = signbit
if hasattr(_np, "in1d"):  # removed in NumPy 2.4: isin of the flattened array
    _HANDLED_FUNCTIONS[_np.in1d] = lambda ar1, ar2, assume_unique=False, invert=False, *, kind=None: \
        isin(ravel(ar1), ar2, assume_unique, invert, kind=kind)
_HANDLED_UFUNCS["logaddexp.reduce"] = _habits.logaddexp_reduce_refusal
_HANDLED_UFUNCS["logaddexp2.reduce"] = _habits.logaddexp2_reduce_refusal

# --- engineering corpus: in-place writers (copyto, putmask, put), fmax.accumulate, np.fft refusals ---
from . import inplace as _inplace  # noqa: E402
from .inplace import copyto, put, putmask  # noqa: E402,F401

_handle(_inplace.__all__, vars(_inplace))

from . import fft as _fft  # noqa: E402
from .reductions import fmax_accumulate as _fmax_accumulate, fmin_accumulate as _fmin_accumulate  # noqa: E402

_HANDLED_UFUNCS["fmax.accumulate"] = _fmax_accumulate
_HANDLED_UFUNCS["fmin.accumulate"] = _fmin_accumulate
_HANDLED_FUNCTIONS[_np.fft.fftshift] = _fft.fftshift
_HANDLED_FUNCTIONS[_np.fft.ifftshift] = _fft.ifftshift
for _name in _fft.TRANSFORMS:
    _HANDLED_FUNCTIONS[getattr(_np.fft, _name)] = _fft.transform_refusal(_name)
# --- bit views and run-time checks: x.view(dtype), nanargmax / nanargmin ---
from . import bits as _bits  # noqa: E402,F401  (defines the traced arrays' x.view)
from . import checks as _checks  # noqa: E402
from .checks import nanargmax, nanargmin  # noqa: E402,F401

_handle(_checks.__all__, vars(_checks))

# --- choosing and flat writes: np.choose, np.place (np.put: inplace above) ---
from . import choosing as _choosing  # noqa: E402
from .choosing import choose, place  # noqa: E402,F401

_handle(_choosing.__all__, vars(_choosing))

# --- numpy idioms: index arithmetic, take's modes, vectorize, apply_along_axis, lexsort, block ---
from . import idioms as _idioms  # noqa: E402
from .idioms import ravel_multi_index, take, unravel_index  # noqa: E402,F401  (take: all modes)

_handle(_idioms.__all__, vars(_idioms))
from . import mapped as _mapped  # noqa: E402
from .idioms import (angle, apply_over_axes, block, float_power, histogram2d,  # noqa: E402,F401
                     histogramdd, iscomplexobj, isrealobj, lexsort, nancumprod, nancumsum,
                     real_if_close)
from .mapped import apply_along_axis, vectorize  # noqa: E402,F401

__all__ = sorted(set(__all__) | set(_mapped.__all__))
_HANDLED_FUNCTIONS[_np.apply_along_axis] = apply_along_axis
_HANDLED_UFUNCS["float_power"] = float_power
for _name in ("cond", "vector_norm", "matrix_norm"):
    _HANDLED_FUNCTIONS[getattr(_np.linalg, _name)] = getattr(_idioms, _name)
for _name in ("add", "multiply", "maximum", "minimum"):
    _HANDLED_UFUNCS[f"{_name}.reduceat"] = _idioms.reduceat(_name)

# --- bitwise, gcd / lcm and logical_xor ufunc reductions: folds of the elementwise primitives ---
from . import folds as _folds  # noqa: E402

for _name in _folds.FOLDS:
    _HANDLED_UFUNCS[f"{_name}.reduce"] = _folds.ufunc_reduce(_name)
for _name in (*_folds.FOLDS, "logical_or", "logical_and", "logical_xor"):
    _HANDLED_UFUNCS[f"{_name}.accumulate"] = _folds.ufunc_accumulate(_name)
_HANDLED_UFUNCS["logical_xor.reduce"] = _folds.logical_xor_reduce
_HANDLED_UFUNCS["bitwise_count"] = bitwise_count = _folds.bitwise_count
packbits, unpackbits = _folds.packbits, _folds.unpackbits
_HANDLED_FUNCTIONS[_np.packbits], _HANDLED_FUNCTIONS[_np.unpackbits] = packbits, unpackbits
__all__ = sorted(set(__all__) | {"bitwise_count", "packbits", "unpackbits"})

# --- polynomial helpers (vander, polyder, polyint) and np.unstack; roots, trim_zeros refused ---
from . import polynomials as _polynomials  # noqa: E402
from .polynomials import polyder, polyint, unstack, vander  # noqa: E402,F401

_handle(_polynomials.__all__, vars(_polynomials))
_HANDLED_FUNCTIONS[_np.roots] = _polynomials.roots_refusal
_HANDLED_FUNCTIONS[_np.trim_zeros] = _sorting._shape_refusal(
    "trim_zeros", "Keep a fixed shape: mask the zeros instead, e.g. nz = x != 0; "
    "keep = np.maximum.accumulate(nz) & np.maximum.accumulate(nz[::-1])[::-1], then "
    "np.where(keep, x, 0) or a masked sum")

# --- NumPy 2's array-API spellings: vecdot / matvec / vecmat, fabs, np.linalg's last-axes forms ---
from . import array_api as _array_api  # noqa: E402
from .array_api import fabs, matvec, vecdot, vecmat  # noqa: E402,F401

__all__ = sorted(set(__all__) | set(_array_api.__all__))
for _name in _array_api.__all__:
    _HANDLED_UFUNCS[_name] = getattr(_array_api, _name)
for _name in _array_api.LINALG:
    if hasattr(_np.linalg, _name):  # NumPy 2.0+
        _HANDLED_FUNCTIONS[getattr(_np.linalg, _name)] = getattr(_array_api, f"linalg_{_name}")
