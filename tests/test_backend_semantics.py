"""One meaning per primitive, whatever the backend and whether fused or not.

``implementations.CUPY_AUDIT`` records, for every primitive, whether CuPy's function
computes what NumPy's does (read from CuPy's source). Elementwise primitives whose CuPy
ufunc differs run as gvmap's generated kernel even alone in their region, so the CuPy plan
shows a kernel for a lone ``//``; the numpy-fused backend runs that same plan on NumPy and
must still equal the loop oracle. (The kernels' C is checked against NumPy bit for bit on
the host in test_codegen.py.)
"""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap import primitives as P
from gvmap.implementations import CUPY_AUDIT, first_nan_wins, runs_as_kernel
from oracle import assert_tree_close, oracle
from test_edge_values import assert_signbits_equal

ALL_PRIMITIVES = (P.ELEMENTWISE | P.REDUCTIONS | P.CONTRACTIONS | P.STRUCTURAL)
KINDS = {"same", "kernel", "rule", "checked", "differs"}
ROUTED = sorted((p for p in P.ELEMENTWISE if runs_as_kernel(p)), key=str)
LONE = {P.floor_div_p: lambda a, b: a // b, P.rem_p: lambda a, b: a % b,
        P.divmod_p: np.divmod, P.max_p: np.maximum, P.min_p: np.minimum, P.fmod_p: np.fmod,
        P.shift_left_p: lambda a, b: a << b, P.shift_right_p: lambda a, b: a >> b,
        P.gcd_p: np.gcd, P.lcm_p: np.lcm}
# NumPy has no float loop for them
INTEGER_ONLY = {P.shift_left_p, P.shift_right_p, P.gcd_p, P.lcm_p}


def _dtypes(prim: P.Primitive, dtypes: list) -> list:
    return [d for d in dtypes if prim not in INTEGER_ONLY or np.dtype(d).kind in "iu"]


def test_every_primitive_has_an_audited_cupy_verdict():
    missing = sorted(map(str, ALL_PRIMITIVES - set(CUPY_AUDIT)))
    assert not missing, f"primitives without a CuPy verdict in implementations.CUPY_AUDIT: {missing}"
    for prim, verdict in CUPY_AUDIT.items():
        assert verdict.kind in KINDS, (prim, verdict.kind)
        assert verdict.reason and "\n" not in verdict.reason, prim
    # only elementwise primitives can be rendered as a kernel of their own
    assert {p for p, v in CUPY_AUDIT.items() if v.kind == "kernel"} <= P.ELEMENTWISE


def test_the_routed_primitives_are_the_audited_ones():
    assert set(ROUTED) == {P.floor_div_p, P.rem_p, P.divmod_p, P.max_p, P.min_p, P.fmod_p,
                           P.shift_left_p, P.shift_right_p, P.gcd_p, P.lcm_p}
    assert set(ROUTED) == set(LONE)


@pytest.mark.parametrize("prim,dtype", [(p, d) for p in ROUTED for d in _dtypes(
    p, [np.float32, np.float64, np.int32, np.uint8])], ids=lambda v: str(v) if isinstance(
    v, P.Primitive) else np.dtype(v).name)
def test_a_lone_routed_primitive_is_a_generated_kernel_on_cupy(prim, dtype):
    x = np.arange(1, 7, dtype=dtype).reshape(2, 3)
    text = gvmap.vmap(LONE[prim]).lower(x, x, backend="cupy").as_text()
    assert text.splitlines()[0] == "plan for cupy: 1 launch", text
    assert f"fused[{prim}]" in text and f"cupy.ElementwiseKernel gvmap_{prim}" in text, text
    fused_text = gvmap.vmap(LONE[prim]).lower(x, x, backend="numpy-fused").as_text()
    assert f"fused[{prim}]" in fused_text, fused_text  # the emulation runs the same plan
    numpy_text = gvmap.vmap(LONE[prim]).lower(x, x, backend="numpy").as_text()
    assert "fused" not in numpy_text, numpy_text


