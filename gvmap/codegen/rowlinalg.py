"""Row-kernel rules for per-example linear algebra on tiny matrices: one thread runs an
unrolled routine in registers (``rowlinalg_c.py``) on each matrix of its example's stack,
so a batch of 3x3 solves is one launch that reads each matrix once and writes each result
once, where batched cuBLAS / cuSOLVER calls are launches with workspaces of their own (to
be measured in benches/ on a GPU: GVMAP_ROW_KERNELS=1 against 0).

solve, inv, det, slogdet and cholesky take static n <= ``MAX_N`` (solve also at most
``MAX_N`` right-hand sides); eigh and eigvalsh (cyclic Jacobi) n <= ``MAX_N_EIGH``. Larger
matrices are refused (``row_refusal``), so their graphs keep the batched plan, as do qr,
svd and svdvals, which have no per-thread routine.

Failures are the batched path's: a thread whose matrix has an exactly zero pivot (solve,
inv) or is not positive definite (cholesky) records the matrix's flat index in its error
slot (``RowEmitter.error_slot``); the launcher raises the same
``gvmap.errors.LinAlgError``, naming the same first failing example and matrix.
"""
from __future__ import annotations

import math
from typing import Callable

from .. import primitives as P
from ..graph import Eqn
from ..linalg_impl import FAILURES
from .cuda import c_type
from .rowemitter import LinAlgCheck, RowEmitter, names, offset
from .rowlinalg_c import ROW_LINALG_C

__all__ = ["LINALG_ROW_RULES", "linalg_row_work", "linalg_row_local_bytes",
           "linalg_row_refusal", "MAX_N", "MAX_N_EIGH"]

# Past these sizes the unrolled routine outgrows the register file (8x8 solve: 64 + 64
# values; Jacobi's n(n-1)/2 rotations per sweep touch 4n entries each) and one thread per
# example loses to the batched library routines.
MAX_N = 8
MAX_N_EIGH = 4

_EIGH = (P.linalg_eigh_p, P.linalg_eigvalsh_p)


def _sizes(eqn: Eqn) -> tuple[tuple[int, ...], int, int]:
    """The per-example stack, n, and the right-hand sides k (solve; else n)."""
    a = eqn.invars[0].aval
    k = eqn.invars[1].aval.shape[-1] if eqn.primitive is P.linalg_solve_p else a.shape[-1]
    return tuple(a.shape[:-2]), a.shape[-1], k


