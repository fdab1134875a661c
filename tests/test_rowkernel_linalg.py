"""Row kernels of tiny per-example linear algebra (gvmap/codegen/rowlinalg.py): the
generated routines compile with NVRTC, keep their matrices in registers, compute what
NumPy computes (host-run with nvcc, as tests/test_rowkernel.py runs the other rules:
random well-conditioned matrices, ties for the pivot and for the eigenvector sign, exactly
singular and indefinite examples), flag failures in the error buffer so that the launcher
raises the batched path's LinAlgError, and plans pick them for small n only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import gvmap
from gvmap.codegen import compile_cuda, nvrtc_unavailable_reason
from gvmap.codegen.rowkernel import render_row_kernel, row_kernel_unsupported_reason
from gvmap.errors import LinAlgError
from gvmap.linalg_impl import normalize_signs
from host_build import nvcc_or_skip
from oracle import assert_tree_close, oracle
from test_rowkernel import HOST_HEADER, _host_runner, run_on_host

N = 6  # examples per case


@dataclass(frozen=True)
class LCase:
    """``fn`` per example on ``examples(rng)`` (all batched); ``reference`` is the NumPy
    result of one example where it differs from ``fn`` (eigenvectors under gvmap's sign
    rule); ``failing``: the examples NumPy raises for (only the others are compared)."""

    name: str
    fn: Callable
    examples: Callable[[np.random.Generator], list]
    reference: Callable | None = None
    failing: tuple[int, ...] = ()


def _well(rng, n, dtype=np.float64, count=N):
    """Well-conditioned (the identity's multiple dominates) general matrices."""
    return (rng.standard_normal((count, n, n)) + 2 * n * np.eye(n)).astype(dtype)


def _spd(rng, n, dtype=np.float64, count=N):
    x = rng.standard_normal((count, n, n))
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(dtype)


# |column 0| ties (1, -1, 1): the first row is the pivot, as LAPACK's idamax picks; after
# it, column 1 ties again (2, -2)
TIES = np.array([[1.0, 1.0, 2.0], [-1.0, 1.0, 0.5], [1.0, 3.0, -1.0]])
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # an exact zero pivot


def _with(a, at, m):
    a = a.copy()
    for i in at:
        a[i] = m
    return a


def _dup_row(a, i):
    """Example i gets row 2 = row 0: LU meets an exactly zero pivot, in NumPy's LAPACK too."""
    a = a.copy()
    a[i, 2] = a[i, 0]
    return a


def _eigh_signed(uplo="L"):
    def ref(a):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        return w, v * normalize_signs(np, v)
    return ref


def _nonsymmetric(rng, n, count=N):
    """The triangles differ: the UPLO triangle NumPy reads decides the result."""
    return _spd(rng, n, count=count) + np.triu(rng.standard_normal((count, n, n)), 1)


CASES = [
    LCase("solve_f64_3_vector_ties", lambda a, b: np.linalg.solve(a, b),
          lambda rng: [_with(_well(rng, 3), [2], TIES), rng.standard_normal((N, 3))]),
    LCase("solve_f32_4_matrix_rhs", lambda a, b: np.linalg.solve(a, b),
          lambda rng: [_well(rng, 4, np.float32), rng.standard_normal((N, 4, 2)).astype(np.float32)]),
    LCase("solve_singular", lambda a, b: np.linalg.solve(a, b),
          lambda rng: [_with(_well(rng, 3), [1, 4], SINGULAR), rng.standard_normal((N, 3))],
          failing=(1, 4)),
    LCase("inv_1_2_8_ties", lambda a1, a2, a8, t: (np.linalg.inv(a1), np.linalg.inv(a2),
                                                   np.linalg.inv(a8), np.linalg.inv(t)),
          lambda rng: [_well(rng, 1), _well(rng, 2, np.float32), _well(rng, 8),
                       np.broadcast_to(TIES, (N, 3, 3)).copy()]),
    LCase("inv_stack_singular", np.linalg.inv,
          lambda rng: [_with(_with(_well(rng, 3, count=N * 2).reshape(N, 2, 3, 3), [(3, 1)], SINGULAR),
                             [(5, 0)], SINGULAR)], failing=(3, 5)),
    LCase("det_slogdet_f64_5_singular",
          lambda a: (np.linalg.det(a), *np.linalg.slogdet(a), np.linalg.det(-a[:3, :3])),
          lambda rng: [_dup_row(_well(rng, 5) - 8 * np.eye(5), 2)]),
    LCase("det_slogdet_f32_ties", lambda a, t: (np.linalg.det(a), *np.linalg.slogdet(a),
                                                np.linalg.det(t), *np.linalg.slogdet(t)),
          lambda rng: [_well(rng, 3, np.float32) - 6 * np.eye(3, dtype=np.float32),
                       np.stack([TIES, SINGULAR, -TIES, TIES.T, SINGULAR.T, 2 * TIES]).astype(np.float32)]),
    LCase("cholesky_f64_4_lower_read", np.linalg.cholesky,
          lambda rng: [_nonsymmetric(rng, 4)]),
    LCase("cholesky_f32_3", lambda a: np.linalg.cholesky(a, upper=True),
          lambda rng: [_spd(rng, 3, np.float32)]),
    LCase("cholesky_indefinite", np.linalg.cholesky,
          lambda rng: [_with(_spd(rng, 4), [2, 3], np.diag([1.0, -1.0, 2.0, 3.0]))], failing=(2, 3)),
    LCase("eigh_f64_4_lower", lambda a: tuple(np.linalg.eigh(a)), lambda rng: [_nonsymmetric(rng, 4)],
          reference=_eigh_signed("L")),
    LCase("eigh_f64_3_upper", lambda a: tuple(np.linalg.eigh(a, UPLO="U")),
          lambda rng: [_nonsymmetric(rng, 3)], reference=_eigh_signed("U")),
    LCase("eigh_f32_4", lambda a: tuple(np.linalg.eigh(a)), lambda rng: [_spd(rng, 4, np.float32)],
          reference=_eigh_signed()),
    # eigenvectors (1, 1) / sqrt 2 and (1, -1) / sqrt 2: the sign rule's tie, the first entry
    LCase("eigh_2_sign_ties_and_1", lambda a, b: (*np.linalg.eigh(a), *np.linalg.eigh(b)),
          lambda rng: [np.broadcast_to(np.array([[2.0, 1.0], [1.0, 2.0]]), (N, 2, 2)) * np.arange(1, N + 1)[:, None, None],
                       _spd(rng, 1)],
          reference=lambda a, b: (*_eigh_signed()(a), *_eigh_signed()(b))),
    LCase("eigvalsh_f32_3_both_triangles",
          lambda a: (np.linalg.eigvalsh(a), np.linalg.eigvalsh(a, UPLO="U")),
          lambda rng: [_nonsymmetric(rng, 3).astype(np.float32)]),
]
CASE_IDS = [c.name for c in CASES]


def _graph(case: LCase):
    first = [x[0] for x in case.examples(np.random.default_rng(1))]
    return gvmap.make_graph(case.fn)(*first)


RENDERED = {c.name: render_row_kernel(_graph(c)) for c in CASES}


def _distinct_sources() -> list[str]:
    """Each kernel once (cases of the same graph, e.g. with and without a failing example,
    share one kernel and its name)."""
    return list({k.name: k.source for k in RENDERED.values()}.values())


# ---------------------------------------------------------------- NVRTC

@pytest.fixture(scope="module")
def nvrtc():
    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC not available, row-kernel compile checks skipped: {reason}")


@pytest.mark.parametrize("std", ["--std=c++11", "--std=c++17"])
def test_every_case_compiles_with_nvrtc(nvrtc, std):
    """All cases in one translation unit (the routines' text is include-guarded)."""
    compile_cuda("\n".join(_distinct_sources()), name="gvmap_rowlinalg.cu",
                 options=(std, "-arch=compute_90"))


@pytest.mark.parametrize("name", ["solve_f64_3_vector_ties", "inv_1_2_8_ties",
                                  "det_slogdet_f64_5_singular", "cholesky_f64_4_lower_read",
                                  "eigh_f64_4_lower", "eigh_f32_4"])
def test_matrices_stay_in_registers(nvrtc, name):
    """Pivoting swaps constant-indexed entries under a predicate and every loop has a static
    trip count, so no matrix is indexed at run time: no local memory."""
    ptx = compile_cuda(RENDERED[name].source, name=f"{name}.cu")
    assert ".local" not in ptx, f"the {name} row kernel uses local memory"


# ---------------------------------------------------------------- host semantics with nvcc

@pytest.fixture(scope="module")
def host_results(tmp_path_factory):
    nvcc = nvcc_or_skip("host semantics of the linalg row kernels")
    tmp = tmp_path_factory.mktemp("rowlinalg")
    parts, inputs = [HOST_HEADER, *_distinct_sources()], {}
    for n, case in enumerate(CASES):
        k = RENDERED[case.name]
        examples = case.examples(np.random.default_rng(200 + n))
        inputs[case.name] = examples
        assert not k.consts, case.name
        for j, (x, aval) in enumerate(zip(examples, k.inputs)):
            assert x.dtype == aval.dtype and x.shape[1:] == aval.shape, (case.name, j)
            np.ascontiguousarray(x).tofile(tmp / f"case{n}_x{j}.bin")
            (tmp / f"case{n}_x{j}.stride").write_text(str(aval.size))
        parts.append(_host_runner(k, n))
    return run_on_host(nvcc, tmp, "rowlinalg", parts, CASES, RENDERED, inputs, examples=N)


def _assert_close(got, expected, msg):
    """The issue's tolerance: rtol 1e-5 (f32) / 1e-10 (f64), relative to each output's
    scale for entries near zero; infinities and NaNs (slogdet of a singular matrix) equal."""
    rtol = 1e-5 if got.dtype == np.float32 else 1e-10
    expected = expected.astype(got.dtype)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(got[~finite], expected[~finite], err_msg=msg)
    scale = np.abs(expected[finite]).max(initial=0.0)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=rtol, atol=rtol * scale,
                               err_msg=msg)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_row_function_matches_numpy(host_results, case):
    examples, got, errors = host_results[case.name]
    reference = case.reference or case.fn
    for i in range(N):
        if i in case.failing:
            continue
        expected = reference(*[x[i] for x in examples])
        expected = expected if isinstance(expected, tuple) else (expected,)
        assert len(expected) == len(got)
        for j, (g, e) in enumerate(zip(got, expected)):
            _assert_close(g[i], np.asarray(e), f"{case.name}, example {i}, output {j}")
    if errors is not None and not case.failing:  # nothing flagged
        np.testing.assert_array_equal(errors, RENDERED[case.name].error_buffer())


