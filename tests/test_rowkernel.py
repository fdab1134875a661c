"""Row kernels without a GPU: they compile with NVRTC and compute what NumPy computes.

- Compile checks: every case's translation unit is compiled with NVRTC (C++11 and C++17),
  and each kernel's PTX entry has the calling convention's parameters.
- Semantics: the generated sources are compiled by ``nvcc`` into ONE host program whose
  ``main`` calls each ``NAME_row`` (the ``__host__ __device__`` function the kernel's
  grid-stride loop calls) for every example, at the calling convention's offsets
  (``x + i * stride``, stride 0 for unbatched inputs; ``y + i * size``), reading inputs and
  constants from binary files and writing outputs to files. Results are compared with the
  per-example NumPy function applied to each example.
- Determinism of the text, and the reasons a graph is refused.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from conftest import stdout_across_hash_seeds

import gvmap
from gvmap import primitives as P
from gvmap.codegen import compile_cuda, nvrtc_unavailable_reason
from gvmap.codegen.cuda import c_type
from gvmap.codegen.rowkernel import (MAX_LOCAL_BYTES, MAX_VALUE_ELEMENTS, MAX_WORK,
                                     render_row_kernel, row_kernel_unsupported_reason)
from gvmap.graph import AbstractArray, Eqn, Graph, Var
from gvmap.implementations import index_error
from gvmap.tree import flatten
from host_build import build_and_run, nvcc_or_skip
from oracle import oracle

N = 5  # examples per case


@dataclass(frozen=True)
class Case:
    """``fn`` applied per example; ``examples(rng)`` gives each argument, with a leading
    axis of N where ``batched`` says so (else one block every example shares)."""

    name: str
    fn: Callable
    examples: Callable[[np.random.Generator], list]
    batched: tuple[bool, ...]
    graph: Graph | None = None  # hand-built where no NumPy function traces to it


def _normal(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _with_nans(rng, shape, dtype=np.float64):
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(len(x), -1)[1, 2] = np.nan          # example 1: one NaN
    x.reshape(len(x), -1)[3, [1, 4]] = np.nan     # example 3: two NaNs
    return x


rng0 = np.random.default_rng(0)
W = _normal(rng0, (3, 5))
B = _normal(rng0, (3,))
W1, B1 = _normal(rng0, (16, 8)) * 0.5, _normal(rng0, (16,))
W2, B2 = _normal(rng0, (4, 16)) * 0.5, _normal(rng0, (4,))
TAKE_CONST = np.array([0, 2, 2, 1, 5], np.int64)


def _ties_and_signed_zeros(rng, shape):
    """Values with many ties (steps of 0.5), NaNs, and zeros of both signs."""
    x = np.floor(_with_nans(rng, shape) * 2) / 2
    return np.where((x == 0) & (rng.random(shape) < 0.5), -0.0, x)


def _batched_take_graph(count: int = 2) -> Graph:
    """``out[b, i] = x[b, idx[b, i]]``: the primitive batching emits; built by hand."""
    x = Var(AbstractArray((3, 4), np.float32))
    idx = Var(AbstractArray((3, count), np.int32))
    out = Var(AbstractArray((3, count), np.float32))
    return Graph((), (x, idx), (Eqn(P.batched_take_p, (x, idx), (out,), {"axis": 0}),),
                 (out,)).check()


def _batched_take_numpy(x, idx):
    n = x.shape[0]
    idx = np.where(idx < 0, idx + x.shape[1], idx)
    return x[np.arange(n)[:, None], idx]


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


# --- scatter (index updates) ---
def _scatter_writes(x, idx, v):
    y, z, w, m = x * 1, x + 0, np.zeros_like(x), x * 1
    y[idx] = v
    z[idx] += v
    np.add.at(w, idx, v)
    np.maximum.at(m, idx, v)
    np.minimum.at(m, idx[:3], v[0])
    return y, z, w, m


def _scatter_int_bool(x, idx, m):
    y, p = x * 1, x * 1
    y[idx] = np.arange(6)
    np.multiply.at(p, idx, 3)
    counts = np.zeros(4, np.int64)
    np.add.at(counts, idx, 1)
    b = np.zeros(4, bool)
    b[idx] = m
    return y, p, counts, b


def _scatter_out_of_range(x, i):
    y = x * 1
    np.add.at(y, i, 1.0)
    return y


CASES = [
    Case("seed", lambda v: np.tanh(W @ v + B).sum(),
         lambda rng: [_normal(rng, (N, 5))], (True,)),
    Case("chain64", lambda v: (np.tanh(1.5 * v + 0.5) * np.exp(-v ** 2) + np.sin(v)).sum(),
         lambda rng: [_normal(rng, (N, 64))], (True,)),
    Case("mlp", lambda x: W2 @ np.tanh(W1 @ x + B1) + B2,
         lambda rng: [_normal(rng, (N, 8))], (True,)),
    Case("pairwise", lambda x: ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1),
         lambda rng: [_normal(rng, (N, 8, 3), np.float64)], (True,)),
    Case("cross_distances_unbatched_y", lambda x, y: ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1),
         lambda rng: [_normal(rng, (N, 4, 3), np.float64), _normal(rng, (6, 3), np.float64)],
         (True, False)),
    Case("softmax", _softmax, lambda rng: [_normal(rng, (N, 10))], (True,)),
    Case("arg_cumsum_index",
         lambda x, i: (x[i], x[::-1].argmax(), x.argmin(), np.cumsum(x), x[1:7:2], x[TAKE_CONST],
                       np.cumprod(x / 2)),
         lambda rng: [_with_nans(rng, (N, 8)), np.array([3, -1, 0, 7, -8], np.int32)],
         (True, True)),
    Case("traced_index_vector", lambda x, idx: x[idx] * 2,
         lambda rng: [_normal(rng, (N, 4, 3)), np.array([3, 0, -1, 2, -4, 1], np.int64)],
         (True, False)),
    Case("reductions_nan", lambda x: (x.max(axis=(0, 2)), x.min(axis=0), x.sum(axis=(0, 2)),
                                      x.prod(axis=1), x.argmax(axis=1), x.argmin(axis=2)),
         lambda rng: [_with_nans(rng, (N, 3, 4, 2))], (True,)),
    Case("transpose_concat_where",
         lambda a, b: (np.concatenate([a.T, b, a.T[:, :1]], axis=1),
                       np.where(a > 0, a, -2 * a), np.transpose(a[None], (2, 0, 1)),
                       np.broadcast_to(a[0], (2, 4)), np.flip(a, axis=(0, 1)).reshape(2, 6)),
         lambda rng: [_normal(rng, (N, 3, 4)), _normal(rng, (4, 2))], (True, False)),
    Case("batched_matmul", lambda a, b: (a @ b, np.einsum("ij,kj->ik", a[0], b[1].T)),
         lambda rng: [_normal(rng, (N, 2, 3, 4), np.float64), _normal(rng, (N, 2, 4, 3), np.float64)],
         (True, True)),
    Case("int32", lambda x: ((x * 3 - 7) // 2 % 5, x.sum(), x.max(), np.cumsum(x), x.prod(),
                             np.abs(x), x.astype(np.float32) / 2, x.argmax(),
                             np.cumprod(x % 3 - 1)),
         lambda rng: [rng.integers(-50, 50, (N, 6)).astype(np.int32)], (True,)),
    Case("bool", lambda m, y: (np.logical_and(m, y > 0), m.any(), m.all(), ~m,
                               np.where(m, y, 0), m.argmax(), np.cumsum(m)),
         lambda rng: [rng.random((N, 7)) < 0.4, _normal(rng, (N, 7))], (True, True)),
    Case("small_and_wide_ints", lambda x, y: (x * np.uint8(200), x.max(), np.cumsum(x, dtype=np.uint8),
                                               y * y - 3, y // -3, y.min(), y.argmin()),
         lambda rng: [rng.integers(0, 256, (N, 5)).astype(np.uint8),
                      rng.integers(-2**40, 2**40, (N, 4))], (True, True)),
    Case("edge_shapes", lambda x, s: (x[2:2], x[2:2].sum(), s * x, x.reshape(1, 4, 1).sum(axis=(0, 2)),
                                      1.5, np.ones(3), x[:1] * s, s),
         lambda rng: [_normal(rng, (N, 4)), np.float32(2.5)], (True, False)),
    Case("divmod_two_results", lambda x, y: (np.divmod(x, 0.75), sum(np.divmod(y, -3)),
                                             np.divmod(x * 4.0, x[::-1] + 0.5)[1]),
         lambda rng: [_normal(rng, (N, 5), np.float64), rng.integers(-50, 50, (N, 5)).astype(np.int32)],
         (True, True)),
    Case("hypot_fmod_shifts",
         lambda x, k: (np.hypot(x * 1e200, x[::-1] * 1e200), np.fmod(x * 3, -0.75),
                       np.copysign(1.5, x), np.nextafter(x, 0.0), np.heaviside(np.floor(x), 0.5),
                       np.sinc(x), k << 3, k >> k, np.left_shift(7, k), np.fmod(k, -7)),
         lambda rng: [_normal(rng, (N, 5), np.float64), rng.integers(-70, 70, (N, 6)).astype(np.int32)],
         (True, True)),
    Case("multiple_outputs", lambda x: {"s": x.sum(), "v": x * 2, "m": np.outer(x, x), "x": x},
         lambda rng: [_normal(rng, (N, 4), np.float64)], (True,)),
    Case("signed_zero_scans", lambda x: (np.cumsum(x), np.cumprod(x), np.cumsum(x[::-1])),
         lambda rng: [np.array([[-0.0, -0.0, 1.0, -1.0], [-0.0, 0.0, -0.0, -0.0], [0.0, -0.0, 2.0, 0.0],
                                [-0.0, np.nan, -0.0, 3.0], [-2.0, 2.0, -0.0, -0.0]])], (True,)),
    Case("batched_take", _batched_take_numpy,
         lambda rng: [_normal(rng, (N, 3, 4)), np.array([[[0, 3], [-1, 2], [1, 1]]] * N, np.int32)],
         (True, True), graph=_batched_take_graph()),
    # --- sorting and searching --- (ties and NaNs: the stable, NaN-last order of every backend)
    Case("sort_argsort_nan_ties",
         lambda x, k: (np.sort(x, axis=0), np.argsort(x, axis=1, kind="stable"), np.median(x, axis=1),
                       np.sort(k), np.argsort(k, kind="stable"), np.argsort(x[0], kind="stable")[-2:]),  # ties: stable (NumPy's default order of ties is its own)
         lambda rng: [np.floor(_with_nans(rng, (N, 3, 6)) * 2), rng.integers(-3, 3, (N, 9)).astype(np.int32)],
         (True, True)),
    # networks (n <= 64) on lanes in a loop too long to unroll (9 x 543 steps), and the
    # insertion sort past 64: the stable order of -0.0 / 0.0 and NaNs. Apart: nvcc's cicc
    # takes minutes on both in one function (NVRTC does not)
    Case("sort_network_lane_loop",
         lambda k: (np.sort(k, axis=1, kind="stable"), np.median(k, axis=1),
                    np.argsort(k[:, :8], axis=0, kind="stable")),
         lambda rng: [_ties_and_signed_zeros(rng, (N, 9, 64)).astype(np.float32)], (True,)),
    Case("sort_insertion_past_64",
         lambda x: (np.sort(x, kind="stable"), np.argsort(x, kind="stable")),
         lambda rng: [_ties_and_signed_zeros(rng, (N, 70))], (True,)),
    # --- scatter (index updates) --- (one sequential loop: last write wins, repeats accumulate)
    Case("scatter_traced_writes", _scatter_writes,
         lambda rng: [_with_nans(rng, (N, 5, 2)), rng.integers(-5, 5, (N, 6)).astype(np.int32),
                      _with_nans(rng, (N, 6, 2))], (True, True, True)),
    Case("scatter_int_bool_shared_indices", _scatter_int_bool,
         lambda rng: [rng.integers(-9, 9, (N, 4)), np.array([0, 3, 0, -1, 2, 0]),
                      rng.random((N, 6)) < 0.5], (True, False, True)),
]
# --- indexing utilities, signal and calculus, statistics (issue 12) ---
K3 = _normal(rng0, (3,), np.float64)
CASES += [
    Case("running_extrema_signal",
         lambda x, i: (np.maximum.accumulate(x), np.minimum.accumulate(x[::-1]),
                       np.convolve(x, K3, "same"), np.pad(x, (2, 3), "reflect"), np.diag(x[:3], 1),
                       np.take_along_axis(x, i, axis=0), np.gradient(x), np.cumsum(x).max()),
         lambda rng: [_with_nans(rng, (N, 8)), np.array([[3, -1, 0]] * N, np.int64)],
         (True, True)),
    Case("running_extrema_ints", lambda x: (np.maximum.accumulate(x), np.minimum.accumulate(x),
                                            np.maximum.accumulate(x > 0)),
         lambda rng: [rng.integers(-50, 50, (N, 6)).astype(np.int32)], (True,)),
]
# --- number theory and float anatomy: gcd, lcm, spacing, modf, frexp, ldexp --- (last: the
# host run seeds each case by its position)
CASES += [
    Case("gcd_lcm_spacing_modf_frexp_ldexp",
         lambda x, k, e: (np.gcd(k, k[::-1]), np.lcm(k, -7), np.gcd.reduce(k), np.spacing(x),
                          np.modf(x * 3.0), np.frexp(x * 1e-310), np.ldexp(x, e),
                          np.ldexp(x.astype(np.float32), e.astype(np.int64) * 2**33),
                          np.ldexp(*np.frexp(x)) - x),
         lambda rng: [_normal(rng, (N, 5), np.float64), rng.integers(-2**31, 2**31, (N, 6)).astype(np.int32),
                      rng.integers(-1100, 1100, (N, 5)).astype(np.int32)],
         (True, True, True)),
]
CASE_IDS = [c.name for c in CASES]


def _take_pair(x, i, j):
    return np.take(x, i), np.take(x, j, axis=0) + 1


# Gathers whose traced indices leave the axis in some examples: NumPy raises IndexError,
# so the row function flags them in the error buffer (what the launcher turns into the error)
INDEX_ERROR_CASES = [
    Case("take_out_of_range", lambda x, i: np.take(x, i) * 2,
         lambda rng: [_normal(rng, (N, 4)),
                      np.array([[0, 1, 2], [4, 0, 0], [0, -5, 1], [7, -1, 3], [0, 0, 0]], np.int64)],
         (True, True)),
    Case("unsigned_index_out_of_range", lambda x, i: np.take(x, i),
         lambda rng: [_normal(rng, (N, 4)), np.array([[0, 3], [200, 1], [2, 2], [1, 9], [3, 0]], np.uint8)],
         (True, True)),
    Case("second_gather_out_of_range", _take_pair,
         lambda rng: [_normal(rng, (N, 4)), np.array([[0, -4]] * N, np.int32),
                      np.array([[1, 2], [3, -6], [0, 0], [-9, 1], [2, 2]], np.int32)],
         (True, True, True)),
    Case("batched_take_out_of_range", _batched_take_numpy,
         lambda rng: [_normal(rng, (N, 3, 4)),
                      np.array([[[0, 3, 1], [-1, 2, 0], [1, 1, 1]]] * 2 + [[[0, 4, 1], [-5, 2, 0], [1, 1, 1]]]
                               + [[[0, 3, 1], [-1, 2, 0], [1, 1, 1]]] * 2, np.int32)],
         (True, True), graph=_batched_take_graph(3)),
    Case("scatter_out_of_range", _scatter_out_of_range,
         lambda rng: [_normal(rng, (N, 4)), np.array([[0, 1, 0], [4, 0, 0], [0, -5, 1], [3, -1, 3], [0, 0, 0]])],
         (True, True)),
]
INDEX_ERROR_IDS = [c.name for c in INDEX_ERROR_CASES]


def graph_of(case: Case) -> Graph:
    if case.graph is not None:
        return case.graph
    examples = case.examples(np.random.default_rng(1))
    first = [x[0] if b else x for x, b in zip(examples, case.batched)]
    return gvmap.make_graph(case.fn)(*first)


RENDERED = {c.name: render_row_kernel(graph_of(c)) for c in CASES + INDEX_ERROR_CASES}
GRAPHS = {c.name: graph_of(c) for c in CASES + INDEX_ERROR_CASES}


# ---------------------------------------------------------------- NVRTC compile checks

@pytest.fixture(scope="module")
def nvrtc():
    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC not available, row-kernel compile checks skipped: {reason}")


def _entry_params(ptx: str, name: str) -> int:
    start = ptx.index(f".entry {name}(")
    return ptx[start:ptx.index(")", start)].count(".param")


@pytest.mark.parametrize("std", ["--std=c++11", "--std=c++17"])
def test_every_case_compiles_with_nvrtc(nvrtc, std):
    """All cases in one translation unit (the PREAMBLE is include-guarded)."""
    source = "\n".join(k.source for k in RENDERED.values())
    ptx = compile_cuda(source, name="gvmap_rowkernels.cu", options=(std, "-arch=compute_90"))
    for k in RENDERED.values():
        expected = len(k.consts) + 2 * len(k.inputs) + len(k.outputs) + bool(k.checks) + 1
        assert _entry_params(ptx, k.name) == expected, k.name


@pytest.mark.parametrize("name", ["seed", "mlp", "pairwise", "softmax", "reductions_nan"])
def test_small_models_keep_every_value_in_registers(nvrtc, name):
    """Fully unrolled loops index the local arrays with constants: no local memory.
    (``chain64`` is left out: sinf's slow path, not a row value, uses a 28-byte depot.)"""
    ptx = compile_cuda(RENDERED[name].source, name=f"{name}.cu")
    assert ".local" not in ptx, f"the {name} row kernel uses local memory"


# ---------------------------------------------------------------- host semantics with nvcc

def _host_runner(k: Any, case_index: int) -> str:
    """``run_caseK(dir)``: load constants and inputs, call the row function per example at
    the calling convention's offsets, save outputs."""
    lines = [f"static void run_case{case_index}(const std::string& dir, long long n) {{"]
    file = f'dir + "/case{case_index}'
    args = []
    for j, a in enumerate(k.consts):
        lines.append(f'  {c_type(a.dtype)}* c{j} = load<{c_type(a.dtype)}>({file}_c{j}.bin");')
        args.append(f"c{j}")
    for j, a in enumerate(k.inputs):
        lines.append(f'  long long x{j}_stride = read_stride({file}_x{j}.stride");')
        lines.append(f'  {c_type(a.dtype)}* x{j} = load<{c_type(a.dtype)}>({file}_x{j}.bin");')
        args.append(f"x{j} + i * x{j}_stride")
    for j, a in enumerate(k.outputs):
        lines.append(f"  {c_type(a.dtype)}* y{j} = new {c_type(a.dtype)}[n * {a.size} + 1];")
        args.append(f"y{j} + i * {a.size}LL")
    errors = k.error_buffer()
    if errors is not None:  # what the launcher passes: the empty (lowest, highest) pairs
        lines.append(f"  long long error[] = {{{', '.join(f'{v}LL' if v > 0 else f'({v + 1}LL - 1LL)' for v in errors)}}};")
        args.append("error")
    if k.takes_example:  # a failing linalg routine records its example's index
        args.append("i")
    lines.append(f"  for (long long i = 0; i < n; i++) {k.row_function}({', '.join(args)});")
    for j, a in enumerate(k.outputs):
        lines.append(f'  save({file}_y{j}.bin", y{j}, n * {a.size});')
    if errors is not None:
        lines.append(f'  save({file}_error.bin", error, {errors.size});')
    lines.append("}")
    return "\n".join(lines)


HOST_HEADER = r"""#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
template <typename T> static T* load(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) { fprintf(stderr, "cannot open %s\n", path.c_str()); exit(2); }
  std::vector<char> bytes;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  fclose(f);
  T* p = new T[bytes.size() / sizeof(T) + 1];
  for (size_t i = 0; i < bytes.size(); i++) ((char*)p)[i] = bytes[i];
  return p;
}
static long long read_stride(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  long long s = -1;
  if (!f || fscanf(f, "%lld", &s) != 1) { fprintf(stderr, "bad %s\n", path.c_str()); exit(2); }
  fclose(f);
  return s;
}
template <typename T> static void save(const std::string& path, const T* p, long long count) {
  FILE* f = fopen(path.c_str(), "wb");
  fwrite(p, sizeof(T), count, f);
  fclose(f);
}
"""


def _expected(case: Case, examples: list) -> list[np.ndarray]:
    """The per-example NumPy function on each example, stacked, one array per output."""
    per_example = []
    for i in range(N):
        args = [x[i] if b else x for x, b in zip(examples, case.batched)]
        leaves, _ = flatten(case.fn(*args))
        per_example.append([np.asarray(leaf) for leaf in leaves])
    return [np.stack(outs) for outs in zip(*per_example)]


@pytest.fixture(scope="module")
def host_results(tmp_path_factory):
    nvcc = nvcc_or_skip("host semantics of the row kernels")
    tmp = tmp_path_factory.mktemp("rowkernel")
    parts = [HOST_HEADER]
    inputs = {}
    cases = CASES + INDEX_ERROR_CASES
    for n, case in enumerate(cases):
        k = RENDERED[case.name]
        examples = case.examples(np.random.default_rng(100 + n))
        inputs[case.name] = examples
        for j, c in enumerate(GRAPHS[case.name].consts):
            np.ascontiguousarray(c).tofile(tmp / f"case{n}_c{j}.bin")
        for j, (x, batched, aval) in enumerate(zip(examples, case.batched, k.inputs)):
            assert x.dtype == aval.dtype and x.shape[batched:] == aval.shape, (case.name, j)
            np.ascontiguousarray(x).tofile(tmp / f"case{n}_x{j}.bin")
            (tmp / f"case{n}_x{j}.stride").write_text(str(aval.size if batched else 0))
        parts += [k.source, _host_runner(k, n)]
    return run_on_host(nvcc, tmp, "rowkernels", parts, cases, RENDERED, inputs)


def run_on_host(nvcc: str, tmp, stem: str, parts: list, cases: list, rendered: dict,
                inputs: dict, examples: int = N) -> dict:
    """Build ``parts`` (the sources and one ``run_case<n>`` per case, inputs already in
    ``tmp``) with a ``main`` calling every case on ``examples`` examples, run it on the
    host, and read back per case ``(inputs, outputs, error buffer or None)``."""
    parts = parts + ["int main(int argc, char** argv) {\n  std::string dir = argv[1];\n"
                     + "".join(f"  run_case{n}(dir, {examples});\n" for n in range(len(cases)))
                     + "  return 0;\n}\n"]
    build_and_run(nvcc, tmp, stem, "\n".join(parts), tmp)
    results = {}
    for n, case in enumerate(cases):
        k = rendered[case.name]
        errors = np.fromfile(tmp / f"case{n}_error.bin", np.int64) if k.checks else None
        results[case.name] = (inputs[case.name], [
            np.fromfile(tmp / f"case{n}_y{j}.bin", a.dtype).reshape((examples, *a.shape))
            for j, a in enumerate(k.outputs)], errors)
    return results


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_row_function_matches_numpy(host_results, case):
    examples, got, errors = host_results[case.name]
    if errors is not None:  # in-range indices leave the error buffer as the launcher filled it
        np.testing.assert_array_equal(errors, RENDERED[case.name].error_buffer())
    expected = _expected(case, examples)
    assert len(got) == len(expected)
    for j, (g, e) in enumerate(zip(got, expected)):
        e = e.astype(g.dtype)
        msg = f"{case.name}, output {j}"
        if g.dtype.kind == "f":
            rtol = 1e-5 if g.dtype == np.float32 else 1e-12
            atol = 1e-6 if g.dtype == np.float32 else 1e-14
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=msg)
            zeros = e == 0  # the sign of a zero is NumPy's too (-0.0 + -0.0 is -0.0)
            np.testing.assert_array_equal(np.signbit(g[zeros]), np.signbit(e[zeros]), err_msg=msg)
        else:
            np.testing.assert_array_equal(g, e, err_msg=msg)


