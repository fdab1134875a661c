"""The primitive set: names, the facts about each, and abstract-evaluation rules.

A primitive is a name plus facts stated ONCE, here, on the ``Primitive`` object: its group
(``ELEMENTWISE``, ``REDUCTIONS``, ...), the NumPy/CuPy ufunc of the same meaning, whether
its result may be a view of an operand, whether its outputs are bool, the monoid of a
reduction (combining primitive, identity, NumPy/CuPy functions), how many results it
has. Every stage derives from these facts; what each stage DOES with a primitive lives in
that stage's table keyed by it (autodidax's habit): ``abstract_eval_rules`` here,
``batch_rules`` in ``batching.py``, ``impl_rules`` and ``CUPY_AUDIT`` in
``implementations.py``, C templates in ``codegen/cuda.py``, ``emit_rules`` in
``codegen/rowkernel_rules.py``. The set is small and lax-like; richer NumPy functions are
compositions written once in ``gvmap.numpy``.

How to add a primitive (``tests/test_primitive_tables.py`` checks every step):

1. Define it here with ``_new`` / ``_elementwise`` / ``_reducer``, stating its facts
   (group, ``ufunc=``, ``view=``, ``monoid=``, ``results=``) and its abstract-eval rule.
2. A batching rule in ``batching.py`` (elementwise and monoid reductions get theirs from
   the group).
3. An implementation in ``implementations.py`` (a ufunc gets it from ``ufunc=``) and a
   ``CUPY_AUDIT`` verdict saying whether CuPy's function computes NumPy's result.
4. If elementwise: a C template in ``codegen/cuda.py`` for every dtype kind NumPy has a
   same-dtype loop for (a ``c_expression_rules`` entry for every NumPy loop of a
   ``MIXED_DTYPES`` primitive); a row-kernel rule in ``codegen/rowkernel_rules.py``
   (elementwise and monoid reductions get theirs), or an entry in ``ROW_KERNEL_UNSUPPORTED``
   there saying why not.
5. A ``gvmap.numpy`` function (or method) that records it, sample-table rows in
   ``tests/test_primitives.py`` and a place in ``tests/test_random_programs.py``.

Six reduction primitives (``reduce_sum`` ... ``reduce_or``) rather than one
``reduce[monoid=...]``: graph text names them as lax does (``reduce_sum[axes=(0,)]``, the
seed's graph in README), and every stage reads the monoid from the primitive, so a new
reduction is still one ``_reducer`` line.

Typing discipline (as in lax): n-ary elementwise primitives take operands of ONE dtype
(``select``'s predicate is bool; ``frexp`` and ``ldexp`` mix dtypes as NumPy's own loops do,
an exponent being an integer whatever the float: ``MIXED_DTYPES`` says why), and operands
either have the same rank, with each dimension equal or 1 (size-1 dims broadcast), or are
rank-0 scalars. The NumPy front end inserts the ``convert_element_type`` and
``expand_dims`` that NumPy's promotion and broadcasting imply, so every rule here stays
simple and every backend agrees on dtypes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .errors import EXAMPLE_ERRORS, LoopRaise
from .graph import AbstractArray

__all__ = [
    "Primitive", "Monoid", "abstract_eval", "abstract_eval_rules", "ALL",
    "ELEMENTWISE", "UNARY", "BINARY", "COMPARISONS", "REDUCTIONS", "CONTRACTIONS", "STRUCTURAL",
    "MIXED_DTYPES",
]


@dataclass(frozen=True)
class Monoid:
    """What a reduction folds with: ``combine`` (a binary elementwise primitive, so sums
    wrap and maxima propagate NaN exactly as their elementwise forms), its identity per
    dtype, and the NumPy ufunc / array-module function that computes it.

    ``keeps_dtype``: the result has the operand's dtype even where NumPy's function would
    widen (``np.sum`` of int8 is int64): the front end already chose the dtype.
    """

    combine: "Primitive"
    identity: Callable[[np.dtype], Any]
    ufunc: str           # np.<ufunc>.reduce computes it on NumPy
    function: str        # xp.<function>(x, axis=...) on an array module
    keeps_dtype: bool


class Primitive:
    """A named operation and the facts every stage reads. Identity matters; the name is
    what graphs print.

    ``ufunc``: the NumPy/CuPy ufunc of the same meaning (elementwise primitives), or None.
    ``view``: the result may share memory with the (first) operand: ``"always"`` where
    NumPy's result is a view whatever the operand's memory layout (transpose, flip,
    squeeze, expand_dims, slice: a write into either shows in the other, and gvmap
    follows it, ``aliasing.Layout``), ``"read-only"`` where NumPy's view cannot be written
    (broadcast_to), ``True`` where gvmap follows no write through it (reshape: NumPy
    copies when the layout needs it; such a view blocks writes while it lives).
    ``bool_output``: every result is bool whatever the operand dtype.
    ``monoid``: for reductions that fold a binary primitive, its ``Monoid``.
    ``results``: how many outputs an equation of it has (``bind`` returns a list when > 1).
    ``launch``: how a plan's text names a lone call of it (default: ``ufunc`` or the name).
    ``kernel_name``: its part of a generated kernel's name (short, readable in profilers).
    ``raises``: it may raise for some example's values when the plan runs (a check, a
    gather's or scatter's IndexError, np.linalg's LinAlgError), as the loop raises there
    even where nothing reads the result: dead-code elimination keeps its equations, and
    the checks a trace defers (``Trace.raises``) run before it, in program order.
    """

    __slots__ = ("name", "ufunc", "view", "bool_output", "monoid", "results", "launch",
                 "kernel_name", "raises")

    def __init__(self, name: str, *, ufunc: str | None = None, view: bool | str = False,
                 bool_output: bool = False, monoid: Monoid | None = None, results: int = 1,
                 launch: str | None = None, kernel_name: str | None = None,
                 raises: bool = False):
        self.name = name
        self.raises = raises
        self.ufunc = ufunc
        self.view = view
        self.bool_output = bool_output
        self.monoid = monoid
        self.results = results
        self.launch = launch or ufunc or name
        self.kernel_name = kernel_name or name

    @property
    def multiple_results(self) -> bool:
        return self.results > 1

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


abstract_eval_rules: dict[Primitive, Callable[..., list[AbstractArray]]] = {}

ALL: list[Primitive] = []   # every primitive, in definition order
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


def _new(name: str, group: set[Primitive], rule: Callable, **facts: Any) -> Primitive:
    p = Primitive(name, **facts)
    group.add(p)
    ALL.append(p)
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


def _elementwise(name: str, nin: int, group: set[Primitive], ufunc: str,
                 bool_output: bool = False, results: int = 1) -> Primitive:
    def rule(*avals: AbstractArray) -> list[AbstractArray]:
        if len(avals) != nin:
            raise TypeError(f"{name} takes {nin} operands, got {len(avals)}")
        dtype = _same_dtype(avals, name)
        shape = broadcast_shapes(*(a.shape for a in avals))
        return [AbstractArray(shape, np.bool_ if bool_output else dtype)] * results

    p = _new(name, ELEMENTWISE, rule, ufunc=ufunc, bool_output=bool_output, results=results)
    group.add(p)
    return p


neg_p = _elementwise("neg", 1, UNARY, "negative")
abs_p = _elementwise("abs", 1, UNARY, "absolute")
sign_p = _elementwise("sign", 1, UNARY, "sign")
floor_p = _elementwise("floor", 1, UNARY, "floor")
ceil_p = _elementwise("ceil", 1, UNARY, "ceil")
rint_p = _elementwise("rint", 1, UNARY, "rint")
exp_p = _elementwise("exp", 1, UNARY, "exp")
exp2_p = _elementwise("exp2", 1, UNARY, "exp2")
log_p = _elementwise("log", 1, UNARY, "log")
log2_p = _elementwise("log2", 1, UNARY, "log2")
log10_p = _elementwise("log10", 1, UNARY, "log10")
log1p_p = _elementwise("log1p", 1, UNARY, "log1p")
expm1_p = _elementwise("expm1", 1, UNARY, "expm1")
sqrt_p = _elementwise("sqrt", 1, UNARY, "sqrt")
cbrt_p = _elementwise("cbrt", 1, UNARY, "cbrt")
tanh_p = _elementwise("tanh", 1, UNARY, "tanh")
sin_p = _elementwise("sin", 1, UNARY, "sin")
cos_p = _elementwise("cos", 1, UNARY, "cos")
tan_p = _elementwise("tan", 1, UNARY, "tan")
asin_p = _elementwise("asin", 1, UNARY, "arcsin")
acos_p = _elementwise("acos", 1, UNARY, "arccos")
atan_p = _elementwise("atan", 1, UNARY, "arctan")
sinh_p = _elementwise("sinh", 1, UNARY, "sinh")
cosh_p = _elementwise("cosh", 1, UNARY, "cosh")
asinh_p = _elementwise("asinh", 1, UNARY, "arcsinh")
acosh_p = _elementwise("acosh", 1, UNARY, "arccosh")
atanh_p = _elementwise("atanh", 1, UNARY, "arctanh")
not_p = _elementwise("not", 1, UNARY, "invert")  # bitwise on integers, logical on bool
isnan_p = _elementwise("isnan", 1, UNARY, "isnan", bool_output=True)
isinf_p = _elementwise("isinf", 1, UNARY, "isinf", bool_output=True)
isfinite_p = _elementwise("isfinite", 1, UNARY, "isfinite", bool_output=True)

add_p = _elementwise("add", 2, BINARY, "add")
sub_p = _elementwise("sub", 2, BINARY, "subtract")
mul_p = _elementwise("mul", 2, BINARY, "multiply")
div_p = _elementwise("div", 2, BINARY, "true_divide")      # true division (float operands)
floor_div_p = _elementwise("floor_div", 2, BINARY, "floor_divide")  # NumPy's semantics
rem_p = _elementwise("rem", 2, BINARY, "remainder")        # NumPy's: sign of the divisor
# np.divmod: (floor_div, rem) in one equation with two results, as NumPy's ufunc computes
# both at once (and a fused kernel shares the fmod between them)
divmod_p = _elementwise("divmod", 2, BINARY, "divmod", results=2)
pow_p = _elementwise("pow", 2, BINARY, "power")
max_p = _elementwise("max", 2, BINARY, "maximum")          # NaN-propagating, as np.maximum
min_p = _elementwise("min", 2, BINARY, "minimum")
atan2_p = _elementwise("atan2", 2, BINARY, "arctan2")
and_p = _elementwise("and", 2, BINARY, "bitwise_and")      # bitwise on integers, logical on bool
or_p = _elementwise("or", 2, BINARY, "bitwise_or")
xor_p = _elementwise("xor", 2, BINARY, "bitwise_xor")
hypot_p = _elementwise("hypot", 2, BINARY, "hypot")            # no overflow in the squares
fmod_p = _elementwise("fmod", 2, BINARY, "fmod")               # C's fmod: sign of the dividend
copysign_p = _elementwise("copysign", 2, BINARY, "copysign")
nextafter_p = _elementwise("nextafter", 2, BINARY, "nextafter")
heaviside_p = _elementwise("heaviside", 2, BINARY, "heaviside")  # heaviside(x, value at 0)
# NumPy's shifts: counts >= the width (or negative) give 0, or -1 for a right shift of a
# negative value; right shifts are arithmetic on signed integers, logical on unsigned
shift_left_p = _elementwise("shift_left", 2, BINARY, "left_shift")
shift_right_p = _elementwise("shift_right", 2, BINARY, "right_shift")

eq_p = _elementwise("eq", 2, COMPARISONS, "equal", bool_output=True)
ne_p = _elementwise("ne", 2, COMPARISONS, "not_equal", bool_output=True)
lt_p = _elementwise("lt", 2, COMPARISONS, "less", bool_output=True)
le_p = _elementwise("le", 2, COMPARISONS, "less_equal", bool_output=True)
gt_p = _elementwise("gt", 2, COMPARISONS, "greater", bool_output=True)
ge_p = _elementwise("ge", 2, COMPARISONS, "greater_equal", bool_output=True)


def _select_rule(pred: AbstractArray, on_true: AbstractArray, on_false: AbstractArray):
    if pred.dtype != np.bool_:
        raise TypeError(f"select needs a bool predicate, got {pred.dtype}")
    dtype = _same_dtype([on_true, on_false], "select")
    return [AbstractArray(broadcast_shapes(pred.shape, on_true.shape, on_false.shape), dtype)]


select_p = _new("select", ELEMENTWISE, _select_rule, launch="where")


def _convert_rule(x: AbstractArray, *, new_dtype: np.dtype):
    return [AbstractArray(x.shape, new_dtype)]


convert_element_type_p = _new("convert_element_type", ELEMENTWISE, _convert_rule,
                              launch="astype", kernel_name="convert")
UNARY.add(convert_element_type_p)


# ---------------------------------------------------------------- reductions

def _check_axes(x: AbstractArray, axes: tuple[int, ...], name: str) -> None:
    if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise TypeError(f"{name}: bad axes {axes} for an operand of rank {x.ndim}")


def _reducer(name: str, monoid: Monoid | None) -> Primitive:
    def rule(x: AbstractArray, *, axes: tuple[int, ...]):
        _check_axes(x, axes, name)
        return [AbstractArray(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)]

    return _new(name, REDUCTIONS, rule, monoid=monoid,
                launch=monoid.function if monoid else name)


def _extreme(sign: int) -> Callable[[np.dtype], Any]:
    """max's identity (sign -1): -inf for floats (NaN still wins), the minimum integer,
    False; min's (sign +1): +inf, the maximum integer, True."""
    def identity(dtype: np.dtype) -> Any:
        if dtype.kind == "f":
            return sign * np.inf
        if dtype.kind == "b":
            return sign > 0
        info = np.iinfo(dtype)
        return info.min if sign < 0 else info.max
    return identity


