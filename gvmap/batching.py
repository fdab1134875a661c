"""Batching: rewrite a per-example Graph into one that processes the whole batch.

The Graph is interpreted with batch rules, and the rules' primitives are re-traced into a
new Graph (autodidax's ``vmap_jaxpr``). Each value carries a batch dim (``bdim``) or
``None`` when it does not depend on a batched input; equations whose inputs are all
unbatched are copied unchanged, so a closed-over ``W`` stays a plain constant.

Every rule has one signature, ``rule(axis_size, args, bdims, **params) -> (out, out_bdim)``
(for a primitive with several results, a list of outs and a list of bdims, as
autodidax's rules return), and leaves the bdim where the primitive allows, so no data moves unless it must: the seed's
``dot_general`` folds the batch dim into its dimension numbers and the chain after it keeps
bdim 1 until ``reduce_sum`` drops dim 0. ``out_axes`` is applied once, at the end.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Sequence

from . import primitives as P
from .graph import AbstractArray, Graph, Literal
from .tracing import Trace, Tracer, bind

__all__ = ["batch_graph", "batch_rules"]

BatchRule = Callable[..., tuple[Any, int]]
batch_rules: dict[P.Primitive, BatchRule] = {}


def batch_graph(graph: Graph, in_bdims: Sequence[int | None], axis_size: int,
                out_axes: Sequence[int | None]) -> Graph:
    """The batched Graph: inputs with a bdim gain a dim of ``axis_size`` there; outputs are
    moved to ``out_axes`` (None: not batched; an unbatched output with an int out axis is
    broadcast along it, as in JAX)."""
    with Trace() as trace:
        env: dict = {}
        for v, b in zip(graph.invars, in_bdims):
            aval = v.aval if b is None else AbstractArray(
                v.aval.shape[:b] + (axis_size,) + v.aval.shape[b:], v.aval.dtype)
            env[v] = (trace.new_input(aval), b)
        for v, c in zip(graph.constvars, graph.consts):
            if not isinstance(c, Tracer):
                trace._const(c, v.aval, copy=False)  # already a snapshot: no second copy
            env[v] = (c, None)

        def read(a):
            return (a.value, None) if isinstance(a, Literal) else env[a]

        for eqn in graph.eqns:
            vals, bdims = zip(*map(read, eqn.invars))
            # the batched equations keep the traced code's error handling (Eqn.errstate)
            with np.errstate(**dict(eqn.errstate)) if eqn.errstate else contextlib.nullcontext():
                if all(b is None for b in bdims):
                    out, out_bdim = bind(eqn.primitive, *vals, **eqn.params), None
                else:
                    rule = batch_rules.get(eqn.primitive)
                    if rule is None:
                        raise NotImplementedError(
                            f"primitive '{eqn.primitive}' has no batching rule")
                    out, out_bdim = rule(axis_size, list(vals), list(bdims), **eqn.params)
            if not eqn.primitive.multiple_results:
                out, out_bdim = [out], [out_bdim]
            elif out_bdim is None or isinstance(out_bdim, int):  # one bdim for every result
                out_bdim = [out_bdim] * len(eqn.outvars)
            env.update(zip(eqn.outvars, zip(out, out_bdim)))

        outs = []
        for a, axis in zip(graph.outvars, out_axes):
            x, b = read(a)
            outs.append(_to_out_axis(x, b, axis, axis_size))
        return trace.to_graph(outs)


def _to_out_axis(x: Any, bdim: int | None, axis: int | None, axis_size: int) -> Any:
    if axis is None:
        assert bdim is None, "checked by the caller"
        return x
    if bdim is None:
        return broadcast_batched(x, axis_size, axis)
    return moveaxis(x, bdim, axis)


# ---------------------------------------------------------------- helpers

def _ndim(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else 0


def moveaxis(x: Any, src: int, dst: int) -> Any:
    if src == dst:
        return x
    perm = [i for i in range(_ndim(x)) if i != src]
    perm.insert(dst, src)
    return bind(P.transpose_p, x, permutation=tuple(perm))


def expand(x: Any, dims: tuple[int, ...]) -> Any:
    """Insert size-1 dims; concrete arrays are reshaped now rather than recorded."""
    if not dims:
        return x
    dims = tuple(sorted(dims))
    if not isinstance(x, Tracer):
        (aval,) = P.abstract_eval(P.expand_dims_p, [AbstractArray(x.shape, x.dtype)],
                                  {"dimensions": dims})
        return x.reshape(aval.shape)
    return bind(P.expand_dims_p, x, dimensions=dims)


def broadcast_batched(x: Any, axis_size: int, at: int) -> Any:
    """An unbatched x repeated along a new dim of ``axis_size`` at ``at`` (a broadcast view)."""
    shape = tuple(x.shape) if hasattr(x, "shape") else ()
    out_shape = shape[:at] + (axis_size,) + shape[at:]
    dims = tuple(i if i < at else i + 1 for i in range(len(shape)))
    return bind(P.broadcast_in_dim_p, x, shape=out_shape, broadcast_dimensions=dims)


def _batched_axis(axis: int, bdim: int) -> int:
    """Where per-example axis ``axis`` sits once a batch dim is at ``bdim``."""
    return axis if axis < bdim else axis + 1


# ---------------------------------------------------------------- elementwise

def _elementwise_rule(prim: P.Primitive) -> BatchRule:
    """n-ary elementwise: operands agree on the bdim if they can, else it moves to 0.

    Unbatched non-scalar operands get a size-1 dim at the bdim (they broadcast along it);
    scalars stay scalars; a batched per-example scalar becomes (1, ..., n, ..., 1). Every
    result of a primitive with several (``divmod``) has the same bdim."""
    def rule(axis_size, args, bdims, **params):
        ranks = [_ndim(x) - (b is not None) for x, b in zip(args, bdims)]
        rank = max(ranks)
        full = {b for b, r in zip(bdims, ranks) if b is not None and r == rank}
        d = full.pop() if len(full) == 1 else 0
        new_args = []
        for x, b, r in zip(args, bdims, ranks):
            if b is None:
                new_args.append(x if r == 0 else expand(x, (d,)))
            elif r < rank:  # per-example scalar, batched: shape (n,)
                new_args.append(expand(x, tuple(i for i in range(rank + 1) if i != d)))
            else:
                new_args.append(moveaxis(x, b, d))
        return bind(prim, *new_args, **params), d
    return rule


for _p in P.ELEMENTWISE:
    batch_rules[_p] = _elementwise_rule(_p)


# ---------------------------------------------------------------- reductions and scans

def _reducer_rule(prim: P.Primitive) -> BatchRule:
    def rule(axis_size, args, bdims, *, axes):
        (x,), (b,) = args, bdims
        new_axes = tuple(_batched_axis(a, b) for a in axes)
        return bind(prim, x, axes=new_axes), b - sum(1 for a in new_axes if a < b)
    return rule


for _p in P.MONOID_REDUCTIONS:
    batch_rules[_p] = _reducer_rule(_p)


def _arg_rule(prim: P.Primitive) -> BatchRule:
    def rule(axis_size, args, bdims, *, axis, index_dtype):
        (x,), (b,) = args, bdims
        ax = _batched_axis(axis, b)
        return bind(prim, x, axis=ax, index_dtype=index_dtype), b - (ax < b)
    return rule


batch_rules[P.argmax_p] = _arg_rule(P.argmax_p)
batch_rules[P.argmin_p] = _arg_rule(P.argmin_p)


def _scan_rule(prim: P.Primitive) -> BatchRule:
    """A primitive along one axis that keeps the shape (scans, sorts): each example's lane
    is computed on its own, so the batch dim is one more dim it runs across, the whole
    batch in one call, the bdim where it was."""
    def rule(axis_size, args, bdims, *, axis, **params):
        (x,), (b,) = args, bdims
        return bind(prim, x, axis=_batched_axis(axis, b), **params), b
    return rule


for _p in (P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p, P.sort_p, P.argsort_p):
    batch_rules[_p] = _scan_rule(_p)  # scans, running extrema (issue 12), sorts


# ---------------------------------------------------------------- contractions

def _dot_general_rule(axis_size, args, bdims, *, dimension_numbers):
    """Fold the batch dim into the dimension numbers: one contraction, never a loop.

    Both batched: the bdims become a new leading batch dimension (output bdim 0). One side
    batched: its bdim is a free dimension, and lands where dot_general puts that side's
    free dims (after the batch dims; rhs free dims after lhs free dims)."""
    (lhs, rhs), (lb, rb) = args, bdims
    (lc, rc), (lbatch, rbatch) = dimension_numbers
    shift = lambda dims, b: tuple(_batched_axis(d, b) for d in dims) if b is not None else tuple(dims)
    lc2, lbatch2 = shift(lc, lb), shift(lbatch, lb)
    rc2, rbatch2 = shift(rc, rb), shift(rbatch, rb)
    if lb is not None and rb is not None:
        dims = ((lc2, rc2), ((lb, *lbatch2), (rb, *rbatch2)))
        return bind(P.dot_general_p, lhs, rhs, dimension_numbers=dims), 0
    dims = ((lc2, rc2), (lbatch2, rbatch2))
    out = bind(P.dot_general_p, lhs, rhs, dimension_numbers=dims)
    nbatch = len(lbatch)
    if lb is not None:
        lfree = [i for i in range(_ndim(lhs)) if i not in lc2 and i not in lbatch2]
        return out, nbatch + lfree.index(lb)
    lfree_count = _ndim(lhs) - len(lc) - len(lbatch)
    rfree = [i for i in range(_ndim(rhs)) if i not in rc2 and i not in rbatch2]
    return out, nbatch + lfree_count + rfree.index(rb)


batch_rules[P.dot_general_p] = _dot_general_rule


# ---------------------------------------------------------------- structural

def _broadcast_in_dim_rule(axis_size, args, bdims, *, shape, broadcast_dimensions):
    x = moveaxis(args[0], bdims[0], 0)
    return bind(P.broadcast_in_dim_p, x, shape=(axis_size, *shape),
                broadcast_dimensions=(0, *(d + 1 for d in broadcast_dimensions))), 0


def _reshape_rule(axis_size, args, bdims, *, new_sizes):
    x = moveaxis(args[0], bdims[0], 0)
    return bind(P.reshape_p, x, new_sizes=(axis_size, *new_sizes)), 0


def _transpose_rule(axis_size, args, bdims, *, permutation):
    (x,), (b,) = args, bdims
    perm = [_batched_axis(p, b) for p in permutation]
    perm.insert(b, b)
    return bind(P.transpose_p, x, permutation=tuple(perm)), b


def _squeeze_rule(axis_size, args, bdims, *, dimensions):
    (x,), (b,) = args, bdims
    dims = tuple(_batched_axis(d, b) for d in dimensions)
    return bind(P.squeeze_p, x, dimensions=dims), b - sum(1 for d in dims if d < b)


def _expand_dims_rule(axis_size, args, bdims, *, dimensions):
    """The bdim stays between the per-example dims it sat between: no transpose."""
    (x,), (b,) = args, bdims
    out_rank = _ndim(x) - 1 + len(dimensions)
    kept = [i for i in range(out_rank) if i not in dimensions]  # output slots of input dims
    q = kept[b - 1] + 1 if b > 0 else 0  # any slot up to kept[b] would do: take the first
    dims = tuple(d if d < q else d + 1 for d in dimensions)
    return bind(P.expand_dims_p, x, dimensions=dims), q


def _slice_rule(axis_size, args, bdims, *, start_indices, limit_indices, strides):
    (x,), (b,) = args, bdims
    ins = lambda t, v: tuple(t[:b]) + (v,) + tuple(t[b:])
    return bind(P.slice_p, x, start_indices=ins(start_indices, 0),
                limit_indices=ins(limit_indices, axis_size), strides=ins(strides, 1)), b


def _rev_rule(axis_size, args, bdims, *, dimensions):
    (x,), (b,) = args, bdims
    return bind(P.rev_p, x, dimensions=tuple(_batched_axis(d, b) for d in dimensions)), b


def _concatenate_rule(axis_size, args, bdims, *, dimension):
    xs = [broadcast_batched(x, axis_size, 0) if b is None else moveaxis(x, b, 0)
          for x, b in zip(args, bdims)]
    return bind(P.concatenate_p, *xs, dimension=dimension + 1), 0


def _take_rule(axis_size, args, bdims, *, axis):
    (x, idx), (bx, bi) = args, bdims
    if bi is None:  # same indices for every example
        ax = _batched_axis(axis, bx)
        out_bdim = bx if bx < ax else bx + _ndim(idx) - 1
        return bind(P.take_p, x, idx, axis=ax), out_bdim
    if bx is None:  # one operand, indices per example: an ordinary take
        return bind(P.take_p, x, idx, axis=axis), axis + bi
    return bind(P.batched_take_p, moveaxis(x, bx, 0), moveaxis(idx, bi, 0), axis=axis), 0


def _batched_take_rule(axis_size, args, bdims, *, axis):
    """A gather that is already per-example, batched again (nested vmap): merge the new batch
    dim into the existing leading one, gather, split."""
    (x, idx), (bx, bi) = args, bdims
    x = broadcast_batched(x, axis_size, 1) if bx is None else moveaxis(x, bx, 1)
    idx = broadcast_batched(idx, axis_size, 1) if bi is None else moveaxis(idx, bi, 1)
    m = x.shape[0]
    x = bind(P.reshape_p, x, new_sizes=(m * axis_size, *x.shape[2:]))
    idx = bind(P.reshape_p, idx, new_sizes=(m * axis_size, *idx.shape[2:]))
    out = bind(P.batched_take_p, x, idx, axis=axis)
    return bind(P.reshape_p, out, new_sizes=(m, axis_size, *out.shape[1:])), 1


batch_rules.update({
    P.broadcast_in_dim_p: _broadcast_in_dim_rule,
    P.reshape_p: _reshape_rule,
    P.transpose_p: _transpose_rule,
    P.squeeze_p: _squeeze_rule,
    P.expand_dims_p: _expand_dims_rule,
    P.slice_p: _slice_rule,
    P.rev_p: _rev_rule,
    P.concatenate_p: _concatenate_rule,
    P.take_p: _take_rule,
    P.batched_take_p: _batched_take_rule,
})


# ---------------------------------------------------------------- scatter (index updates)

import numpy as np  # noqa: E402  (the scatter rule's index offsets)

def _scatter_rule(axis_size, args, bdims, *, mode):
    """ONE scatter for the whole batch, never a loop over examples.

    Indices shared by every example (unbatched): the batch dim becomes one more trailing
    dim of each row, (n, B, *rest) with updates (K, B, *rest): the same scatter. Indices
    per example: the batch is flattened into the scattered axis, (B*n, *rest), and example
    b's indices offset by b*n; updates are flattened (B*K, *rest) in the same order, so each
    example's writes keep their order (last write wins, accumulation in index order)."""
    (x, idx, upd), (bx, bi, bu) = args, bdims
    if bi is None:
        x = broadcast_batched(x, axis_size, 1) if bx is None else moveaxis(x, bx, 1)
        upd = broadcast_batched(upd, axis_size, 1) if bu is None else moveaxis(upd, bu, 1)
        return bind(P.scatter_p, x, idx, upd, mode=mode), 1
    x = broadcast_batched(x, axis_size, 0) if bx is None else moveaxis(x, bx, 0)
    upd = broadcast_batched(upd, axis_size, 0) if bu is None else moveaxis(upd, bu, 0)
    idx = moveaxis(idx, bi, 0)
    n, k = x.shape[1], idx.shape[1]
    if idx.dtype != np.int64:  # b * n may not fit the index dtype
        idx = bind(P.convert_element_type_p, idx, new_dtype=np.dtype(np.int64))
    offsets = (np.arange(axis_size, dtype=np.int64) * n).reshape(axis_size, 1)
    idx = bind(P.add_p, idx, offsets)
    flat_x = bind(P.reshape_p, x, new_sizes=(axis_size * n, *x.shape[2:]))
    flat_idx = bind(P.reshape_p, idx, new_sizes=(axis_size * k,))
    flat_upd = bind(P.reshape_p, upd, new_sizes=(axis_size * k, *upd.shape[2:]))
    out = bind(P.scatter_p, flat_x, flat_idx, flat_upd, mode=mode)
    return bind(P.reshape_p, out, new_sizes=tuple(x.shape)), 0