def _offending(indices: np.ndarray, size: int) -> tuple[int, int]:
    idx = indices.astype(np.int64)
    bad = idx[(idx < -size) | (idx >= size)]
    return int(bad.min()), int(bad.max())


@pytest.mark.parametrize("case", INDEX_ERROR_CASES, ids=INDEX_ERROR_IDS)
def test_out_of_range_indices_are_flagged_as_numpy_would_raise(host_results, case, monkeypatch):
    """The row function records the lowest and highest offending index of each gather; the
    launcher's ``raise_errors`` then raises what every other plan raises."""
    examples, _, errors = host_results[case.name]
    k = RENDERED[case.name]
    with pytest.raises(IndexError):  # what the loop oracle does
        oracle(case.fn, in_axes=tuple(0 if b else None for b in case.batched))(*examples)
    size = k.index_checks[-1]
    expected = k.error_buffer()
    expected[-2:] = _offending(examples[-1], size)  # the last gather reads the last argument
    np.testing.assert_array_equal(errors, expected)
    with pytest.raises(IndexError) as raised:
        k.raise_errors(errors)
    lo, hi = expected[-2:]
    assert str(raised.value) == str(index_error(size, lo, hi))
    assert f"size {size}" in str(raised.value) and str(hi) in str(raised.value)
    if case.graph is not None:
        return
    for row_kernels in ("0", "1"):  # the same words from batched plans and emulated row kernels
        monkeypatch.setenv("GVMAP_ROW_KERNELS", row_kernels)
        with gvmap.backend("numpy-fused"):
            f = gvmap.vmap(case.fn)
            assert ("row kernel" in f.lower(*examples).as_text()) == (row_kernels == "1")
            with pytest.raises(IndexError) as batched:
                f(*examples)
        assert str(batched.value) == str(raised.value)