def _per_matrix_work(eqn: Eqn) -> int:
    """Inner iterations per matrix: the eliminations' multiply-adds (Gauss-Jordan n^2 (n+k),
    LU n^3 / 3, Cholesky n^3 / 6), Jacobi's ~6 sweeps of n(n-1)/2 rotations of 4n entries,
    plus loading the matrix."""
    prim = eqn.primitive
    _, n, k = _sizes(eqn)
    if prim in (P.linalg_solve_p, P.linalg_inv_p):
        elimination = n * n * (n + k)
    elif prim in (P.linalg_det_p, P.linalg_slogdet_p):
        elimination = n * n * n // 3 + n
    elif prim is P.linalg_cholesky_p:
        elimination = n * n * n // 6 + n * n
    else:
        elimination = 6 * (n * (n - 1) // 2) * 4 * n + n * n
    return elimination + n * n


def linalg_row_work(eqn: Eqn) -> int:
    stack, _, _ = _sizes(eqn)
    return math.prod(stack) * _per_matrix_work(eqn)


def linalg_row_local_bytes(eqn: Eqn) -> int:
    """The results plus the working copies of one matrix (and its right-hand sides or
    eigenvectors): the stack's matrices reuse them one after another."""
    _, n, k = _sizes(eqn)
    prim, dtype = eqn.primitive, eqn.invars[0].aval.dtype
    work = n * n + (n * k if prim in (P.linalg_solve_p, P.linalg_inv_p) else 0)
    work += n * n + n if prim in _EIGH else 0
    results = sum(max(v.aval.size, 1) for v in eqn.outvars)
    return (results + work) * dtype.itemsize


def linalg_row_refusal(eqn: Eqn) -> str | None:
    """Why this equation's matrices are not for a per-thread routine, or None."""
    prim = eqn.primitive
    _, n, k = _sizes(eqn)
    limit = MAX_N_EIGH if prim in _EIGH else MAX_N
    if n == 0:
        return f"{prim} of 0x0 matrices: the batched plan handles them"
    if n > limit:
        return (f"{prim} of {n}x{n} matrices: the per-thread routine takes n <= {limit}; "
                f"larger ones run as one batched library call")
    if k > MAX_N:
        return (f"{prim} with {k} right-hand sides: the per-thread routine takes at most "
                f"{MAX_N} right-hand sides; more run as one batched library call")
    return None


# ---------------------------------------------------------------- emitting

def _load(row: RowEmitter, name: str, atom, s_idx: list[str], rows: int, cols: int) -> None:
    """``T name[rows * cols]`` holding the matrix ``atom[s_idx]`` (row-major)."""
    row.emit(f"{c_type(atom.aval.dtype)} {name}[{rows * cols}];")
    idx, opened = row.open_loops([rows, cols], ["r", "c"])
    row.emit(f"{name}[{offset((rows, cols), idx)}] = {row.ref(atom, s_idx + idx)};")
    row.close(opened)


def _store(row: RowEmitter, out, s_idx: list[str], name: str, shape: tuple[int, ...]) -> None:
    idx, opened = row.open_loops(list(shape), names("r", len(shape)))
    row.emit(f"{row.ref(out, s_idx + idx)} = {name}[{offset(shape, idx)}];")
    row.close(opened)


def _flag(row: RowEmitter, eqn: Eqn, s_idx: list[str], failed: str) -> None:
    """Record a failing matrix: its flat index in the batch's stack of matrices."""
    stack, _, _ = _sizes(eqn)
    routine, reason = FAILURES[eqn.primitive]
    slot = row.error_slot(LinAlgCheck(routine, reason, stack, eqn.params["batch_dims"]))
    flat = offset(stack, s_idx)
    row.emit(f"if ({failed}) gvmap_row_index_error({slot}, "
             f"example * {math.prod(stack)}LL + ({flat}));")


def _linalg_rule(body: Callable[[RowEmitter, Eqn, list[str], str, int, int], None]):
    """Loop over the example's stack of matrices; ``body`` handles one at index s_idx."""
    def rule(row: RowEmitter, eqn: Eqn) -> None:
        row.need(ROW_LINALG_C)
        stack, n, k = _sizes(eqn)
        s_idx, opened = row.open_loops(list(stack), names("s", len(stack)),
                                       inner=_per_matrix_work(eqn))
        body(row, eqn, s_idx, c_type(eqn.invars[0].aval.dtype), n, k)
        row.close(opened)
    return rule


def _gauss_jordan(inverse: bool):
    def body(row, eqn, s_idx, t, n, k):
        a, out = eqn.invars[0], eqn.outvars[0]
        _load(row, "m", a, s_idx, n, n)
        if inverse:
            row.emit(f"{t} rhs[{n * n}];")
            idx, opened = row.open_loops([n, n], ["r", "c"])
            row.emit(f"rhs[{offset((n, n), idx)}] = ({idx[0]} == {idx[1]}) ? {t}(1) : {t}(0);")
            row.close(opened)
        else:
            _load(row, "rhs", eqn.invars[1], s_idx, n, k)
        row.emit(f"const bool ok = gvmap_la_gauss_jordan<{t}, {n}, {k}>(m, rhs);")
        _flag(row, eqn, s_idx, "!ok")
        _store(row, out, s_idx, "rhs", (n, k))
    return _linalg_rule(body)


def _slogdet(det: bool):
    def body(row, eqn, s_idx, t, n, k):
        _load(row, "m", eqn.invars[0], s_idx, n, n)
        row.emit(f"{t} sign, logdet;")
        row.emit(f"gvmap_la_slogdet<{t}, {n}>(m, sign, logdet);")
        if det:  # NumPy's det is sign * exp(logdet) too
            row.emit(f"{row.ref(eqn.outvars[0], s_idx)} = sign * gvmap_la_exp(logdet);")
        else:
            row.emit(f"{row.ref(eqn.outvars[0], s_idx)} = sign;")
            row.emit(f"{row.ref(eqn.outvars[1], s_idx)} = logdet;")
    return _linalg_rule(body)


def _cholesky(row, eqn, s_idx, t, n, k):
    _load(row, "m", eqn.invars[0], s_idx, n, n)
    row.emit(f"const bool ok = gvmap_la_cholesky<{t}, {n}>(m);")
    _flag(row, eqn, s_idx, "!ok")
    _store(row, eqn.outvars[0], s_idx, "m", (n, n))


def _eigh(vectors: bool):
    def body(row, eqn, s_idx, t, n, k):
        _load(row, "m", eqn.invars[0], s_idx, n, n)
        lower = "true" if eqn.params["uplo"] == "L" else "false"
        row.emit(f"{t} w[{n}], v[{n * n}];")
        row.emit(f"gvmap_la_eigh<{t}, {n}, {lower}, {'true' if vectors else 'false'}>(m, w, v);")
        _store(row, eqn.outvars[0], s_idx, "w", (n,))
        if vectors:
            _store(row, eqn.outvars[1], s_idx, "v", (n, n))
    return _linalg_rule(body)


# the emit rules, before rowkernel_rules wraps each in its block
LINALG_ROW_RULES: dict[P.Primitive, Callable[[RowEmitter, Eqn], None]] = {
    P.linalg_solve_p: _gauss_jordan(inverse=False),
    P.linalg_inv_p: _gauss_jordan(inverse=True),
    P.linalg_det_p: _slogdet(det=True),
    P.linalg_slogdet_p: _slogdet(det=False),
    P.linalg_cholesky_p: _linalg_rule(_cholesky),
    P.linalg_eigh_p: _eigh(vectors=True),
    P.linalg_eigvalsh_p: _eigh(vectors=False),
}