reduce_sum_p = _reducer("reduce_sum", Monoid(add_p, lambda dt: 0, "add", "sum", True))
reduce_prod_p = _reducer("reduce_prod", Monoid(mul_p, lambda dt: 1, "multiply", "prod", True))
reduce_max_p = _reducer("reduce_max", Monoid(max_p, _extreme(-1), "maximum", "max", False))
reduce_min_p = _reducer("reduce_min", Monoid(min_p, _extreme(+1), "minimum", "min", False))
reduce_and_p = _reducer("reduce_and", Monoid(and_p, lambda dt: True, "logical_and", "all", False))
reduce_or_p = _reducer("reduce_or", Monoid(or_p, lambda dt: False, "logical_or", "any", False))
MONOID_REDUCTIONS = [p for p in ALL if p.monoid is not None]


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


dot_general_p = _new("dot_general", CONTRACTIONS, _dot_general_rule, launch="matmul")


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


broadcast_in_dim_p = _new("broadcast_in_dim", STRUCTURAL, _broadcast_in_dim_rule, view="read-only",
                          launch="broadcast_to (view)")
reshape_p = _new("reshape", STRUCTURAL, _reshape_rule, view=True)
transpose_p = _new("transpose", STRUCTURAL, _transpose_rule, view="always",
                   launch="transpose (view)")
