"""The primitive set: names, groups, and abstract-evaluation (shape/dtype) rules.

A primitive is a name; what it means lives in per-stage tables keyed by it (autodidax's
habit): ``abstract_eval_rules`` here, ``impl_rules`` in ``implementations.py``,
``batch_rules`` in ``batching.py``, C expressions in ``codegen/cuda.py``. The set is small
and lax-like; richer NumPy functions are compositions written once in ``gvmap.numpy``.

Typing discipline (as in lax): n-ary elementwise primitives take operands of ONE dtype
(``select``'s predicate is bool), and operands either have the same rank, with each
dimension equal or 1 (size-1 dims broadcast), or are rank-0 scalars. The NumPy front end
inserts the ``convert_element_type`` and ``expand_dims`` that NumPy's promotion and
broadcasting imply, so every rule here stays simple and every backend agrees on dtypes.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .graph import AbstractArray

__all__ = [
    "Primitive", "abstract_eval", "abstract_eval_rules",
    "ELEMENTWISE", "UNARY", "BINARY", "COMPARISONS", "REDUCTIONS", "CONTRACTIONS", "STRUCTURAL",
]


class Primitive:
    """A named operation. Identity matters; the name is what graphs print."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


abstract_eval_rules: dict[Primitive, Callable[..., list[AbstractArray]]] = {}

ELEMENTWISE: set[Primitive] = set()
UNARY: set[Primitive] = set()
BINARY: set[Primitive] = set()
COMPARISONS: set[Primitive] = set()
REDUCTIONS: set[Primitive] = set()
CONTRACTIONS: set[Primitive] = set()
STRUCTURAL: set[Primitive] = set()


def abstract_eval(prim: Primitive, avals: Sequence[AbstractArray], params: Mapping[str, Any]):
    rule = abstract_eval_rules.get(prim)
    if rule is None:
        raise NotImplementedError(f"primitive '{prim}' has no abstract evaluation rule")
    return rule(*avals, **params)


def _new(name: str, group: set[Primitive], rule: Callable) -> Primitive:
    p = Primitive(name)
    group.add(p)
    abstract_eval_rules[p] = rule
    return p


# ---------------------------------------------------------------- elementwise

