"""Contractions: matmul, dot, vdot, inner, tensordot, einsum, outer; and ``norm``.

np.linalg's solvers and decompositions live in ``linalg_solvers.py`` and are re-exported
at the bottom, so ``gvmap.numpy.linalg.solve`` is ``np.linalg.solve``'s counterpart.

Every contraction becomes ONE ``dot_general`` (a BLAS/cuBLAS matmul), plus at most a
transpose where NumPy's output order differs from dot_general's (batch, lhs free, rhs
free). ``outer`` and einsum terms without a summed index are elementwise products instead,
which the fusion pass can merge with their neighbours.
"""
from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np

from .. import primitives as P
from ..tracing import bind
from ._core import (as_operand, broadcast_shapes, common_dtype, convert, dtype_of, ndim_of,
                    normalize_axes, operand, reject_kwargs, shape_of)
from .arrays import diagonal
from .elementwise import absolute, multiply, not_equal, power, sqrt
from .reductions import max as max_, min as min_, sum as sum_
from .shape import broadcast_to, expand_dims, ravel, reshape, transpose

__all__ = ["matmul", "dot", "vdot", "inner", "tensordot", "einsum", "outer", "norm"]


def _operands(name: str, *xs: Any) -> list[Any]:
    """Operands converted to their common dtype (NumPy's contractions compute in it)."""
    # not ufuncs: NumPy converts Python scalars with np.asarray, so they are strongly typed
    xs = [operand(x, name) for x in xs]
    dtype = common_dtype(*xs)
    return [as_operand(convert(x, dtype)) for x in xs]


def _dot_general(a: Any, b: Any, contract: tuple, batch: tuple = ((), ())) -> Any:
    dims = ((tuple(contract[0]), tuple(contract[1])), (tuple(batch[0]), tuple(batch[1])))
    for i, j in zip(*dims[0]):
        if shape_of(a)[i] != shape_of(b)[j]:
            raise ValueError(f"shape mismatch: dimension {i} of the first operand (size "
                             f"{shape_of(a)[i]}) is contracted with dimension {j} of the second "
                             f"(size {shape_of(b)[j]})")
    return bind(P.dot_general_p, a, b, dimension_numbers=dims)


def matmul(a: Any, b: Any, out=None, **kwargs: Any) -> Any:
    """numpy.matmul: 1-D operands are promoted and the promoted dim removed; leading dims
    broadcast as batch dims."""
    reject_kwargs("matmul", out=out, **kwargs)
    a, b = _operands("matmul", a, b)
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions "
                         "(use * or np.multiply for scalars)")
    if na <= 2 or nb <= 2:
        # no batch dims on one side: the other side's leading dims are free dims
        ca, cb = na - 1, (0 if nb == 1 else nb - 2)
        out_ = _dot_general(a, b, ((ca,), (cb,)))
        if na == 2 and nb > 2:  # (M, batch..., N) -> (batch..., M, N)
            nd = ndim_of(out_)
            out_ = transpose(out_, (*range(1, nd - 1), 0, nd - 1))
        return out_
    batch = broadcast_shapes(shape_of(a)[:-2], shape_of(b)[:-2])
    a = broadcast_to(a, batch + shape_of(a)[-2:])
    b = broadcast_to(b, batch + shape_of(b)[-2:])
    nbatch = len(batch)
    return _dot_general(a, b, ((nbatch + 1,), (nbatch,)), (tuple(range(nbatch)),) * 2)