squeeze_p = _new("squeeze", STRUCTURAL, _squeeze_rule, view="always", launch="reshape (view)")
expand_dims_p = _new("expand_dims", STRUCTURAL, _expand_dims_rule, view="always",
                     launch="reshape (view)")
slice_p = _new("slice", STRUCTURAL, _slice_rule, view="always", launch="slice (view)")
rev_p = _new("rev", STRUCTURAL, _rev_rule, view="always", launch="flip (view)")
concatenate_p = _new("concatenate", STRUCTURAL, _concatenate_rule)
take_p = _new("take", STRUCTURAL, _take_rule, raises=True)
batched_take_p = _new("batched_take", STRUCTURAL, _batched_take_rule, launch="take (batched)",
                      raises=True)


# --- running extrema (issue 12: np.maximum.accumulate / np.minimum.accumulate) ---
# Scans like cumsum: same shape, one axis; NaN propagates forward as in np.maximum.
cummax_p = _new("cummax", STRUCTURAL, _scan_rule, launch="maximum.accumulate")
cummin_p = _new("cummin", STRUCTURAL, _scan_rule, launch="minimum.accumulate")


# ---------------------------------------------------------------- sorting and searching
#
# Two primitives, not one with two results (lax.sort's operands): np.sort never pays for
# indices it does not return, np.argsort never writes sorted values, and graphs read as
# NumPy's calls. The order is NumPy's: NaNs last, and ``argsort`` is stable (equal values
# keep their order, as ``kind="stable"``) on every backend. ``sort[stable=False]`` (np.sort's
# default kind) leaves the order of values that compare equal but differ (+0.0 and -0.0,
# NaN payloads) to the backend, as NumPy's default quicksort does; ``stable=True`` fixes it.