def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Equal-rank broadcasting (dims equal or 1); rank-0 shapes broadcast to anything."""
    shapes = [s for s in shapes if len(s)]
    if not shapes:
        return ()
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise TypeError(f"elementwise operands must have equal rank or be scalars, got {shapes}")
    out = []
    for dims in zip(*shapes):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise TypeError(f"incompatible shapes for broadcasting: {shapes}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _same_dtype(avals: Sequence[AbstractArray], name: str) -> np.dtype:
    dtypes = {a.dtype for a in avals}
    if len(dtypes) != 1:
        raise TypeError(f"{name} needs operands of one dtype, got {sorted(map(str, dtypes))}")
    return dtypes.pop()


def _elementwise(name: str, nin: int, group: set[Primitive], out_dtype: Any = None) -> Primitive:
    def rule(*avals: AbstractArray) -> list[AbstractArray]:
        if len(avals) != nin:
            raise TypeError(f"{name} takes {nin} operands, got {len(avals)}")
        dtype = _same_dtype(avals, name)
        return [AbstractArray(broadcast_shapes(*(a.shape for a in avals)),
                              dtype if out_dtype is None else out_dtype)]

    p = _new(name, ELEMENTWISE, rule)
    group.add(p)
    return p


neg_p = _elementwise("neg", 1, UNARY)
abs_p = _elementwise("abs", 1, UNARY)
sign_p = _elementwise("sign", 1, UNARY)
floor_p = _elementwise("floor", 1, UNARY)
ceil_p = _elementwise("ceil", 1, UNARY)
rint_p = _elementwise("rint", 1, UNARY)
exp_p = _elementwise("exp", 1, UNARY)
exp2_p = _elementwise("exp2", 1, UNARY)
log_p = _elementwise("log", 1, UNARY)
log2_p = _elementwise("log2", 1, UNARY)
log10_p = _elementwise("log10", 1, UNARY)
log1p_p = _elementwise("log1p", 1, UNARY)
expm1_p = _elementwise("expm1", 1, UNARY)
sqrt_p = _elementwise("sqrt", 1, UNARY)
cbrt_p = _elementwise("cbrt", 1, UNARY)
tanh_p = _elementwise("tanh", 1, UNARY)
sin_p = _elementwise("sin", 1, UNARY)
cos_p = _elementwise("cos", 1, UNARY)
tan_p = _elementwise("tan", 1, UNARY)
asin_p = _elementwise("asin", 1, UNARY)
acos_p = _elementwise("acos", 1, UNARY)
atan_p = _elementwise("atan", 1, UNARY)
sinh_p = _elementwise("sinh", 1, UNARY)
cosh_p = _elementwise("cosh", 1, UNARY)
asinh_p = _elementwise("asinh", 1, UNARY)
acosh_p = _elementwise("acosh", 1, UNARY)
atanh_p = _elementwise("atanh", 1, UNARY)
not_p = _elementwise("not", 1, UNARY)  # bitwise on integers, logical on bool (NumPy's invert)
isnan_p = _elementwise("isnan", 1, UNARY, out_dtype=np.bool_)
isinf_p = _elementwise("isinf", 1, UNARY, out_dtype=np.bool_)
isfinite_p = _elementwise("isfinite", 1, UNARY, out_dtype=np.bool_)

add_p = _elementwise("add", 2, BINARY)
sub_p = _elementwise("sub", 2, BINARY)
mul_p = _elementwise("mul", 2, BINARY)
div_p = _elementwise("div", 2, BINARY)            # true division (float operands)
floor_div_p = _elementwise("floor_div", 2, BINARY)  # NumPy's floor_divide semantics
rem_p = _elementwise("rem", 2, BINARY)            # NumPy's remainder: sign of the divisor
pow_p = _elementwise("pow", 2, BINARY)
max_p = _elementwise("max", 2, BINARY)            # NaN-propagating, as np.maximum
min_p = _elementwise("min", 2, BINARY)
atan2_p = _elementwise("atan2", 2, BINARY)
and_p = _elementwise("and", 2, BINARY)            # bitwise on integers, logical on bool
or_p = _elementwise("or", 2, BINARY)
xor_p = _elementwise("xor", 2, BINARY)

eq_p = _elementwise("eq", 2, COMPARISONS, out_dtype=np.bool_)
ne_p = _elementwise("ne", 2, COMPARISONS, out_dtype=np.bool_)
lt_p = _elementwise("lt", 2, COMPARISONS, out_dtype=np.bool_)
le_p = _elementwise("le", 2, COMPARISONS, out_dtype=np.bool_)
gt_p = _elementwise("gt", 2, COMPARISONS, out_dtype=np.bool_)
ge_p = _elementwise("ge", 2, COMPARISONS, out_dtype=np.bool_)


def _select_rule(pred: AbstractArray, on_true: AbstractArray, on_false: AbstractArray):
    if pred.dtype != np.bool_:
        raise TypeError(f"select needs a bool predicate, got {pred.dtype}")
    dtype = _same_dtype([on_true, on_false], "select")
    return [AbstractArray(broadcast_shapes(pred.shape, on_true.shape, on_false.shape), dtype)]


select_p = _new("select", ELEMENTWISE, _select_rule)


def _convert_rule(x: AbstractArray, *, new_dtype: np.dtype):
    return [AbstractArray(x.shape, new_dtype)]


convert_element_type_p = _new("convert_element_type", ELEMENTWISE, _convert_rule)
UNARY.add(convert_element_type_p)


# ---------------------------------------------------------------- reductions

def _check_axes(x: AbstractArray, axes: tuple[int, ...], name: str) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise TypeError(f"{name}: bad axes {axes} for an operand of rank {x.ndim}")


def _reducer(name: str) -> Primitive:
    def rule(x: AbstractArray, *, axes: tuple[int, ...]):
        _check_axes(x, axes, name)
        return [AbstractArray(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)]

    return _new(name, REDUCTIONS, rule)


reduce_sum_p = _reducer("reduce_sum")
reduce_prod_p = _reducer("reduce_prod")
reduce_max_p = _reducer("reduce_max")
reduce_min_p = _reducer("reduce_min")
reduce_and_p = _reducer("reduce_and")
reduce_or_p = _reducer("reduce_or")


def _arg_rule(name: str):
    def rule(x: AbstractArray, *, axis: int, index_dtype: np.dtype):
        _check_axes(x, (axis,), name)
        if x.shape[axis] == 0:
            raise ValueError(f"{name} of an empty axis (attempt to get {name} of an empty sequence)")
        return [AbstractArray(x.shape[:axis] + x.shape[axis + 1:], index_dtype)]

    return rule


argmax_p = _new("argmax", REDUCTIONS, _arg_rule("argmax"))
argmin_p = _new("argmin", REDUCTIONS, _arg_rule("argmin"))


def _scan_rule(x: AbstractArray, *, axis: int):
    _check_axes(x, (axis,), "scan")
    return [x]


# Scans are not reductions: they keep the shape, so fusion must not treat them as ones.
cumsum_p = _new("cumsum", STRUCTURAL, _scan_rule)
cumprod_p = _new("cumprod", STRUCTURAL, _scan_rule)


# ---------------------------------------------------------------- contractions

def _dot_general_rule(lhs: AbstractArray, rhs: AbstractArray, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general needs operands of one dtype, got {lhs.dtype} and {rhs.dtype}")
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general: unpaired dimension numbers {dimension_numbers}")
    _check_axes(lhs, tuple(lc) + tuple(lb), "dot_general (lhs)")
    _check_axes(rhs, tuple(rc) + tuple(rb), "dot_general (rhs)")
    for a, b in zip((*lc, *lb), (*rc, *rb)):
        if lhs.shape[a] != rhs.shape[b]:
            raise TypeError(f"dot_general: lhs dim {a} (size {lhs.shape[a]}) does not match "
                            f"rhs dim {b} (size {rhs.shape[b]})")
    batch = tuple(lhs.shape[a] for a in lb)
    lfree = tuple(d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb)
    rfree = tuple(d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb)
    return [AbstractArray(batch + lfree + rfree, lhs.dtype)]


dot_general_p = _new("dot_general", CONTRACTIONS, _dot_general_rule)


# ---------------------------------------------------------------- structural

def _broadcast_in_dim_rule(x: AbstractArray, *, shape: tuple[int, ...], broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError("broadcast_in_dim: one broadcast dimension per operand dimension")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim: operand {x} does not fit shape {shape} "
                            f"at dimensions {broadcast_dimensions}")
    if list(broadcast_dimensions) != sorted(set(broadcast_dimensions)):
        raise TypeError("broadcast_in_dim: broadcast_dimensions must be strictly increasing")
    return [AbstractArray(shape, x.dtype)]


def _reshape_rule(x: AbstractArray, *, new_sizes: tuple[int, ...]):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise TypeError(f"reshape: cannot reshape {x} to {new_sizes}")
    return [AbstractArray(new_sizes, x.dtype)]


def _transpose_rule(x: AbstractArray, *, permutation: tuple[int, ...]):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose: {permutation} is not a permutation of {x.ndim} axes")
    return [AbstractArray(tuple(x.shape[p] for p in permutation), x.dtype)]


def _squeeze_rule(x: AbstractArray, *, dimensions: tuple[int, ...]):
    _check_axes(x, dimensions, "squeeze")
    if any(x.shape[d] != 1 for d in dimensions):
        raise TypeError(f"squeeze: dimensions {dimensions} of {x} are not all of size 1")
    return [AbstractArray(tuple(d for i, d in enumerate(x.shape) if i not in dimensions), x.dtype)]


def _expand_dims_rule(x: AbstractArray, *, dimensions: tuple[int, ...]):
    ndim = x.ndim + len(dimensions)
    if len(set(dimensions)) != len(dimensions) or any(not 0 <= d < ndim for d in dimensions):
        raise TypeError(f"expand_dims: bad dimensions {dimensions} for rank {x.ndim}")
    it = iter(x.shape)
    return [AbstractArray(tuple(1 if i in dimensions else next(it) for i in range(ndim)), x.dtype)]


def _slice_rule(x: AbstractArray, *, start_indices, limit_indices, strides):
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise TypeError("slice: one start, limit and stride per dimension")
    shape = []
    for d, s, e, st in zip(x.shape, start_indices, limit_indices, strides):
        if not (0 <= s <= e <= d and st >= 1):
            raise TypeError(f"slice: bad bounds {start_indices}:{limit_indices}:{strides} for {x}")
        shape.append(max(0, -(-(e - s) // st)))
    return [AbstractArray(tuple(shape), x.dtype)]


def _rev_rule(x: AbstractArray, *, dimensions: tuple[int, ...]):
    _check_axes(x, dimensions, "rev")
    return [x]


def _concatenate_rule(*xs: AbstractArray, dimension: int):
    if not xs:
        raise TypeError("concatenate needs at least one operand")
    dtype = _same_dtype(xs, "concatenate")
    first = xs[0]
    _check_axes(first, (dimension,), "concatenate")
    for x in xs:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape))
                                       if i != dimension):
            raise TypeError(f"concatenate: shapes {[a.shape for a in xs]} differ off dimension {dimension}")
    shape = list(first.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return [AbstractArray(tuple(shape), dtype)]


def _take_rule(x: AbstractArray, idx: AbstractArray, *, axis: int):
    _check_axes(x, (axis,), "take")
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"take needs integer indices, got {idx.dtype}")
    return [AbstractArray(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype)]


def _batched_take_rule(x: AbstractArray, idx: AbstractArray, *, axis: int):
    """``out[b] = take(x[b], idx[b], axis)``: a gather whose indices differ per example."""
    if x.ndim < 1 or idx.ndim < 1 or x.shape[0] != idx.shape[0]:
        raise TypeError(f"batched_take: operand {x} and indices {idx} need one leading batch dim")
    _check_axes(x, (axis + 1,), "batched_take")
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"batched_take needs integer indices, got {idx.dtype}")
    return [AbstractArray(x.shape[:axis + 1] + idx.shape[1:] + x.shape[axis + 2:], x.dtype)]


broadcast_in_dim_p = _new("broadcast_in_dim", STRUCTURAL, _broadcast_in_dim_rule)
reshape_p = _new("reshape", STRUCTURAL, _reshape_rule)
transpose_p = _new("transpose", STRUCTURAL, _transpose_rule)
squeeze_p = _new("squeeze", STRUCTURAL, _squeeze_rule)
expand_dims_p = _new("expand_dims", STRUCTURAL, _expand_dims_rule)
slice_p = _new("slice", STRUCTURAL, _slice_rule)
rev_p = _new("rev", STRUCTURAL, _rev_rule)
concatenate_p = _new("concatenate", STRUCTURAL, _concatenate_rule)
take_p = _new("take", STRUCTURAL, _take_rule)
batched_take_p = _new("batched_take", STRUCTURAL, _batched_take_rule)
