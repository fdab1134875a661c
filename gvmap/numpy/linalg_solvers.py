"""np.linalg's solvers and decompositions per example, and np.polyfit (on np.vander and lstsq).

solve, inv, det, slogdet, cholesky, eigh, eigvalsh, qr and svd record one linear-algebra
primitive each (ONE call of np.linalg / cupy.linalg on the batched stack: primitives.py,
linalg_impl.py); lstsq, pinv, matrix_rank, matrix_power, multi_dot, the matrix norms and
polyfit are compositions written as NumPy writes them (same operations in the same order,
so the same results up to rounding).

Dtypes follow NumPy: integer and bool operands compute in float64, float32 stays float32,
float16 and complex operands are refused as NumPy's linalg refuses float16.

Eigenvector, singular-vector and QR signs follow gvmap's one rule on every backend
(documented in gvmap/linalg_impl.py): the first largest-magnitude entry of each eigenvector
and of each left singular vector is positive, and diag(r) >= 0. Results equal the loop's up
to rounding and that sign rule.

Where gvmap cannot be exact: lstsq's residuals have the static shape (K,) whenever M > N
(NumPy gives an empty array for a rank-deficient example, a shape no batch can hold), and
polyfit does not warn (RankWarning) for a rank-deficient example, a decision about values.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Sequence

import numpy as np
import numpy.linalg._linalg as _nplinalg

from .. import primitives as P
from ..tracing import Tracer, bind
from ..trycatch import refuse_if_caught
from ._core import (as_operand, broadcast_shapes, convert, dtype_of, ndim_of, normalize_axis,
                    operand, refused, reject_kwargs, shape_of)
from .elementwise import (absolute, greater, isfinite, logical_not, multiply, sqrt, subtract,
                          true_divide, where)
from .checks import raise_where
from .extras import count_nonzero
from .reductions import any as any_, max as max_, min as min_, sum as sum_
from .shape import broadcast_to, expand_dims, moveaxis, reshape, squeeze, swapaxes
from .polynomials import vander

__all__ = ["solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "lstsq", "qr",
           "svd", "pinv", "matrix_rank", "matrix_power", "multi_dot", "matrix_norm", "polyfit"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _float(x: Any, name: str) -> Any:
    """x in the dtype NumPy's linalg computes in: float32 stays, float64 for the rest."""
    x = operand(x, f"linalg.{name}")
    dtype = dtype_of(x)
    if dtype == np.float16:
        raise TypeError(f"numpy.linalg.{name}: array type float16 is unsupported in linalg; "
                        f"convert first: x.astype(np.float32)")
    return convert(x, _F32 if dtype == _F32 else _F64)


def _common(*xs: Any) -> list[Any]:
    dtype = np.result_type(*[dtype_of(x) for x in xs])
    return [convert(x, dtype) for x in xs]