def _sort_rule(x: AbstractArray, *, axis: int, stable: bool):
    _check_axes(x, (axis,), "sort")
    return [x]


def _argsort_rule(x: AbstractArray, *, axis: int, index_dtype: np.dtype):
    _check_axes(x, (axis,), "argsort")
    return [AbstractArray(x.shape, index_dtype)]


sort_p = _new("sort", STRUCTURAL, _sort_rule)
argsort_p = _new("argsort", STRUCTURAL, _argsort_rule)


# --- scatter (index updates) ---
#
# ``scatter[mode]``: x with rows of ``updates`` combined into it at ``indices``, a new value
# (x itself is not changed): ``out = x.copy(); out[indices[k]] = combine(out[indices[k]],
# updates[k])`` for k in order. So repeated indices keep the LAST write for ``set`` (as
# NumPy's ``y[idx] = v``) and accumulate for ``add`` / ``mul`` / ``max`` / ``min`` (as
# ``np.add.at`` ...: max / min propagate NaN as np.maximum / np.minimum). One primitive with
# a mode, not five: every stage treats the modes alike and differs only in the combining
# step, which is the binary elementwise primitive of ``SCATTER_COMBINE``.
#
# Operands: x (n, *rest), integer indices (K,) IN [0, n), updates (K, *rest) of x's dtype.
# The front end (gvmap.numpy.updates) applies NumPy's index rule first (a take of
# arange(n), which raises IndexError outside [-n, n) on every backend), so the primitive
# never sees other indices; its NumPy rule would raise for them and its kernels skip them
# (never writing out of bounds).