def dot(a: Any, b: Any, out=None) -> Any:
    reject_kwargs("dot", out=out)
    a, b = _operands("dot", a, b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return multiply(a, b)
    cb = 0 if ndim_of(b) == 1 else ndim_of(b) - 2
    return _dot_general(a, b, ((ndim_of(a) - 1,), (cb,)))


def vdot(a: Any, b: Any) -> Any:
    a, b = _operands("vdot", a, b)
    a, b = ravel(a), ravel(b)  # real operands (complex ones are refused): no conjugation
    return _dot_general(a, b, ((0,), (0,)))


def inner(a: Any, b: Any) -> Any:
    a, b = _operands("inner", a, b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return multiply(a, b)
    return _dot_general(a, b, ((ndim_of(a) - 1,), (ndim_of(b) - 1,)))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    a, b = _operands("tensordot", a, b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ca, cb = tuple(range(ndim_of(a) - n, ndim_of(a))), tuple(range(n))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, (int, np.integer)) else tuple(ca)
        cb = (cb,) if isinstance(cb, (int, np.integer)) else tuple(cb)
        ca = tuple(x % ndim_of(a) for x in ca)
        cb = tuple(x % ndim_of(b) for x in cb)
    if len(ca) != len(cb):
        raise ValueError("shape-mismatch for sum: tensordot axes must pair up")
    return _dot_general(a, b, (ca, cb))


def outer(a: Any, b: Any, out=None) -> Any:
    reject_kwargs("outer", out=out)
    a, b = _operands("outer", a, b)
    return multiply(expand_dims(ravel(a), 1), expand_dims(ravel(b), 0))


# ---------------------------------------------------------------- einsum

def _parse_einsum(subscripts: str, operands: Sequence[Any]) -> tuple[list[str], str]:
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {len(terms)} operand subscripts for {len(operands)} operands")
    used = set(subscripts)
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    n_ell = [ndim_of(x) - (len(t) - 3) if "..." in t else 0 for t, x in zip(terms, operands)]
    ell_dims = max(n_ell, default=0)
    # ellipsis dims are right-aligned, as in broadcasting: the last ones share letters
    expanded = [t.replace("...", "".join(spare[ell_dims - n:ell_dims])) for t, n in zip(terms, n_ell)]
    for t, x in zip(expanded, operands):
        if len(t) != ndim_of(x):
            raise ValueError(f"einsum: subscripts '{t}' do not match an operand of rank {ndim_of(x)}")
    ell = "".join(spare[:ell_dims])
    if out is None:
        counts = {c: "".join(expanded).count(c) for c in set("".join(expanded))}
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    if len(set(out)) != len(out) or any(c not in "".join(expanded) for c in out):
        raise ValueError(f"einsum: bad output subscripts '{out}'")
    return expanded, out


def einsum(subscripts: str, *operands: Any, out=None, optimize: Any = False, dtype=None,
           order: str = "K", casting: str = "safe") -> Any:
    """Contract pairwise left to right, each pair one dot_general (or a product when nothing
    is summed); indices no later term needs are summed out as early as possible."""
    reject_kwargs("einsum", out=out)
    if not isinstance(subscripts, str):
        raise NotImplementedError("gvmap supports einsum with a subscripts string only")
    ops = _operands("einsum", *operands)
    if dtype is not None:
        ops = [convert(x, dtype) for x in ops]
    terms, out_sub = _parse_einsum(subscripts, ops)
    sizes: dict[str, int] = {}
    for t, x in zip(terms, ops):
        for c, d in zip(t, shape_of(x)):
            known = sizes.setdefault(c, d)
            if known != d and 1 not in (known, d):
                raise ValueError(f"einsum: index '{c}' has sizes {known} and {d}")
            sizes[c] = max(known, d)
    # a size-1 dim broadcasts against its index's size, as in NumPy's einsum (any index)
    ops = [x if all(sizes[c] == d for c, d in zip(t, shape_of(x))) else
           broadcast_to(x, tuple(sizes[c] for c in t)) for t, x in zip(terms, ops)]
    # a repeated index within one operand ('ii', 'ijj') is its diagonal: extracted first
    # (a strided slice), then the operand joins the contraction with the index once
    ops, terms = zip(*(_take_diagonals(x, t) for x, t in zip(ops, terms)))
    acc, acc_sub = ops[0], terms[0]
    rest = list(zip(terms[1:], ops[1:]))
    acc, acc_sub = _sum_unneeded(acc, acc_sub, out_sub + "".join(t for t, _ in rest))
    while rest:
        (t, x), rest = rest[0], rest[1:]
        later = out_sub + "".join(s for s, _ in rest)
        x, t = _sum_unneeded(x, t, later + acc_sub)
        acc, acc_sub = _contract_pair(acc, acc_sub, x, t, later)
    acc, acc_sub = _sum_unneeded(acc, acc_sub, out_sub)
    return transpose(acc, [acc_sub.index(c) for c in out_sub])


def _take_diagonals(x: Any, sub: str) -> tuple[Any, str]:
    """x with every repeated index of ``sub`` collapsed to its diagonal (which np.diagonal
    puts last); the subscripts follow."""
    while len(set(sub)) != len(sub):
        c = next(c for c in sub if sub.count(c) > 1)
        i = sub.index(c)
        j = sub.index(c, i + 1)
        x = diagonal(x, 0, i, j)
        sub = "".join(ch for k, ch in enumerate(sub) if k not in (i, j)) + c
    return x, sub


def _sum_unneeded(x: Any, sub: str, needed: str) -> tuple[Any, str]:
    axes = tuple(i for i, c in enumerate(sub) if c not in needed)
    if not axes:
        return x, sub
    # einsum sums in the operands' dtype (no widening of small ints, unlike np.sum)
    return bind(P.reduce_sum_p, x, axes=axes), "".join(c for c in sub if c in needed)


def _contract_pair(a: Any, sa: str, b: Any, sb: str, later: str) -> tuple[Any, str]:
    shared = [c for c in sa if c in sb]
    contract = [c for c in shared if c not in later]
    batch = [c for c in shared if c in later]
    if not contract:  # nothing summed: an elementwise (broadcast) product
        out_sub = sa + "".join(c for c in sb if c not in sa)
        return multiply(_lay_out(a, sa, out_sub), _lay_out(b, sb, out_sub)), out_sub
    dims = ((tuple(sa.index(c) for c in contract), tuple(sb.index(c) for c in contract)),
            (tuple(sa.index(c) for c in batch), tuple(sb.index(c) for c in batch)))
    result = bind(P.dot_general_p, a, b, dimension_numbers=dims)
    free_a = "".join(c for c in sa if c not in shared)
    free_b = "".join(c for c in sb if c not in shared)
    return result, "".join(batch) + free_a + free_b


def _lay_out(x: Any, sub: str, out_sub: str) -> Any:
    """x transposed to out_sub's order of its own indices, with size-1 dims for the others."""
    present = [c for c in out_sub if c in sub]
    x = transpose(x, [sub.index(c) for c in present])
    missing = tuple(i for i, c in enumerate(out_sub) if c not in sub)
    return expand_dims(x, missing) if missing else x


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.linalg.norm for vector norms (ord None, 2, 1, inf, -inf, 0 or p) along an
    axis, and the Frobenius norm of a whole array or of two axes (ord None or 'fro')."""
    x = operand(x, "norm")
    dtype = np.linalg.norm(np.zeros((1,), dtype_of(x))).dtype
    x = convert(x, dtype)
    nd = ndim_of(x)
    if axis is None and (ord is None or (ord == "fro" and nd == 2) or (ord == 2 and nd == 1)):
        # NumPy's own path: sqrt(dot) of the raveled array, whose float16 dot rounds once
        # (sum(x * x) rounded each square to float16 and gave one float16 norm in ten apart)
        flat = ravel(x)
        r = sqrt(dot(flat, flat))
        return reshape(r, (1,) * nd) if keepdims else r
    axes = normalize_axes(axis, nd) if axis is not None else tuple(range(nd))
    if len(axes) == 2 or (axis is None and nd != 1):
        if ord not in (None, "fro"):
            from .linalg_solvers import matrix_norm
            if axis is None and nd != 2:
                raise ValueError("Improper number of dimensions to norm.")
            return matrix_norm(x, ord, (0, 1) if axis is None else tuple(axis), keepdims)
        return sqrt(sum_(multiply(x, x), axis=axes, keepdims=keepdims))
    if len(axes) != 1:
        raise ValueError("Improper number of dimensions to norm.")
    if ord is None or ord == 2:
        return sqrt(sum_(multiply(x, x), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return max_(absolute(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min_(absolute(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return sum_(convert(not_equal(x, 0), dtype), axis=axes, keepdims=keepdims)
    if ord == 1:
        return sum_(absolute(x), axis=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    p = np.asarray(ord, dtype)[()]
    return power(sum_(power(absolute(x), p), axis=axes, keepdims=keepdims),
                 np.asarray(1.0 / ord, dtype)[()])


# np.linalg's solvers and decompositions, as gvmap.numpy.linalg.<name> (linalg_solvers.py)
from .linalg_solvers import (cholesky, det, eigh, eigvalsh, inv, lstsq, matrix_power,  # noqa: E402
                             matrix_rank, multi_dot, pinv, qr, slogdet, solve, svd)