# ---------------------------------------------------------------- the source text

def test_launch_metadata_follows_the_graph():
    k, g = RENDERED["seed"], GRAPHS["seed"]
    assert k.consts == tuple(v.aval for v in g.constvars) == (AbstractArray((3, 5), np.float32),
                                                              AbstractArray((3,), np.float32))
    assert k.inputs == (AbstractArray((5,), np.float32),)
    assert k.outputs == (AbstractArray((), np.float32),)
    assert k.row_function == k.name + "_row"
    assert k.name.startswith("gvmap_row_dot_general_add_tanh_reduce_sum_")
    assert (f'extern "C" __global__ void {k.name}(const float* __restrict__ c0, '
            f"const float* __restrict__ c1, const float* __restrict__ x0, long long x0_stride, "
            f"float* __restrict__ y0, long long n)") in k.source
    assert k.work == 3 * 5 + 3 + 3 + 3 + 1


def test_reshapes_share_storage():
    k = render_row_kernel(gvmap.make_graph(lambda x: x.reshape(2, 3)[:, None].squeeze(1).T)(
        np.zeros(6, np.float32)))
    body = k.source[k.source.index(k.row_function):]
    assert "reshape" not in body.split("{", 1)[1] and body.count("float v") == 1


def test_rendering_is_deterministic_across_processes():
    """Same graph, same text: no ids or hash order (CuPy's disk cache keys on it)."""
    script = ("from tests.test_rowkernel import RENDERED\n"
              "print(''.join(k.source for k in RENDERED.values()), end='')")
    outs = stdout_across_hash_seeds(script)
    assert len(outs) == 1
    case = CASES[0]
    assert render_row_kernel(graph_of(case)).source == RENDERED[case.name].source


