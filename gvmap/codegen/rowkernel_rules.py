"""Row-kernel rules: the loop nest each primitive becomes inside a row function, and what
it costs.

``emit_rules[prim](row, eqn)`` writes the C for one equation into ``row`` (a
``rowemitter.RowEmitter``: local arrays, loop nests, element references). ``row_work``,
``row_local_bytes`` and ``row_refusal`` decide, without emitting anything, what an
equation costs and whether it can be in a row kernel at all (``rowkernel.size_row_kernel``
sums them for the cost model). The C of each scalar operation comes from
``codegen/cuda.py``, so row kernels and fused kernels share NumPy's semantics.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import primitives as P
from ..graph import Eqn
from ..implementations import raise_if_out_of_bounds
from .cuda import (c_expression, c_expressions, c_literal, c_type, index_out_of_bounds,
                   reduce_expr, reduce_identity)
from .rowemitter import UNROLL_LIMIT, RowEmitter, names as _names
from .rowlinalg import (LINALG_ROW_RULES, linalg_row_local_bytes, linalg_row_refusal,
                        linalg_row_work)
from .sortnet import comparators

# ``emit_rules[prim](row, eqn)`` emits one equation's block; each block is wrapped in braces
# so loop indices and accumulators are local. What a block costs is decided apart from
# emitting it (``row_work`` below), so the cost model never renders.

emit_rules: dict[P.Primitive, Callable[[RowEmitter, Eqn], None]] = {}

# A primitive without a rule says why here (tests/test_primitive_tables.py checks that
# every primitive has one or the other); a graph holding it is lowered batched.
ROW_KERNEL_UNSUPPORTED: dict[P.Primitive, str] = {}

# Primitives whose cost and limits are their own (the linear-algebra routines below):
# what ``row_work``, ``row_local_bytes`` and ``row_refusal`` answer for them.
work_rules: dict[P.Primitive, Callable[[Eqn], int]] = {}
local_bytes_rules: dict[P.Primitive, Callable[[Eqn], int]] = {}
refusal_rules: dict[P.Primitive, Callable[[Eqn], str | None]] = {}


def _block(fn: Callable[[RowEmitter, Eqn], None]) -> Callable[[RowEmitter, Eqn], None]:
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        row.ops.append(eqn.primitive.kernel_name)
        out = eqn.outvars[0]
        for v in eqn.outvars:  # several results (divmod) share one shape and one loop nest
            row.define(v)
        if out.aval.size == 0:
            return
        row.emit(f"{{  // {eqn.primitive}")
        row.depth += 1
        fn(row, eqn)
        row.depth -= 1
        row.emit("}")
    return rule


@_block
def _elementwise(row: RowEmitter, eqn: Eqn) -> None:
    out = eqn.outvars[0]
    idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim))
    args = [row.ref(a, idx if a.aval.ndim else ()) for a in eqn.invars]
    exprs = c_expressions(eqn.primitive, [a.aval.dtype for a in eqn.invars],
                          [v.aval.dtype for v in eqn.outvars], args, eqn.params)
    for v, expr in zip(eqn.outvars, exprs):
        row.emit(f"{row.ref(v, idx)} = {expr};")
    row.close(opened)


for _prim in P.ELEMENTWISE:
    emit_rules[_prim] = _elementwise


def _reduced_index(ndim: int, axes: Sequence[int], kept_idx: Sequence[str],
                   axes_idx: Sequence[str]) -> list[str]:
    """The operand's index from the index over its kept dims and over ``axes``."""
    kept, x_idx = iter(kept_idx), []
    for d in range(ndim):
        x_idx.append(axes_idx[list(axes).index(d)] if d in axes else next(kept))
    return x_idx


@_block
def _reduction(row: RowEmitter, eqn: Eqn) -> None:
    (x,), out = eqn.invars, eqn.outvars[0]
    axes = tuple(eqn.params["axes"])
    dtype, t = x.aval.dtype, c_type(x.aval.dtype)
    step, identity = reduce_expr(eqn.primitive, dtype), reduce_identity(eqn.primitive, dtype)
    inner_sizes = [x.aval.shape[d] for d in axes]
    out_idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim),
                                     inner=math.prod(inner_sizes))
    row.emit(f"{t} acc = {identity};")
    inner, inner_opened = row.open_loops(inner_sizes, [f"r{d}" for d in axes])
    x_idx = _reduced_index(x.aval.ndim, axes, out_idx, inner)
    row.emit(f"const {t} a = acc, b = {row.ref(x, x_idx)};")
    row.emit(f"acc = {step};")
    row.close(inner_opened)
    row.emit(f"{row.ref(out, out_idx)} = acc;")
    row.close(opened)


