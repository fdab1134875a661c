"""np.linalg per example beyond the sample table: the error rule (a LinAlgError naming the
first failing example, on every backend, CuPy's unchecked routines included), the sign
rule for eigenvectors, singular vectors and QR (gvmap/linalg_impl.py), one library call per
batch, and the refusals of unsupported options."""
from __future__ import annotations

import contextlib
import sys
import types

import numpy as np
import pytest

import gvmap
from gvmap.errors import LinAlgError
from gvmap.implementations import make_impl
from gvmap import primitives as P
from gvmap.graph import AbstractArray
from gvmap.linalg_impl import SIGN_TIE, normalize_signs
from oracle import assert_tree_close, oracle


def _good(n: int = 7, size: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.RandomState(seed)
    a = rng.randn(n, size, size)
    return a @ a.transpose(0, 2, 1) + size * np.eye(size)  # SPD: every routine succeeds


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # an exact zero pivot
INDEFINITE = np.diag([1.0, -1.0, 2.0])


@pytest.mark.parametrize("fn,bad,routine", [
    (np.linalg.solve, SINGULAR, "solve"), (np.linalg.inv, SINGULAR, "inv"),
    (np.linalg.cholesky, INDEFINITE, "cholesky"),
    (lambda a: np.linalg.svd(a)[1], np.full((3, 3), np.nan), "svd")], ids=["solve", "inv", "cholesky", "svd"])
def test_failing_example_is_named(backend, fn, bad, routine):
    a = _good(9)
    a[4] = bad
    a[6] = bad  # the FIRST failing example is named
    args = (a, np.ones((9, 3))) if routine == "solve" else (a,)
    with pytest.raises(np.linalg.LinAlgError):
        oracle(fn)(*args)  # the loop raises NumPy's error
    with pytest.raises(LinAlgError, match=rf"numpy\.linalg\.{routine}: .* in example 4\b") as info:
        gvmap.vmap(fn)(*args)
    assert info.value.example == (4,) and info.value.matrix == ()
    assert isinstance(info.value, np.linalg.LinAlgError)


def test_failing_example_along_another_axis_in_a_chunk_and_nested(backend):
    a = _good(10)
    a[7] = SINGULAR
    with pytest.raises(LinAlgError, match=r"in example 7\b"):
        gvmap.vmap(np.linalg.inv, in_axes=2)(np.moveaxis(a, 0, 2))
    with pytest.raises(LinAlgError, match=r"in example 7\b"):  # chunks of 3: 7 is chunk 2's 1
        gvmap.vmap(np.linalg.inv, chunk_size=3)(a)
    nested = a.reshape(5, 2, 3, 3)  # example 7 is (3, 1)
    with pytest.raises(LinAlgError) as info:
        gvmap.vmap(gvmap.vmap(np.linalg.inv))(nested)
    assert info.value.example == (3, 1)
    with pytest.raises(LinAlgError) as info:  # a per-example stack: the matrix within it
        gvmap.vmap(np.linalg.inv)(nested)
    assert (info.value.example, info.value.matrix) == ((3,), (1,))


def test_det_and_slogdet_of_a_singular_example_do_not_raise(backend):
    a = _good(4)
    a[2] = SINGULAR
    f = lambda m: (np.linalg.det(m), tuple(np.linalg.slogdet(m)))
    assert_tree_close(gvmap.vmap(f)(a), oracle(f)(a))


def _fake_cupy_linalg(calls: list) -> tuple[types.ModuleType, types.ModuleType]:
    """NumPy standing in for CuPy as CuPy behaves: no error for a singular matrix unless
    ``cupyx.errstate(linalg="raise")`` is active (then the info array is read)."""
    state = {"raise": False}

    def unchecked(fn):
        def run(*args, **kwargs):
            calls.append(fn.__name__)
            try:
                return fn(*args, **kwargs)
            except np.linalg.LinAlgError:
                if state["raise"]:
                    raise np.linalg.LinAlgError("Error reported by getrfBatched in cuBLAS")
                return np.full(np.broadcast_shapes(*[np.shape(x) for x in args]) if fn is not
                               np.linalg.inv else np.shape(args[0]), np.nan)
        return run

    linalg = types.SimpleNamespace(solve=unchecked(np.linalg.solve), inv=unchecked(np.linalg.inv),
                                   cholesky=unchecked(np.linalg.cholesky))
    xp = types.SimpleNamespace(linalg=linalg)

    @contextlib.contextmanager
    def errstate(linalg=None):
        before = state["raise"]
        state["raise"] = linalg == "raise"
        try:
            yield
        finally:
            state["raise"] = before

    return xp, types.SimpleNamespace(errstate=errstate)


def test_cupy_rule_turns_checks_on_and_names_the_example(monkeypatch):
    """The CuPy rule, driven with a stand-in: without gvmap's errstate the stand-in returns
    NaN silently, as CuPy does; the rule must raise gvmap's LinAlgError naming example 5."""
    calls: list = []
    xp, cupyx = _fake_cupy_linalg(calls)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    a = _good(8)
    a[5] = SINGULAR
    aval = AbstractArray(a.shape, a.dtype)
    run = make_impl(P.linalg_inv_p, xp, [aval], {"batch_dims": 1})
    assert np.isnan(xp.linalg.inv(a)).any()  # unchecked, the stand-in is silent
    with pytest.raises(LinAlgError, match=r"example 5\b"):
        run(a)
    assert len(calls) <= 2 + 2 * 4  # one call, the failed check, then a bisection of 8
    good = make_impl(P.linalg_inv_p, xp, [aval], {"batch_dims": 1})(_good(8))
    np.testing.assert_allclose(good, np.linalg.inv(_good(8)))


def test_cupy_svd_rule_raises_for_nan_as_numpy(monkeypatch):
    xp = types.SimpleNamespace(
        linalg=types.SimpleNamespace(svd=lambda a, full_matrices, compute_uv: np.full(a.shape[:-1], np.nan)),
        isfinite=np.isfinite, argmax=np.argmax)
    a = _good(3)
    a[1, 0, 0] = np.nan
    run = make_impl(P.linalg_svdvals_p, xp, [AbstractArray(a.shape, a.dtype)], {"batch_dims": 1})
    with pytest.raises(LinAlgError, match=r"SVD did not converge in example 1\b"):
        run(a)


# ---------------------------------------------------------------- the sign rule

def _rule_holds(v: np.ndarray) -> bool:
    mag = np.abs(v)
    top = mag.max(axis=-2, keepdims=True)
    first = np.argmax(mag >= top * (1 - SIGN_TIE), axis=-2)
    return bool((np.take_along_axis(v, first[..., None, :], axis=-2) > 0).all())


def test_sign_rule_on_every_backend(backend):
    rng = np.random.RandomState(3)
    s = _good(6, 4)
    w, v = gvmap.device_get(gvmap.vmap(np.linalg.eigh)(s))
    assert _rule_holds(v)
    w_ref, v_ref = np.linalg.eigh(s)
    np.testing.assert_allclose(w, w_ref, rtol=1e-10)
    np.testing.assert_allclose(v, v_ref * normalize_signs(np, v_ref), rtol=1e-10, atol=1e-12)

    a = rng.randn(6, 5, 3)
    u, sv, vh = gvmap.device_get(gvmap.vmap(lambda m: np.linalg.svd(m, full_matrices=False))(a))
    assert _rule_holds(u)
    np.testing.assert_allclose((u * sv[:, None, :]) @ vh, a, atol=1e-12)
    u_ref, s_ref, vh_ref = np.linalg.svd(a, full_matrices=False)
    flip = normalize_signs(np, u_ref)
    np.testing.assert_allclose(u, u_ref * flip, atol=1e-12)
    np.testing.assert_allclose(vh, vh_ref * np.swapaxes(flip, -1, -2), atol=1e-12)

    q, r = gvmap.device_get(gvmap.vmap(np.linalg.qr)(a))
    assert (np.diagonal(r, axis1=-2, axis2=-1) >= 0).all()
    np.testing.assert_allclose(q @ r, a, atol=1e-12)


def test_sign_rule_breaks_near_ties_by_position():
    """Entries within SIGN_TIE of the largest count as tied: the first is made positive, so
    rounding between two near-equal entries cannot flip the choice."""
    v = np.array([[0.7071, -0.70710678], [-0.70710678, -0.7071]]).T[None]  # columns
    flip = normalize_signs(np, v)
    assert flip.tolist() == [[[1.0, -1.0]]]


# ---------------------------------------------------------------- one call, promotion, refusals

def test_one_library_call_per_batch():
    text = gvmap.jit(gvmap.vmap(lambda a, b: np.linalg.solve(a, b))).lower(
        _good(1000), np.ones((1000, 3))).as_text()
    assert text.count("linalg.solve") == 1 and "linalg_solve[batch_dims=1]" in text, text


def test_integer_inputs_promote_as_numpy(backend):
    a = np.tile(np.array([[2, 1], [1, 3]], np.int32), (4, 1, 1))
    for fn in (np.linalg.inv, np.linalg.det, lambda m: np.linalg.solve(m, m[:, 0]),
               lambda m: np.linalg.matrix_power(m, 2), np.linalg.matrix_rank):
        assert_tree_close(gvmap.vmap(fn)(a), oracle(fn)(a))


@pytest.mark.parametrize("fn,match", [
    (lambda a: np.linalg.svd(a[:, :2]), r"full_matrices=False"),
    (lambda a: np.linalg.qr(a[:, :2], mode="complete"), r"mode='reduced'"),
    (lambda a: np.linalg.qr(a, mode="raw"), r"mode='reduced'"),
    (lambda a: np.polyfit(a[0], a[1], 1, cov=True), r"cov=False"),
    (lambda a: np.linalg.lstsq(a, a[0], rcond=a[0, 0]), r"rcond"),
], ids=["svd_full", "qr_complete", "qr_raw", "polyfit_cov", "lstsq_traced_rcond"])
def test_unsupported_options_are_refused_by_name(fn, match):
    with pytest.raises(NotImplementedError, match=match):
        gvmap.vmap(fn)(_good(2))


def test_float16_and_complex_are_refused():
    with pytest.raises(TypeError, match="float16"):
        gvmap.vmap(np.linalg.inv)(_good(2).astype(np.float16))
    with pytest.raises(TypeError, match="complex"):
        gvmap.vmap(np.linalg.inv)(_good(2).astype(np.complex128))


def test_matrix_power_needs_a_fixed_integer():
    with pytest.raises(TypeError, match="integer"):
        gvmap.vmap(lambda a: np.linalg.matrix_power(a, 1.5))(_good(2))


def _array_api_forms(m):
    """np.linalg's array-API functions: they act on the last axes."""
    return (np.linalg.matmul(m, m), np.linalg.tensordot(m, m, axes=1),
            np.linalg.outer(m[0], m[1]), np.linalg.vecdot(m, m[::-1], axis=0),
            np.linalg.matrix_transpose(m), np.linalg.trace(m, offset=1),
            np.linalg.diagonal(m, offset=-1), np.linalg.cross(m, m[::-1]),
            np.linalg.svdvals(m + 3 * np.eye(3)))


def test_numpy2_linalg_array_api_forms(plan_kind):
    """np.linalg.vecdot / matrix_transpose / trace / diagonal / cross / svdvals / outer /
    matmul / tensordot were refused (NumPy 2 added them to np.linalg); NumPy's operand
    checks raise its ValueErrors."""
    m = np.random.RandomState(3).randn(5, 3, 3)
    assert_tree_close(gvmap.vmap(_array_api_forms)(m), oracle(_array_api_forms)(m))
    for f, message in [(lambda v: np.linalg.outer(v, v[0]), "must be one-dimensional"),
                       (lambda v: np.linalg.cross(v[:, :2], v[:, :2]), "3-dimensional vectors"),
                       (lambda v: np.linalg.matrix_transpose(v[0]), "at least 2-dimensional")]:
        with pytest.raises(ValueError, match=message):
            gvmap.vmap(f)(m)


def _einsum_broadcasts(x):
    return (np.einsum("ij,ij->ij", x, x[:1]), np.einsum("...i,...i->...", x, x[:1]),
            np.einsum("ij,jk->ik", x[:, :1], np.ones((3, 4))), np.vecdot(np.zeros((2, 3)) + x, x[:1]))


def test_einsum_broadcasts_size_one_dims(plan_kind):
    """NumPy's einsum broadcasts a size-1 dim against its index's size (any index, also a
    summed one): gvmap raised "index has sizes 2 and 1" (found by a random-program hunt,
    through np.vecdot). Two sizes above 1 still raise."""
    x = np.random.RandomState(6).randn(4, 2, 3)
    assert_tree_close(gvmap.vmap(_einsum_broadcasts)(x), oracle(_einsum_broadcasts)(x))
    with pytest.raises(ValueError, match="has sizes 3 and 2"):
        gvmap.vmap(lambda v: np.einsum("ij,ij->ij", v, v[:, :2]))(x)


def float16_norms(v, m):
    return (np.linalg.norm(v), np.linalg.norm(v, 2), np.linalg.norm(m), np.linalg.norm(m, "fro"),
            np.linalg.norm(v, keepdims=True), np.linalg.norm(m, keepdims=True))


def test_norm_of_a_whole_array_is_sqrt_of_dot_as_numpy(plan_kind):
    # float16 was sqrt(sum(x * x)), each square rounded to float16, where NumPy takes
    # sqrt(x.ravel().dot(x.ravel())), rounded once: one norm in ten was an ulp apart
    r = np.random.RandomState(3)
    v = (r.randn(300, 3) * 30).astype(np.float16)
    m = (r.randn(300, 2, 3) * 30).astype(np.float16)
    expected = oracle(float16_norms)(v, m)
    for got, want in zip(gvmap.device_get(gvmap.vmap(float16_norms)(v, m)), expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_lstsq_of_a_non_finite_b_is_nan_as_numpys(plan_kind):
    # gelsd makes every x NaN when b holds an inf or NaN (np.polyfit of a series with an
    # inf); the SVD products gave inf / -inf in some places (tests/test_corpus_series.py)
    rng = np.random.RandomState(5)
    X = rng.randn(8, 3)
    y = rng.randn(4, 8)
    y[0, 2], y[1, 5] = np.inf, np.nan
    t = np.linspace(0, 1, 8)
    fs = [lambda y: np.linalg.lstsq(X, y, rcond=None)[0], lambda y: np.polyfit(t, y, 2),
          lambda y: np.linalg.lstsq(X, np.stack([y, -y], 1), rcond=None)[0],
          lambda y, X: np.linalg.lstsq(X, y, rcond=None)[0]]
    with np.errstate(all="ignore"):
        for f in fs[:3]:
            assert_tree_close(gvmap.vmap(f)(y), oracle(f, 0, 0)(y))
        Xs = np.stack([X] * 4)
        assert_tree_close(gvmap.vmap(fs[3])(y, Xs), oracle(fs[3], 0, 0)(y, Xs))


def test_lstsq_and_polyfit_of_a_non_finite_a_raise_as_numpys(backend):
    """NumPy's gelsd fails for an inf or NaN in a (LinAlgError 'SVD did not converge in
    Linear Least Squares'), where gvmap's SVD-based lstsq gave NaN silently."""
    rng = np.random.RandomState(6)
    X, y = rng.randn(4, 6, 2), rng.randn(4, 6)
    X[2, 3, 1] = np.inf
    with pytest.raises(LinAlgError, match=r"lstsq: SVD did not converge in Linear Least "
                       r"Squares in example 2.*np\.nan_to_num") as info:
        gvmap.vmap(lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0])(X, y)
    assert isinstance(info.value, np.linalg.LinAlgError) and info.value.example == (2,)
    t = np.stack([np.linspace(0.0, 1.0, 6)] * 4)
    t[1, 2] = np.nan
    with pytest.raises(np.linalg.LinAlgError, match="in example 1"):
        gvmap.vmap(lambda x, v: np.polyfit(x, v, 1))(t, y)
