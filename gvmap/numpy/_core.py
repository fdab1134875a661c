"""Shared helpers of the NumPy front end: operand kinds, dtype promotion, conversions.

NumPy's own rules decide every dtype: ``result_dtype`` applies the real NumPy function to
empty stand-ins of the operands (Python scalars passed as themselves, so they stay weakly
typed as NEP 50 says), and the front end converts operands to the dtype NumPy would compute
in. That is how a traced function's dtypes equal the loop oracle's, exactly.
"""
from __future__ import annotations

import operator
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind, complex_error, current_trace, is_array

PY_SCALARS = (bool, int, float, complex)


def check_operand(x: Any, name: str) -> Any:
    """Arrays, tracers and Python numbers are operands; lists become NumPy arrays. Complex
    operands are refused here, where the NumPy function's name is known."""
    if isinstance(x, (list, tuple)):
        if any(isinstance(e, Tracer) for e in _leaves(x)):
            return stack_nested(x)
        x = np.asarray(x)
    elif not (isinstance(x, (Tracer, np.ndarray, np.generic) + PY_SCALARS) or is_array(x)):
        refusal = getattr(type(x), "gvmap_operand_refusal", None)  # x[mask]: masked.py
        if refusal is not None:
            raise refusal(name)
        raise TypeError(f"{name}: cannot use a {type(x).__name__} as an array")
    if isinstance(x, complex) or (not isinstance(x, PY_SCALARS) and dtype_of(x).kind == "c"):
        what = repr(x) if isinstance(x, (complex, np.generic)) else f"a {dtype_of(x)} array"
        raise complex_error(f"numpy.{name} of a complex operand ({what})")
    return x


def _leaves(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _leaves(e)
        else:
            yield e


def stack_nested(x: Sequence) -> Any:
    from .shape import stack
    return stack([stack_nested(e) if isinstance(e, (list, tuple)) else e for e in x])


def shape_of(x: Any) -> tuple[int, ...]:
    return () if isinstance(x, PY_SCALARS) else tuple(x.shape)


def ndim_of(x: Any) -> int:
    return len(shape_of(x))


def dtype_of(x: Any) -> np.dtype:
    return np.asarray(x).dtype if isinstance(x, PY_SCALARS) else np.dtype(x.dtype)


def proxy(x: Any) -> Any:
    """An empty stand-in with x's dtype; Python scalars stand for themselves (weak types),
    as traced Python numbers (``math.sqrt``'s results, ``gvmap.pyscalars``) do."""
    if isinstance(x, PY_SCALARS):
        return x
    if isinstance(x, Tracer) and x._python is not None:
        return x._python(0)
    return np.empty((0,), dtype_of(x))


def result_dtype(fn: Callable, *operands: Any, **kwargs: Any) -> np.dtype:
    """The dtype NumPy's ``fn`` gives for these operands (NEP 50 weak scalars included)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # np.mean of an empty stand-in warns
        dtype = np.asarray(fn(*[proxy(x) for x in operands], **kwargs)).dtype
    if dtype.kind == "c":  # e.g. a dtype=complex keyword
        name = getattr(fn, "__name__", "<")
        raise complex_error(f"{'this operation' if name[0] == '<' else 'numpy.' + name} "
                            f"giving {dtype}")
    return dtype


def common_dtype(*operands: Any) -> np.dtype:
    """``np.result_type`` of the operands, Python scalars weakly typed."""
    return result_dtype(lambda *ps: np.empty(0, np.result_type(*ps)), *operands)


def convert(x: Any, dtype: Any) -> Any:
    """x as ``dtype``: a graph conversion for traced values, a plain cast for concrete ones."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        raise complex_error(f"conversion to {dtype}")
    if isinstance(x, PY_SCALARS):
        return np.asarray(x, dtype=dtype)[()]
    if dtype_of(x) == dtype:
        return x
    if isinstance(x, Tracer):
        return bind(P.convert_element_type_p, x, new_dtype=dtype)
    if isinstance(x, np.generic):
        return x.astype(dtype)
    if current_trace() is None:  # eager: a primitive on the current backend
        return bind(P.convert_element_type_p, x, new_dtype=dtype)
    return x.astype(dtype)


def expand_leading(x: Any, ndim: int) -> Any:
    """Prepend size-1 dims so that x has rank ``ndim`` (NumPy's right-aligned broadcasting)."""
    k = ndim - ndim_of(x)
    if k <= 0 or ndim_of(x) == 0:
        return x
    return bind(P.expand_dims_p, x, dimensions=tuple(range(k)))


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """np.broadcast_shapes without its 32-dimension limit (NumPy's legacy broadcast object;
    its ufuncs and arrays go to 64 dimensions, so the loop oracle does too)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shape mismatch: objects cannot be broadcast to a single shape: "
                             f"{' '.join(str(tuple(s)) for s in shapes)}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def equalize_ranks(operands: Sequence[Any]) -> list[Any]:
    """Elementwise primitives take equal-rank operands (or scalars): pad with leading 1s."""
    rank = max((ndim_of(x) for x in operands), default=0)
    shapes = [shape_of(x) for x in operands]
    try:
        broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with shapes "
                         f"{' '.join(map(str, shapes))}") from None
    return [expand_leading(x, rank) for x in operands]


def normalize_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(axis).__name__}") from None
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """None -> every axis; int or tuple -> sorted non-negative tuple (duplicates rejected)."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(normalize_axis(a, ndim) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(out))


def as_operand(x: Any) -> Any:
    """Python scalars become NumPy scalars of NumPy's default dtype (for functions that take
    a single array, where no weak-type promotion happens)."""
    if isinstance(x, PY_SCALARS):
        return np.asarray(x)[()]
    return x


def operand(x: Any, name: str) -> Any:
    """``x`` as an operand of a function that takes whole arrays (``check_operand``, then
    ``as_operand``: a Python scalar is a strongly typed NumPy scalar)."""
    return as_operand(check_operand(x, name))


def refused(name: str, why: str, rewrite: str) -> Callable:
    """A NumPy function gvmap does not trace, for good: calling it raises
    NotImplementedError saying ``why`` and the ``rewrite`` that batches (``name`` as NumPy
    spells it: ``fft.rfft``, ``linalg.eig``, ``logaddexp.reduce``)."""
    def refusal(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"gvmap cannot trace numpy.{name}: {why}. {rewrite}")
    refusal.__name__ = refusal.__qualname__ = name.rsplit(".", 1)[-1]
    return refusal


def reject_kwargs(fn_name: str, **kwargs: Any) -> None:
    """Raise for NumPy keyword arguments gvmap does not implement (``out=``, ``where=``...)."""
    for k, v in kwargs.items():
        if v is not None and v is not np._NoValue:
            if k == "out":
                raise TypeError(f"numpy.{fn_name}(..., out=...) writes in place, which a traced "
                                f"function cannot do; use the returned value instead")
            raise NotImplementedError(f"gvmap does not support numpy.{fn_name}(..., {k}=...)")