for _prim in P.MONOID_REDUCTIONS:
    emit_rules[_prim] = _reduction


def _arg_rule(better: str):
    """argmax / argmin: the first extremum; NaN as NumPy: the first NaN wins and stays."""
    @_block
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (x,), out = eqn.invars, eqn.outvars[0]
        axis = eqn.params["axis"]
        t, n = c_type(x.aval.dtype), x.aval.shape[axis]
        out_idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim), inner=n)
        first = _reduced_index(x.aval.ndim, (axis,), out_idx, ["0"])
        x_idx = _reduced_index(x.aval.ndim, (axis,), out_idx, [f"r{axis}"])
        row.emit(f"{t} best = {row.ref(x, first)};")
        row.emit("int best_k = 0;")
        if n > 1:
            if math.prod(out.aval.shape) * n <= UNROLL_LIMIT:
                row.emit("#pragma unroll")
            row.emit(f"for (int r{axis} = 1; r{axis} < {n}; r{axis}++) {{")
            row.emit(f"  const {t} v = {row.ref(x, x_idx)};")
            row.emit(f"  if (!(best != best) && ((v {better} best) || (v != v))) "
                     f"{{ best = v; best_k = r{axis}; }}")
            row.emit("}")
        row.emit(f"{row.ref(out, out_idx)} = ({c_type(out.aval.dtype)})best_k;")
        row.close(opened)
    return rule


emit_rules[P.argmax_p] = _arg_rule(">")
emit_rules[P.argmin_p] = _arg_rule("<")


def _scan(step_prim: P.Primitive, start: Any):
    """cumsum / cumprod (and cummax / cummin): a running ``acc = acc op x`` along the axis,
    from ``start``, the operation's exact identity (a value, or a function of the dtype):
    -0.0 for float sums (+0.0 would turn a leading -0.0 into +0.0, where np.cumsum keeps
    the first element as it is), 1 for products."""
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (x,), out = eqn.invars, eqn.outvars[0]
        axis = eqn.params["axis"]
        dtype, t = x.aval.dtype, c_type(x.aval.dtype)
        kept_shape = [d for j, d in enumerate(x.aval.shape) if j != axis]
        kept_idx, opened = row.open_loops(kept_shape, _names("i", len(kept_shape)),
                                          inner=x.aval.shape[axis])
        first = start(dtype) if callable(start) else start
        row.emit(f"{t} acc = {c_literal(np.array(first).astype(dtype)[()])};")
        inner, inner_opened = row.open_loops([x.aval.shape[axis]], [f"r{axis}"])
        x_idx = _reduced_index(x.aval.ndim, (axis,), kept_idx, inner)
        step = c_expression(step_prim, [dtype, dtype], dtype, ["acc", row.ref(x, x_idx)])
        row.emit(f"acc = {step};")
        row.emit(f"{row.ref(out, x_idx)} = acc;")
        row.close(inner_opened)
        row.close(opened)
    return _block(rule)


emit_rules[P.cumsum_p] = _scan(P.add_p, -0.0)
emit_rules[P.cumprod_p] = _scan(P.mul_p, 1)


