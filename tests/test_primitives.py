"""One sample row per NumPy function of SPEC.md's "must trace and batch" list (functorch style).

A row is a name, a per-example function ``fn(xp, *args)`` written with ``xp.*`` (plain NumPy,
or ``gvmap.numpy`` in the second test), the per-example argument shapes, and the dtypes it
supports. Each (row, dtype) test runs ``gvmap.vmap`` over EVERY batch-dim placement of the
arguments (each argument batched at each of its axes 0..ndim, or unbatched; at least one
batched: JAX's ``all_bdims``) and batch sizes 0, 1 and 7, against the loop oracle. A failing test
names the row and the dtype; its message lists every failing placement.
"""

from __future__ import annotations

import itertools
import traceback
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

f32, f64, i32, i64, b1 = (np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64, np.bool_))
FLOAT = (f32, f64)
INT = (i32, i64)
NUM = (f32, f64, i32, i64)
ALL = NUM + (b1,)
INTBOOL = (i32, i64, b1)
SHORT = {f32: "f32", f64: "f64", i32: "i32", i64: "i64", b1: "bool"}
BATCH_SIZES = (0, 1, 7)


@dataclass(frozen=True)
class A:
    """One per-example argument: its shape, value domain, and a dtype fixed by the row."""

    shape: tuple
    domain: str = "any"
    dtype: Any = None


@dataclass(frozen=True)
class Row:
    name: str
    fn: Callable
    args: tuple
    dtypes: tuple


ROWS: list[Row] = []


def row(name: str, fn: Callable, args, dtypes=NUM) -> None:
    args = tuple(a if isinstance(a, A) else A(a) for a in args)
    ROWS.append(Row(name, fn, args, tuple(np.dtype(d) for d in dtypes)))


