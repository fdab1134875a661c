"""Fusion and the CuPy plan, checked on the CPU.

The CuPy plan (fused regions, generated kernels) is built here without a GPU and run on the
NumPy backend, which executes each fused region as its equations in sequence: the wiring of
slots, inputs and outputs is then checked against the loop oracle. The generated CUDA of
each kernel is compiled with NVRTC where it is installed (the test extra brings it).
"""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap.backends import resolve
from gvmap.backends.executor import Executable
from gvmap.fusion import fuse
from gvmap.lowering import lower_graph
from gvmap.codegen.render import ReductionSource
from oracle import assert_tree_close, oracle

rng = np.random.RandomState(8675309)
W = rng.randn(3, 5).astype(np.float32)
W2 = rng.randn(4, 6).astype(np.float32)


def model(v, W=W, b=1.0):
    return np.tanh(W @ v + b).sum()


def chain8(v):  # 8 elementwise primitives, then a sum over the last axis
    return (np.tanh(1.5 * v + 0.5) * np.exp(-v * v) + np.sin(v)).sum()


def normalize(v):
    return (v - v.mean()) / (v.std() + 1e-6)


def mlp(v):
    h = np.maximum(W2 @ v[:6], 0.0)
    return np.tanh(h).mean(), h.max()


def two_outputs(v):
    a = np.exp(v) * 2.0
    return a, (a + v).sum()


def diamond(v):
    a = np.sin(v)
    s = a.sum()               # a reduction in the middle...
    return np.cos(a) * s      # ...feeding the same-shape region it came from: no cycle