batch_rules[P.scatter_p] = _scatter_rule

# ---------------------------------------------------------------- linear algebra

def _linalg_rule(prim: P.Primitive) -> BatchRule:
    """np.linalg takes stacks of matrices, so batching is moving the batch dim to the front
    of every operand's stack dims (an unbatched operand is broadcast along it, a view) and
    counting it in ``batch_dims``: the batched equation is ONE library call on the stack,
    never a loop over examples. Every result has the batch dim at 0."""
    def rule(axis_size, args, bdims, *, batch_dims, **params):
        moved = [broadcast_batched(x, axis_size, 0) if b is None else moveaxis(x, b, 0)
                 for x, b in zip(args, bdims)]
        out = bind(prim, *moved, batch_dims=batch_dims + 1, **params)
        return out, 0
    return rule


for _p in P.LINALG:
    batch_rules[_p] = _linalg_rule(_p)


# --- bit views and run-time checks ---
# bitcast_convert_type is elementwise (its rule comes from the group). check: the condition's
# batch dim moves to the front and is counted in ``batch_dims`` (an unbatched condition is
# broadcast along it: every example fails alike), so the error names the example; the
# checked value keeps its own batch dim.

def _check_rule(axis_size, args, bdims, *, batch_dims, **params):
    (x, bad), (bx, bb) = args, bdims
    bad = broadcast_batched(bad, axis_size, 0) if bb is None else moveaxis(bad, bb, 0)
    return bind(P.check_p, x, bad, batch_dims=batch_dims + 1, **params), bx


batch_rules[P.check_p] = _check_rule