SCATTER_MODES = ("set", "add", "mul", "max", "min")
SCATTER_COMBINE = {"add": add_p, "mul": mul_p, "max": max_p, "min": min_p}  # set: no combine


def _scatter_rule(x: AbstractArray, idx: AbstractArray, updates: AbstractArray, *, mode: str):
    if mode not in SCATTER_MODES:
        raise TypeError(f"scatter: mode must be one of {SCATTER_MODES}, got {mode!r}")
    if x.ndim < 1:
        raise TypeError(f"scatter needs an operand of rank >= 1, got {x}")
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"scatter needs 1-d integer indices, got {idx}")
    if updates.dtype != x.dtype or updates.shape != idx.shape + x.shape[1:]:
        raise TypeError(f"scatter: updates {updates} do not fit operand {x} at indices {idx} "
                        f"(need shape {idx.shape + x.shape[1:]} and dtype {x.dtype})")
    return [x]


scatter_p = _new("scatter", STRUCTURAL, _scatter_rule, raises=True)

# ---------------------------------------------------------------- linear algebra
#
# Per-example np.linalg on stacks of matrices: every operand is (S..., m, n) with the same
# leading stack dims S (the front end broadcasts them), and every primitive is ONE call of
# np.linalg / cupy.linalg on the whole stack, which both take (implementations in
# gvmap/linalg_impl.py). ``batch_dims``: how many leading stack dims are vmap batch dims (the
# batching rule moves the batch dim to the front and adds one), so a LinAlgError can name
# the example, not just the matrix, that failed. Operands are float32 or float64 (the front
# end promotes as NumPy does); several outputs (eigh, qr, svd, slogdet) are several results
# of one equation, as divmod's.