def _stack_of_matrices(x: Any, name: str, square: bool = True) -> Any:
    """``x``, refused as NumPy's linalg refuses what is not a stack of (square) matrices."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(f"numpy.linalg.{name}: {len(shape)}-dimensional array given. "
                                    f"Array must be at least two-dimensional")
    if square and shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(f"numpy.linalg.{name}: Last 2 dimensions of the array must be "
                                    f"square (got {shape})")
    return x


def _traced(x: Any) -> bool:
    return isinstance(x, Tracer) and x.known is None


def _unary(prim: P.Primitive, name: str, square: bool = True):
    def fn(a: Any, **params: Any) -> Any:
        a = _stack_of_matrices(_float(a, name), name, square)
        if prim in (P.linalg_inv_p, P.linalg_cholesky_p) and _traced(a):
            refuse_if_caught(f"np.linalg.{name}", (np.linalg.LinAlgError,), "linalg")
        return bind(prim, a, batch_dims=0, **params)
    return fn


_inv = _unary(P.linalg_inv_p, "inv")
_det = _unary(P.linalg_det_p, "det")
_slogdet = _unary(P.linalg_slogdet_p, "slogdet")
_cholesky = _unary(P.linalg_cholesky_p, "cholesky")
_eigh = _unary(P.linalg_eigh_p, "eigh")
_eigvalsh = _unary(P.linalg_eigvalsh_p, "eigvalsh")
_qr = _unary(P.linalg_qr_p, "qr", square=False)
_svd = _unary(P.linalg_svd_p, "svd", square=False)
_svdvals = _unary(P.linalg_svdvals_p, "svd", square=False)


def _matT(x: Any) -> Any:
    return swapaxes(x, -1, -2)


# ---------------------------------------------------------------- one primitive each

def solve(a: Any, b: Any) -> Any:
    """numpy.linalg.solve: b of shape (n,) is one right-hand side; otherwise b is a stack
    (..., n, k) broadcast against a's stack, as NumPy 2 reads it."""
    a, b = _common(_float(a, "solve"), _float(b, "solve"))
    _stack_of_matrices(a, "solve")
    n = shape_of(a)[-1]
    vector = ndim_of(b) == 1
    if vector:
        b = expand_dims(b, -1)
    if ndim_of(b) < 2 or shape_of(b)[-2] != n:
        raise ValueError(f"numpy.linalg.solve: b of shape {shape_of(b)[:-1] if vector else shape_of(b)} "
                         f"does not match a of shape {shape_of(a)} (b must be (n,) or (..., n, k))")
    stack = broadcast_shapes(shape_of(a)[:-2], shape_of(b)[:-2])
    a = broadcast_to(a, stack + shape_of(a)[-2:])
    b = broadcast_to(b, stack + shape_of(b)[-2:])
    if _traced(a) or _traced(b):
        refuse_if_caught("np.linalg.solve", (np.linalg.LinAlgError,), "linalg")
    x = bind(P.linalg_solve_p, a, b, batch_dims=0)
    return squeeze(x, -1) if vector else x


def inv(a: Any) -> Any:
    """numpy.linalg.inv; a singular example raises gvmap.errors.LinAlgError naming it."""
    return _inv(a)


def det(a: Any) -> Any:
    return _det(a)


def slogdet(a: Any) -> Any:
    """numpy.linalg.slogdet: the (sign, logabsdet) namedtuple NumPy returns."""
    sign, logdet = _slogdet(a)
    return _nplinalg.SlogdetResult(sign, logdet)


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """numpy.linalg.cholesky: the lower factor (``upper=True``: its transpose); a matrix
    that is not positive definite raises gvmap.errors.LinAlgError naming the example."""
    lower = _cholesky(a)
    return _matT(lower) if upper else lower


def _uplo(UPLO: Any, name: str) -> str:
    if UPLO not in ("L", "U"):
        raise ValueError(f"numpy.linalg.{name}: UPLO argument must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(a: Any, UPLO: str = "L") -> Any:
    """numpy.linalg.eigh: eigenvalues ascending; each eigenvector's first largest-magnitude
    entry is positive (gvmap's sign rule, gvmap/linalg_impl.py), on every backend."""
    w, v = _eigh(a, uplo=_uplo(UPLO, "eigh"))
    return _nplinalg.EighResult(w, v)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    return _eigvalsh(a, uplo=_uplo(UPLO, "eigvalsh"))


def _general_eig_refusal(name: str) -> Callable:
    return refused(
        f"linalg.{name}", "a general matrix's eigenvalues may be complex, which gvmap does not "
        "support", f"For a symmetric matrix write np.linalg.{'eigh' if name == 'eig' else 'eigvalsh'}"
        f"(a) (real, ascending); for the dominant eigenvalue of another, a fixed number of "
        f"power-iteration steps (v = a @ v; v = v / np.linalg.norm(v))")


eig, eigvals = _general_eig_refusal("eig"), _general_eig_refusal("eigvals")


def qr(a: Any, mode: str = "reduced") -> Any:
    """numpy.linalg.qr with mode 'reduced' (and 'r'; 'complete' where it equals 'reduced',
    M <= N); signs: diag(r) >= 0 on every backend."""
    if mode not in ("reduced", "r", "complete", "raw"):
        raise ValueError(f"numpy.linalg.qr: unrecognized mode {mode!r}")
    a = _stack_of_matrices(_float(a, "qr"), "qr", square=False)
    m, n = shape_of(a)[-2:]
    if mode == "raw" or (mode == "complete" and m > n):
        raise NotImplementedError(
            f"gvmap supports numpy.linalg.qr(a, mode='reduced') (and mode='r'), not mode={mode!r}"
            f"{' for a tall matrix' if mode == 'complete' else ''}: use mode='reduced'")
    q, r = _qr(a)
    return r if mode == "r" else _nplinalg.QRResult(q, r)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """numpy.linalg.svd with full_matrices=False (full_matrices=True for square matrices,
    where both are the same), singular values descending; each left singular vector's first
    largest-magnitude entry is positive, its right one flipped with it. ``hermitian=True``
    computes the general SVD: the same values up to rounding and the sign rule."""
    a = _stack_of_matrices(_float(a, "svd"), "svd", square=False)
    if not compute_uv:
        return _svdvals(a)
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            f"gvmap supports numpy.linalg.svd(a, full_matrices=False) for non-square matrices "
            f"(a is {m}x{n}): pass full_matrices=False (u is then {m}x{min(m, n)}, vh "
            f"{min(m, n)}x{n})")
    u, s, vh = _svd(a)
    return _nplinalg.SVDResult(u, s, vh)