def test_a_lone_primitive_cupy_agrees_on_stays_a_cupy_call():
    x = np.ones((2, 3), np.float32)
    text = gvmap.vmap(lambda a, b: a + b).lower(x, x, backend="cupy").as_text()
    assert "cupy.add" in text and "fused" not in text, text


@pytest.mark.parametrize("prim", ROUTED, ids=str)
def test_routed_kernels_compile_with_nvrtc(prim):
    from gvmap.codegen import compile_cuda, nvrtc_unavailable_reason

    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC unavailable: {reason}")
    for dtype in _dtypes(prim, [np.float32, np.float64, np.int64]):
        x = np.ones((2, 3), dtype)
        for name, source in gvmap.vmap(LONE[prim]).lower(x, x, backend="cupy").kernels.items():
            assert f".entry {name}(" in compile_cuda(source, f"{name}.cu")


FLOAT_EDGES = np.array([1.0, 1.0, 1.0, -1.0, -0.0, 0.0, -0.0, np.nan, 2.0, 5.0, -7.5, np.inf])
DIVISORS = np.array([0.1, np.inf, -np.inf, np.inf, 1.0, -0.0, 0.0, 3.0, np.nan, -1.0, 2.0, 2.0])


@pytest.mark.parametrize("prim", [p for p in ROUTED if p not in INTEGER_ONLY], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lone_routed_primitives_match_numpy_at_the_edges(backend, prim, dtype):
    """``1.0 // 0.1 == 9.0``, ``1.0 % 0.1 == 0.09999999999999995``, ``1.0 % inf == 1.0``,
    ``-0.0 // 1 == -0.0``, NaN operands, and max/min ties of +0.0 and -0.0 (the second)."""
    a = np.stack([FLOAT_EDGES, DIVISORS]).astype(dtype)
    b = np.stack([DIVISORS, FLOAT_EDGES]).astype(dtype)
    with np.errstate(all="ignore"):
        expected = oracle(LONE[prim])(a, b)
        got = gvmap.vmap(LONE[prim])(a, b)
    assert_tree_close(got, expected)
    assert_signbits_equal(gvmap.device_get(got), expected)


@pytest.mark.parametrize("prim", ROUTED, ids=str)
def test_lone_routed_primitives_match_numpy_on_integers(backend, prim):
    info = np.iinfo(np.int32)
    a = np.array([[7, -7, 7, -7, 0, info.min, info.min, 5], [3, 2, -1, 0, -4, 1, -7, 9]], np.int32)
    b = np.array([[2, 2, -2, -2, 0, -1, 0, 0], [3, -2, 5, 1, 1, info.max, info.min, -9]], np.int32)
    with np.errstate(all="ignore"):
        assert_tree_close(gvmap.vmap(LONE[prim])(a, b), oracle(LONE[prim])(a, b))


# ---------------------------------------------------------------- argmax / argmin with NaNs

def _last_nan_or(fn):
    """A stand-in for CuPy's argmax: the LAST NaN's index where the axis has NaNs (one of
    the answers CuPy's reduction tree can give), else ``fn``'s."""
    def wrong(x, axis):
        nan = np.isnan(x)
        last = x.shape[axis] - 1 - np.argmax(np.flip(nan, axis), axis=axis)
        return np.where(nan.any(axis=axis), last, fn(x, axis=axis))
    return wrong


@pytest.mark.parametrize("fn", [np.argmax, np.argmin], ids=["argmax", "argmin"])
@pytest.mark.parametrize("axis", [0, 1])
def test_first_nan_wins_corrects_a_reduction_that_picks_another_nan(fn, axis):
    x = np.array([[1.0, np.nan, 3.0, np.nan, 0.0],
                  [np.nan, 2.0, np.nan, -1.0, np.nan],
                  [4.0, 4.0, -2.0, -2.0, 0.0],
                  [np.nan, np.nan, np.nan, np.nan, np.nan]])
    x = x if axis == 1 else x.T.copy()
    wrong = _last_nan_or(fn)
    assert not np.array_equal(wrong(x, axis), fn(x, axis=axis))  # the stand-in does differ
    got = first_nan_wins(np, wrong, axis, np.int64)(x)
    np.testing.assert_array_equal(got, fn(x, axis=axis))
    assert got.dtype == np.int64


def test_argmax_with_several_nans_matches_numpy(backend):
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan, 2.0, np.nan, 5.0], [0.0, -0.0, 0.0, -1.0]],
                 np.float32)
    f = lambda v: (np.argmax(v), np.argmin(v))
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