@_block
def _dot_general(row: RowEmitter, eqn: Eqn) -> None:
    (lhs, rhs), out = eqn.invars, eqn.outvars[0]
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    dtype, t = out.aval.dtype, c_type(out.aval.dtype)
    lf = [d for d in range(lhs.aval.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.aval.ndim) if d not in rc and d not in rb]
    k_sizes = [lhs.aval.shape[d] for d in lc]
    out_idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim),
                                     inner=math.prod(k_sizes))
    row.emit(f"{t} acc = {c_literal(dtype.type(0))};")
    k_idx, inner_opened = row.open_loops(k_sizes, _names("k", len(lc)))
    l_idx, r_idx = [""] * lhs.aval.ndim, [""] * rhs.aval.ndim
    for j, (a, b) in enumerate(zip(lb, rb)):
        l_idx[a] = r_idx[b] = out_idx[j]
    for j, d in enumerate(lf):
        l_idx[d] = out_idx[len(lb) + j]
    for j, d in enumerate(rf):
        r_idx[d] = out_idx[len(lb) + len(lf) + j]
    for j, (a, b) in enumerate(zip(lc, rc)):
        l_idx[a] = r_idx[b] = k_idx[j]
    product = c_expression(P.mul_p, [dtype, dtype], dtype,
                           [row.ref(lhs, l_idx), row.ref(rhs, r_idx)])
    row.emit(f"acc = {c_expression(P.add_p, [dtype, dtype], dtype, ['acc', product])};")
    row.close(inner_opened)
    row.emit(f"{row.ref(out, out_idx)} = acc;")
    row.close(opened)


emit_rules[P.dot_general_p] = _dot_general


def _gather(operand_index: Callable[[Eqn, list[str]], tuple[Any, list[str]]]):
    """A rule whose output element at ``idx`` is one operand element: a copy loop."""
    @_block
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        out = eqn.outvars[0]
        idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim))
        x, x_idx = operand_index(eqn, idx)
        row.emit(f"{row.ref(out, idx)} = {row.ref(x, x_idx)};")
        row.close(opened)
    return rule


def _broadcast_index(eqn: Eqn, idx: list[str]) -> tuple[Any, list[str]]:
    x = eqn.invars[0]
    return x, [idx[d] for d in eqn.params["broadcast_dimensions"]]


def _transpose_index(eqn: Eqn, idx: list[str]) -> tuple[Any, list[str]]:
    x = eqn.invars[0]
    x_idx = [""] * x.aval.ndim
    for j, p in enumerate(eqn.params["permutation"]):
        x_idx[p] = idx[j]
    return x, x_idx


def _slice_index(eqn: Eqn, idx: list[str]) -> tuple[Any, list[str]]:
    x = eqn.invars[0]
    x_idx = []
    for i, start, stride in zip(idx, eqn.params["start_indices"], eqn.params["strides"]):
        term = i if stride == 1 else f"{i} * {stride}"
        x_idx.append(term if start == 0 else f"{start} + {term}")
    return x, x_idx


def _rev_index(eqn: Eqn, idx: list[str]) -> tuple[Any, list[str]]:
    x = eqn.invars[0]
    dims = eqn.params["dimensions"]
    return x, [f"{x.aval.shape[d] - 1} - {i}" if d in dims else i for d, i in enumerate(idx)]


emit_rules[P.broadcast_in_dim_p] = _gather(_broadcast_index)
emit_rules[P.transpose_p] = _gather(_transpose_index)
emit_rules[P.slice_p] = _gather(_slice_index)
emit_rules[P.rev_p] = _gather(_rev_index)


def _alias(row: RowEmitter, eqn: Eqn) -> None:
    row.alias(eqn.outvars[0], eqn.invars[0])


# row-major storage is shared: these cost nothing and allocate nothing
ALIASES = frozenset({P.reshape_p, P.squeeze_p, P.expand_dims_p})
for _prim in ALIASES:
    emit_rules[_prim] = _alias


@_block
def _concatenate(row: RowEmitter, eqn: Eqn) -> None:
    out, dim = eqn.outvars[0], eqn.params["dimension"]
    start = 0
    for x in eqn.invars:
        idx, opened = row.open_loops(x.aval.shape, _names("i", x.aval.ndim))
        out_idx = list(idx)
        if start:
            out_idx[dim] = f"{start} + {idx[dim]}" if idx[dim] != "0" else str(start)
        row.emit(f"{row.ref(out, out_idx)} = {row.ref(x, idx)};")
        row.close(opened)
        start += x.aval.shape[dim]


emit_rules[P.concatenate_p] = _concatenate