def sample(rng: np.random.RandomState, shape: tuple, dtype: np.dtype, domain: str) -> np.ndarray:
    """Values of ``dtype`` in ``domain``: "any", "pos" (> 0), "nonzero", "exp" (a small
    non-negative exponent for ints), "nan" (floats with NaNs), "wide" (|x| up to ~6),
    "index:K" (in [0, K)), "negindex:K" (in [-K, K)), "distinct" (no ties)."""
    kind, _, bound = domain.partition(":")
    if kind == "distinct":  # no two elements equal (sorts without ties)
        size = int(np.prod(shape, dtype=np.int64))
        return ((rng.permutation(size) - size // 2) * (0.5 if dtype.kind == "f" else 1)).reshape(shape).astype(dtype)
    if kind in ("index", "negindex"):
        lo = -int(bound) if kind == "negindex" else 0
        return rng.randint(lo, int(bound), size=shape).astype(dtype)
    if dtype == b1:
        return np.asarray(rng.rand(*shape) > 0.5 if kind != "nonzero" else np.ones(shape, bool))
    if dtype.kind in "iu":
        if kind in ("pos",):
            v = rng.randint(1, 6, size=shape)
        elif kind == "exp":
            v = rng.randint(0, 4, size=shape)
        elif kind == "nonzero":
            v = rng.randint(1, 6, size=shape) * rng.choice([-1, 1], size=shape)
        else:
            v = rng.randint(-5, 6, size=shape)
        return v.astype(dtype)
    v = np.asarray(rng.randn(*shape))
    if kind == "pos":
        v = rng.rand(*shape) * 2 + 0.5
    elif kind == "nonzero":
        v = (rng.rand(*shape) + 0.5) * rng.choice([-1.0, 1.0], size=shape)
    elif kind == "wide":
        v = v * 3
    elif kind == "nan":
        v[rng.rand(*shape) < 0.3] = np.nan
    return np.asarray(v, dtype=dtype)


def all_bdims(ndims: list[int]):
    """Every in_axes tuple: each argument at each of its axes 0..ndim, or None; not all None."""
    for combo in itertools.product(*[[None, *range(n + 1)] for n in ndims]):
        if any(b is not None for b in combo):
            yield combo


def batched_args(rng, r: Row, dtype: np.dtype, bdims: tuple, n: int) -> list[np.ndarray]:
    out = []
    for a, b in zip(r.args, bdims):
        dt = np.dtype(a.dtype) if a.dtype is not None else dtype
        shape = a.shape if b is None else a.shape[:b] + (n,) + a.shape[b:]
        out.append(sample(rng, shape, dt, a.domain))
    return out


# ----------------------------------------------------------------------------------------------
# The table.

X23, Y3 = A((2, 3)), A((3,))

# Operators and their ufuncs.
row("add", lambda xp, x, y: x + y, [X23, Y3], ALL)
row("sub", lambda xp, x, y: x - y, [X23, Y3])
row("mul", lambda xp, x, y: x * y, [X23, Y3], ALL)
row("truediv", lambda xp, x, y: x / y, [X23, A((3,), "nonzero")])
row("floordiv", lambda xp, x, y: x // y, [X23, A((3,), "nonzero")])
row("mod", lambda xp, x, y: x % y, [X23, A((3,), "nonzero")])
row("pow", lambda xp, x, y: x ** y, [A((2, 3), "pos"), A((3,), "exp")])
row("neg", lambda xp, x: -x, [X23])
row("pos", lambda xp, x: +x, [X23])
row("eq", lambda xp, x, y: x == y, [X23, Y3], ALL)
row("ne", lambda xp, x, y: x != y, [X23, Y3], ALL)
row("lt", lambda xp, x, y: x < y, [X23, Y3], ALL)
row("le", lambda xp, x, y: x <= y, [X23, Y3], ALL)
row("gt", lambda xp, x, y: x > y, [X23, Y3], ALL)
row("ge", lambda xp, x, y: x >= y, [X23, Y3], ALL)
row("and", lambda xp, x, y: x & y, [X23, Y3], INTBOOL)
row("or", lambda xp, x, y: x | y, [X23, Y3], INTBOOL)
row("xor", lambda xp, x, y: x ^ y, [X23, Y3], INTBOOL)
row("invert", lambda xp, x: ~x, [X23], INTBOOL)
row("add_0d_arg", lambda xp, x, y: x + y, [Y3, A(())])
row("divmod_builtin", lambda xp, x, y: divmod(x, y), [X23, A((3,), "nonzero")], NUM)
row("divmod_both_used", lambda xp, x, y: sum(xp.divmod(x * 2.5, y)) * 2, [X23, A((3,), "nonzero")],
    NUM)
row("mul_same_shape", lambda xp, x, y: x * y, [Y3, Y3])

V3, NZ3 = A((3,)), A((3,), "nonzero")
for name, args, dtypes in [
        ("add", [V3, V3], ALL), ("subtract", [V3, V3], NUM), ("multiply", [V3, V3], ALL),
        ("divide", [V3, NZ3], NUM), ("true_divide", [V3, NZ3], NUM),
        ("floor_divide", [V3, NZ3], NUM), ("remainder", [V3, NZ3], NUM), ("mod", [V3, NZ3], NUM),
        ("divmod", [V3, NZ3], NUM),
        ("power", [A((3,), "pos"), A((3,), "exp")], NUM), ("negative", [V3], NUM),
        ("positive", [V3], NUM), ("equal", [V3, V3], ALL), ("not_equal", [V3, V3], ALL),
        ("less", [V3, V3], ALL), ("less_equal", [V3, V3], ALL), ("greater", [V3, V3], ALL),
        ("greater_equal", [V3, V3], ALL), ("bitwise_and", [V3, V3], INTBOOL),
        ("bitwise_or", [V3, V3], INTBOOL), ("bitwise_xor", [V3, V3], INTBOOL),
        ("invert", [V3], INTBOOL), ("bitwise_not", [V3], INTBOOL),
        ("maximum", [X23, Y3], ALL), ("minimum", [X23, Y3], ALL),
        ("arctan2", [X23, Y3], FLOAT), ("logical_and", [X23, Y3], ALL),
        ("logical_or", [X23, Y3], ALL), ("logical_xor", [V3, V3], ALL),
        ("logical_not", [X23], ALL)]:
    row(f"np.{name}", lambda xp, *a, _n=name: getattr(xp, _n)(*a), args, dtypes)

# Unary math: floats, and int32 (which NumPy computes in float64).
for name, domain in [("tanh", "any"), ("exp", "any"), ("log", "pos"), ("log1p", "pos"),
                     ("expm1", "any"), ("sqrt", "pos"), ("sin", "any"), ("cos", "any"),
                     ("tan", "any"), ("floor", "wide"), ("ceil", "wide")]:
    row(f"np.{name}", lambda xp, x, _n=name: getattr(xp, _n)(x), [A((2, 3), domain)], FLOAT + (i32,))
row("np.abs", lambda xp, x: xp.abs(x), [X23])
row("abs_builtin", lambda xp, x: abs(x), [X23])
row("np.absolute", lambda xp, x: xp.absolute(x), [X23])
row("np.sign", lambda xp, x: xp.sign(x), [X23])
row("np.isnan", lambda xp, x: xp.isnan(x), [A((2, 3), "nan")], FLOAT + (i32,))
row("np.clip_scalars", lambda xp, x: xp.clip(x, -2, 3), [A((2, 3), "wide")])
row("np.clip_array_lo", lambda xp, x, lo: xp.clip(x, lo, 0.5), [X23, A((3,))], FLOAT)
row("np.clip_none_lo", lambda xp, x: xp.clip(x, None, 0.5), [X23], FLOAT)
row("clip_method", lambda xp, x: x.clip(-1, 1), [X23])

# where and astype.
row("np.where_3args", lambda xp, c, x, y: xp.where(c, x, y), [A((3,), dtype=b1), X23, A(())], ALL)
row("np.where_cmp_pyscalar", lambda xp, x: xp.where(x > 0, x, 0.0), [X23], FLOAT)
row("np.where_cmp_neg", lambda xp, x: xp.where(x > 0, x, -x), [X23])
row("np.where_pyscalars", lambda xp, x: xp.where(x > 0, 1.0, -1.0), [X23])
row("np.where_pybool_cond", lambda xp, x: xp.where(True, x, 0), [X23], ALL)
for target in (np.float32, np.float64, np.int32, np.int64, np.bool_):
    row(f"astype_{np.dtype(target).name}", lambda xp, x, _t=target: x.astype(_t),
        [A((2, 3), "wide")], ALL)
row("astype_str", lambda xp, x: x.astype("float32"), [X23], ALL)

# Reductions: every axis form, with and without keepdims.
X234 = A((2, 3, 4))
REDUCTIONS = {"sum": ALL, "mean": FLOAT + (i32,), "prod": NUM, "max": ALL, "min": ALL,
              "var": FLOAT + (i32,), "std": FLOAT + (i32,), "argmax": NUM, "argmin": NUM}
for name, dtypes in REDUCTIONS.items():
    axes = [None, 1, -1] if name.startswith("arg") else [None, 1, -1, (0, 2)]
    for axis, keepdims in itertools.product(axes, (False, True)):
        row(f"np.{name}[axis={axis},keepdims={keepdims}]",
            lambda xp, x, _n=name, _a=axis, _k=keepdims: getattr(xp, _n)(x, axis=_a, keepdims=_k),
            [X234], dtypes)
row("np.var_ddof1", lambda xp, x: xp.var(x, axis=1, ddof=1), [X234], FLOAT)
row("np.std_ddof1", lambda xp, x: xp.std(x, ddof=1), [X234], FLOAT)
row("sum_method", lambda xp, x: x.sum(), [X234], ALL)
row("sum_method_axis", lambda xp, x: x.sum(axis=-2), [X234], ALL)
row("mean_method", lambda xp, x: x.mean(1), [X234], FLOAT)
row("max_method_tuple", lambda xp, x: x.max(axis=(0, 2)), [X234])
row("min_method_keepdims", lambda xp, x: x.min(keepdims=True), [X234])
row("prod_method", lambda xp, x: x.prod(0), [X234])
row("argmax_method", lambda xp, x: x.argmax(axis=0), [X234])
row("argmin_method_flat", lambda xp, x: x.argmin(), [X234])
row("var_method", lambda xp, x: x.var(), [X234], FLOAT)
row("std_method", lambda xp, x: x.std(axis=-1), [X234], FLOAT)
for axis in (None, 0, -1):
    row(f"np.cumsum[axis={axis}]", lambda xp, x, _a=axis: xp.cumsum(x, axis=_a), [X23], ALL)
row("cumsum_method", lambda xp, x: x.cumsum(axis=1), [X23])

# Contractions.
MM = (f32, f64, i32)
row("matmul_2d_1d", lambda xp, x, y: x @ y, [A((3, 4)), A((4,))], MM)
row("matmul_1d_2d", lambda xp, x, y: x @ y, [A((4,)), A((4, 3))], MM)
row("matmul_2d_2d", lambda xp, x, y: x @ y, [A((2, 3)), A((3, 4))], MM)
row("matmul_1d_1d", lambda xp, x, y: x @ y, [A((4,)), A((4,))], MM)
row("matmul_3d_3d", lambda xp, x, y: x @ y, [A((2, 3, 4)), A((2, 4, 5))], MM)
row("matmul_3d_2d", lambda xp, x, y: x @ y, [A((2, 3, 4)), A((4, 5))], MM)
row("np.matmul", lambda xp, x, y: xp.matmul(x, y), [A((2, 3)), A((3, 4))], MM)
row("np.dot_1d_1d", lambda xp, x, y: xp.dot(x, y), [A((4,)), A((4,))], MM)
row("np.dot_2d_1d", lambda xp, x, y: xp.dot(x, y), [A((3, 4)), A((4,))], MM)
row("np.dot_2d_2d", lambda xp, x, y: xp.dot(x, y), [A((2, 3)), A((3, 4))], MM)
row("np.dot_0d", lambda xp, x, y: xp.dot(x, y), [A(()), A((3,))], MM)
row("np.dot_pyfloat", lambda xp, x: xp.dot(2.0, x), [A((3,))], MM)  # not a ufunc: 2.0 is f64
row("dot_method", lambda xp, x, y: x.dot(y), [A((2, 3)), A((3,))], MM)
row("np.vdot_1d", lambda xp, x, y: xp.vdot(x, y), [A((4,)), A((4,))], MM)
row("np.vdot_2d", lambda xp, x, y: xp.vdot(x, y), [A((2, 3)), A((2, 3))], MM)
row("np.tensordot_axes1", lambda xp, x, y: xp.tensordot(x, y, axes=1), [A((2, 3)), A((3, 4))], MM)
row("np.tensordot_axes_lists", lambda xp, x, y: xp.tensordot(x, y, axes=([1, 0], [0, 1])),
    [A((2, 3)), A((3, 2))], MM)
row("np.tensordot_axes2", lambda xp, x, y: xp.tensordot(x, y, axes=2), [A((2, 3)), A((2, 3))], MM)
row("np.tensordot_axes0", lambda xp, x, y: xp.tensordot(x, y, axes=0), [A((2,)), A((3,))], MM)
for spec, shapes in [("ij,j->i", [(3, 4), (4,)]), ("ij,jk->ik", [(2, 3), (3, 4)]),
                     ("i,i->", [(4,), (4,)]), ("ij->ji", [(2, 3)]),
                     ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij->", [(2, 3)]),
                     ("i,j->ij", [(2,), (3,)]), ("ij,ij->i", [(2, 3), (2, 3)])]:
    row(f"np.einsum[{spec}]", lambda xp, *a, _s=spec: xp.einsum(_s, *a), [A(s) for s in shapes], MM)
row("np.outer", lambda xp, x, y: xp.outer(x, y), [A((3,)), A((4,))], MM)
row("np.outer_2d", lambda xp, x, y: xp.outer(x, y), [A((2, 2)), A((3,))], MM)

# Shape manipulation (dtype-agnostic: one float, one int, bool).
SH = (f32, i64, b1)
row("np.reshape_flat", lambda xp, x: xp.reshape(x, (6,)), [X23], SH)
row("np.reshape_minus1", lambda xp, x: xp.reshape(x, (-1,)), [X23], SH)
row("np.reshape_3_minus1", lambda xp, x: xp.reshape(x, (3, -1)), [X23], SH)
row("reshape_method_varargs", lambda xp, x: x.reshape(3, 2), [X23], SH)
row("reshape_method_tuple", lambda xp, x: x.reshape((1, 6)), [X23], SH)
row("reshape_3d", lambda xp, x: x.reshape(6, -1), [X234], SH)
row("np.transpose", lambda xp, x: xp.transpose(x), [X234], SH)
row("np.transpose_axes", lambda xp, x: xp.transpose(x, (1, 0, 2)), [X234], SH)
row("transpose_method", lambda xp, x: x.transpose(2, 0, 1), [X234], SH)
row("T_2d", lambda xp, x: x.T, [X23], SH)
row("T_3d", lambda xp, x: x.T, [X234], SH)
row("np.swapaxes", lambda xp, x: xp.swapaxes(x, 0, -1), [X234], SH)
row("swapaxes_method", lambda xp, x: x.swapaxes(1, 2), [X234], SH)
row("np.moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), [X234], SH)
row("np.moveaxis_lists", lambda xp, x: xp.moveaxis(x, [0, 1], [-1, 0]), [X234], SH)
X131 = A((1, 3, 1))
row("np.squeeze", lambda xp, x: xp.squeeze(x), [X131], SH)
row("np.squeeze_axis0", lambda xp, x: xp.squeeze(x, axis=0), [X131], SH)
row("np.squeeze_axis_neg", lambda xp, x: xp.squeeze(x, axis=-1), [X131], SH)
row("np.squeeze_axis_tuple", lambda xp, x: xp.squeeze(x, axis=(0, 2)), [X131], SH)
row("squeeze_method", lambda xp, x: x.squeeze(), [X131], SH)
for axis in (0, 1, -1, (0, 2)):
    row(f"np.expand_dims[{axis}]", lambda xp, x, _a=axis: xp.expand_dims(x, _a), [X23], SH)
row("np.broadcast_to_lead", lambda xp, x: xp.broadcast_to(x, (2, 3)), [Y3], SH)
row("np.broadcast_to_inner", lambda xp, x: xp.broadcast_to(x, (2, 4)), [A((2, 1))], SH)
row("np.broadcast_to_0d", lambda xp, x: xp.broadcast_to(x, (3,)), [A(())], SH)
row("np.ravel", lambda xp, x: xp.ravel(x), [X234], SH)
row("ravel_method", lambda xp, x: x.ravel(), [X23], SH)
row("flatten_method", lambda xp, x: x.flatten(), [X23], SH)
row("np.concatenate_axis0", lambda xp, x, y: xp.concatenate([x, y]), [X23, A((4, 3))], SH)
row("np.concatenate_axis_neg", lambda xp, x, y: xp.concatenate((x, y), axis=-1),
    [X23, A((2, 1))], SH)
row("np.concatenate_three", lambda xp, x, y, z: xp.concatenate([x, y, z]), [Y3, A((2,)), A((1,))], SH)
row("np.concatenate_axis_none", lambda xp, x, y: xp.concatenate([x, y], axis=None), [X23, Y3], SH)
row("np.stack_axis0", lambda xp, x, y: xp.stack([x, y]), [Y3, Y3], SH)
row("np.stack_axis_neg", lambda xp, x, y: xp.stack((x, y), axis=-1), [X23, X23], SH)
row("np.stack_axis1", lambda xp, x, y: xp.stack([x, y], axis=1), [X23, X23], SH)

# Indexing.
X45 = A((4, 5))
IX = (f32, i32, b1)
for label, index in [
        ("int", 1), ("neg_int", -1), ("slice", slice(1, 3)), ("step", slice(None, None, 2)),
        ("neg_step", slice(None, None, -1)), ("neg_step_bounds", slice(3, 0, -2)),
        ("none", None), ("ellipsis_int", (Ellipsis, 1)), ("slice_none_slice", (slice(None), None, slice(1, None))),
        ("int_neg_int", (1, -2)), ("neg_slices", (slice(-1, -4, -1), slice(None, None, 2))),
        ("ellipsis_none", (Ellipsis, None)), ("const_array", np.array([0, 2, 1])),
        ("list", [3, 0]), ("const_array_axis1_neg", (slice(None), np.array([4, 0, -1]))),
        ("const_array_2d", np.array([[0, 1], [2, 3]])), ("const_arrays_pair", (np.array([0, 3]), np.array([1, 4]))),
        ("int_and_array", (2, np.array([0, 4]))), ("array_and_slice", (np.array([1, 1]), slice(1, 4)))]:
    row(f"index[{label}]", lambda xp, x, _i=index: x[_i], [X45], IX)
row("index[batched_array]", lambda xp, x, i: x[i], [X45, A((3,), "index:4", i64)], IX)
row("index[batched_array_i32]", lambda xp, x, i: x[i], [X45, A((3,), "index:4", i32)], IX)
row("index[batched_neg_array]", lambda xp, x, i: x[i], [X45, A((3,), "negindex:4", i64)], IX)
row("index[slice,batched_array]", lambda xp, x, i: x[:, i], [X45, A((2,), "index:5", i64)], IX)
row("index[batched_array,slice]", lambda xp, x, i: x[i, 1:], [X45, A((2,), "index:4", i64)], IX)
row("index[batched_0d]", lambda xp, x, i: x[i], [X45, A((), "index:4", i64)], IX)
row("index[two_batched_arrays]", lambda xp, x, i, j: x[i, j],
    [X45, A((3,), "index:4", i64), A((3,), "index:5", i64)], (f32,))
row("index[batched_2d_array]", lambda xp, x, i: x[i], [A((5,)), A((2, 2), "index:5", i64)], IX)
row("np.take_flat", lambda xp, x, i: xp.take(x, i), [X45, A((3,), "index:20", i64)], IX)
row("np.take_axis0", lambda xp, x, i: xp.take(x, i, axis=0), [X45, A((3,), "index:4", i64)], IX)
row("np.take_axis_neg", lambda xp, x, i: xp.take(x, i, axis=-1), [X45, A((2,), "index:5", i64)], IX)
row("np.take_const", lambda xp, x: xp.take(x, np.array([2, 0]), axis=1), [X45], IX)
row("take_method", lambda xp, x, i: x.take(i, axis=0), [X45, A((3,), "index:4", i64)], IX)

# Array creation from a traced value.
row("np.zeros_like", lambda xp, x: xp.zeros_like(x), [X23], ALL)
row("np.ones_like", lambda xp, x: xp.ones_like(x), [X23], ALL)
row("np.full_like", lambda xp, x: xp.full_like(x, 3.5), [X23], NUM)
row("np.zeros_like_dtype", lambda xp, x: xp.zeros_like(x, dtype=np.float64), [X23], ALL)
row("np.full_like_dtype", lambda xp, x: xp.full_like(x, 7, dtype=np.int32), [X23], ALL)
row("ones_like_plus_x", lambda xp, x: xp.ones_like(x) + x, [X23], NUM)
# of a 0-d traced value: the result must be traced too, or NumPy's own indexing meets the
# traced index (found by the random programs, numpy-fused)
row("np.*_like_0d_then_traced_index",
    lambda xp, x, i: (xp.zeros_like(x[0, 0])[None][i], xp.ones_like(x[1, 2])[None][i],
                      xp.full_like(x[0, 1], 2)[None][i], xp.zeros_like(x, shape=())[None][i],
                      xp.imag(x[1, 0])[None][i], xp.full_like(x[0, 0], 3, dtype=np.float32)[None][i]),
    [X23, A((), "negindex:1", i64)], ALL)

# Python scalars are weakly typed (NEP 50); NumPy scalars and constant arrays are not.
row("weak_mul_pyfloat", lambda xp, x: x * 2.0, [X23], ALL)
row("weak_add_pyint", lambda xp, x: x + 1, [X23], ALL)
row("weak_truediv_pyint", lambda xp, x: x / 2, [X23])
row("weak_rsub_pyfloat", lambda xp, x: 2.0 - x, [X23])
row("weak_rtruediv_pyfloat", lambda xp, x: 1.0 / x, [A((2, 3), "nonzero")])
row("weak_pow_pyint", lambda xp, x: x ** 2, [X23])
row("weak_rpow_pyfloat", lambda xp, x: 2.0 ** x, [X23], FLOAT)
row("weak_mul_pybool", lambda xp, x: x * True, [X23], ALL)
row("weak_gt_pyfloat", lambda xp, x: x > 0.5, [X23], ALL)
row("weak_maximum_pyfloat", lambda xp, x: xp.maximum(x, 0.0), [X23])
row("strong_mul_np_float64", lambda xp, x: x * np.float64(2.0), [X23])
row("strong_add_np_int32", lambda xp, x: x + np.int32(3), [X23])
row("mixed_dtype_args", lambda xp, x, y: x + y, [X23, A((3,), dtype=f32)])

_rng = np.random.RandomState(1)
C64 = _rng.randn(3)
C32 = _rng.randn(3).astype(np.float32)
W35 = _rng.randn(3, 5).astype(np.float32)
MASK = _rng.rand(2, 3) > 0.5
row("const_f64_mul", lambda xp, x: x * C64, [X23])
row("const_f32_add", lambda xp, x: x + C32, [X23])
row("const_matmul_left", lambda xp, v: W35 @ v, [A((5,))], NUM)
row("const_matmul_right", lambda xp, x: x @ W35.T, [A((2, 5))], FLOAT)
row("const_mask_where", lambda xp, x: xp.where(MASK, x, 0), [X23])
row("seed_model", lambda xp, v: xp.tanh(W35 @ v + 1.0).sum(), [A((5,))], FLOAT)
row("softmax", lambda xp, x: (lambda e: e / e.sum(-1, keepdims=True))(
    xp.exp(x - x.max(axis=-1, keepdims=True))), [X23], FLOAT)
row("layernorm", lambda xp, x: (x - x.mean(-1, keepdims=True)) / xp.sqrt(x.var(-1, keepdims=True) + 1e-5),
    [X23], FLOAT)


# Per-example scalars (0-d): the batched value is 1-D.
S0 = A(())
row("0d.sum", lambda xp, x: x.sum(), [S0], ALL)
row("0d.mean", lambda xp, x: xp.mean(x), [S0], FLOAT)
row("0d.max", lambda xp, x: xp.max(x), [S0])
row("0d.argmax", lambda xp, x: xp.argmax(x), [S0])
row("0d.reshape", lambda xp, x: x.reshape(1, 1), [S0], SH)
row("0d.index_none", lambda xp, x: x[None], [S0], SH)
row("0d.index_ellipsis", lambda xp, x: x[...], [S0], SH)
row("0d.stack", lambda xp, x, y: xp.stack([x, y]), [S0, S0], SH)
row("0d.tanh", lambda xp, x: xp.tanh(x), [S0], FLOAT)
row("0d.cumsum", lambda xp, x: xp.cumsum(x), [S0])
row("0d.ravel", lambda xp, x: xp.ravel(x), [S0], SH)
row("0d.squeeze", lambda xp, x: xp.squeeze(x), [S0], SH)
row("0d.T", lambda xp, x: x.T, [S0], SH)
row("0d.expand_dims", lambda xp, x: xp.expand_dims(x, 0), [S0], SH)
row("0d.astype", lambda xp, x: x.astype(np.float64), [S0], ALL)
row("0d.where", lambda xp, x: xp.where(x > 0, x, 0), [S0])
row("0d.outer", lambda xp, x, y: xp.outer(x, y), [S0, Y3], MM)
row("0d.concatenate", lambda xp, x, y: xp.concatenate([x[None], y]), [S0, Y3], SH)
row("0d.mul_vector", lambda xp, x, y: x * y, [S0, Y3])

# Per-example arrays with a zero-length dimension.
row("empty.sum_axis0", lambda xp, x: xp.sum(x, axis=0), [A((0, 3))], NUM)
row("empty.prod", lambda xp, x: xp.prod(x, axis=-2), [A((0, 3))], NUM)
row("empty.matmul", lambda xp, x, y: x @ y, [A((2, 0)), A((0, 3))], MM)
row("empty.concatenate", lambda xp, x, y: xp.concatenate([x, y]), [A((0, 3)), X23], SH)
row("empty.mul", lambda xp, x, y: x * y, [A((0, 3)), Y3])
row("empty.slice", lambda xp, x: x[2:2], [X45], SH)
row("empty.index_array", lambda xp, x: x[np.array([], dtype=np.int64)], [X45], SH)

# NumPy semantics that differ from matmul, einsum forms beyond the SPEC examples, more indexing.
row("np.dot_3d_2d", lambda xp, x, y: xp.dot(x, y), [A((2, 3, 4)), A((4, 5))], MM)
row("np.dot_2d_3d", lambda xp, x, y: xp.dot(x, y), [A((2, 3)), A((4, 3, 5))], MM)
row("np.einsum[...ij,...j->...i]", lambda xp, x, y: xp.einsum("...ij,...j->...i", x, y),
    [A((2, 3, 4)), A((2, 4))], MM)
row("np.einsum[implicit ij,jk]", lambda xp, x, y: xp.einsum("ij,jk", x, y), [X23, A((3, 4))], MM)
row("np.einsum[three operands]", lambda xp, x, y, z: xp.einsum("i,ij,j->", x, y, z),
    [A((2,)), X23, Y3], MM)
row("np.tensordot_axes_tuples", lambda xp, x, y: xp.tensordot(x, y, axes=((1,), (0,))),
    [X23, A((3, 4))], MM)
row("mixed_dtype_matmul", lambda xp, x, y: x @ y, [X23, A((3,), dtype=f32)], MM)
for label, index in [
        ("np_int64", np.int64(1)), ("step_and_int", (slice(1, -1, 2), -1)),
        ("neg_step_none_step", (slice(None, None, -2), None, slice(None, None, 3))),
        ("ellipsis_neg_step", (Ellipsis, slice(None, None, -1))),
        ("slice_list", (slice(None), [0, 0, 2])), ("out_of_range_slice", slice(2, 100))]:
    row(f"index[{label}]", lambda xp, x, _i=index: x[_i], [X45], IX)

# Reductions over a size-1 axis still promote (an elided reduction must keep NumPy's dtype).
X13 = A((1, 3))
for name, dtypes in REDUCTIONS.items():
    row(f"size1.{name}", lambda xp, x, _n=name: getattr(xp, _n)(x, axis=0), [X13], dtypes)
row("size1.sum_keepdims", lambda xp, x: xp.sum(x, axis=(0,), keepdims=True), [X13], ALL)
row("size1.cumsum", lambda xp, x: xp.cumsum(x, axis=0), [X13], ALL)
row("size1.sum_all", lambda xp, x: xp.sum(x), [A((1,))], ALL)

# Narrow dtypes: NumPy's promotion rules for them (uint8 + 1 stays uint8, tanh(int8) is f16).
u8, i8, i16, f16 = (np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.float16))
SHORT.update({u8: "u8", i8: "i8", i16: "i16", f16: "f16"})
NARROW = (u8, i8, i16, f16)
row("narrow.add", lambda xp, x, y: x + y, [X23, Y3], NARROW)
row("narrow.mul", lambda xp, x, y: x * y, [X23, Y3], NARROW)
row("narrow.neg", lambda xp, x: -x, [X23], NARROW)
row("narrow.gt", lambda xp, x, y: x > y, [X23, Y3], NARROW)
row("narrow.maximum", lambda xp, x, y: xp.maximum(x, y), [X23, Y3], NARROW)
row("narrow.floordiv", lambda xp, x, y: x // y, [X23, A((3,), "nonzero")], NARROW)
row("narrow.weak_add_pyint", lambda xp, x: x + 1, [X23], NARROW)
row("narrow.weak_mul_pyfloat", lambda xp, x: x * 2.0, [X23], NARROW)
row("narrow.mixed_with_f32", lambda xp, x, y: x + y, [X23, A((3,), dtype=f32)], NARROW)
row("narrow.astype_f32", lambda xp, x: x.astype(np.float32), [X23], NARROW)
row("narrow.tanh", lambda xp, x: xp.tanh(x), [X23], NARROW)
row("narrow.abs", lambda xp, x: xp.abs(x), [X23], NARROW)
row("narrow.sum", lambda xp, x: x.sum(axis=-1), [X23], NARROW)
row("narrow.max", lambda xp, x: x.max(axis=0), [X23], NARROW)
row("narrow.shifts", lambda xp, x, y: (x << y, x >> y), [X23, A((3,), "negindex:20")],
    (u8, i8, i16))
row("narrow.fmod", lambda xp, x, y: xp.fmod(x, y), [X23, A((3,), "nonzero")], (u8, i8, i16))
row("narrow.hypot", lambda xp, x, y: xp.hypot(x * 100, y * 100), [X23, Y3], (f16,))  # squares > 65504

# Beyond SPEC's list: compositions gvmap.numpy also offers.
row("np.trunc", lambda xp, x: xp.trunc(x * 2.5), [X23], NUM)
row("np.fmax_nan", lambda xp, x, y: xp.fmax(x, y), [A((2, 3), "nan"), A((3,), "nan")], FLOAT)
row("np.fmin_nan", lambda xp, x, y: xp.fmin(x, y), [A((2, 3), "nan"), A((3,), "nan")], FLOAT)
row("np.fmax_int", lambda xp, x, y: xp.fmax(x, y), [X23, Y3], INT)
row("np.logaddexp", lambda xp, x, y: xp.logaddexp(x, y), [X23, Y3], FLOAT)
row("np.logaddexp2", lambda xp, x, y: xp.logaddexp2(x, y), [X23, Y3], FLOAT)
row("np.fabs", lambda xp, x: xp.fabs(x), [X23], NUM + (np.int8,))
row("np.vecdot", lambda xp, x, y: xp.vecdot(x, y), [X23, Y3], NUM)
row("np.vecdot_axis", lambda xp, x, y: xp.vecdot(x, y, axis=0), [X23, X23], FLOAT)
row("np.matvec", lambda xp, x, y: xp.matvec(x, y), [X23, Y3], NUM)
row("np.vecmat", lambda xp, x, y: xp.vecmat(y, x), [X23, A((2,))], NUM)
row("np.logaddexp2_edges", lambda xp, x, y: xp.logaddexp2(x, y),
    [A((2, 3), "nan"), A((3,), "nan")], FLOAT)
row("np.linalg.norm", lambda xp, x: xp.linalg.norm(x), [Y3], NUM)
row("np.linalg.norm_matrix", lambda xp, x: xp.linalg.norm(x), [X23], FLOAT)
row("np.linalg.norm_axis", lambda xp, x: xp.linalg.norm(x, axis=-1, keepdims=True), [X23], FLOAT)
row("np.linalg.norm_ord", lambda xp, x: (xp.linalg.norm(x, 1), xp.linalg.norm(x, np.inf),
                                         xp.linalg.norm(x, 0), xp.linalg.norm(x, 3)), [Y3], FLOAT)

row("np.diff", lambda xp, x: xp.diff(x, axis=0), [A((3, 4))], NUM)
row("np.diff2", lambda xp, x: xp.diff(x, n=2), [A((3, 4))], NUM)
row("np.roll", lambda xp, x: (xp.roll(x, 2, axis=1), xp.roll(x, -1), xp.roll(x, (1, 1), (0, 1))), [X23], ALL)
row("np.repeat", lambda xp, x: (xp.repeat(x, 2, axis=1), xp.repeat(x, 3)), [X23], ALL)
row("np.tile", lambda xp, x: (xp.tile(x, 2), xp.tile(x, (2, 1, 3))), [X23], ALL)
row("np.triu_tril", lambda xp, x: (xp.triu(x), xp.tril(x, -1), xp.triu(x, 1)), [A((3, 3))], ALL)
row("np.cross", lambda xp, x, y: xp.cross(x, y), [A((2, 3)), A((3,))], NUM)
row("np.hypot", lambda xp, x, y: xp.hypot(x, y), [X23, Y3], NUM)
row("np.hypot_huge", lambda xp, x, y: xp.hypot(x * 1e200, y * 1e200), [X23, Y3], (f64,))
row("np.fmod", lambda xp, x, y: xp.fmod(x, y), [X23, A((3,), "nonzero")], NUM)
row("np.copysign", lambda xp, x, y: xp.copysign(x, y), [X23, Y3], FLOAT + (i32, b1))
row("np.nextafter", lambda xp, x, y: (xp.nextafter(x, y), xp.nextafter(x, 0.0)), [X23, Y3], FLOAT)
row("np.heaviside", lambda xp, x, h: xp.heaviside(xp.floor(x), h), [A((2, 3), "wide"), Y3],
    FLOAT + (i32,))  # floor: zeros are frequent, so h0 is read
# np.gcd / np.lcm: negatives (nonnegative results), Python ints, mixed integer dtypes (NumPy's
# promotion: int8 with int32 is int32, uint8 with int16 int16), and their ufunc reductions
row("np.gcd_lcm", lambda xp, x, y: (xp.gcd(x, y), xp.lcm(x, y), xp.gcd(x, 12), xp.lcm(-x, 4),
                                    xp.gcd(x, y.astype(np.int8)), xp.lcm(x.astype(np.uint8), y.astype(np.int16)),
                                    xp.gcd(x * 6, y * 4) + x), [X23, Y3], INT)
row("np.gcd_lcm.reduce", lambda xp, x: (np.gcd.reduce(x), np.gcd.reduce(x * 6, axis=1), np.lcm.reduce(x, axis=-1),
                                        np.gcd.reduce(x, axis=None, keepdims=True), np.lcm.reduce(x[:, :2], initial=3),
                                        np.gcd.reduce(x[:, :0], axis=1), np.gcd.reduce(x[0]), np.gcd.reduce(x, axis=())),
    [A((3, 5))], INT)
# their ufunc .accumulate (folds.py: a Hillis-Steele scan, lcm's left fold) and the logical
# ones' (bool results, NaN true), along every axis
row("np.ufunc.accumulate", lambda xp, x: (np.bitwise_or.accumulate(x), np.bitwise_xor.accumulate(x, axis=1),
                                          np.gcd.accumulate(x, axis=-1), np.lcm.accumulate(x[:, :3], axis=1),
                                          np.bitwise_and.accumulate(x, axis=1, dtype=np.int64),
                                          np.logical_or.accumulate(x > 1, axis=1), np.logical_xor.accumulate(x, 1)),
    [A((3, 5))], INT)
row("np.logical.accumulate", lambda xp, x: (np.logical_or.accumulate(x, axis=1), np.logical_and.accumulate(x),
                                            np.logical_xor.accumulate(x, axis=-1)), [A((3, 6), "nan")],
    FLOAT + (b1, i32))
# float anatomy: spacing, modf (two results), frexp (float mantissa, int32 exponent) and
# ldexp (int32 / int64 / int8 / Python int exponents; int x gives float64, as NumPy's loops)
row("np.spacing_modf", lambda xp, x: (xp.spacing(x), xp.spacing(-x), xp.spacing(x * 0.0), xp.modf(x),
                                      xp.modf(x * 4.0)[1], sum(xp.modf(-x)) * 2), [A((2, 3), "wide")], FLOAT + (i32,))
EXPONENTS = A((3,), "negindex:70", np.int32)
row("np.frexp_ldexp", lambda xp, x, e: (xp.frexp(x), xp.ldexp(x, e), xp.ldexp(*xp.frexp(x)), xp.ldexp(x, 3),
                                        xp.ldexp(2.0, e), xp.ldexp(x, e.astype(np.int8)), xp.frexp(x)[1] * 2 + e,
                                        xp.ldexp(x.astype(np.float32), e.astype(np.int64) * 2**40),
                                        xp.ldexp(x, e * 1000)), [A((2, 3), "wide"), EXPONENTS], FLOAT + (i32,))
# shift counts from -70 to 69: negative, in range and past the width of every dtype
COUNTS = A((3,), "negindex:70")
row("lshift", lambda xp, x, y: x << y, [X23, COUNTS], INTBOOL)
row("rshift", lambda xp, x, y: x >> y, [X23, COUNTS], INTBOOL)
row("np.left_shift", lambda xp, x, y: xp.left_shift(x, y), [X23, COUNTS], INT)
row("np.right_shift", lambda xp, x, y: xp.right_shift(x, y), [X23, COUNTS], INT)
row("shift_pyint", lambda xp, x: (x << 3, 1 << x, x >> 1, -64 >> x), [A((2, 3), "index:70")], INT)


def _shift_assignments(xp, x, y):
    z, w = x * 1, x + 0  # computed values: x <<= y on an argument is refused (test_misuse)
    z <<= y
    w >>= 2
    return z, w


row("ilshift_irshift", _shift_assignments, [X23, COUNTS], INT)
row("np.sinc", lambda xp, x: (xp.sinc(x), xp.sinc(xp.floor(x))), [A((2, 3), "wide")], NUM)  # floor: 0s
row("np.isclose", lambda xp, x, y: (xp.isclose(x, y), xp.isclose(x, x + y * 1e-6), xp.isclose(y, 1),
                                    xp.isclose(x, y, rtol=0.5, atol=0.25),
                                    xp.isclose(x, x, equal_nan=True)), [A((2, 3), "nan"), Y3], ALL)
row("np.isclose_array_tolerances", lambda xp, x, y, t: xp.isclose(x, y, rtol=t * t, atol=t),
    [X23, Y3, A((3,), dtype=f64)], NUM)
row("np.count_nonzero", lambda xp, x: (xp.count_nonzero(x), xp.count_nonzero(x, axis=1),
                                       xp.count_nonzero(x, axis=(0, 2), keepdims=True),
                                       xp.count_nonzero(x, keepdims=True)),
    [A((2, 3, 4), "index:3")], ALL)  # "index:3": zeros are frequent
row("np.i0", lambda xp, x: xp.i0(x * 4), [A((2, 3), "wide")], NUM)  # |x| on both sides of 8
row("np.degrees_radians", lambda xp, x: (xp.degrees(x), xp.radians(x), xp.rad2deg(x), xp.deg2rad(x)), [X23], NUM)
row("np.ptp", lambda xp, x: (xp.ptp(x), xp.ptp(x, axis=0, keepdims=True)), [X23], NUM)
row("np.average", lambda xp, x, w: (xp.average(x, axis=1, weights=w * w + 1), xp.average(x)),
    [X23, A((3,), "pos")], NUM)  # weights never sum to 0, even for the oracle's n=0 probe
row("np.nan_reductions", lambda xp, x: (xp.nansum(x, axis=1), xp.nanmean(x), xp.nanmax(x, axis=0),
                                        xp.nanmin(x, axis=1, keepdims=True)), [A((2, 3), "nan")], FLOAT)
row("real_arrays", lambda xp, x: (xp.conj(x), xp.conjugate(x), x.conj(), xp.real(x), xp.imag(x),
                                  x.real, x.imag), [X23], ALL)
row("np.cumprod", lambda xp, x: (xp.cumprod(x, axis=1), x.cumprod()), [A((2, 3), "wide")], ALL)
# ufunc methods: NumPy routes np.add.reduce(tracer) etc. through __array_ufunc__
row("ufunc.reduce_accumulate", lambda xp, x: (np.add.reduce(x, axis=1), np.multiply.reduce(x),
                                              np.maximum.reduce(x, axis=0), np.add.accumulate(x),
                                              np.multiply.accumulate(x, axis=1),
                                              np.minimum.reduce(x, axis=1, keepdims=True)),
    [A((2, 3), "wide")], NUM)
row("ufunc.outer", lambda xp, x, y: (np.multiply.outer(x, y), np.subtract.outer(y, x)),
    [A((2,)), Y3], NUM)
row("np.nanmax_all_nan", lambda xp, x: xp.nanmax(x * np.nan), [Y3], FLOAT)

# --- indexing utilities, signal and calculus, statistics, ranges (issue 12) ---
def _put_along(xp, x, i, v):
    y = x * 1  # a computed value: a write into the argument x is refused (test_arrays)
    xp.put_along_axis(y, i, v, axis=0)
    z = x + 0
    xp.put_along_axis(z, np.array([[2], [0], [2]]), 7, axis=1)
    return y, z


X33 = A((3, 3))
row("np.take_along_axis", lambda xp, x, i: (xp.take_along_axis(x, i, axis=0),
                                            xp.take_along_axis(x[:2], i[:, :1], axis=1)),
    [A((3, 4)), A((2, 4), "negindex:3", i64)], ALL)
row("np.take_along_axis_const", lambda xp, x: (xp.take_along_axis(x, np.array([[0], [3]]), axis=1),
                                               xp.take_along_axis(x, np.array([5, -1]), axis=None)),
    [A((2, 4))], ALL)
row("np.put_along_axis", _put_along, [A((3, 4)), A((2, 4), "negindex:3", i64), A((1, 4))], NUM)
row("np.diag_diagonal_trace", lambda xp, x, v: (xp.diag(x), xp.diag(x, 1), xp.diag(v), xp.diag(v, -2),
                                                xp.diagonal(x, -1), xp.trace(x), xp.trace(x, 1),
                                                xp.diagflat(x[:2, :2], 1)), [A((3, 4)), Y3], ALL)
row("np.diagonal_3d", lambda xp, x: (xp.diagonal(x, 0, 0, 2), xp.diagonal(x, 1, 2, 1),
                                     xp.trace(x, axis1=1, axis2=2)), [X234], NUM)
row("np.einsum[diagonals]", lambda xp, x, y: (xp.einsum("ii->", x), xp.einsum("ii->i", x),
                                              xp.einsum("ij,jj->i", y, x), xp.einsum("ii", x)),
    [X33, A((2, 3))], MM)
row("np.split_family", lambda xp, x: (xp.split(x, 2), xp.array_split(x, 3, axis=1),
                                      xp.hsplit(x, [1, 3]), xp.vsplit(x, 2), xp.split(x, [1, 9], axis=1),
                                      xp.dsplit(x[..., None], 1)), [A((2, 4))], SH)
row("np.flip_rot90", lambda xp, x: (xp.fliplr(x), xp.flipud(x), xp.rot90(x), xp.rot90(x, 2),
                                    xp.rot90(x, 3, axes=(2, 0)), xp.rot90(x, -1, axes=(1, 2))),
    [X234], SH)
row("np.kron", lambda xp, x, y: (xp.kron(x, y), xp.kron(y, y), xp.kron(x, 2)), [A((2, 2)), Y3], NUM)
row("np.pad", lambda xp, x: (xp.pad(x, 1), xp.pad(x, ((1, 2), (0, 3)), constant_values=((1, 2), (3, 4))),
                             xp.pad(x, (2, 4), "edge"), xp.pad(x, (4, 5), "reflect"),
                             xp.pad(x, (1, 7), "symmetric"), xp.pad(x, 3, "wrap")), [X23], NUM)
row("np.pad_traced_fill", lambda xp, x, c: xp.pad(x, (1, 2), constant_values=c), [X23, A(())], NUM)
# reflect_type='odd': 2 * edge - reflection, in rounds for widths beyond the axis (as NumPy)
row("np.pad_reflect_odd", lambda xp, x: (xp.pad(x, 1, "reflect", reflect_type="odd"),
                                         xp.pad(x, ((2, 5), (4, 1)), "reflect", reflect_type="odd"),
                                         xp.pad(x, ((3, 0), (7, 2)), "symmetric", reflect_type="odd"),
                                         xp.pad(x[:1], (2, 2), "reflect", reflect_type="odd")), [X23], ALL)
row("np.convolve", lambda xp, a, v: (xp.convolve(a, v), xp.convolve(a, v, "same"),
                                     xp.convolve(a, v, "valid"), xp.convolve(v, a, "same")),
    [A((6,)), A((3,))], NUM)
row("np.correlate", lambda xp, a, v: (xp.correlate(a, v), xp.correlate(a, v, "full"),
                                      xp.correlate(a, v, "same"), xp.correlate(v, a, "full"),
                                      xp.correlate(v, a, "same")), [A((5,)), A((2,))], NUM)
row("np.convolve_long_kernel", lambda xp, a, v: xp.convolve(a, v, "same"), [A((20,)), A((17,))],
    (f64, i64))  # past FUSED_TAPS: windows gathered once, one contraction
row("np.gradient", lambda xp, x: (xp.gradient(x), xp.gradient(x, 2.0, axis=1),
                                  xp.gradient(x, edge_order=2, axis=-1),
                                  xp.gradient(x, np.array([0.0, 1.0, 3.0]), np.arange(4) * 2, edge_order=2)),
    [A((3, 4))], NUM)
row("np.gradient_traced_spacing", lambda xp, x, d: (xp.gradient(x, d), xp.gradient(x, d[0], axis=0)),
    [A((4,)), A((4,), "pos")], FLOAT)
row("ufunc.maximum_minimum_accumulate",
    lambda xp, x: (np.maximum.accumulate(x), np.minimum.accumulate(x, axis=1),
                   np.maximum.accumulate(x[:, ::-1], axis=-1)), [X23], ALL)
row("ufunc.accumulate_nan", lambda xp, x: (np.maximum.accumulate(x, axis=1), np.minimum.accumulate(x)),
    [A((2, 4), "nan")], FLOAT)
row("np.polyval", lambda xp, p, x: (xp.polyval(p, x), xp.polyval([1, 2, 3], x), xp.polyval(p, 2.0)),
    [Y3, X23], NUM)
row("np.cov_corrcoef", lambda xp, x, y: (xp.cov(x), xp.cov(x, rowvar=False), xp.cov(x, bias=True),
                                         xp.cov(x, ddof=0), xp.cov(x[0], y), xp.corrcoef(x),
                                         xp.corrcoef(x, rowvar=False), xp.corrcoef(x[0], y)),
    [A((2, 4)), A((4,))], NUM)
row("reductions_where", lambda xp, x, m: (xp.sum(x, where=m), xp.sum(x, axis=0, where=m[0]),
                                          xp.prod(x, axis=1, where=m, keepdims=True),
                                          xp.max(x, where=m, initial=-1), xp.min(x, axis=1, where=m, initial=5),
                                          xp.mean(x, axis=1, where=m), xp.sum(x, initial=2),
                                          xp.max(x, axis=0, initial=1), np.add.reduce(x, where=m),
                                          np.maximum.reduce(x, axis=1, where=m, initial=0)),
    [A((2, 3)), A((2, 3), dtype=b1)], NUM)
row("np.linspace_family", lambda xp, a, b: (xp.linspace(a, b, 5), xp.linspace(a, 3, 4, endpoint=False),
                                            xp.linspace(a, b, 1), xp.linspace(a, b, 0),
                                            xp.linspace(a, b, 6, dtype=np.int64),
                                            xp.linspace(a, b, 4, retstep=True),
                                            xp.logspace(a, b, 3), xp.logspace(a, 1.5, 4, base=2.0)),
    [A(()), A(())], NUM)
row("np.linspace_arrays", lambda xp, a, b: xp.linspace(a, b, 3, axis=1), [A((2,)), A((2,))], FLOAT)
row("np.geomspace", lambda xp, a, b: (xp.geomspace(a + 1, b + 1, 4),  # + 1: the oracle's n=0
                                      xp.geomspace(-a - 1, -b - 2, 3, endpoint=False)),  # probe is 0
    [A((), "pos"), A((2,), "pos")], NUM)
row("dtype_queries", lambda xp, x: (x.astype(xp.result_type(x, np.float32)),
                                    x * xp.can_cast(x, np.float32), x + xp.finfo(x.dtype).eps),
    [X23], FLOAT)
row("dtype_queries_int", lambda xp, x: (x.astype(xp.result_type(x, 1.5)), xp.minimum(x, xp.iinfo(x.dtype).max)),
    [X23], INT)


# --- statistics leftovers ---
# cov weights, average(returned=True), pad's statistic / linear_ramp / empty modes, and
# var/std/nanvar/nanstd with where= (gvmap/numpy/signal.py, extras.py, reductions.py).
# Weights are made positive inside the function: the oracle's n=0 probe runs on zeros,
# where NumPy raises for weights summing to 0.
M23 = A((2, 3), dtype=b1)
row("np.var_std_where", lambda xp, x, m: (xp.var(x, where=m), xp.var(x, axis=1, where=m, ddof=1),
                                          xp.std(x, axis=0, where=m, keepdims=True),
                                          xp.std(x, axis=1, where=m[0]), x.var(axis=1, where=m),
                                          xp.var(x, axis=1, where=m, dtype=np.float64),
                                          xp.var(x, axis=1, ddof=4), xp.std(x, axis=0, ddof=2),
                                          xp.var(x, axis=1, mean=xp.mean(x, axis=1, keepdims=True)),
                                          xp.std(x, axis=1, where=m, correction=1)),
    [X23, M23], NUM)  # ddof >= count: inf/NaN as NumPy's max(n - ddof, 0); all-False lanes NaN
row("np.var_where_edge_values", lambda xp, x, m: (xp.var(xp.where(x > 1, np.inf, x), axis=1, where=m),
                                                  xp.std(x * -0.0, axis=0, where=m),
                                                  xp.var(x, axis=1, where=m | xp.isnan(x))),
    [A((2, 4), "nan"), A((2, 4), dtype=b1)], FLOAT)
row("np.nanvar_nanstd", lambda xp, x, m: (xp.nanvar(x), xp.nanvar(x, axis=1, ddof=1),
                                          xp.nanstd(x, axis=0, keepdims=True),
                                          xp.nanvar(x, axis=1, where=m), xp.nanstd(x, where=m, ddof=2),
                                          xp.nanvar(x, axis=1, ddof=3),
                                          xp.nanvar(x, axis=0, dtype=np.float64)),
    [A((2, 4), "nan"), A((2, 4), dtype=b1)], NUM)
row("np.cov_weights", lambda xp, x, w: (xp.cov(x, fweights=(w > 0) + 1), xp.cov(x, aweights=w * w + 0.5),
                                        xp.cov(x, fweights=xp.round(w * w) + 1, aweights=w * w + 0.5),
                                        xp.cov(x, fweights=(w > 0) + 1, aweights=w * w + 0.5, ddof=0),
                                        xp.cov(x, aweights=w * w + 0.5, bias=True),
                                        xp.cov(x, fweights=(w > 9) + 1, ddof=5),
                                        xp.cov(x.T, rowvar=False, fweights=(w > 0) + 1, dtype=np.float32),
                                        xp.cov(x[0], x[1], aweights=(w * w + 0.5).astype(np.float32)),
                                        xp.cov(x, fweights=[1, 2, 0, 3], aweights=np.array([.5, 1., 2., .25]))),
    [A((2, 4)), A((4,), dtype=f64)], NUM)  # traced int and float fweights, traced aweights
row("np.average_returned", lambda xp, x, w: (xp.average(x, axis=1, weights=w * w + 1, returned=True),
                                             xp.average(x, returned=True),
                                             xp.average(x, axis=0, returned=True, keepdims=True),
                                             xp.average(x, weights=x * 0 + 2, returned=True)),
    [X23, A((3,), "pos")], NUM)
row("np.pad_statistics", lambda xp, x: (xp.pad(x, 2, "maximum"), xp.pad(x, ((1, 2), (3, 0)), "minimum", stat_length=2),
                                        xp.pad(x, (2, 3), "mean", stat_length=((1, 2), (3, 1))),
                                        xp.pad(x, (2, 3), "median", stat_length=(2, 3)), xp.pad(x, 3, "median"),
                                        xp.pad(x, (1, 2), "mean"), xp.pad(x, 1, "maximum", stat_length=9)),
    [A((3, 4))], ALL)  # int means of two elements hit .5: NumPy rounds half to even
row("np.pad_statistics_edge_values", lambda xp, x: (xp.pad(x, 2, "maximum"), xp.pad(x, 1, "mean", stat_length=0),
                                                    xp.pad(x, 2, "median", stat_length=2),
                                                    xp.pad(x * -0.0, 1, "minimum"),
                                                    xp.pad(xp.where(x > 1, np.inf, x), 2, "mean")),
    [A((3, 4), "nan")], FLOAT)
row("np.pad_linear_ramp", lambda xp, x, c: (xp.pad(x, 2, "linear_ramp"),
                                            xp.pad(x, ((1, 2), (3, 4)), "linear_ramp", end_values=((1, 2), (3, 4))),
                                            xp.pad(x, (1, 3), "linear_ramp", end_values=(5, -2)),
                                            xp.pad(x, 2, "linear_ramp", end_values=c),
                                            xp.pad(x, 3, "linear_ramp", end_values=x[0, 0])),
    [A((3, 4)), A(())], NUM)  # integer data: edges equal to an end (a zero step) are frequent
row("np.pad_empty", lambda xp, x: (xp.pad(x, 2, "empty")[2:-2, 2:-2], xp.pad(x, (0, 1), "empty").shape),
    [X23], ALL)  # NumPy leaves the pad area uninitialized: only the original part compares

# --- sorting and searching ---
# Sorts: every value is distinct in "distinct" data (a permutation, scaled), so NumPy's default
# (unstable) argsort agrees with gvmap's stable one; ties get kind="stable" rows of their own.
D46, D7 = A((4, 6), "distinct"), A((7,), "distinct")
T46 = A((4, 6), "index:3")  # ties everywhere
row("np.sort", lambda xp, x: (xp.sort(x), xp.sort(x, axis=0), xp.sort(x, axis=None)), [D46], NUM)
row("np.sort_nan", lambda xp, x: (xp.sort(x, axis=-1), xp.sort(x, axis=0, kind="stable")),
    [A((4, 6), "nan")], FLOAT)
row("np.argsort", lambda xp, x: (xp.argsort(x), xp.argsort(x, axis=0), xp.argsort(x, axis=None)),
    [D46], NUM)
row("np.argsort_stable_ties", lambda xp, x: (xp.argsort(x, kind="stable"),
                                             xp.argsort(x, axis=0, stable=True)), [T46], ALL)
row("np.argsort_nan_ties", lambda xp, x: xp.argsort(xp.floor(x), kind="stable"), [A((4, 6), "nan")],
    FLOAT)
row("sort_method", lambda xp, x: (lambda y: (y.sort(axis=0), y)[1])(x * 1), [D46], NUM)
row("argsort_method_topk", lambda xp, x: (x.argsort()[..., -2:], xp.argsort(x)[-3:]), [D7], NUM)
row("np.partition", lambda xp, x: (xp.partition(x, 2)[..., 2], xp.sort(xp.partition(x, 1, axis=0), axis=0),
                                   xp.partition(x, (1, 3))[..., 1:4:2]), [A((4, 6), "wide")], NUM)
row("np.argpartition", lambda xp, x: (x[xp.argpartition(x, 3)[3]], x[x.argpartition(-1)[-1]]), [D7], NUM)
row("np.median", lambda xp, x: (xp.median(x), xp.median(x, axis=0), xp.median(x, axis=-1, keepdims=True),
                                xp.median(x, axis=(0, 1)), xp.median(x[:, :5], axis=1)),
    [A((4, 6), "wide")], NUM)
row("np.median_nan", lambda xp, x: (xp.median(x, axis=1), xp.median(x)), [A((4, 6), "nan")], FLOAT)
row("np.quantile", lambda xp, x: (xp.quantile(x, 0.3), xp.quantile(x, [0.0, 0.25, 1.0], axis=1),
                                  xp.quantile(x, 1), xp.quantile(x, np.float32(0.7), axis=0),
                                  xp.quantile(x, 0.5, axis=0, keepdims=True)), [A((4, 6), "wide")], NUM)
row("np.quantile_methods", lambda xp, x: tuple(xp.quantile(x, [0.1, 0.5, 0.95], axis=-1, method=m)
                                               for m in ("lower", "higher", "nearest", "midpoint",
                                                         "hazen", "weibull", "median_unbiased",
                                                         "normal_unbiased", "interpolated_inverted_cdf")),
    [A((4, 5), "wide")], NUM)
# the discrete-CDF methods at q where n * q - 1 is a whole number (their ties) and between
row("np.quantile_discrete_methods", lambda xp, x: tuple(
    f(x, [0.0, 0.1, 0.2, 0.5, 0.7, 1.0], axis=-1, method=m)
    for m in ("inverted_cdf", "averaged_inverted_cdf", "closest_observation")
    for f in (xp.quantile, xp.nanquantile)), [A((4, 5), "nan")], NUM)
row("np.percentile", lambda xp, x: (xp.percentile(x, 40), xp.percentile(x, [10, 90], axis=0)),
    [A((4, 6), "nan")], FLOAT)
row("np.percentile_int", lambda xp, x: (xp.percentile(x, 40), xp.percentile(x, [10, 90.0], axis=0)),
    [A((4, 6))], INT)
row("np.nanmedian", lambda xp, x: (xp.nanmedian(x, axis=1), xp.nanmedian(x), xp.nanmedian(x, axis=0, keepdims=True),
                                   xp.nanmedian(x[:, :5], axis=1)), [A((4, 6), "nan")], NUM)
row("np.nanquantile", lambda xp, x: (xp.nanquantile(x, 0.3, axis=1), xp.nanquantile(x, [0.0, 0.6, 1.0]),
                                     xp.nanpercentile(x, [25, 75], axis=0),
                                     xp.nanquantile(x, np.float32(0.4), axis=1),
                                     xp.nanquantile(x, [0.2, 0.5], axis=1, method="nearest"),
                                     xp.nanquantile(x, 0.5, axis=1, method="midpoint")),
    [A((4, 6), "nan")], NUM)
row("np.nanquantile_all_nan", lambda xp, x: (xp.nanmedian(x * np.nan, axis=1),
                                             xp.nanquantile(x * np.nan, 0.5, axis=1)), [A((2, 3))], FLOAT)
SORTED5 = np.array([-1.5, -0.25, 0.0, 0.5, 2.0])
row("np.searchsorted_const", lambda xp, v: (xp.searchsorted(SORTED5, v), xp.searchsorted(SORTED5, v, side="right"),
                                            xp.searchsorted(SORTED5, 0.5, side="right") + v * 0),
    [A((2, 3), "wide")], FLOAT)
row("np.searchsorted_traced", lambda xp, a, v: (xp.searchsorted(xp.sort(a), v),
                                                xp.sort(a).searchsorted(v, side="right")),
    [A((6,), "nan"), A((3,), "nan")], FLOAT)
row("np.searchsorted_ties", lambda xp, a, v: (xp.searchsorted(xp.sort(a), v), xp.searchsorted(xp.sort(a), v, "right")),
    [A((6,), "index:3"), A((4,), "index:4")], INT)
row("np.digitize", lambda xp, x: (xp.digitize(x, SORTED5), xp.digitize(x, SORTED5, right=True),
                                  xp.digitize(x, SORTED5[::-1]), xp.digitize(xp.round(x * 2) / 2, SORTED5[::-1], True)),
    [A((2, 3), "wide")], NUM)
row("np.interp", lambda xp, x: (xp.interp(x, SORTED5, SORTED5 ** 2), xp.interp(x, SORTED5, -SORTED5, left=-9.0, right=9.0),
                                xp.interp(x, [0.0, 1.0, 3.0], [1.0, 2.0, 0.0], period=2.5),
                                xp.interp(x, [0.5], [3.0])), [A((2, 3), "wide")], NUM)
row("np.interp_traced", lambda xp, x, p, f: xp.interp(x, xp.sort(p), f), [A((3,), "wide"), D7, A((7,))], FLOAT)
row("np.histogram", lambda xp, x: (xp.histogram(x, bins=4, range=(-2, 2)), xp.histogram(x, bins=SORTED5),
                                   xp.histogram(x, bins=3, range=(-1.0, 1.0), density=True),
                                   xp.histogram(x, 3, (-3, 3), weights=x * x)), [A((4, 5), "wide")], NUM)
BINS6 = np.array([0, 2, 5, 2, 1, 0])
row("np.bincount", lambda xp, w, b: (xp.bincount(BINS6, weights=w), xp.bincount(BINS6, w, minlength=8),
                                     xp.bincount(b, minlength=2), xp.bincount(b, w, minlength=3)),
    [A((6,)), A((6,), dtype=b1)], FLOAT)
row("0d.sort", lambda xp, x: (xp.sort(x, axis=None), xp.median(x), xp.quantile(x, 0.5),
                              xp.searchsorted(SORTED5, x)), [S0], FLOAT)
row("empty.sort", lambda xp, x: (xp.sort(x, axis=0), xp.argsort(x, axis=0), xp.sort(x, axis=1)),
    [A((0, 3))], NUM)

# --- scatter (index updates) ---
# Traced indices with repeats and negatives ("negindex:5": 4 indices into 5 rows): the last
# write wins for `=`, `+=` adds once per distinct index, ufunc.at accumulates every repeat.
IDX4, V43 = A((4,), "negindex:5", dtype=i64), A((4, 3))


def _scatter_writes(xp, x, idx, v):
    y, z = x * 1, x + 0          # computed values: writable
    y[idx] = v
    z[idx] += v
    w = xp.zeros_like(x)
    np.add.at(w, idx, v)
    return y, z, w


def _scatter_extrema(xp, x, idx, v):
    y, z = x * 1, x + 0
    np.maximum.at(y, idx, v)
    np.minimum.at(z, idx, v)
    np.multiply.at(z, idx[:2], v[0])
    return y, z


row("scatter.set_iadd_add_at", _scatter_writes, [A((5, 3)), IDX4, V43], ALL)
row("scatter.max_min_mul_at", _scatter_extrema, [A((5, 3)), IDX4, V43], ALL)
row("scatter.extrema_nan", _scatter_extrema, [A((5, 3), "nan"), IDX4, A((4, 3), "nan")], FLOAT)
row("scatter.vector_scalar_index", lambda xp, x, i, v: (lambda y: (y.__setitem__(i, v), y)[1])(x * 1),
    [A((6,)), A((), "negindex:6", dtype=i32), A(())], NUM)

# --- linear algebra: np.linalg per example (gvmap/numpy/linalg_solvers.py) ----------------
# Matrices are made well-conditioned inside the row (diagonally dominant, or SPD), so the
# loop never meets a singular example; integer rows keep integer operands until np.linalg
# promotes them. Eigenvectors, singular vectors and QR factors are compared through
# sign-invariant forms here; gvmap's sign rule itself is tested in tests/test_linalg.py.

def _dominant(a):  # strictly diagonally dominant for entries in [-5, 5]: never singular
    return a + (16 * np.eye(a.shape[-1])).astype(a.dtype)


def _spd(a):
    return a @ np.swapaxes(a, -1, -2) + (3 * np.eye(a.shape[-1])).astype(a.dtype)


def _column_signs(v):
    return v * np.where(v[..., :1, :] < 0, -1, 1).astype(v.dtype)


M33, M233 = A((3, 3)), A((2, 3, 3))
row("np.linalg.solve", lambda xp, a, b: xp.linalg.solve(_dominant(a), b), [M33, Y3])
row("np.linalg.solve_matrix_rhs", lambda xp, a, b: xp.linalg.solve(_dominant(a), b), [M33, A((3, 2))])
row("np.linalg.solve_stack", lambda xp, a, b: xp.linalg.solve(_dominant(a), b), [M233, Y3])
row("np.linalg.inv", lambda xp, a: (xp.linalg.inv(_dominant(a)), xp.linalg.inv(_dominant(a) * 1.0)),
    [M33])
row("np.linalg.inv_stack", lambda xp, a: xp.linalg.inv(_dominant(a)), [M233])
row("np.linalg.det", lambda xp, a: (xp.linalg.det(a), xp.linalg.det(_dominant(a))), [M33])
row("np.linalg.slogdet", lambda xp, a: tuple(xp.linalg.slogdet(_dominant(a) - 32 * np.eye(3))), [M33])
row("np.linalg.cholesky", lambda xp, a: (xp.linalg.cholesky(_spd(a)),
                                         xp.linalg.cholesky(_spd(a), upper=True)), [M33])
row("np.linalg.eigh", lambda xp, a: (lambda w, v: (w, _column_signs(v)))(*xp.linalg.eigh(_spd(a))),
    [M33])
row("np.linalg.eigvalsh", lambda xp, a: (xp.linalg.eigvalsh(_spd(a)), xp.linalg.eigvalsh(a, UPLO="U")),
    [M33])
row("np.linalg.qr", lambda xp, a: (lambda q, r: (q @ r, abs(q), abs(r)))(*xp.linalg.qr(a)),
    [A((4, 3))], FLOAT)
row("np.linalg.qr_wide_r", lambda xp, a: abs(xp.linalg.qr(a, mode="r")), [A((2, 3))], FLOAT)
row("np.linalg.svd", lambda xp, a: (lambda u, s, vh: (s, _column_signs(u) @ (s[:, None] * (
    _column_signs(u).T @ u @ vh)), (u * s) @ vh))(*xp.linalg.svd(a, full_matrices=False)),
    [A((4, 3))], FLOAT)
row("np.linalg.svd_values", lambda xp, a: (xp.linalg.svd(a, compute_uv=False),
                                           xp.linalg.svd(a.T, compute_uv=False)), [A((4, 3))])
row("np.linalg.svd_square_full", lambda xp, a: xp.linalg.svd(_dominant(a))[1], [M33])
# full rank even for the oracle's all-zeros probe (NumPy's residuals are empty for a rank-
# deficient example; gvmap's always have shape (K,) when M > N: linalg_solvers.lstsq)
E53 = 4 * np.eye(5, 3)
row("np.linalg.lstsq", lambda xp, a, b: xp.linalg.lstsq(a + E53, b), [A((5, 3)), A((5,))])
row("np.linalg.lstsq_matrix_rhs", lambda xp, a, b: xp.linalg.lstsq(a + E53, b, rcond=None),
    [A((5, 3)), A((5, 2))])
row("np.linalg.lstsq_underdetermined", lambda xp, a, b: xp.linalg.lstsq(a, b)[:3], [A((2, 3)), A((2,))],
    FLOAT)
row("np.linalg.pinv", lambda xp, a: (xp.linalg.pinv(a), xp.linalg.pinv(a.T * 1.0, rtol=None)), [A((4, 3))])
row("np.linalg.matrix_rank", lambda xp, a: (xp.linalg.matrix_rank(_dominant(a)),
                                            xp.linalg.matrix_rank(a[:, :1] @ (a[:1, :] + 9)),
                                            xp.linalg.matrix_rank(a[0])), [M33])
row("np.linalg.matrix_power", lambda xp, a: tuple(xp.linalg.matrix_power(a, k) for k in (0, 1, 2, 3, 5)),
    [M33], NUM)
row("np.linalg.matrix_power_negative", lambda xp, a: xp.linalg.matrix_power(_dominant(a), -2), [M33])
row("np.linalg.multi_dot", lambda xp, a, b, c: (xp.linalg.multi_dot([a, b, c]),
                                                xp.linalg.multi_dot([a[0], b, c, c.T, b.T]),
                                                xp.linalg.multi_dot([a, b])),
    [A((2, 3)), A((3, 4)), A((4, 2))])
row("np.linalg.norm_matrix_ords", lambda xp, x: tuple(xp.linalg.norm(x, o) for o in
                                                      (2, -2, "nuc", 1, -1, np.inf, -np.inf, "fro")),
    [A((3, 4))], FLOAT)
row("np.linalg.norm_matrix_axes", lambda xp, x: (xp.linalg.norm(x, 1, axis=(2, 0)),
                                                 xp.linalg.norm(x, np.inf, axis=(2, 0), keepdims=True),
                                                 xp.linalg.norm(x, 2, axis=(-1, 1))), [A((2, 3, 4))], NUM)
XS6 = np.arange(6.0)
row("np.polyfit", lambda xp, x, y: (xp.polyfit(XS6 + 0.1 * x, y, 2), xp.polyfit(XS6 + 0.1 * x, y, 0)),
    [A((6,)), A((6,))], FLOAT)
row("np.polyfit_full_weights", lambda xp, x, y, w: xp.polyfit(XS6 + 0.1 * x, y, 1, full=True,
                                                              w=w * w + 0.5)[:4],
    [A((6,)), A((6, 2)), A((6,))], FLOAT)
row("np.polyfit_int", lambda xp, y: xp.polyfit(np.arange(6), y, 1), [A((6,))], INT)
row("np.vander", lambda xp, x: (xp.vander(x), xp.vander(x, 3), xp.vander(x, 1, increasing=True),
                                xp.vander(x, 0), xp.vander(x, 5, increasing=True)), [A((4,))], ALL)

# --- joining, splicing, and x[mask] with a traced mask ---------------------------------------
X34 = A((3, 4))
row("np.hstack", lambda xp, x, y: xp.hstack([x, y]), [X34, X34], SH)
row("np.hstack_1d_scalars", lambda xp, x: xp.hstack([x, x.sum(), x[:2]]), [A((4,))], NUM)
row("np.vstack", lambda xp, x, y: xp.vstack([x, y[0]]), [X34, X34], SH)
row("np.dstack", lambda xp, x, y: xp.dstack([x, y]), [X34, X34], SH)
row("np.column_stack", lambda xp, x, y: xp.column_stack([x, y]), [A((4,)), A((4, 2))], SH)
row("np.atleast_2d_3d", lambda xp, x: (xp.atleast_2d(x[0]), xp.atleast_3d(x)), [X34], SH)
row("np.append", lambda xp, x, y: xp.append(x, y), [X34, A((2,))], SH)
row("np.append_axis0", lambda xp, x, y: xp.append(x, y, axis=0), [X34, X34], SH)
row("np.insert", lambda xp, x, v: xp.insert(x, [1, 1, -1], v), [A((5,)), A((3,))], SH)
row("np.insert_axis1_scalar", lambda xp, x: xp.insert(x, 2, 7, axis=1), [X34], NUM)
row("np.insert_slice_row", lambda xp, x, v: xp.insert(x, slice(0, 3, 2), v, axis=0), [X34, A((4,))], SH)
row("np.delete", lambda xp, x: xp.delete(x, [0, -1]), [A((5,))], SH)
row("np.delete_axis1_mask", lambda xp, x: xp.delete(x, np.array([True, False, True, False]), axis=1),
    [X34], SH)


def _mask_set(xp, x):
    y = x.copy()
    y[y > 1] = 1          # a traced mask: a select
    return y


def _mask_inplace(xp, x, m):
    y = x.copy()
    y[m] *= 3             # x[mask] op= v
    y[~m] = -y[~m] + 1    # elementwise work on a selection, written back
    return y


def _mask_rows(xp, x, m):
    y = x.copy()
    y[m] = x[0]           # a row for each selected row
    return y


def _mask_reductions(xp, x):
    return x[x > 0].sum(), x[x != 0].mean(), np.sum(x[x < 0])  # np: NumPy's dispatch


row("np.select", lambda xp, x, y: xp.select([x > 0.5, y < 0], [x * 2, y], default=-1), [X34, X34], NUM)
row("np.piecewise", lambda xp, x: xp.piecewise(x, [x < 0, x > 1], [lambda t: t.mean(), 5, lambda t: -t]),
    [X34], (f32, f64, i64))
row("np.meshgrid", lambda xp, x, y: xp.meshgrid(x, y), [A((3,)), A((2,))], SH)
row("np.meshgrid_ij_sparse", lambda xp, x, y: xp.meshgrid(x, y, indexing="ij", sparse=True),
    [A((3,)), A((2,))], SH)


def _fill_diagonal(xp, m, v):
    a = m.copy()
    np.fill_diagonal(a, v)          # np: NumPy's dispatch on the traced a
    b = xp.zeros((5, 3), m.dtype)
    np.fill_diagonal(b, v[:2], wrap=True)
    return a, b


row("np.fill_diagonal", _fill_diagonal, [A((3, 3)), A((3,))], SH)
# arrays built from traced values and closed-over tables (gvmap/rebinding.py)
TABLE_F = np.linspace(-2.0, 2.0, 12).reshape(6, 2)
row("np.array[traced_scalars]", lambda xp, x: xp.array([[x[0], -x[1]], [x[1], x[0]]]), [A((3,))], NUM)
row("np.array[mixed_rows]", lambda xp, x: xp.array([x, x * 2, [1, 2, 3]], dtype=np.float32), [A((3,))], NUM)
row("np.asarray[dtype]", lambda xp, x: xp.asarray(x, dtype=float) + xp.ascontiguousarray(x), [X34], NUM)
row("np.full[traced_fill]", lambda xp, x: xp.full((2, 3), x[0]) + xp.full(3, x[1], dtype=np.float32), [A((3,))], NUM)
# (closed-over tables: tests/test_rebinding.py; a row's function is reached through the
# Row's attribute, which the rebinding does not follow)
row("table[traced_index]", lambda xp, i: xp.take(TABLE_F, i, axis=0), [A((4,), "negindex:6", i64)], (i64,))
row("x[traced_mask]=v", _mask_set, [X34], NUM)
row("x[traced_mask]*=v", _mask_inplace, [X34, A((3, 4), "any", b1)], NUM)
row("x[traced_row_mask]=row", _mask_rows, [X34, A((3,), "any", b1)], NUM)
row("x[traced_mask].sum/mean", _mask_reductions, [X34], (f32, f64, i64))


# --- small NumPy habits ---
# diff's prepend/append, allclose / array_equal / array_equiv (0-d bools), isin, ediff1d, fix,
# unwrap, broadcast_arrays (gvmap/numpy/habits.py), reshape(order="F"), and the ndarray
# methods x.diagonal() / x.trace() / x.repeat() / x.fill() (gvmap/tracing.py).
H35, H344 = A((3, 5)), A((3, 4, 4))


def _fill_habit(xp, x):
    y = x * 2
    y.fill(x[0, 0, 0])
    z = xp.zeros((2, 3), np.float32)
    z.fill(x[1, 1, 1])
    return y, z


row("np.diff_prepend_append", lambda xp, x: (xp.diff(x, prepend=x[0, 0]), xp.diff(x, append=x[:, :1], n=2),
                                             xp.diff(x, axis=0, prepend=1, append=x[:1]),
                                             xp.diff(x, prepend=[[2]] * 3)), [H35], ALL)
row("np.allclose_array_equal", lambda xp, x, y: (xp.allclose(x, y), xp.allclose(x, x + 1e-9, rtol=0.0, atol=1e-6),
                                                  xp.array_equal(x, y), xp.array_equal(x, x[0] * 0 + x),
                                                  xp.array_equal(x, y[:2]), xp.array_equiv(x, x[:1]),
                                                  xp.array_equiv(x[:2], y), xp.array_equiv(x, y)),
    [H35, H35], ALL)
row("np.allclose_array_equal_nan", lambda xp, x, y: (xp.allclose(x, x, equal_nan=True), xp.allclose(x, y),
                                                      xp.array_equal(x, x), xp.array_equal(x, x, equal_nan=True),
                                                      xp.array_equal(x, xp.where(x > 0, y, x), equal_nan=True)),
    [A((3, 5), "nan"), A((3, 5), "nan")], FLOAT)
row("np.isin", lambda xp, x, t: (xp.isin(x, [0, 1, 2]), xp.isin(x, t), xp.isin(x, t[:, 0], invert=True),
                                 xp.isin(x[0], np.array([], x.dtype)), xp.isin(x, t, kind="sort")),
    [A((3, 5), "index:4"), A((2, 2), "index:4")], NUM)
row("np.ediff1d", lambda xp, x, b: (xp.ediff1d(x), xp.ediff1d(x, to_begin=0, to_end=[1, 2]),
                                    xp.ediff1d(x[0], to_begin=b), xp.ediff1d(x, to_end=b[:1])),
    [H35, A((2,))], NUM)
row("np.fix", lambda xp, x: (xp.fix(x * 3), xp.fix(-x), xp.fix(x * -0.0)), [A((3, 5), "nan")], FLOAT)
row("np.fix_int_bool", lambda xp, x: xp.fix(x), [H35], ALL)
row("np.unwrap", lambda xp, x: (xp.unwrap(x), xp.unwrap(x, axis=0), xp.unwrap(x, discont=4.0),
                                xp.unwrap(x, period=4), xp.unwrap(x, period=5.5, discont=x[0, 0])),
    [A((3, 5), "wide")], NUM)
row("np.unwrap_int_period", lambda xp, x: (xp.unwrap(x, period=4), xp.unwrap(x, period=5, axis=0)),
    [A((3, 5), "wide")], INT)
row("np.broadcast_arrays", lambda xp, x, y: (xp.broadcast_arrays(x, y[:1], 2), xp.broadcast_arrays(x)),
    [H35, A((1, 5))], ALL)
row("np.reshape_order_F", lambda xp, x: (xp.reshape(x, (4, 6), order="F"), x.reshape(-1, order="F"),
                                         xp.ravel(x, order="F"), x.reshape((2, 3, 4), order="F")),
    [A((2, 3, 4))], ALL)
row("x.diagonal/trace/repeat", lambda xp, x: (x.diagonal(), x.diagonal(1, 1, 2), x.trace(), x.trace(-1, dtype=np.float64),
                                              x.repeat(2, axis=1), x.repeat(2)), [H344], NUM)
row("x.fill", _fill_habit, [H344], NUM)
# np.signbit: signed zeros and NaNs of both signs (-x flips a NaN's sign bit; copysign sets it)
row("np.signbit", lambda xp, x: (xp.signbit(x), xp.signbit(-x), xp.signbit(x * 0.0), xp.signbit(x * -0.0),
                                 xp.signbit(xp.copysign(np.nan, x)), xp.signbit(xp.copysign(0.0, -x)),
                                 xp.where(xp.signbit(x), 1.0, x * 2)), [A((3, 5), "nan")], FLOAT)
row("np.signbit_int_bool", lambda xp, x: (xp.signbit(x), xp.signbit(x.astype(np.uint8)), xp.signbit(x > 0)),
    [H35], ALL)
row("np.cross_axes", lambda xp, a, b: (xp.cross(a, b, axis=0), xp.cross(a, b[:, 0], axisa=0, axisc=0),
                                       xp.cross(a.T, b, axisa=-1, axisb=0, axisc=1), xp.cross(a[:, 1], b[:, 2])),
    [A((3, 3)), A((3, 3))], NUM)
def _cross_2d(xp, a2, b2, c3):
    """np.cross with 2-vectors (NumPy 2 deprecates them but computes them, as gvmap does):
    two 2-vectors give the z component, a 2-vector with a 3-vector has z = 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return (xp.cross(a2, b2), xp.cross(a2, c3), xp.cross(c3, b2), xp.cross(a2[0], b2),
                xp.cross(a2.T, c3.T, axisa=0, axisb=0, axisc=0))


row("np.cross_2d", _cross_2d, [A((4, 2)), A((4, 2)), A((4, 3))], NUM)

row("np.vander_polyder_polyint", lambda xp, x, k: (
    xp.vander(x), xp.vander(x, 3, increasing=True), xp.vander(x, 0), xp.polyder(x), xp.polyder(x, 2),
    xp.polyder(x[:1]), xp.polyint(x), xp.polyint(x, 2, k=[1.0, k]), xp.polyint(x, 3, k=k)),
    [A((4,)), A(())], NUM + (b1,))
row("np.unstack", lambda xp, x: (xp.unstack(x), xp.unstack(x, axis=-1)), [X23], ALL)
# np.round to tens and hundreds: integers too (float64 steps and a cast back, half to even: 35 -> 40, 25 -> 20)
row("np.round_decimals", lambda xp, x: (xp.round(x * 7, -1), xp.around(x * 13, -2), xp.round(x, 1), (x * 5).round(-1),
                                        xp.round(x, -30)), [A((3, 4))], NUM)
# np.bitwise_count: the 1-bits of |x| (|MIN| keeps MIN's bits), uint8, a SWAR popcount
row("np.bitwise_count", lambda xp, x: (xp.bitwise_count(x), xp.bitwise_count(x * 12345 - 7),
                                       xp.bitwise_count(x.astype(np.uint8)), xp.bitwise_count(x > 0),
                                       xp.bitwise_count(np.iinfo(x.dtype).min + x * 0)),
    [A((3, 4), "wide")], INT)
row("np.packbits_unpackbits", lambda xp, x: (
    xp.packbits(x), xp.packbits(x, axis=1), xp.packbits(x, axis=0, bitorder="little"),
    xp.unpackbits(x.astype(np.uint8)), xp.unpackbits(x.astype(np.uint8), axis=0, count=3),
    xp.unpackbits(x.astype(np.uint8), axis=1, count=-5, bitorder="little"),
    xp.unpackbits(xp.packbits(x, axis=1), axis=1, count=11)), [A((3, 11), "wide")], INTBOOL)
row("np.compress_resize", lambda xp, x: (xp.compress([1, 0, 1], x, axis=1), xp.compress([True, False, True], x),
                                         x.compress([0, 1], axis=0), x.compress(np.arange(4) % 2 == 0),
                                         xp.resize(x, (4, 5)), xp.resize(x, 2), xp.resize(x, (0, 3))),
    [A((2, 3))], ALL)

# index helpers read only the shape; np.ix_ of constant and traced index arrays
row("np.triu/tril/diag_indices_from", lambda xp, x: (x[xp.triu_indices_from(x, 1)], x[xp.tril_indices_from(x)],
                                                    x[xp.tril_indices_from(x.T, -1)], x[:3][xp.diag_indices_from(x[:3])]),
    [A((4, 3))], ALL)
row("np.ix_", lambda xp, x, i: (x[xp.ix_([0, 2], [1, 2])], x[xp.ix_(i, i[:2])], x[xp.ix_(i, [True, False, True])],
                                x[xp.ix_([3], i)]), [A((4, 3)), A((3,), "negindex:3", i64)], ALL)
row("np.nanprod", lambda xp, x: (xp.nanprod(x), xp.nanprod(x, axis=0), xp.nanprod(x, 1, keepdims=True),
                                 xp.nanprod(x, where=x != 0, initial=2)), [A((3, 4), "nan")], ALL)
row("np.isposinf/isneginf", lambda xp, x: (xp.isposinf(x), xp.isneginf(x), xp.isposinf(x / 0.0), xp.isneginf(x / -0.0)),
    [A((3, 4), "nan")], ALL)
row("np.cumulative_sum/prod", lambda xp, x: (xp.cumulative_sum(x, axis=0), xp.cumulative_sum(x[0], include_initial=True),
                                             xp.cumulative_prod(x, axis=-1, include_initial=True),
                                             xp.cumulative_sum(x, axis=1, dtype=np.float32)), [A((3, 4))], ALL)
row("np.rollaxis", lambda xp, x: (xp.rollaxis(x, 2), xp.rollaxis(x, 0, 2), xp.rollaxis(x, -1, 1), xp.rollaxis(x, 1, 3)),
    [A((2, 3, 4))], ALL)

# --- bit views and run-time checks ---
# x.view(dtype) of the same itemsize (bitcast_convert_type: NaN payloads kept, fused with the
# arithmetic around it; x.view() is x), and np.nanargmax / nanargmin (NaNs in every row and
# column but one finite element each: an all-NaN slice raises, tests/test_bits_and_checks.py)
_SAME_SIZE_INT = {f32: np.int32, f64: np.int64, i32: np.float32, i64: np.float64}
_SAME_SIZE_UINT = {f32: np.uint32, f64: np.uint64, i32: np.uint32, i64: np.uint64}
_ONE_PER_LINE = np.arange(3)[:, None] == np.arange(5) % 3  # a True in every row and column


def _nan_slices_kept_finite(xp, x):
    return xp.where(_ONE_PER_LINE & xp.isnan(x), 0.25, x)


row("x.view", lambda xp, x: (x.view(_SAME_SIZE_INT[x.dtype]), x.view(_SAME_SIZE_UINT[x.dtype]) >> 3,
                             (x * 2).view(_SAME_SIZE_INT[x.dtype]).view(x.dtype) + 1, x.view(),
                             x.T.view(_SAME_SIZE_UINT[x.dtype]), x[1:, 2].view(_SAME_SIZE_INT[x.dtype])),
    [A((3, 5), "nan")], NUM)
row("x.view_int8_bool", lambda xp, x: (x.astype(np.int8).view(np.uint8), (x > 0).view(np.int8),
                                       x.astype(np.uint8).view(np.int8) * 2), [H35], ALL)
row("np.nanargmax/nanargmin", lambda xp, x: (xp.nanargmax(_nan_slices_kept_finite(xp, x)),
                                             xp.nanargmin(_nan_slices_kept_finite(xp, x), axis=1),
                                             xp.nanargmax(_nan_slices_kept_finite(xp, x), axis=0, keepdims=True),
                                             xp.nanargmin(_nan_slices_kept_finite(xp, x) * -1, axis=-1, keepdims=True)),
    [A((3, 5), "nan")], FLOAT)
row("np.nanargmax_int_bool", lambda xp, x: (xp.nanargmax(x), xp.nanargmin(x, axis=0), xp.nanargmax(x > 0, axis=1)),
    [H35], INT)

# np.choose (traced or constant indices, modes), np.put / np.place (in place on a local copy)
def _put_place(xp, x, i):
    y = x * 1
    xp.put(y, i[0], x[1, :3])
    xp.put(y, [0, -1], 7)
    z = x.copy()
    xp.put(z, i[1] * 3 - 4, x[0, ::-1], mode="clip")
    xp.put(z, i[2] * 5, x[2, :2], mode="wrap")
    w = x.copy()
    xp.place(w, x > 0, x[0, :2])
    xp.place(w, np.arange(15).reshape(3, 5) % 2 == 0, [1, 2, 3])
    return y, z, w


row("np.choose", lambda xp, i, x, y: (xp.choose(i, [x, y, x * 2]), xp.choose(i[0], (x, y[0], 1)),
                                      xp.choose(i - 1, [x, y], mode="wrap"), xp.choose(i * 2 - 3, [y, x, x], mode="clip"),
                                      xp.choose(np.array([2, 0, 1, 1, 0]), [x, y, -x]), xp.choose(i, xp.stack([x, y, y]))),
    [A((3, 5), "index:3", np.int64), A((3, 5)), A((3, 5))], NUM)
row("np.put/np.place", _put_place, [A((3, 5)), A((3, 5), "index:5", np.int32)], NUM)

# ----------------------------------------------------------------------------------------------
# Running a row.

class _Recorder:
    """A stand-in for the ``numpy`` module that records which functions a row calls."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.names.append(name)
        return getattr(np, name)


def numpy_names(r: Row) -> list[str]:
    rec = _Recorder()
    rng = np.random.RandomState(0)
    r.fn(rec, *[sample(rng, a.shape, np.dtype(a.dtype or r.dtypes[0]), a.domain) for a in r.args])
    return rec.names


def run_row(r: Row, dtype: np.dtype, xp: Any) -> None:
    rng = np.random.RandomState(zlib.crc32(r.name.encode()))
    failures, total = [], 0
    for n in BATCH_SIZES:
        for bdims in all_bdims([len(a.shape) for a in r.args]):
            total += 1
            args = batched_args(rng, r, dtype, bdims, n)
            expected = oracle(lambda *a: r.fn(np, *a), in_axes=bdims)(*args)
            try:
                got = gvmap.vmap(lambda *a: r.fn(xp, *a), in_axes=bdims)(*args)
                assert_tree_close(got, expected)
            except Exception as exc:
                detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3))
                failures.append((f"batch size {n}, in_axes={bdims}", f"{type(exc).__name__}: {exc}", detail))
    if failures:
        lines = [f"{where}: {msg.splitlines()[0] if msg.strip() else msg}" for where, msg, _ in failures]
        pytest.fail(f"{r.name} [{SHORT[dtype]}]: {len(failures)} of {total} placements failed\n"
                    + "\n".join(lines[:12]) + "\n\nfirst failure:\n" + failures[0][2], pytrace=False)


CASES = [pytest.param(r, d, id=f"{r.name}-{SHORT[d]}") for r in ROWS for d in r.dtypes]
GNP_CASES = [case for case in CASES if numpy_names(case.values[0])]


def test_table_covers_spec_functions():
    """Every function SPEC.md lists appears in some row (so the table cannot silently shrink)."""
    spec = ("tanh exp log log1p expm1 sqrt abs sign sin cos tan arctan2 power maximum minimum clip "
            "floor ceil logical_and logical_or logical_not isnan where sum mean prod max min argmax "
            "argmin var std cumsum matmul dot vdot tensordot einsum outer reshape transpose swapaxes "
            "moveaxis squeeze expand_dims broadcast_to ravel concatenate stack take zeros_like "
            "ones_like full_like").split()
    used = {name for r in ROWS for name in numpy_names(r)}
    assert sorted(set(spec) - used) == []


@pytest.mark.parametrize("r,dtype", CASES)
def test_numpy_function(r, dtype, backend):
    run_row(r, dtype, np)


@pytest.mark.parametrize("r,dtype", GNP_CASES)
def test_gvmap_numpy_function(r, dtype, backend):
    import gvmap.numpy as gnp

    missing = [name for name in numpy_names(r) if not hasattr(gnp, name)]
    if missing:
        pytest.skip(f"gvmap.numpy has no {', '.join(missing)}")
    run_row(r, dtype, gnp)


def test_empty_like(backend):
    """np.empty_like's values are arbitrary (so no oracle row): gvmap gives zeros of the
    shape and dtype NumPy gives, traced like zeros_like (a 0-d one can be indexed)."""
    x = np.arange(6.0).reshape(2, 3)
    f = lambda v, i: (np.empty_like(v), np.empty_like(v, dtype=np.int32), np.empty_like(v, shape=(2, 2)),
                      np.empty_like(v[0])[None][i])
    got = gvmap.device_get(gvmap.vmap(f)(x, np.zeros(2, np.int64)))
    expected = oracle(f)(x, np.zeros(2, np.int64))
    assert [(a.dtype, a.shape) for a in got] == [(e.dtype, e.shape) for e in expected]
    assert all(not a.any() for a in got)