MODELS = {
    "seed": (model, (4, 5)),
    "chain8": (chain8, (7, 64)),
    "normalize": (normalize, (5, 16)),
    "mlp": (mlp, (6, 8)),
    "two_outputs": (two_outputs, (3, 5)),
    "diamond": (diamond, (4, 9)),
    "where_clip": (lambda v: np.where(v > 0, np.clip(v, 0, 0.5), v * 0.1).max(), (5, 6)),
    "int_ops": (lambda v: ((v * 3) // 2 % 5 - v).sum(), (4, 7)),
    "bool_any": (lambda v: np.logical_or(v > 0.5, np.isnan(v)).any(), (4, 7)),
}


def _inputs(shape, name):
    x = rng.randn(*shape)
    return (x * 10).astype(np.int32) if name == "int_ops" else x.astype(np.float32)


def _launches(text: str) -> list[str]:
    return [line for line in text.splitlines()[1:-1] if "(view)" not in line]


def test_seed_is_one_contraction_and_one_fused_reduction():
    text = gvmap.vmap(model).lower(rng.randn(4, 5).astype(np.float32), backend="cupy").as_text()
    launches = _launches(text)
    assert text.splitlines()[0] == "plan for cupy: 2 launches", text
    assert "dot_general" in launches[0] and "cuBLAS" in launches[0], text
    assert "fused[add, tanh, reduce_sum[axes=(0,)]]" in launches[1], text
    assert "ReductionKernel" in launches[1], text


def test_chain_of_eight_elementwise_ops_and_a_sum_is_one_launch():
    lowered = gvmap.vmap(chain8).lower(rng.randn(7, 64).astype(np.float32), backend="cupy")
    launches = _launches(lowered.as_text())
    assert len(launches) == 1, lowered.as_text()
    step = lowered.plan.steps[0]
    assert len(step.eqns) >= 9 and str(step.eqns[-1].primitive) == "reduce_sum"
    assert list(lowered.kernels) == [step.kernel.name]


def test_mean_scale_is_the_reduction_post_map():
    lowered = gvmap.vmap(lambda v: v.mean()).lower(np.ones((3, 4), np.float32), backend="cupy")
    (step,) = lowered.plan.steps
    assert isinstance(step.kernel, ReductionSource) and "/" in step.kernel.post_map_expr


def test_multi_output_region():
    regions = fuse(gvmap.make_graph(gvmap.vmap(two_outputs))(np.ones((3, 5), np.float32)))
    kinds = [r.kind for r in regions]
    assert kinds.count("elementwise") + kinds.count("reduction") == len(regions)
    exported = [len(r.outputs) for r in regions if r.kind == "elementwise"]
    assert exported and max(exported) >= 1


def test_regions_respect_dependencies():
    """Every region's inputs are produced by earlier regions (or are graph inputs)."""
    for name, (fn, shape) in MODELS.items():
        graph = gvmap.make_graph(gvmap.vmap(fn))(_inputs(shape, name))
        available = set(graph.invars) | set(graph.constvars)
        for region in fuse(graph):
            assert set(region.inputs) <= available, name
            available |= {v for e in region.all_eqns for v in e.outvars}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cupy_plan_runs_correctly_on_numpy(name):
    """The CuPy plan's wiring, executed region by region with NumPy, equals the oracle."""
    fn, shape = MODELS[name]
    x = _inputs(shape, name)
    graph = gvmap.make_graph(gvmap.vmap(fn))(x)
    plan = lower_graph(graph, "cupy")
    outs = Executable(plan, resolve("numpy"))([x])
    expected = oracle(fn)(x)
    got = outs[0] if len(outs) == 1 else tuple(outs)
    assert_tree_close(gvmap.device_get(got), expected, backend="numpy")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_source_is_deterministic(name):
    fn, shape = MODELS[name]
    x = _inputs(shape, name)
    first = gvmap.vmap(fn).lower(x, backend="cupy").kernels
    second = gvmap.vmap(fn).lower(x, backend="cupy").kernels
    assert first == second
    for src in first.values():
        assert "__global__" in src and "0x" not in src.split("\n")[0]


def _nvrtc():
    from gvmap.codegen import nvrtc

    reason = nvrtc.nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC unavailable: {reason}")
    return nvrtc


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_kernels_compile_with_nvrtc(name):
    nvrtc = _nvrtc()
    fn, shape = MODELS[name]
    kernels = gvmap.vmap(fn).lower(_inputs(shape, name), backend="cupy").kernels
    for kname, src in kernels.items():
        ptx = nvrtc.compile_cuda(src, f"{kname}.cu")
        assert kname in ptx


def test_common_subexpressions_are_computed_once():
    from gvmap.passes import eliminate_common_subexpressions

    graph = gvmap.make_graph(gvmap.vmap(normalize))(np.ones((5, 16), np.float32))
    sums = lambda g: sum(str(e.primitive) == "reduce_sum" and e.invars[0] in g.invars for e in g.eqns)
    assert sums(graph) == 2  # mean and std each sum v
    cleaned = eliminate_common_subexpressions(graph).check()
    assert sums(cleaned) == 1
    x = rng.randn(5, 16).astype(np.float32)
    outs = Executable(lower_graph(cleaned, "numpy"), resolve("numpy"))([x])
    assert_tree_close(outs[0], oracle(normalize)(x), backend="numpy")


# ---------------------------------------------------------------------------- row kernels

@pytest.fixture
def row_kernels(monkeypatch):
    monkeypatch.setenv("GVMAP_ROW_KERNELS", "1")


def test_seed_row_kernel_is_one_launch(row_kernels):
    lowered = gvmap.vmap(model).lower(rng.randn(4, 5).astype(np.float32), backend="cupy")
    text = lowered.as_text()
    assert text.startswith("plan for cupy: 1 launch (row kernel:"), text
    assert "row_kernel[dot_general, add, tanh, reduce_sum]" in text
    (name,) = lowered.kernels
    assert name.startswith("gvmap_row_") and "__global__" in lowered.kernels[name]


def test_row_kernels_are_opt_in():
    text = gvmap.vmap(model).lower(rng.randn(4, 5).astype(np.float32), backend="cupy").as_text()
    assert "row kernel" not in text


def test_wide_work_stays_batched(row_kernels):
    big = rng.randn(128, 256).astype(np.float32)
    text = gvmap.vmap(lambda v: np.tanh(big @ v).sum()).lower(
        rng.randn(4, 256).astype(np.float32), backend="cupy").as_text()
    assert "row kernel" not in text and "cuBLAS" in text


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("in_axis", [0, 1])
def test_row_plan_runs_correctly(row_kernels, name, in_axis):
    """The row plan's layout handling (moving batch axes, stride-0 shared inputs, out_axes),
    with the launch emulated on NumPy, equals the oracle."""
    fn, shape = MODELS[name]
    x = np.moveaxis(_inputs(shape, name), 0, in_axis)
    with gvmap.backend("numpy-fused"):
        f = gvmap.vmap(fn, in_axes=in_axis)
        assert "row kernel" in f.lower(x).as_text()
        assert_tree_close(f(x), oracle(fn, in_axes=in_axis)(x))


def test_row_plan_with_unbatched_input_and_out_axes(row_kernels):
    def g(a, c):
        return np.tanh(a * c).sum(), a.T * 2

    a = rng.randn(3, 7, 2).astype(np.float32)
    c = rng.randn(3, 2).astype(np.float32)
    with gvmap.backend("numpy-fused"):
        f = gvmap.vmap(g, in_axes=(1, None), out_axes=(0, 2))
        assert "row kernel" in f.lower(a, c).as_text()
        assert_tree_close(f(a, c), oracle(g, in_axes=(1, None), out_axes=(0, 2))(a, c))


def test_each_backend_describes_its_own_launches():
    """Lowering prints the plan; the words for a launch come from the backend's describer."""
    from gvmap.backends import launch_describers
    from gvmap.lowering import Lowered

    x = rng.randn(4, 5).astype(np.float32)
    plan = gvmap.vmap(model).lower(x, backend="cupy").plan
    text = Lowered(plan, (lambda step: "LAUNCH", lambda p: "ROW")).as_text()
    assert text.count("# LAUNCH") == len(plan.steps) and "cupy." not in text
    cupy_words, _ = launch_describers("cupy")
    numpy_words, _ = launch_describers("numpy-fused")
    kernel_step = plan.steps[-1]
    assert cupy_words(kernel_step).startswith("cupy.ReductionKernel gvmap_")
    assert numpy_words(kernel_step).startswith("numpy-fused region gvmap_")
    assert cupy_words(plan.steps[0]) == "cupy.matmul (cuBLAS)"