def _take_rule(batched: bool):
    """take / batched_take under NumPy's index rule: negative indices count from the end;
    one outside [-n, n) is recorded in the kernel's error buffer (the launcher raises) and
    element 0 is read instead. Constant indices are checked now (IndexError at lowering)."""
    @_block
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (x, indices), out = eqn.invars, eqn.outvars[0]
        axis = eqn.params["axis"] + (1 if batched else 0)  # x's gathered dim
        n = x.aval.shape[axis]  # > 0 where out has elements: row_refusal checked it
        known = row.graph.known_value(indices)
        if known is not None:
            raise_if_out_of_bounds(np, n, known)
        nidx = indices.aval.ndim - (1 if batched else 0)
        idx, opened = row.open_loops(out.aval.shape, _names("i", out.aval.ndim))
        i_idx = ([idx[0]] if batched else []) + idx[axis:axis + nidx]
        index = row.ref(indices, i_idx)
        row.emit(f"long long j = (long long){index};")
        bad_test = index_out_of_bounds(indices.aval.dtype, n, index)
        if known is None and bad_test != "false":
            row.emit(f"if {bad_test} {{ gvmap_row_index_error({row.error_slot(n)}, j); j = 0; }}")
        row.emit(f"j = j < 0 ? j + {n} : j;")
        x_idx = idx[:axis] + ["(int)j"] + idx[axis + nidx:]
        row.emit(f"{row.ref(out, idx)} = {row.ref(x, x_idx)};")
        row.close(opened)
    return rule


emit_rules[P.take_p] = _take_rule(batched=False)
emit_rules[P.batched_take_p] = _take_rule(batched=True)


# ---------------------------------------------------------------- deciding, without emitting

def row_work(eqn: Eqn) -> int:
    """Inner-loop iterations one thread spends on ``eqn`` (the cost model's unit): one per
    output element, one per operand element for reductions and scans, out x contraction
    size for ``dot_general``, none for aliases and empty values."""
    prim, out = eqn.primitive, eqn.outvars[0]
    if out.aval.size == 0 or prim in ALIASES:
        return 0
    if prim in work_rules:
        return work_rules[prim](eqn)
    if prim is P.dot_general_p:
        (lc, _), _ = eqn.params["dimension_numbers"]
        return out.aval.size * math.prod(eqn.invars[0].aval.shape[d] for d in lc)
    if prim in P.REDUCTIONS or prim in (P.cumsum_p, P.cumprod_p):
        return eqn.invars[0].aval.size
    if prim in (P.sort_p, P.argsort_p):  # the network's steps (or the insertion sort's)
        return sort_work(eqn)
    if prim is P.scatter_p:  # the copy of x, then one step per update element
        return out.aval.size + eqn.invars[2].aval.size
    return out.aval.size


def row_local_bytes(eqn: Eqn) -> int:
    """Thread-local storage ``eqn``'s results take (a local array each; aliases share)."""
    if eqn.primitive in ALIASES:
        return 0
    if eqn.primitive in local_bytes_rules:
        return local_bytes_rules[eqn.primitive](eqn)
    return sum(max(v.aval.size, 1) * v.aval.dtype.itemsize for v in eqn.outvars)


def row_refusal(eqn: Eqn) -> str | None:
    """Why ``eqn`` cannot be part of a row kernel, or None: no rule, no C loop for its
    (primitive, dtype), a gather from an empty axis."""
    prim = eqn.primitive
    if prim not in emit_rules:
        return ROW_KERNEL_UNSUPPORTED.get(prim, f"primitive '{prim}' has no row rule")
    if prim in refusal_rules:
        return refusal_rules[prim](eqn)
    if prim in P.ELEMENTWISE:
        try:
            c_expressions(prim, [a.aval.dtype for a in eqn.invars],
                          [v.aval.dtype for v in eqn.outvars], ["a"] * len(eqn.invars),
                          eqn.params)
        except NotImplementedError as e:
            return str(e)
    if prim in (P.take_p, P.batched_take_p):
        axis = eqn.params["axis"] + (prim is P.batched_take_p)
        if eqn.invars[0].aval.shape[axis] == 0 and eqn.outvars[0].aval.size:
            return f"{prim} from an empty axis (NumPy raises IndexError)"
    return None


# --- running extrema (issue 12) ---