def test_singular_det_is_numpys_zero_and_slogdet_zero_minus_inf(host_results):
    """An exactly zero pivot: NumPy's (0, -inf) and det 0, not a product of rounding."""
    _, (det, sign, logdet, _), _ = host_results["det_slogdet_f64_5_singular"]
    assert det[2] == 0 and sign[2] == 0 and logdet[2] == -np.inf
    _, (_, _, _, det_t, sign_t, logdet_t), _ = host_results["det_slogdet_f32_ties"]
    assert (det_t[[1, 4]] == 0).all() and (sign_t[[1, 4]] == 0).all() and (logdet_t[[1, 4]] == -np.inf).all()


@pytest.mark.parametrize("case", [c for c in CASES if c.failing], ids=[c.name for c in CASES if c.failing])
def test_failures_are_flagged_and_raise_the_batched_error(host_results, case):
    """The error slot holds the lowest and highest failing matrix's flat index; the launcher
    raises the LinAlgError the batched plan raises: same example, same matrix, same words."""
    examples, _, errors = host_results[case.name]
    k = RENDERED[case.name]
    with pytest.raises(np.linalg.LinAlgError):
        oracle(case.fn)(*examples)
    with gvmap.backend("numpy"):
        with pytest.raises(LinAlgError) as batched:
            gvmap.vmap(case.fn)(*examples)
    per_example = int(np.prod(k.inputs[0].shape[:-2]))
    flagged = [i * per_example + s for i in case.failing for s in range(per_example)
               if _fails(case.fn, [x[i] for x in examples], s)]
    np.testing.assert_array_equal(errors, [min(flagged), max(flagged)])
    with pytest.raises(LinAlgError) as raised:
        k.raise_errors(errors)
    assert str(raised.value) == str(batched.value)
    assert (raised.value.example, raised.value.matrix) == (batched.value.example, batched.value.matrix)


