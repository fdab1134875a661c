"""The scatter primitive (index updates at traced indices): NumPy's meaning on every backend
and plan kind, its cost (no index-by-position comparison), its batching (one scatter per
batch), and the CuPy kernel checked without a GPU (NVRTC compiles it, nvcc runs its body on
the host against NumPy). The sample rows in test_primitives.py cover every in_axes
placement and batch sizes 0, 1 and 7; test_updates.py the NumPy semantics of the paths."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import gvmap
from gvmap import primitives as P
from gvmap.codegen import compile_cuda, nvrtc_unavailable_reason
from gvmap.codegen.cuda import c_literal, c_type
from gvmap.codegen.scatter import (SCATTER_PREAMBLE, scatter_operation, scatter_translation_unit,
                                   scatter_work_dtype)
from gvmap.graph import AbstractArray
from gvmap.implementations import make_impl
from host_build import build_and_run, nvcc_or_skip
from oracle import assert_tree_close, check_vmap, oracle

RNG = np.random.RandomState(0)


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


def writes(x, idx, v):
    y, z, w, m = x * 1, x + 0, np.zeros_like(x), x * 1
    y[idx] = v                      # repeats: the last write stays
    z[idx] += v                     # repeats: added once (the last value)
    np.add.at(w, idx, v)            # repeats: every one added
    np.maximum.at(m, idx, v)
    np.minimum.at(m, idx, v[::-1])
    return y, z, w, m


REPEATS = np.array([[1, 1, 4, 1], [0, -5, 0, -1], [2, 3, 2, 3], [4, 4, 4, 4], [-1, 0, -5, 0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int64, np.bool_])
def test_repeated_and_negative_traced_indices(plan_kind, dtype):
    x = RNG.randn(5, 5, 3).astype(dtype)
    v = (RNG.randn(5, 4, 3) * 4).astype(dtype)
    check(writes, x, REPEATS, v)
    check(writes, x[:0], REPEATS[:0], v[:0])
    check(writes, x[0], REPEATS, v, in_axes=(None, 0, 0))   # one x, indices per example
    check(writes, x, REPEATS[1], v[1], in_axes=(0, None, None))  # shared indices


def test_nan_propagates_through_maximum_at_and_minimum_at(plan_kind):
    def f(x, idx, v):
        m, n = x * 1, x * 1
        np.maximum.at(m, idx, v)
        np.minimum.at(n, idx, v)
        return m, n
    x = np.array([[1.0, 2.0, np.nan, 0.0]] * 3)
    v = np.array([[np.nan, 5.0, 1.0], [3.0, np.nan, -1.0], [2.0, 2.0, 2.0]])
    idx = np.array([[0, 0, 2], [1, 1, 1], [3, 2, 3]])
    check(f, x, idx, v)
    got = gvmap.vmap(f)(x, idx, v)[0]
    assert np.isnan(got[0, 0]) and np.isnan(got[1, 1]) and got[2, 3] == 2.0


def test_every_in_axes_placement_of_x_idx_v(backend):
    shapes = [(5, 3), (4,), (4, 3)]
    for n in (0, 1, 7):
        for axes in itertools.product([None, 0, 1, 2], [None, 0, 1], [None, 0, 1, 2]):
            if all(a is None for a in axes):
                continue
            sized = [s if a is None else s[:a] + (n,) + s[a:] for s, a in zip(shapes, axes)]
            check(writes, RNG.randn(*sized[0]), RNG.randint(-5, 5, size=sized[1]),
                  RNG.randn(*sized[2]), in_axes=axes)


def test_rows_of_a_matrix_with_np_add_at(plan_kind):
    def f(x, idx):
        acc = np.zeros((4, 3))
        np.add.at(acc, idx, x)                  # rows accumulate
        return acc
    check(f, RNG.randn(5, 6, 3), RNG.randint(-4, 4, size=(5, 6)))


def test_nested_vmap_with_per_example_indices(backend):
    def f(x, idx, v):
        y = x * 1
        y[idx] = v
        np.add.at(y, idx, v)
        return y
    x, idx, v = RNG.randn(3, 2, 5), RNG.randint(-5, 5, size=(3, 2, 4)), RNG.randn(3, 2, 4)
    assert_tree_close(gvmap.vmap(gvmap.vmap(f))(x, idx, v), oracle(oracle(f))(x, idx, v))
    assert_tree_close(gvmap.vmap(gvmap.vmap(f, in_axes=(0, 0, None)), in_axes=(0, None, 0))(x, idx[0], v[:, 0]),
                      oracle(oracle(f, in_axes=(0, 0, None)), in_axes=(0, None, 0))(x, idx[0], v[:, 0]))


@pytest.mark.parametrize("form", ["set", "iadd", "add.at", "maximum.at"])
def test_out_of_range_traced_indices_raise_index_error(plan_kind, form):
    def f(x, i):
        y = x * 1
        if form == "set":
            y[i] = 0.0
        elif form == "iadd":
            y[i] += 1.0
        else:
            getattr(np, form.split(".")[0]).at(y, i, 1.0)
        return y
    x = RNG.randn(5, 4)
    for i in (np.array([[0, 1], [4, 0], [0, 0], [0, -1], [1, 1]]),    # 4 past the end
              np.array([[0, 1], [0, 0], [0, -5], [0, 0], [1, 1]]),    # -5 before the start
              np.array([[0, -4], [0, 0], [3, 0], [0, 0], [1, 1]])):   # all in range
        if ((i < -4) | (i >= 4)).any():
            with pytest.raises(IndexError):
                oracle(f)(x, i)
            with pytest.raises(IndexError, match="out of bounds for an axis of size 4"):
                gvmap.vmap(f)(x, i)
        else:
            check(f, x, i)


def test_a_histogram_of_1000_indices_is_linear_not_quadratic():
    """np.add.at(counts, idx, 1) with 1000 indices into 1000 bins: one scatter, and no value
    in the graph as large as indices x bins (the composition it replaces compared every
    index with every bin)."""
    def f(idx):
        counts = np.zeros(1000, np.int64)
        np.add.at(counts, idx, 1)
        return counts
    idx = RNG.randint(-1000, 1000, size=(3, 1000))
    graph = gvmap.make_graph(gvmap.vmap(f))(idx)
    scatters = [e for e in graph.eqns if e.primitive is P.scatter_p]
    assert len(scatters) == 1 and scatters[0].params == {"mode": "add"}
    assert max(v.aval.size for e in graph.eqns for v in e.outvars) <= 3 * 1000
    np.testing.assert_array_equal(gvmap.vmap(f)(idx), oracle(f)(idx))


def test_numpy_rule_keeps_the_last_write_of_repeated_rows():
    """NumPy documents no order for ``a[idx] = v`` with repeats: the rule picks the winners."""
    x = np.zeros((3, 2))
    idx = np.array([2, 0, 2, 2, 0])
    upd = np.arange(10.0).reshape(5, 2)
    avals = [AbstractArray(a.shape, a.dtype) for a in (x, idx, upd)]
    out = make_impl(P.scatter_p, np, avals, {"mode": "set"})(x, idx, upd)
    np.testing.assert_array_equal(out, [[8.0, 9.0], [0.0, 0.0], [6.0, 7.0]])
    assert not np.shares_memory(out, x)


# ---------------------------------------------------------------- the CuPy kernel, without a GPU

MODES = P.SCATTER_MODES
KERNEL_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                       np.float16, np.float32, np.float64)]


@pytest.mark.parametrize("mode", MODES)
def test_cupy_kernel_compiles_with_nvrtc(mode):
    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC not available: {reason}")
    for dtype in KERNEL_DTYPES:
        compile_cuda(scatter_translation_unit(mode, dtype), f"scatter_{mode}_{dtype}.cu")


def _case_data(dtype: np.dtype):
    idx = np.array([3, 0, 3, 1, 3, 0, 4, 3, 1])            # runs of repeats, row 2 untouched
    if dtype.kind == "b":
        x, upd = RNG.rand(5, 2) < 0.5, RNG.rand(9, 2) < 0.5
    elif dtype.kind in "iu":
        x, upd = RNG.randint(0, 120, (5, 2)).astype(dtype), RNG.randint(0, 120, (9, 2)).astype(dtype)
    else:
        x, upd = RNG.randn(5, 2).astype(dtype), RNG.randn(9, 2).astype(dtype)
        upd[[2, 5], [0, 1]] = np.nan
        # row 1 gets 1 twice: 2048 + 1 is a tie that float16 rounds back to 2048 (NumPy's
        # np.add.at stays 2048; summing in float32 and rounding once would give 2050);
        # row 4 overflows float16's 65504 (inf)
        x[1, 0], upd[[3, 8], 0], x[4, 1], upd[6, 1] = 2048, 1, 65000, 600
    return x, idx, upd


def test_cupy_kernel_body_matches_numpy_on_the_host(tmp_path):
    """The kernel's body, run on the host for every element i of (K, R) (the runs are
    disjoint, so any order of i is what the GPU computes), after the CuPy rule's stable
    argsort: NumPy's result bit for bit, integer products wrapping, NaN winning maxima, float16
    rounded at every step as np.add.at rounds."""
    nvcc = nvcc_or_skip("host semantics of the scatter kernel")
    cases, parts, calls = [], [SCATTER_PREAMBLE, "#include <cstdio>"], []
    for c, (mode, dtype) in enumerate(itertools.product(MODES, KERNEL_DTYPES)):
        x, idx, upd = _case_data(dtype)
        perm = np.argsort(idx, kind="stable")
        work = scatter_work_dtype(dtype)
        t = c_type(work)
        arr = lambda name, a, ct: (f"static {ct} {name}[] = {{"
                                   + ", ".join(c_literal(v) for v in a.ravel()) + "};")
        parts += [arr(f"x{c}", x.astype(work), t), arr(f"u{c}", upd.astype(work), t),
                  arr(f"s{c}", idx[perm], "long long"),
                  arr(f"p{c}", perm, "long long"),
                  f"void run{c}({t}* out, const {t}* upd, const long long* s, const long long* perm, "
                  f"long long K, long long R, long long n) {{\n"
                  f"  for (long long i = 0; i < K * R; i++) {{{scatter_operation(mode, dtype)}\n  }}\n}}"]
        calls.append(f"  run{c}(x{c}, u{c}, s{c}, p{c}, {len(idx)}, 2, 5);\n"
                     f"  {{ FILE* f = fopen((std::string(argv[1]) + \"/out{c}.bin\").c_str(), \"wb\");"
                     f" fwrite(x{c}, sizeof(x{c}[0]), 10, f); fclose(f); }}")
        avals = [AbstractArray(a.shape, a.dtype) for a in (x, idx, upd)]
        with np.errstate(all="ignore"):
            expected = make_impl(P.scatter_p, np, avals, {"mode": mode})(x, idx, upd)
        cases.append((mode, dtype, expected))
    parts.append("#include <string>\nint main(int argc, char** argv) {\n" + "\n".join(calls)
                 + "\n  return 0;\n}")
    build_and_run(nvcc, tmp_path, "scatter", "\n".join(parts), tmp_path)
    for c, (mode, dtype, expected) in enumerate(cases):
        got = np.fromfile(tmp_path / f"out{c}.bin", scatter_work_dtype(dtype)).reshape(5, 2)
        assert np.array_equal(got, got.astype(dtype), equal_nan=True), f"{mode} {dtype}: not rounded"
        got = got.astype(dtype)
        np.testing.assert_array_equal(got, expected, err_msg=f"{mode} {dtype}")


def test_an_indexing_copy_does_not_block_later_writes(backend):
    """Found by the random programs: ``v[np.array(0)] += x`` was refused as a write after a
    reshape-like view. NumPy copies for a 0-d index array (and any advanced key), so the
    slices gvmap takes while gathering are its own, not views the user holds."""
    def f(x, i):
        v = np.ones((2, 3))
        v[np.array(0)] += x[:3]           # 0-d integer array key: NumPy reads a copy
        rows = v[1:, i]                   # slices then a gather: a copy too
        v[1, :2] = rows[0] * 2
        return v
    check(f, RNG.randn(4, 5), RNG.randint(-3, 3, size=(4, 2)))


def test_round_to_half_is_numpys_float16_rounding_on_the_host(tmp_path):
    """``gvmap_round_to_half`` (the float16 scatter kernel's per-step rounding) equals NumPy's
    float32 -> float16 conversion: on every float16 value, every midpoint between two
    neighbours and the float32 values beside it (ties to even, both directions), the
    subnormal range, the overflow edge at 65520, signed zeros, inf, NaN and 400k random bit
    patterns."""
    nvcc = nvcc_or_skip("float16 rounding of the scatter kernel")
    halves = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    finite = np.unique(halves[np.isfinite(halves)].astype(np.float64))
    middles = ((finite[1:] + finite[:-1]) / 2).astype(np.float32)  # exact in float32
    x = np.concatenate([
        finite.astype(np.float32), middles,
        np.nextafter(middles, np.float32(np.inf)), np.nextafter(middles, np.float32(-np.inf)),
        np.float32([65504, 65519.996, 65520, 65536, 1e30, 2.0 ** -25, 2.0 ** -26, 3 * 2.0 ** -26,
                    1e-45, -0.0, np.inf, -np.inf, np.nan]),
        RNG.randint(0, 1 << 32, size=400_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
    ]).astype(np.float32)
    x = np.concatenate([x, -x])
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    source = SCATTER_PREAMBLE + r"""
#include <cstdio>
#include <cstdlib>
#include <vector>
int main(int argc, char** argv) {
  FILE* f = fopen(argv[1], "rb"); std::vector<float> v(atoi(argv[3]));
  fread(v.data(), sizeof(float), v.size(), f); fclose(f);
  for (size_t i = 0; i < v.size(); i++) v[i] = gvmap_round_to_half(v[i]);
  f = fopen(argv[2], "wb"); fwrite(v.data(), sizeof(float), v.size(), f); fclose(f);
  return 0;
}
"""
    build_and_run(nvcc, tmp_path, "round", source, tmp_path / "in.bin", tmp_path / "out.bin",
                  x.size)
    got = np.fromfile(tmp_path / "out.bin", np.float32)
    with np.errstate(over="ignore"):
        expected = x.astype(np.float16).astype(np.float32)
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(got), nan)
    bad = np.flatnonzero(got[~nan].view(np.uint32) != expected[~nan].view(np.uint32))
    assert bad.size == 0, (x[~nan][bad[:5]], got[~nan][bad[:5]], expected[~nan][bad[:5]])