def _running_extremum(step_prim: P.Primitive, sign: int):
    """cummax / cummin: ``acc = max(acc, x)`` from max's identity (-inf, the lowest
    integer, False), so the first element is kept as it is and a NaN stays."""
    return _scan(step_prim, P._extreme(sign))


emit_rules[P.cummax_p] = _running_extremum(P.max_p, -1)
emit_rules[P.cummin_p] = _running_extremum(P.min_p, +1)


# --- sorting and searching ---
# A lane of at most SORT_NETWORK_LIMIT values is sorted by a sorting network
# (codegen/sortnet.py): fully unrolled compare-exchange steps on named scalars, so the lane
# is in registers (no local memory; ptxas for sm_90 keeps a float64 argsort of 64, values
# and indices, in 210 of 255 registers without spilling). A longer lane keeps the insertion
# sort, whose lane is indexed at run time (local memory): twice the lane would not fit the
# registers either, and the unrolled code grows as n log^2 n (1471 steps for 128). The cost
# model bounds the insertion sort's n * n / 2 steps (n up to about 360, then batched).

SORT_NETWORK_LIMIT = 64
# The lanes' loop (over the dims that are not sorted) is unrolled while the networks it
# holds have at most this many steps in all (a few thousand instructions): then the lanes'
# loads and stores index the values with constants too.
SORT_UNROLL_STEPS = 4096


def _sorts_before(dtype: np.dtype, a: str, b: str) -> str:
    """C for "a sorts strictly before b" in NumPy's order: NaNs last (equal NaNs tie)."""
    if dtype.kind == "f":
        return f"(({a}) < ({b}) || (({b}) != ({b}) && ({a}) == ({a})))"
    return f"(({a}) < ({b}))"


def _keeps_indices(dtype: np.dtype, indices: bool) -> bool:
    """Whether the network sorts (value, original index) pairs: for argsort (its result),
    and for floats, where values that compare equal can differ (+0.0 and -0.0, NaNs of
    either sign and any payload): ordering ties by index gives np.sort(kind="stable")'s
    order, what the insertion sort gave. Equal integers or bools cannot be told apart."""
    return indices or dtype.kind == "f"


_SORT_NETWORK = r"""#ifndef GVMAP_SORT_NETWORK
#define GVMAP_SORT_NETWORK
// A sorting network's compare-exchange step (codegen/sortnet.py): afterwards a holds the
// value that sorts first in NumPy's order (NaNs last; equal NaNs tie); with indices, ties
// keep index order, so the network sorts as a stable sort does. Bitwise | and &, not || and
// &&: no branches to fold, so NVRTC emits selects (with ||, an int32 argsort of 64 took 7x
// as long to compile, and a float64 one spilled 1 KiB of registers).
template <typename T> __host__ __device__ inline bool gvmap_sorts_before(T a, T b) {
  return a < b;
}
__host__ __device__ inline bool gvmap_sorts_before(float a, float b) {
  return (a < b) | ((b != b) & (a == a));
}
__host__ __device__ inline bool gvmap_sorts_before(double a, double b) {
  return (a < b) | ((b != b) & (a == a));
}
template <typename T> __host__ __device__ inline void gvmap_exchange(T& a, T& b) {
  const bool swap = gvmap_sorts_before(b, a);
  const T lo = swap ? b : a, hi = swap ? a : b;
  a = lo;
  b = hi;
}
template <typename T> __host__ __device__ inline void gvmap_exchange(T& a, int& i, T& b, int& j) {
  const bool swap = gvmap_sorts_before(b, a) | (!gvmap_sorts_before(a, b) & (j < i));
  const T lo = swap ? b : a, hi = swap ? a : b;
  const int ilo = swap ? j : i, ihi = swap ? i : j;
  a = lo;
  b = hi;
  i = ilo;
  j = ihi;
}
#endif  // GVMAP_SORT_NETWORK
"""