LINALG: set[Primitive] = set()


def _matrices(x: AbstractArray, name: str, square: bool = False) -> tuple[tuple[int, ...], int, int]:
    if x.ndim < 2:
        raise TypeError(f"{name} needs a stack of matrices (rank >= 2), got {x}")
    if x.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} needs float32 or float64 operands, got {x.dtype}")
    *stack, m, n = x.shape
    if square and m != n:
        raise TypeError(f"{name} needs square matrices, got {x}")
    return tuple(stack), m, n


def _solve_rule(a: AbstractArray, b: AbstractArray, *, batch_dims: int):
    stack, n, _ = _matrices(a, "linalg_solve", square=True)
    bstack, bn, _ = _matrices(b, "linalg_solve")
    if bstack != stack or bn != n or a.dtype != b.dtype:
        raise TypeError(f"linalg_solve needs a (S..., n, n) and b (S..., n, k) of one dtype, "
                        f"got {a} and {b}")
    return [b]


def _square_rule(name: str, out: Callable[[tuple, int, np.dtype], list[AbstractArray]]):
    def rule(a: AbstractArray, *, batch_dims: int, **params):
        stack, n, _ = _matrices(a, name, square=True)
        return out(stack, n, a.dtype)
    return rule


def _qr_rule(a: AbstractArray, *, batch_dims: int):
    stack, m, n = _matrices(a, "linalg_qr")
    k = min(m, n)
    return [AbstractArray(stack + (m, k), a.dtype), AbstractArray(stack + (k, n), a.dtype)]


def _svd_rule(a: AbstractArray, *, batch_dims: int):
    stack, m, n = _matrices(a, "linalg_svd")
    k = min(m, n)
    return [AbstractArray(stack + (m, k), a.dtype), AbstractArray(stack + (k,), a.dtype),
            AbstractArray(stack + (k, n), a.dtype)]


def _svdvals_rule(a: AbstractArray, *, batch_dims: int):
    stack, m, n = _matrices(a, "linalg_svdvals")
    return [AbstractArray(stack + (min(m, n),), a.dtype)]


def _linalg(name: str, rule: Callable, results: int = 1, launch: str | None = None,
            raises: bool = False) -> Primitive:
    return _new(name, LINALG, rule, results=results, launch=launch or f"linalg.{name[7:]}",
                raises=raises)


# solve / inv (singular), cholesky (not positive definite) and svd (a non-finite matrix)
# raise LinAlgError (linalg_impl.FAILURES); det, slogdet, eigh, eigvalsh and qr never do
linalg_solve_p = _linalg("linalg_solve", _solve_rule, raises=True)
linalg_inv_p = _linalg("linalg_inv", _square_rule(
    "linalg_inv", lambda s, n, dt: [AbstractArray(s + (n, n), dt)]), raises=True)
linalg_det_p = _linalg("linalg_det", _square_rule(
    "linalg_det", lambda s, n, dt: [AbstractArray(s, dt)]))