# ---------------------------------------------------------------- compositions

def _static_number(x: Any, name: str, arg: str) -> float:
    try:
        return float(x)
    except TypeError:
        raise NotImplementedError(f"gvmap supports numpy.linalg.{name} with a fixed {arg} (a "
                                  f"Python number), not a traced array") from None


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple:
    """numpy.linalg.lstsq by the SVD (NumPy's gelsd is SVD-based too): x, residuals, rank
    and the singular values. rcond None: machine precision times max(M, N). Residuals have
    shape (K,) ((1,) for a 1-D b) whenever M > N, the squared norms of b - a @ x, and (0,)
    otherwise; NumPy's are empty for a rank-deficient example, a shape a batch cannot hold.
    A non-finite b gives NaN x as NumPy's (its residuals are LAPACK's, not matched); a
    non-finite a raises NumPy's LinAlgError, naming the example."""
    a, b = _common(_float(a, "lstsq"), _float(b, "lstsq"))
    if ndim_of(a) != 2:
        raise np.linalg.LinAlgError(f"numpy.linalg.lstsq: {ndim_of(a)}-dimensional array given. "
                                    f"Array must be two-dimensional")
    vector = ndim_of(b) == 1
    if vector:
        b = expand_dims(b, 1)
    if ndim_of(b) != 2:
        raise np.linalg.LinAlgError(f"numpy.linalg.lstsq: {ndim_of(b)}-dimensional array given. "
                                    f"Array must be one or two-dimensional")
    m, n = shape_of(a)
    if shape_of(b)[0] != m:
        raise np.linalg.LinAlgError("numpy.linalg.lstsq: Incompatible dimensions")
    dtype = dtype_of(a)
    eps = np.finfo(dtype).eps
    if rcond is None:
        rcond = eps * max(m, n)
    else:
        rcond = _static_number(rcond, "lstsq", "rcond")
        rcond = eps if rcond < 0 else rcond
    u, s, vh = _svd(a)
    cutoff = multiply(max_(s, keepdims=True), dtype.type(rcond)) if min(m, n) else s
    large = greater(s, cutoff)
    s_inv = where(large, true_divide(dtype.type(1), where(large, s, dtype.type(1))), dtype.type(0))
    x = _matT(vh) @ (expand_dims(s_inv, 1) * (_matT(u) @ b))
    # an inf or NaN anywhere in b: gelsd's scaling makes every x NaN (np.polyfit of a
    # series with an inf is all NaN), where the SVD products give inf in some places
    x = where(any_(logical_not(isfinite(b))), dtype.type(np.nan), x)
    # an inf or NaN in a: gelsd's scaling fails, and NumPy raises (the SVD alone gives NaN)
    x = raise_where(x, any_(logical_not(isfinite(a))), error="LinAlgError",
                    function="linalg.lstsq", reason="SVD did not converge in Linear Least Squares")
    rank = sum_(large, dtype=np.int32)
    if m > n:
        r = subtract(b, a @ x)
        resids = sum_(r * r, axis=0)
    else:
        resids = broadcast_to(np.zeros((0,), dtype), (0,))
    return (squeeze(x, 1) if vector else x), resids, rank, s


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = np._NoValue) -> Any:
    """numpy.linalg.pinv, as NumPy computes it (its SVD, the same cutoff, the same products)."""
    a = _stack_of_matrices(_float(a, "pinv"), "pinv", square=False)
    m, n = shape_of(a)[-2:]
    dtype = dtype_of(a)
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(m, n) * np.finfo(dtype).eps
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("numpy.linalg.pinv: `rtol` and `rcond` can't be both set.")
    if m == 0 or n == 0:
        return broadcast_to(np.zeros((), dtype), shape_of(a)[:-2] + (n, m))
    rcond = operand(rcond, "linalg.pinv")
    u, s, vh = _svd(a)
    cutoff = multiply(expand_dims(rcond, -1) if ndim_of(rcond) else rcond,
                      max_(s, axis=-1, keepdims=True))
    large = greater(s, convert(cutoff, dtype))
    s_inv = where(large, true_divide(dtype.type(1), where(large, s, dtype.type(1))), dtype.type(0))
    return _matT(vh) @ multiply(expand_dims(s_inv, -1), _matT(u))


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """numpy.linalg.matrix_rank: singular values above max(S) * max(M, N) * eps (or tol /
    rtol), counted in intp; of a vector or scalar, 1 unless it is all zeros."""
    A = operand(A, "linalg.matrix_rank")
    if ndim_of(A) < 2:
        return convert(any_(A != 0), np.intp)
    S = _svdvals(_float(A, "matrix_rank"))
    dtype = dtype_of(S)
    if tol is None:
        if rtol is None:
            rtol = dtype.type(max(shape_of(A)[-2:]) * np.finfo(dtype).eps)
        else:
            rtol = operand(rtol, "linalg.matrix_rank")
            rtol = expand_dims(rtol, -1) if ndim_of(rtol) else rtol
        tol = multiply(max_(S, axis=-1, keepdims=True), rtol)
    else:
        tol = operand(tol, "linalg.matrix_rank")
        tol = expand_dims(tol, -1) if ndim_of(tol) else tol
    return count_nonzero(greater(S, tol), axis=-1)