def _fails(fn, args, s):
    """Whether matrix s of this example's stack makes NumPy raise."""
    stack = args[0].shape[:-2]
    pick = [a.reshape((-1,) + a.shape[len(stack):])[s] if stack else a for a in args]
    try:
        fn(*pick)
    except np.linalg.LinAlgError:
        return True
    return False


def test_inner_vmap_levels_are_part_of_the_example():
    """A per-example graph of vmap(inv) (batch_dims=1): matrix (3, 1) of the flat batch is
    example (3, 1), as the batched path names it."""
    a = _well(np.random.default_rng(0), 3, count=N * 2).reshape(N, 2, 3, 3)
    k = render_row_kernel(gvmap.make_graph(gvmap.vmap(np.linalg.inv))(a[0]))
    flat = 3 * 2 + 1
    with pytest.raises(LinAlgError) as raised:
        k.raise_errors(np.array([flat, flat]))
    a[3, 1] = SINGULAR
    with gvmap.backend("numpy"), pytest.raises(LinAlgError) as batched:
        gvmap.vmap(gvmap.vmap(np.linalg.inv))(a)
    assert raised.value.example == batched.value.example == (3, 1)
    assert str(raised.value) == str(batched.value)


# ---------------------------------------------------------------- plans

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_row_plans_give_the_loops_result(case, monkeypatch):
    """numpy-fused emulates the row plan: the loop's result, or the batched path's error."""
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    examples = case.examples(np.random.default_rng(7))
    with gvmap.backend("numpy-fused"):
        f = gvmap.vmap(case.fn)
        assert "row kernel" in f.lower(*examples).as_text()
        if case.failing:
            with pytest.raises(LinAlgError) as info:
                f(*examples)
            assert info.value.example == (case.failing[0],)
            return
        assert_tree_close(f(*examples), oracle(case.reference or case.fn)(*examples))