linalg_slogdet_p = _linalg("linalg_slogdet", _square_rule(
    "linalg_slogdet", lambda s, n, dt: [AbstractArray(s, dt)] * 2), results=2)
linalg_cholesky_p = _linalg("linalg_cholesky", _square_rule(
    "linalg_cholesky", lambda s, n, dt: [AbstractArray(s + (n, n), dt)]), raises=True)
# eigh / eigvalsh take ``uplo`` ("L" or "U": the triangle read, as NumPy's UPLO)
linalg_eigh_p = _linalg("linalg_eigh", _square_rule(
    "linalg_eigh", lambda s, n, dt: [AbstractArray(s + (n,), dt), AbstractArray(s + (n, n), dt)]),
    results=2)
linalg_eigvalsh_p = _linalg("linalg_eigvalsh", _square_rule(
    "linalg_eigvalsh", lambda s, n, dt: [AbstractArray(s + (n,), dt)]))
linalg_qr_p = _linalg("linalg_qr", _qr_rule, results=2)          # mode="reduced"
linalg_svd_p = _linalg("linalg_svd", _svd_rule, results=3, raises=True)  # full_matrices=False
linalg_svdvals_p = _linalg("linalg_svdvals", _svdvals_rule, launch="linalg.svd (values)",
                           raises=True)


# --- small NumPy habits ---
# np.signbit reads the sign bit itself: no comparison can, as -0.0 < 0 and -nan < 0 are both
# False, so it is a primitive of its own (bool results; NumPy computes it for integers and
# bool through a float loop, which keeps the sign).
signbit_p = _elementwise("signbit", 1, UNARY, "signbit", bool_output=True)


# --- number theory and float anatomy: np.gcd, np.lcm, np.spacing, np.modf, np.frexp,
# np.ldexp ---
# gcd / lcm: NumPy's npy_gcd / npy_lcm on integers of one dtype (Euclid on the absolute
# values, so results are nonnegative but for |MIN|, which wraps to MIN as NumPy's does).
# spacing: the gap to the next float away from zero (+smallest subnormal at either zero,
# NaN at the infinities). modf: (fraction, integral part), two results of one equation as
# divmod's.
gcd_p = _elementwise("gcd", 2, BINARY, "gcd")
lcm_p = _elementwise("lcm", 2, BINARY, "lcm")
spacing_p = _elementwise("spacing", 1, UNARY, "spacing")
modf_p = _elementwise("modf", 1, UNARY, "modf", results=2)

# frexp and ldexp break the one-dtype discipline on purpose, as NumPy's own loops do
# (``f->fi``, ``fi->f``, ``fl->f``): an exponent is an integer whatever the float's dtype.
# A same-dtype ldexp would carry the exponent as a float (exact: any |e| beyond float32's
# 2**24 saturates anyway), but then neither NumPy's nor CuPy's ldexp could run it without
# a conversion back, and frexp's int32 exponent has no same-dtype form at all. So the
# rules state the mixed operand and result dtypes, which every stage reads from the avals
# (codegen: ``c_expression_rules``): ``frexp`` float x -> (mantissa of x's dtype, int32
# exponent); ``ldexp`` (float x, int32 or int64 e) -> x's dtype, NumPy's two exponent loops
# (the front end converts other integers as NumPy's loop selection does).
MIXED_DTYPES: set[Primitive] = set()