def test_different_graphs_get_different_names():
    names = {k.name for k in RENDERED.values()}
    assert len(names) == len(RENDERED)
    other = render_row_kernel(gvmap.make_graph(lambda v: np.tanh(W @ v + B).sum())(
        np.zeros(5, np.float64)))
    assert other.name != RENDERED["seed"].name


# ---------------------------------------------------------------- refusals

def test_supported_graphs_have_no_reason():
    for name, g in GRAPHS.items():
        assert row_kernel_unsupported_reason(g) is None, name


def test_a_value_too_large_is_refused():
    big = np.ones((100, 100), np.float32)
    g = gvmap.make_graph(lambda x: (big @ x).sum())(np.ones(100, np.float32))
    reason = row_kernel_unsupported_reason(g)
    assert reason is not None and "f32[100,100]" in reason and str(MAX_VALUE_ELEMENTS) in reason
    with pytest.raises(NotImplementedError, match="limit"):
        render_row_kernel(g)


def test_too_much_work_is_refused():
    side = math.isqrt(MAX_VALUE_ELEMENTS)
    g = gvmap.make_graph(lambda a, b: a @ b)(np.ones((side, side), np.float32),
                                             np.ones((side, side), np.float32))
    reason = row_kernel_unsupported_reason(g)
    assert reason is not None and "iterations" in reason and str(MAX_WORK) in reason