def matrix_power(a: Any, n: Any) -> Any:
    """numpy.linalg.matrix_power with a fixed integer power, multiplied in NumPy's order
    (binary decomposition); a negative power inverts first. Integer matrices stay integer
    for n >= 0, as NumPy's."""
    from .linalg import matmul

    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError("numpy.linalg.matrix_power: exponent must be an integer (a fixed "
                        "Python int; a traced power is not supported)") from None
    a = _stack_of_matrices(operand(a, "linalg.matrix_power"), "matrix_power")
    if n == 0:
        eye = np.eye(shape_of(a)[-1], dtype=dtype_of(a))
        return broadcast_to(eye, shape_of(a))
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def multi_dot(arrays: Sequence[Any], *, out: Any = None) -> Any:
    """numpy.linalg.multi_dot in NumPy's order (its cost model, on the static shapes)."""
    from .linalg import dot

    reject_kwargs("linalg.multi_dot", out=out)
    arrays = [operand(x, "linalg.multi_dot") for x in arrays]
    count = len(arrays)
    if count < 2:
        raise ValueError("numpy.linalg.multi_dot: Expecting at least two arrays.")
    if count == 2:
        return dot(arrays[0], arrays[1])
    first_vector, last_vector = ndim_of(arrays[0]) == 1, ndim_of(arrays[-1]) == 1
    if first_vector:
        arrays[0] = expand_dims(arrays[0], 0)
    if last_vector:
        arrays[-1] = expand_dims(arrays[-1], 1)
    for x in arrays:
        if ndim_of(x) != 2:
            raise np.linalg.LinAlgError(f"numpy.linalg.multi_dot: {ndim_of(x)}-dimensional array "
                                        f"given. Array must be two-dimensional")
    shapes = [np.empty(shape_of(x), np.int8) for x in arrays]  # the cost model reads shapes
    if count == 3:
        a, b, c = arrays
        (p0, p1), p2 = shape_of(a), shape_of(c)[1]
        cost_ab_c = p0 * p1 * shape_of(b)[1] + p0 * shape_of(b)[1] * p2
        cost_a_bc = p1 * shape_of(b)[1] * p2 + p0 * p1 * p2
        result = dot(dot(a, b), c) if cost_ab_c < cost_a_bc else dot(a, dot(b, c))
    else:
        order = _nplinalg._multi_dot_matrix_chain_order(shapes)

        def chain(i: int, j: int) -> Any:
            if i == j:
                return arrays[i]
            return dot(chain(i, order[i, j]), chain(order[i, j] + 1, j))
        result = chain(0, count - 1)
    if first_vector and last_vector:
        return reshape(result, ())
    if first_vector:
        return squeeze(result, 0)
    if last_vector:
        return squeeze(result, 1)
    return result