def _float_operand(x: AbstractArray, name: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(f"{name} needs a floating-point operand, got {x.dtype}")


def _frexp_rule(x: AbstractArray):
    _float_operand(x, "frexp")
    return [x, AbstractArray(x.shape, np.dtype(np.int32))]


def _ldexp_rule(x: AbstractArray, e: AbstractArray):
    _float_operand(x, "ldexp")
    if e.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise TypeError(f"ldexp needs an int32 or int64 exponent, got {e.dtype}")
    return [AbstractArray(broadcast_shapes(x.shape, e.shape), x.dtype)]


frexp_p = _new("frexp", ELEMENTWISE, _frexp_rule, ufunc="frexp", results=2)
ldexp_p = _new("ldexp", ELEMENTWISE, _ldexp_rule, ufunc="ldexp")
UNARY.add(frexp_p)
BINARY.add(ldexp_p)
MIXED_DTYPES |= {frexp_p, ldexp_p}


# --- bit views and run-time checks ---
# ``bitcast_convert_type[new_dtype]`` (lax's name): x's bits read as another dtype of the
# same itemsize, as ``x.view(dtype)`` reads them (float32 <-> int32 / uint32, float64 <->
# int64 / uint64, float16 <-> int16 / uint16, int8 <-> uint8, bool -> int8 / uint8). Every
# element is its own, so it is elementwise and fuses (its C is a union read, bit for bit:
# NaN payloads, -0.0, subnormals kept). A view with another itemsize would change the last
# axis's length, and a view as bool could hold bytes other than 0 and 1: the front end
# refuses both before this rule sees them.

def _bitcast_rule(x: AbstractArray, *, new_dtype: np.dtype):
    new = np.dtype(new_dtype)
    if new.itemsize != x.dtype.itemsize or new.kind not in "iuf" or x.dtype.kind not in "biuf":
        raise TypeError(f"bitcast_convert_type: {x.dtype} -> {new} is not a reinterpretation "
                        f"of bits between dtypes of one itemsize")
    return [AbstractArray(x.shape, new)]


bitcast_convert_type_p = _new("bitcast_convert_type", ELEMENTWISE, _bitcast_rule,
                              launch="view", kernel_name="bitcast")
UNARY.add(bitcast_convert_type_p)


# ``check[error, function, reason, hint, batch_dims](x, bad)``: x itself, once no element of
# the bool ``bad`` is True; otherwise it raises NumPy's error for the first failing example
# (``gvmap.errors.ExampleError``: ``error`` names one of EXAMPLE_ERRORS; or a user's assert,
# an ``errors.LoopRaise``). With several errors (``error`` a tuple of alternatives, each
# ``(error, function, reason, hint)`` or a LoopRaise), ``bad`` is an integer code: 0, or
# which alternative the example fails first, so one check raises the loop's error for the
# loop's first failing example whichever condition that is. The per-example
# program raises where NumPy's function does (np.nanargmax of an all-NaN slice, np.geomspace
# with an endpoint 0), and so the batched one can: the first True of ``bad`` in C order is
# the first failing example of the loop, whose index is ``bad``'s leading ``batch_dims``
# dims (one per vmap level, outermost first, as linear algebra's ``batch_dims``). Threading
# x through makes the check live exactly while its value is: a check nothing reads is dead.

CHECK_ERRORS = tuple(EXAMPLE_ERRORS)  # the built-in errors a check raises, by name


def _check_error(error: Any) -> None:
    if not isinstance(error, LoopRaise) and error not in CHECK_ERRORS:
        raise TypeError(f"check: error must be one of {CHECK_ERRORS} or a LoopRaise, got {error!r}")


def _check_rule(x: AbstractArray, bad: AbstractArray, *, error: Any, function: str, reason: str,
                hint: str, batch_dims: int):
    if isinstance(error, tuple):  # several: bad is a code, 0 or the 1-based alternative
        for alternative in error:
            _check_error(alternative if isinstance(alternative, LoopRaise) else alternative[0])
        kind_ok = bad.dtype.kind in "iu"
    else:
        _check_error(error)
        kind_ok = bad.dtype == np.bool_
    if not kind_ok or not 0 <= batch_dims <= bad.ndim:
        raise TypeError(f"check needs a bool condition (an integer code for several errors) "
                        f"with at least {batch_dims} (batch) dims, got {bad}")
    return [x]


check_p = _new("check", STRUCTURAL, _check_rule, view=True, launch="check (raises)",
               raises=True)