def test_too_many_local_bytes_are_refused():
    g = gvmap.make_graph(lambda x: np.exp(np.sin(np.cos(np.tanh(x * 2) + 1))))(
        np.ones(MAX_VALUE_ELEMENTS, np.float64))
    reason = row_kernel_unsupported_reason(g)
    assert reason is not None and "bytes" in reason and str(MAX_LOCAL_BYTES) in reason


def test_dtypes_without_a_c_type_are_refused():
    g = gvmap.make_graph(lambda x: x * 2)(np.ones(3, np.float16))
    assert "float16" in row_kernel_unsupported_reason(g)


def test_deciding_renders_nothing_and_lowering_renders_once(monkeypatch):
    """The cost model sizes a row kernel without emitting C; lowering renders it once."""
    import gvmap.codegen.rowkernel as rk
    from gvmap.lowering import lower_rows

    renders = []
    real = rk.RowEmitter.finish
    monkeypatch.setattr(rk.RowEmitter, "finish", lambda self, *a: renders.append(1) or real(self, *a))
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    case = CASES[0]
    graph = graph_of(case)
    assert rk.row_kernel_unsupported_reason(graph) is None and not renders
    sizing = rk.size_row_kernel(graph)
    # the seed: dot 3x5 + add 3 + tanh 3 + sum 3 + one output; locals 3+3+3+1 float32
    assert (sizing.work, sizing.local_bytes) == (25, 40)
    x = np.zeros((3, 5), np.float32)
    batched = gvmap.make_graph(gvmap.vmap(case.fn))(x)
    assert lower_rows(graph, batched, (0,), (0,), 3, "cupy") is not None
    assert len(renders) == 1


def test_repr_of_a_lowered_row_kernel_plan(monkeypatch):
    """``repr(f.lower(...))`` of a row-kernel plan: one launch (it read ``plan.steps``,
    which a RowPlan does not have)."""
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")
    case = CASES[0]
    lowered = gvmap.vmap(case.fn).lower(np.zeros((3, 5), np.float32), backend="cupy")
    assert "RowPlan" in type(lowered.plan).__name__
    assert repr(lowered) == "Lowered(backend='cupy', launches=1)"