@pytest.mark.parametrize("fn,a,limit", [
    (np.linalg.inv, np.eye(9), "n <= 8"),
    (lambda m: np.linalg.solve(m, np.ones((3, 9))), np.eye(3), "at most 8 right-hand sides"),
    (np.linalg.det, np.eye(9), "n <= 8"),
    (np.linalg.cholesky, np.eye(9), "n <= 8"),
    (lambda m: np.linalg.eigh(m)[0], np.diag([1.0, 2, 3, 4, 5]), "n <= 4"),
    (np.linalg.eigvalsh, np.diag([1.0, 2, 3, 4, 5]), "n <= 4"),
    (np.linalg.det, np.eye(0), "0x0"),
    (lambda m: np.abs(np.linalg.qr(m)[1]), np.eye(3), "no per-thread routine"),
], ids=["inv9", "solve_rhs9", "det9", "cholesky9", "eigh5", "eigvalsh5", "det0", "qr"])
def test_larger_matrices_keep_the_batched_plan(fn, a, limit, monkeypatch):
    assert limit in row_kernel_unsupported_reason(gvmap.make_graph(fn)(a))
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    batch = np.stack([a + 0.5 * np.eye(len(a))] * 3)
    with gvmap.backend("numpy-fused"):
        f = gvmap.vmap(fn)
        assert "row kernel" not in f.lower(batch).as_text()
        assert_tree_close(f(batch), oracle(fn)(batch))


# ---------------------------------------------------------------- the launcher

def test_cupy_launcher_raises_the_linalg_error_its_buffer_holds():
    """The CuPy launcher (driven by tests/test_cupy_launcher.py's stand-in, no GPU) reads
    the error buffer after the launch: example 4 failed first (its thread wrote 4 and 5)."""
    from test_cupy_launcher import _backend

    kernel = RENDERED["solve_singular"]

    def on_launch(args):
        args[-2][:] = [4, 5]  # ..., outputs, error, n

    launch = _backend(on_launch).build_row_kernel(kernel, [])
    a, b = np.zeros((6, 3, 3)), np.zeros((6, 3))
    with pytest.raises(LinAlgError, match=r"numpy\.linalg\.solve: Singular matrix in example 4\b") as info:
        launch([(a, 9), (b, 3)], 6)
    assert (info.value.example, info.value.matrix) == ((4,), ())
    ok = _backend(lambda args: None).build_row_kernel(kernel, [])
    assert ok([(a, 9), (b, 3)], 6)[0].shape == (6, 3)


def test_the_first_check_in_program_order_raises():
    """A gather before a failing cholesky: both flagged, the gather's IndexError raises, as
    the batched plan meets it first; flagged alone, the cholesky's LinAlgError."""
    k = render_row_kernel(gvmap.make_graph(lambda a, i: np.linalg.cholesky(a[i]))(
        np.zeros((2, 3, 3)), np.int64(0)))
    assert k.index_checks == (2,) and k.takes_example and len(k.checks) == 2
    empty = k.error_buffer()
    with pytest.raises(IndexError):
        k.raise_errors(np.array([5, 5, 3, 3]))
    with pytest.raises(LinAlgError, match=r"not positive definite in example 3\b"):
        k.raise_errors(np.concatenate([empty[:2], [3, 8]]))
    k.raise_errors(empty)  # nothing flagged: nothing raised
