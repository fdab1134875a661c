"""How the linear-algebra primitives run on NumPy and CuPy: ONE library call on the whole
stack of matrices, the error rule, and the sign rule.

Both ``numpy.linalg`` and ``cupy.linalg`` (CuPy 14) take stacks ``(S..., m, n)`` for every
routine used here: cupy.linalg.solve (cuBLAS getrf/getrsBatched for n <= 256, else a loop
of cuSOLVER gesv per matrix), inv (getrf/getriBatched), det / slogdet (getrfBatched),
cholesky (potrfBatched), eigh / eigvalsh (syevjBatched), qr (geqrf/orgqr batched), svd
(gesvdjBatched for m, n <= 32, else gesvd batched); read in cupy/linalg/_solve.py,
_decomposition.py, _eigenvalue.py, _norms.py. cupy.linalg.lstsq takes single 2-D
matrices only, which is why lstsq is a composition over ``linalg_svd`` (gvmap/numpy/
linalg_solvers.py), as NumPy's pinv is.

The error rule (``numpy.linalg.LinAlgError`` naming the first failing example, on every
backend): NumPy raises for a whole stack without saying which matrix failed, and CuPy does
not check at all by default (``cupyx.errstate(linalg="ignore")``: a singular matrix gives
inf/nan silently). So the routines that can fail run with CuPy's checks on (its
``linalg="raise"`` reads cuBLAS/cuSOLVER's info arrays: one device-to-host copy per call),
and on a failure the stack is bisected with the same routine to find the first failing
matrix (O(log n) more calls, only on the error path), whose flat index is split into the
example's index (the leading ``batch_dims`` stack dims) and the matrix's index in that
example's own stack: ``gvmap.errors.LinAlgError``. NumPy raises for solve / inv (exactly
singular: a zero pivot of the LU factorisation), cholesky (not positive definite) and svd
("did not converge": NaN input); det, slogdet, eigh, eigvalsh and qr never raise (NaN
in, NaN out). CuPy's gesvdj does not report NaN input, so on CuPy the svd primitives check
``isfinite`` of each example's matrix first and raise what NumPy raises.

The sign rule (``normalize_signs``), the one normalisation every backend applies, since
LAPACK, cuSOLVER's Jacobi solvers and a future row kernel may each return an eigenvector
or singular vector with either sign:

- eigh: each eigenvector (column ``v[..., :, j]``) is scaled by +-1 so that its
  largest-magnitude entry is positive; entries within a relative ``SIGN_TIE`` (2**-10) of
  the largest count as tied and the FIRST of them is made positive, so that rounding
  cannot move the choice between two near-equal entries from one backend to another;
- svd: the same rule on each left singular vector ``u[..., :, j]``, and row ``vh[..., j, :]``
  flipped with it (so ``u @ diag(s) @ vh`` is unchanged);
- qr: ``diag(r) >= 0`` (row j of ``r`` and column j of ``q`` flipped together).

Eigenvalues are ascending and singular values descending, as NumPy's. Eigenvectors of a
repeated eigenvalue are not unique beyond sign; the rule fixes signs only.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Sequence

import numpy as np

from . import primitives as P
from .errors import LinAlgError

__all__ = ["LINALG_IMPLS", "FAILURES", "SIGN_TIE", "normalize_signs", "linalg_checks_on"]

SIGN_TIE = 2.0 ** -10

# (routine, reason) of the LinAlgError each routine that can fail raises, in NumPy's words;
# the row kernels' checks (gvmap/codegen/rowlinalg.py) raise the same
FAILURES: dict[P.Primitive, tuple[str, str]] = {
    P.linalg_solve_p: ("linalg.solve", "Singular matrix"),
    P.linalg_inv_p: ("linalg.inv", "Singular matrix"),
    P.linalg_cholesky_p: ("linalg.cholesky", "Matrix is not positive definite"),
}


def linalg_checks_on(xp: Any) -> Any:
    """A context in which ``xp.linalg`` raises LinAlgError where NumPy's does: NumPy always
    does; CuPy only under ``cupyx.errstate(linalg="raise")``."""
    if xp is np:
        return contextlib.nullcontext()
    import cupyx

    return cupyx.errstate(linalg="raise")


def normalize_signs(xp: Any, v: Any) -> Any:
    """The +-1 per column of ``v`` (..., m, k) that makes the first of its largest-magnitude
    entries (ties within a relative ``SIGN_TIE``) positive; shape (..., 1, k)."""
    if v.shape[-2] == 0:
        return xp.ones(v.shape[:-2] + (1, v.shape[-1]), v.dtype)
    mag = xp.abs(v)
    top = mag.max(axis=-2, keepdims=True)
    pivot = xp.argmax(mag >= top * (1 - SIGN_TIE), axis=-2)[..., None, :]
    chosen = xp.take_along_axis(v, pivot, axis=-2)
    return xp.where(chosen < 0, -1, 1).astype(v.dtype)


# ---------------------------------------------------------------- the error rule

def _first_failing(call: Callable, args: Sequence[Any], stack: tuple[int, ...]) -> int:
    """The flat index of the first matrix of the stack for which ``call`` raises, by
    bisection (the error path only: O(log n) calls on shrinking prefixes' halves)."""
    count = math.prod(stack)
    flat = [a.reshape((count,) + tuple(a.shape[len(stack):])) for a in args]

    def fails(lo: int, hi: int) -> bool:
        try:
            call(*[a[lo:hi] for a in flat])
        except np.linalg.LinAlgError:
            return True
        return False

    lo, hi = 0, count
    if not fails(lo, hi):  # the failure needed the whole stack: name the first matrix
        return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(lo, mid):
            hi = mid
        else:
            lo = mid
    return lo


def _located(routine: str, reason: str, flat: int, stack: tuple, batch_dims: int) -> LinAlgError:
    index = tuple(int(i) for i in np.unravel_index(flat, stack)) if stack else ()
    return LinAlgError(routine, reason, index[:batch_dims], index[batch_dims:])


def _checked(xp: Any, routine: str, reason: str, call: Callable, batch_dims: int) -> Callable:
    """``call`` with the backend's checks on; a failure names the first failing example."""
    def run(*args):
        with linalg_checks_on(xp):
            try:
                return call(*args)
            except np.linalg.LinAlgError:
                pass
            stack = tuple(args[0].shape[:-2])
            flat = _first_failing(call, args, stack)
        raise _located(routine, reason, flat, stack, batch_dims) from None
    return run


def _finite_or_raise(xp: Any, a: Any, routine: str, reason: str, batch_dims: int) -> None:
    """CuPy's SVD returns NaN for a non-finite matrix where NumPy raises: raise as NumPy."""
    if a.size == 0:
        return
    stack = tuple(a.shape[:-2])
    bad = ~xp.isfinite(a).reshape((math.prod(stack), -1)).all(axis=1)
    if bool(bad.any()):
        raise _located(routine, reason, int(xp.argmax(bad)), stack, batch_dims)


# ---------------------------------------------------------------- the rules

def _failing(prim: P.Primitive) -> Callable:
    """A routine that can fail (``FAILURES``): ``xp.linalg``'s function of that name, under
    the error rule. (solve: NumPy 2 reads a b of rank >= 2 as (..., n, k), the form the
    front end passes.)"""
    routine, reason = FAILURES[prim]
    name = routine.removeprefix("linalg.")
    return lambda xp, avals, batch_dims: _checked(xp, routine, reason, getattr(xp.linalg, name),
                                                  batch_dims)


def _det(xp, avals, batch_dims):
    return xp.linalg.det


def _slogdet(xp, avals, batch_dims):
    def run(a):
        sign, logdet = xp.linalg.slogdet(a)
        return sign, logdet
    return run


def _eigh(xp, avals, batch_dims, uplo):
    def run(a):
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        return w, v * normalize_signs(xp, v)
    return run


def _eigvalsh(xp, avals, batch_dims, uplo):
    return lambda a: xp.linalg.eigvalsh(a, UPLO=uplo)


def _qr(xp, avals, batch_dims):
    def run(a):
        q, r = xp.linalg.qr(a, mode="reduced")
        d = xp.diagonal(r, axis1=-2, axis2=-1)
        flip = xp.where(d < 0, -1, 1).astype(r.dtype)
        return q * flip[..., None, :], r * flip[..., :, None]
    return run


def _svd_call(xp: Any, batch_dims: int, compute_uv: bool) -> Callable:
    call = lambda a: xp.linalg.svd(a, full_matrices=False, compute_uv=compute_uv)
    if xp is np:
        return _checked(xp, "linalg.svd", "SVD did not converge", call, batch_dims)

    def run(a):
        _finite_or_raise(xp, a, "linalg.svd", "SVD did not converge", batch_dims)
        return call(a)
    return run


def _svd(xp, avals, batch_dims):
    call = _svd_call(xp, batch_dims, True)

    def run(a):
        u, s, vh = call(a)
        flip = normalize_signs(xp, u)
        return u * flip, s, vh * xp.swapaxes(flip, -1, -2)
    return run


def _svdvals(xp, avals, batch_dims):
    return _svd_call(xp, batch_dims, False)


def _empty_stacks(prim: P.Primitive, rule: Callable) -> Callable:
    """On CuPy, a stack of no matrices gives empty results without a library call (cuBLAS'
    batched routines are not defined for a batch of 0); NumPy handles it itself."""
    def make(xp, avals, **params):
        run = rule(xp, avals, **params)
        if xp is np or not any(math.prod(a.shape[:-2]) == 0 for a in avals):
            return run
        outs = P.abstract_eval(prim, avals, params)
        empty = lambda *args: [xp.empty(o.shape, o.dtype) for o in outs]
        return (lambda *args: tuple(empty())) if prim.multiple_results else (lambda *a: empty()[0])
    return make


LINALG_IMPLS: dict[P.Primitive, Callable[..., Callable]] = {prim: _empty_stacks(prim, rule) for prim, rule in {
    P.linalg_solve_p: _failing(P.linalg_solve_p),
    P.linalg_inv_p: _failing(P.linalg_inv_p),
    P.linalg_det_p: _det,
    P.linalg_slogdet_p: _slogdet,
    P.linalg_cholesky_p: _failing(P.linalg_cholesky_p),
    P.linalg_eigh_p: _eigh,
    P.linalg_eigvalsh_p: _eigvalsh,
    P.linalg_qr_p: _qr,
    P.linalg_svd_p: _svd,
    P.linalg_svdvals_p: _svdvals,
}.items()}