def matrix_norm(x: Any, ord: Any, axis: tuple[int, int], keepdims: bool) -> Any:
    """numpy.linalg.norm's matrix norms over ``axis`` (row axis, column axis), as NumPy
    computes them: ord 2 / -2 / 'nuc' from the singular values, 1 / -1 / inf / -inf from
    sums of magnitudes, None / 'fro' the Frobenius norm. ``x`` is float already."""
    row_axis, col_axis = (normalize_axis(a, ndim_of(x)) for a in axis)
    if row_axis == col_axis:
        raise ValueError("Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        s = _svdvals(moveaxis(x, (row_axis, col_axis), (-2, -1)))
        ret = (max_(s, axis=-1) if ord == 2 else min_(s, axis=-1) if ord == -2 else
               sum_(s, axis=-1))
    elif ord in (1, -1):
        c = col_axis - 1 if col_axis > row_axis else col_axis
        ret = (max_ if ord == 1 else min_)(sum_(absolute(x), axis=row_axis), axis=c)
    elif ord in (np.inf, -np.inf):
        r = row_axis - 1 if row_axis > col_axis else row_axis
        ret = (max_ if ord == np.inf else min_)(sum_(absolute(x), axis=col_axis), axis=r)
    elif ord in (None, "fro", "f"):
        ret = sqrt(sum_(multiply(x, x), axis=(row_axis, col_axis)))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        shape = list(shape_of(x))
        shape[row_axis] = shape[col_axis] = 1
        ret = reshape(ret, tuple(shape))
    return ret


def polyfit(x: Any, y: Any, deg: Any, rcond: Any = None, full: bool = False, w: Any = None,
            cov: Any = False) -> Any:
    """numpy.polyfit as NumPy computes it: the Vandermonde matrix (powers by repeated
    products), columns scaled to unit norm, lstsq, coefficients unscaled. ``deg`` is fixed;
    ``full=True`` returns (c, residuals, rank, s, rcond). No RankWarning: whether an example
    is rank-deficient is a fact about its values, which a traced function cannot warn on."""
    if cov is not False:
        raise NotImplementedError("gvmap supports numpy.polyfit(..., cov=False) only: compute the "
                                  "covariance from the residuals of full=True per example")
    try:
        order = operator.index(deg) + 1
    except TypeError:
        raise TypeError("numpy.polyfit: deg must be a fixed Python int") from None
    x = _float(x, "polyfit") if dtype_of(as_operand(x)).kind not in "f" else as_operand(x)
    y = _float(y, "polyfit") if dtype_of(as_operand(y)).kind not in "f" else as_operand(y)
    if order < 1:
        raise ValueError("expected deg >= 0")
    if ndim_of(x) != 1:
        raise TypeError("expected 1D vector for x")
    if shape_of(x)[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if ndim_of(y) < 1 or ndim_of(y) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if shape_of(x)[0] != shape_of(y)[0]:
        raise TypeError("expected x and y to have same length")
    dtype = dtype_of(x)
    if rcond is None:
        rcond = shape_of(x)[0] * np.finfo(dtype).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = operand(w, "polyfit") + 0.0
        if ndim_of(w) != 1:
            raise TypeError("expected a 1-d array for weights")
        if shape_of(w)[0] != shape_of(y)[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * expand_dims(w, 1)
        rhs = rhs * expand_dims(w, 1) if ndim_of(rhs) == 2 else rhs * w
    scale = sqrt(sum_(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = _matT(_matT(c) / scale) if ndim_of(c) == 2 else c / scale
    if full:
        return c, resids, rank, s, rcond
    return c
