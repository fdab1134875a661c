"""Outputs own their memory, as the loop's ``np.stack`` and JAX's results do.

``y = vmap(lambda x: x)(a); y[0, 0] = 5`` must not write into ``a``; nor may an output be a
view of a closed-over constant (the plan's snapshot), of a literal the plan reuses on every
call, or of another output's buffer. Checked with ``np.shares_memory`` on every backend, on
batched and row-kernel plans, with out_axes, and for jit.
"""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle, tree_leaves

rng = np.random.RandomState(0)
A = rng.randn(4, 3).astype(np.float32)
W = rng.randn(3).astype(np.float32)
W_SNAPSHOT = W.copy()


def _exp2(x):
    e = np.exp(x)
    return e, e


CASES = {
    "identity": lambda x: x,
    "reversed": lambda x: x[::-1],
    "transposed": lambda x: x.reshape(3, 1).T,
    "reshaped": lambda x: x.reshape(1, 3),
    "squeezed_slice": lambda x: x[1:2][0],
    "constant": lambda x: W,
    "constant_view": lambda x: W[::-1],
    "constant_and_input": lambda x: (W, x),
    "literal": lambda x: 1.5,
    "broadcast_literal": lambda x: np.broadcast_to(np.float32(2.0), (3,)),
    "broadcast_result": lambda x: np.broadcast_to(x.sum(), (3,)),
    "same_output_twice": lambda x: (x * 2, x * 2),
    "same_var_twice": _exp2,
    "output_and_its_view": lambda x: (np.tanh(x), np.tanh(x)[::-1]),
    "input_twice": lambda x: (x, x),
    "dict_of_views": lambda x: {"a": x, "b": x[1:], "c": np.sin(x)},
}


def _assert_own_memory(out, *others):
    leaves = tree_leaves(out)
    for i, leaf in enumerate(leaves):
        assert isinstance(leaf, np.ndarray) and leaf.flags.writeable, f"output {i} is read-only"
        for other in others:
            assert not np.shares_memory(leaf, other), f"output {i} shares memory with an argument or constant"
        for j in range(i):
            assert not np.shares_memory(leaf, leaves[j]), f"outputs {j} and {i} share memory"


@pytest.fixture
def plan_kind(plan_kind, backend):
    """conftest's plan kinds, on the host backends: np.shares_memory needs host arrays."""
    if backend == "cupy":
        pytest.skip("np.shares_memory needs host arrays (CuPy: see test_cupy_outputs_own_memory)")
    return plan_kind


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("out_axes", [0, 1])
def test_outputs_own_their_memory(plan_kind, name, out_axes):
    f = CASES[name]
    if out_axes == 1 and name in ("literal", "squeezed_slice", "constant", "constant_view",
                                  "constant_and_input", "broadcast_result"):
        out_axes = -1  # the batched outputs of these have one dim after the batch one
    a = A.copy()
    expected = oracle(f, out_axes=out_axes)(a)
    vf = gvmap.vmap(f, out_axes=out_axes)
    out = vf(a)
    assert_tree_close(out, expected)
    _assert_own_memory(out, a, W)
    for leaf in tree_leaves(out):  # writing into the outputs changes nothing else
        leaf[...] = 123
    np.testing.assert_array_equal(a, A)
    np.testing.assert_array_equal(W, W_SNAPSHOT)
    assert_tree_close(vf(a), expected)  # constants and literals the plan reuses are intact


@pytest.mark.parametrize("name", ["identity", "constant", "literal", "input_twice"])
def test_jit_outputs_own_their_memory(backend, name):
    if backend == "cupy":
        pytest.skip("np.shares_memory needs host arrays")
    f = gvmap.jit(CASES[name])
    a = A[0].copy()
    out = f(a)
    _assert_own_memory(out, a, W)
    for leaf in tree_leaves(out):
        leaf[...] = 7
    assert_tree_close(f(a), CASES[name](A[0]))


def test_cupy_outputs_own_memory(backend):
    """On CuPy: device buffers, compared by pointer range."""
    if backend != "cupy":
        pytest.skip("the CuPy backend's own check")
    import cupy

    a = cupy.asarray(A)
    for name, f in CASES.items():
        leaves = tree_leaves(gvmap.vmap(f)(a))
        for i, leaf in enumerate(leaves):
            assert not cupy.shares_memory(leaf, a), name
            for j in range(i):
                assert not cupy.shares_memory(leaf, leaves[j]), name


# ---------------------------------------------------------------- only what needs a copy

def _copies(text: str) -> int:
    """Copy steps in a plan text (none of these functions converts a dtype; a copy may be
    fused into the kernel computing the value it copies)."""
    return text.count("convert_element_type")


@pytest.mark.parametrize("backend_name", ["numpy", "cupy"])
def test_computed_outputs_are_not_copied(backend_name):
    for f, kw in ((lambda x: np.tanh(x) * 2, {}), (lambda x: np.exp(x).T, {"out_axes": 1}),
                  (lambda x: (np.sin(x), x.sum()), {}), (lambda x: np.exp(x)[::-1], {})):
        text = gvmap.vmap(f, **kw).lower(A.reshape(4, 3, 1), backend=backend_name).as_text()
        assert _copies(text) == 0, text


@pytest.mark.parametrize("backend_name", ["numpy", "cupy"])
def test_each_aliasing_output_gets_one_copy(backend_name):
    counts = {"identity": 1, "constant": 1, "literal": 1, "input_twice": 2,
              "same_var_twice": 1, "output_and_its_view": 1, "broadcast_result": 1,
              "dict_of_views": 2}
    for name, count in counts.items():
        text = gvmap.vmap(CASES[name]).lower(A, backend=backend_name).as_text()
        assert _copies(text) == count, f"{name}:\n{text}"
    text = gvmap.vmap(CASES["identity"]).lower(A, backend=backend_name).as_text()
    assert "(a copy: an output owns its memory)" in text, text