@pytest.mark.parametrize("prim", ROUTED, ids=str)
def test_routed_kernels_compile_in_cupys_own_templates(prim):
    """A lone ``max`` is the kernel ``gvmap_max``, beside the C helper ``gvmap_max<T>`` it
    calls: CuPy's ElementwiseKernel wrapper must compile with both names."""
    from test_cupy_codegen import assert_compiles, cupy_sources, plan_kernels

    sources = []
    for dtype in _dtypes(prim, [np.float32, np.float64, np.int64, np.uint8]):
        x = np.ones((2, 3), dtype)
        for ks in plan_kernels(gvmap.vmap(LONE[prim]).lower(x, x, backend="cupy")):
            sources += cupy_sources(ks, f"lone {prim} of {np.dtype(dtype)}")
    assert_compiles(sources)


# ---------------------------------------------------------------- CuPy rules run on NumPy
# spacing (CuPy has none), frexp (CUDA leaves inf's and NaN's exponent open) and ldexp
# (CuPy's int64 loop wraps a huge exponent) have rules composing NumPy's result from CuPy
# calls. Run on NumPy's functions under another module's name (so the rules take their
# CuPy branch), they must give NumPy's own results, bit for bit, NaN payloads aside.

class _NumpyAsCupy:
    """NumPy's functions, as an array module that is not ``numpy`` itself."""

    def __getattr__(self, name):
        return getattr(np, name)


class _WrongExponents(_NumpyAsCupy):
    """frexp as CUDA may give it (an exponent left open at inf and NaN), and ldexp as
    CuPy's int64 loop gives it (C's conversion to int wraps the exponent)."""

    @staticmethod
    def frexp(x):
        mantissa, exponent = np.frexp(x)
        return mantissa, np.where(np.isfinite(x), exponent, np.int32(-77))

    @staticmethod
    def ldexp(x, e):
        return np.ldexp(x, np.asarray(e).astype(np.int64).astype(np.int32))


def _same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        assert ((got == want) & (np.signbit(got) == np.signbit(want))
                | np.isnan(got) & np.isnan(want)).all(), (got, want)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_the_cupy_rules_of_spacing_frexp_ldexp_give_numpys_results(dtype):
    from gvmap.graph import AbstractArray
    from gvmap.implementations import make_impl

    info = np.finfo(dtype)
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5, info.max, -info.max, info.tiny,
                  info.smallest_subnormal, -3 * info.smallest_subnormal, 1e-3], dtype)
    e = np.array([0, 1, -1, 2**31, -2**31 - 1, 2**32 + 1, -(2**32) - 1, 2**62, -2**63, 5, -20,
                  3000, -3000], np.int64)
    aval, eaval = AbstractArray(x.shape, x.dtype), AbstractArray(e.shape, e.dtype)
    wrong = _WrongExponents()
    assert not np.array_equal(wrong.frexp(x)[1], np.frexp(x)[1])   # the stand-ins do differ
    with np.errstate(all="ignore"):
        assert not np.array_equal(wrong.ldexp(x, e), np.ldexp(x, e), equal_nan=True)
        _same_bits(make_impl(P.spacing_p, _NumpyAsCupy(), [aval], {})(x), np.spacing(x))
        for got, want in zip(make_impl(P.frexp_p, wrong, [aval], {})(x), np.frexp(x)):
            _same_bits(got, want)
        _same_bits(make_impl(P.ldexp_p, wrong, [aval, eaval], {})(x, e), np.ldexp(x, e))