def _lanes(eqn: Eqn) -> tuple[int, int]:
    """(lanes, n): how many lanes ``eqn`` sorts and the length of each."""
    shape, axis = eqn.invars[0].aval.shape, eqn.params["axis"]
    n = shape[axis]
    return (math.prod(shape) // n if n else 0), n


def _emit_lines(row: RowEmitter, items: Sequence[str], per_line: int = 8) -> None:
    for j in range(0, len(items), per_line):
        row.emit(" ".join(items[j:j + per_line]))


def _sort_network(indices: bool):
    """sort / argsort of each lane along the axis, n <= SORT_NETWORK_LIMIT: the lane in
    scalars ``k0 .. k{n-1}`` (with their original indices ``p0 ..``, see
    ``_keeps_indices``), the network's steps, the scalars out."""
    @_block
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (x,), out = eqn.invars, eqn.outvars[0]
        axis, shape = eqn.params["axis"], x.aval.shape
        n, dtype, t = shape[axis], x.aval.dtype, c_type(x.aval.dtype)
        steps, pairs = comparators(n), _keeps_indices(dtype, indices)
        lanes, _ = _lanes(eqn)
        row.need(_SORT_NETWORK)
        kept_shape = [d for j, d in enumerate(shape) if j != axis]
        # unrolled by the network's steps (the emitter's limit would count one iteration)
        kept, opened = row.open_loops(kept_shape, _names("i", len(kept_shape)),
                                      unroll=lanes * len(steps) <= SORT_UNROLL_STEPS)
        at = lambda j: _reduced_index(x.aval.ndim, (axis,), kept, [str(j)])
        _emit_lines(row, [f"{t} k{j} = {row.ref(x, at(j))};" for j in range(n)], 4)
        if pairs:
            _emit_lines(row, [f"int p{j} = {j};" for j in range(n)])
        exchange = ("gvmap_exchange(k{a}, p{a}, k{b}, p{b});" if pairs
                    else "gvmap_exchange(k{a}, k{b});")
        _emit_lines(row, [exchange.format(a=a, b=b) for a, b in steps], 4)
        if indices:
            it = c_type(out.aval.dtype)
            _emit_lines(row, [f"{row.ref(out, at(j))} = ({it})p{j};" for j in range(n)], 4)
        else:
            _emit_lines(row, [f"{row.ref(out, at(j))} = k{j};" for j in range(n)], 4)
        row.close(opened)
    return rule


def _insertion_sort(indices: bool):
    """sort / argsort of each lane along the axis, n > SORT_NETWORK_LIMIT: a stable
    insertion sort (equal values keep their order; NaNs last), in the output itself for
    sort, and for argsort in a lane of values beside the output's indices."""
    @_block
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (x,), out = eqn.invars, eqn.outvars[0]
        axis, shape = eqn.params["axis"], x.aval.shape
        n, dtype, t = shape[axis], x.aval.dtype, c_type(x.aval.dtype)
        kept_shape = [d for j, d in enumerate(shape) if j != axis]
        kept, opened = row.open_loops(kept_shape, _names("i", len(kept_shape)), inner=n * n)
        at = lambda j: _reduced_index(x.aval.ndim, (axis,), kept, [j])
        if indices:
            row.emit(f"{t} lane[{n}];")
            value, it = (lambda j: f"lane[{j}]"), c_type(out.aval.dtype)
        else:
            value = lambda j: row.ref(out, at(j))
        row.emit(f"for (int r = 0; r < {n}; r++) {{")
        row.emit(f"  const {t} key = {row.ref(x, at('r'))};")
        row.emit("  int j = r - 1;")
        row.emit(f"  while (j >= 0 && {_sorts_before(dtype, 'key', value('j'))}) {{")
        row.emit(f"    {value('j + 1')} = {value('j')};")
        if indices:
            row.emit(f"    {row.ref(out, at('j + 1'))} = {row.ref(out, at('j'))};")
        row.emit("    j--;")
        row.emit("  }")
        row.emit(f"  {value('j + 1')} = key;")
        if indices:
            row.emit(f"  {row.ref(out, at('j + 1'))} = ({it})r;")
        row.emit("}")
        row.close(opened)
    return rule


def _sort_rule(indices: bool):
    """The network for lanes of at most SORT_NETWORK_LIMIT values, else the insertion sort."""
    network, insertion = _sort_network(indices), _insertion_sort(indices)

    def rule(row: RowEmitter, eqn: Eqn) -> None:
        (network if _lanes(eqn)[1] <= SORT_NETWORK_LIMIT else insertion)(row, eqn)
    return rule


def sort_work(eqn: Eqn) -> int:
    """The cost model's steps for sort / argsort: one per element (loaded and stored) plus,
    per lane of n values, the network's compare-exchange steps ``len(comparators(n))``
    (for n = 2**k Batcher's (k*k - k + 4) * 2**(k - 2) - 1: 19 for 8, 543 for 64; fewer
    for other n), or past SORT_NETWORK_LIMIT the insertion sort's n * (n - 1) / 2 at worst."""
    lanes, n = _lanes(eqn)
    size = eqn.outvars[0].aval.size
    if n <= SORT_NETWORK_LIMIT:
        return size + lanes * len(comparators(n))
    return size + size * max(n - 1, 1) // 2


emit_rules[P.sort_p] = _sort_rule(indices=False)
emit_rules[P.argsort_p] = _sort_rule(indices=True)


# --- scatter (index updates) ---

@_block
def _scatter(row: RowEmitter, eqn: Eqn) -> None:
    """scatter[mode]: copy x, then one sequential loop over the indices in order, which is
    NumPy's meaning for free: the last write to a row stays (``set``), repeats accumulate
    (``add`` / ``mul`` / ``max`` / ``min``, NaN as np.maximum). The indices are in [0, n)
    (the index rule ran before, in the take that normalized them); any other is skipped,
    never written out of bounds."""
    (x, indices, updates), out = eqn.invars, eqn.outvars[0]
    shape, mode = x.aval.shape, eqn.params["mode"]
    dtype, t = x.aval.dtype, c_type(x.aval.dtype)
    idx, opened = row.open_loops(shape, _names("i", len(shape)))
    row.emit(f"{row.ref(out, idx)} = {row.ref(x, idx)};")
    row.close(opened)
    k_size, rest = indices.aval.shape[0], shape[1:]
    if not k_size or not math.prod(rest):
        return
    (k,), k_opened = row.open_loops([k_size], ["k"], inner=math.prod(rest))
    row.emit(f"const long long j = (long long){row.ref(indices, [k])};")
    row.emit(f"if (j >= 0 && j < {shape[0]}) {{")
    row.depth += 1
    r, r_opened = row.open_loops(list(rest), [f"r{d}" for d in range(1, len(shape))])
    target = row.ref(out, ["j", *r])
    source = row.ref(updates, [k, *r])
    if mode == "set":
        row.emit(f"{target} = {source};")
    else:
        step = c_expression(P.SCATTER_COMBINE[mode], [dtype, dtype], dtype, ["a", "b"])
        row.emit(f"{{ const {t} a = {target}, b = {source}; {target} = {step}; }}")
    row.close(r_opened)
    row.depth -= 1
    row.emit("}")
    row.close(k_opened)


emit_rules[P.scatter_p] = _scatter

# ---------------------------------------------------------------- linear algebra
# Tiny matrices (solve, inv, det, slogdet, cholesky: n <= 8; eigh, eigvalsh: n <= 4) run as
# unrolled per-thread routines (codegen/rowlinalg.py); larger ones are refused by
# linalg_row_refusal and keep the batched plan. qr, svd and svdvals have no routine.
for _prim, _rule in LINALG_ROW_RULES.items():
    emit_rules[_prim] = _block(_rule)
    work_rules[_prim] = linalg_row_work
    local_bytes_rules[_prim] = linalg_row_local_bytes
    refusal_rules[_prim] = linalg_row_refusal
ROW_KERNEL_UNSUPPORTED.update({
    p: f"{p} runs as one batched cuBLAS/cuSOLVER call on the stack of matrices (no "
       f"per-thread routine)" for p in P.LINALG if p not in LINALG_ROW_RULES})


# --- bit views and run-time checks ---
# bitcast_convert_type is elementwise (its rule comes from the group, its C from
# c_expression_rules). check raises a Python error naming the first failing example, which a
# row kernel's error buffer holds for gathers and linear algebra only: a graph with a check
# (np.nanargmax, np.geomspace of traced endpoints) keeps the batched plan.
ROW_KERNEL_UNSUPPORTED[P.check_p] = (
    "check raises NumPy's error for the first failing example (np.nanargmax of an all-NaN "
    "slice); the row kernels' error buffer has slots for gathers and linear algebra only, so "
    "the batched plan runs it")
