"""Every feature of SPEC.md's public API, each against the loop oracle or SPEC's exact text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gvmap
from conftest import cupy_unusable_reason
from oracle import assert_leaf_close, assert_tree_close, oracle, tree_leaves

REPO = Path(__file__).resolve().parents[1]


def check(f, args, in_axes=0, out_axes=0, axis_size=None, **kwargs):
    """``gvmap.vmap`` against the oracle with the same axes, on the current backend."""
    got = gvmap.vmap(f, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size)(*args, **kwargs)
    assert_tree_close(got, oracle(f, in_axes, out_axes, axis_size)(*args, **kwargs))
    return got


# ---------------------------------------------------------------------------------------------
# The seed of SPEC.md.

rng0 = np.random.RandomState(8675309)
W = rng0.randn(3, 5).astype(np.float32)
b = 1.0


def model(v, W=W, b=b):
    return np.tanh(W @ v + b).sum()


v_batch = rng0.randn(4, 5).astype(np.float32)

SEED_GRAPH = """\
{ lambda a:f32[3,5]; b:f32[4,5]. let
    c:f32[3,4] = dot_general[dimension_numbers=(((1,), (1,)), ((), ()))] a b
    d:f32[3,4] = add c 1.0
    e:f32[3,4] = tanh d
    f:f32[4] = reduce_sum[axes=(0,)] e
  in (f,) }"""


def test_seed_result(backend):
    got = gvmap.vmap(model)(v_batch)
    assert_tree_close(got, oracle(model)(v_batch))
    assert_tree_close(got, np.tanh(v_batch @ W.T + b).sum(-1))


def test_seed_graph_text_is_exactly_spec():
    """The central acceptance test: the printed graph is SPEC.md's block, character for character."""
    assert str(gvmap.make_graph(gvmap.vmap(model))(v_batch)).strip() == SEED_GRAPH


def test_seed_graph_equations():
    graph = gvmap.make_graph(gvmap.vmap(model))(v_batch)
    assert [e.primitive.name for e in graph.eqns] == ["dot_general", "add", "tanh", "reduce_sum"]
    dot, add, tanh, red = graph.eqns
    assert (len(dot.invars), len(dot.outvars)) == (2, 1)
    assert (len(add.invars), len(add.outvars)) == (2, 1)
    assert (len(tanh.invars), len(tanh.outvars)) == (1, 1)
    assert dict(dot.params)["dimension_numbers"] == (((1,), (1,)), ((), ()))
    assert dict(red.params)["axes"] == (0,)
    assert dict(tanh.params) == {}
    assert add.invars[0] is dot.outvars[0] or str(add.invars[0]) == str(dot.outvars[0])
    for eqn in graph.eqns:
        for value in dict(eqn.params).values():
            hash(value)  # params are hashable (they key caches)


def test_make_graph_unbatched():
    graph = gvmap.make_graph(model)(v_batch[0])
    assert [e.primitive.name for e in graph.eqns] == ["dot_general", "add", "tanh", "reduce_sum"]
    text = str(graph)
    assert "f32[3,5]" in text and "f32[5]" in text


# ---------------------------------------------------------------------------------------------
# vmap arguments.

def test_alias():
    assert gvmap.gvmap is gvmap.vmap


@pytest.mark.parametrize("in_axes", [0, 1, 2, -1, -2, -3])
def test_in_axes_int(backend, in_axes):
    x = np.random.RandomState(0).randn(3, 4, 5).astype(np.float32)
    check(lambda a: np.tanh(a).sum(0) * 2.0, (x,), in_axes=in_axes)


def test_in_axes_none_and_tuple(backend):
    rng = np.random.RandomState(1)
    x, y = rng.randn(4, 3), rng.randn(3)
    check(lambda a, c: a * c, (x, y), in_axes=(0, None))
    check(lambda a, c: a * c, (x.T, y), in_axes=(-1, None))
    check(lambda a, c: a @ c, (y, x), in_axes=(None, 0))


def test_in_axes_list(backend):
    rng = np.random.RandomState(2)
    x, y = rng.randn(4, 3), rng.randn(3, 4)
    check(lambda a, c: a + c, (x, y), in_axes=[0, 1])


def test_in_axes_dict_argument(backend):
    rng = np.random.RandomState(3)
    params = {"w": rng.randn(3).astype(np.float32), "x": rng.randn(5, 3).astype(np.float32)}
    f = lambda d: np.sum(d["w"] * d["x"])
    check(f, (params,), in_axes=({"w": None, "x": 0},))
    check(lambda d: d["w"] + d["x"], ({"w": rng.randn(6, 3), "x": rng.randn(3, 6)},),
          in_axes=({"w": 0, "x": 1},))


def test_in_axes_prefix_of_pytree(backend):
    """An int for a whole dict/list/tuple argument batches every leaf of it."""
    rng = np.random.RandomState(4)
    tree = {"a": rng.randn(5, 2), "b": [rng.randn(5), (rng.randn(5, 3),)]}
    f = lambda t, s: t["a"].sum() + t["b"][0] * s + t["b"][1][0].max()
    check(f, (tree, rng.randn(5)), in_axes=(0, 0))
    check(f, (tree, np.float64(2.0)), in_axes=(0, None))


def test_in_axes_list_argument(backend):
    rng = np.random.RandomState(5)
    xs = [rng.randn(4, 3), rng.randn(3, 4)]
    check(lambda l: l[0] - l[1], (xs,), in_axes=([0, 1],))


@pytest.mark.parametrize("out_axes", [0, 1, 2, -1, -2, -3])
def test_out_axes_int(backend, out_axes):
    x = np.random.RandomState(6).randn(4, 2, 3)
    check(lambda a: np.exp(a), (x,), out_axes=out_axes)


def test_out_axes_pytree_and_none(backend):
    rng = np.random.RandomState(7)
    x, c = rng.randn(5, 3).astype(np.float32), rng.randn(3).astype(np.float32)
    check(lambda a: (a * 2, a.sum()), (x,), out_axes=(1, 0))
    check(lambda a: (a + c, c * 2.0), (x,), out_axes=(-1, None))
    check(lambda a: {"y": a[::-1], "k": np.ones(2)}, (x,), out_axes={"y": 1, "k": None})


def test_multiple_outputs(backend):
    rng = np.random.RandomState(8)
    x, y = rng.randn(6, 3), rng.randn(6, 3).astype(np.float32)
    out = check(lambda a, c: (a + c, a * c, (a - c).sum()), (x, y))
    assert isinstance(out, tuple) and len(out) == 3
    out = check(lambda a, c: {"s": a.sum(-1), "p": [a.max(), c.min()]}, (x, y))
    assert isinstance(out, dict) and isinstance(out["p"], list)
    out = check(lambda a, c: [a, c], (x, y), out_axes=[1, 0])
    assert isinstance(out, list)


def test_output_independent_of_batched_input_is_broadcast(backend):
    c = np.arange(3.0)
    out = check(lambda a: c * 2.0, (np.ones((4, 2)),))
    assert gvmap.device_get(out).shape == (4, 3)


def test_axis_size(backend):
    c = np.arange(6.0).reshape(2, 3)
    out = check(lambda: np.tanh(c), (), axis_size=4)
    assert gvmap.device_get(out).shape == (4, 2, 3)
    check(lambda a: a.sum(), (c,), in_axes=None, axis_size=3)
    check(lambda a: a * 2, (np.ones((5, 2)),), axis_size=5)


@pytest.mark.parametrize("n,chunk", [(6, 2), (6, 3), (7, 3), (7, 1), (7, 7), (5, 10)])
def test_chunk_size(backend, n, chunk):
    rng = np.random.RandomState(9)
    x, y, c = (rng.randn(n, 4).astype(np.float32), rng.randn(3, n).astype(np.float32),
               rng.randn(4).astype(np.float32))
    f = lambda a, d: (np.tanh(a @ c) * d.sum(), a * 2.0)
    whole = gvmap.vmap(f, in_axes=(0, 1))(x, y)
    chunked = gvmap.vmap(f, in_axes=(0, 1), chunk_size=chunk)(x, y)
    assert_tree_close(chunked, gvmap.device_get(whole))
    assert_tree_close(chunked, oracle(f, in_axes=(0, 1))(x, y))
    chunked = gvmap.vmap(f, in_axes=(0, 1), out_axes=(0, 1), chunk_size=chunk)(x, y)
    assert_tree_close(chunked, oracle(f, in_axes=(0, 1), out_axes=(0, 1))(x, y))


def test_chunk_size_with_axis_size(backend):
    c = np.arange(3.0)
    got = gvmap.vmap(lambda: c + 1.0, axis_size=5, chunk_size=2)()
    assert_tree_close(got, oracle(lambda: c + 1.0, axis_size=5)())


def test_keyword_arguments_are_unbatched(backend):
    rng = np.random.RandomState(10)
    x, M = rng.randn(5, 3), rng.randn(2, 3)

    def f(a, W=None, scale=1.0, mode="tanh", axis=0):
        y = W @ a * scale
        y = np.tanh(y) if mode == "tanh" else np.exp(y)
        return y.sum(axis=axis)

    check(f, (x,), W=M, scale=2.0)
    check(f, (x,), W=M, scale=3, mode="exp", axis=-1)
    check(f, (x,), W=gvmap.device_put(M), mode="exp")


def test_static_python_scalar_positional(backend):
    x = np.random.RandomState(11).randn(4, 3).astype(np.float32)
    f = lambda a, k: a * k if k > 1 else a - k
    for k in (2, 0.5, 3.0):
        got = check(f, (x, k), in_axes=(0, None))
        assert gvmap.device_get(got).dtype == np.float32


def test_inputs_on_the_backend(backend):
    """Backend arrays (CuPy arrays on the GPU) are accepted as inputs, as NumPy arrays are."""
    rng = np.random.RandomState(12)
    x, y = rng.randn(4, 3), rng.randn(3)
    got = gvmap.vmap(lambda a, c: a * c + 1.0, in_axes=(0, None))(gvmap.device_put(x), gvmap.device_put(y))
    assert_tree_close(got, x * y + 1.0)


# ---------------------------------------------------------------------------------------------
# Weak typing and constants, checked explicitly (not just through the oracle).

@pytest.mark.parametrize("f,dtype,expected", [
    (lambda x: x * 2.0, np.float32, np.float32),
    (lambda x: x + 1, np.int32, np.int32),
    (lambda x: x / 2, np.int32, np.float64),
    (lambda x: x * 2.5, np.int32, np.float64),
    (lambda x: x + True, np.bool_, np.bool_),
    (lambda x: x * np.float64(2.0), np.float32, np.float64),
    (lambda x: x + np.ones(3), np.float32, np.float64),
    (lambda x: x + np.ones(3, np.float32), np.float32, np.float32),
    (lambda x: np.sum(x), np.int32, np.int64),
    (lambda x: np.mean(x), np.int32, np.float64),
], ids=["f32*2.0", "i32+1", "i32/2", "i32*2.5", "bool+True", "f32*np.float64", "f32+const_f64",
        "f32+const_f32", "sum_i32", "mean_i32"])
def test_result_dtypes(backend, f, dtype, expected):
    x = np.arange(12).reshape(4, 3).astype(dtype)
    got = gvmap.device_get(gvmap.vmap(f)(x))
    assert got.dtype == np.dtype(expected)
    assert_leaf_close(got, oracle(f)(x))


def test_closed_over_array_is_snapshotted_at_trace_time(backend):
    c = np.ones(3)
    f = gvmap.vmap(lambda a: a + c)
    x = np.zeros((2, 3))
    first = gvmap.device_get(f(x))
    c[:] = 5.0  # JAX semantics: the constant was captured when f was traced
    assert_leaf_close(gvmap.device_get(f(x)), first)


# ---------------------------------------------------------------------------------------------
# jit, lower, the signature cache.

def test_jit_equals_function(backend):
    rng = np.random.RandomState(13)
    x, y = rng.randn(3, 4).astype(np.float32), rng.randn(4).astype(np.float32)
    f = lambda a, c: (np.tanh(a @ c + 1.0).sum(), {"m": a.max(0)})
    assert_tree_close(gvmap.jit(f)(x, y), f(x, y))
    assert_tree_close(gvmap.jit(model)(v_batch[0]), np.asarray(model(v_batch[0])))


def test_lower_as_text(backend):
    lowered = gvmap.jit(model).lower(v_batch[0])
    text = lowered.as_text()
    assert isinstance(text, str) and text.strip()
    assert len([line for line in text.splitlines() if line.strip()]) >= 1  # one line per launch
    vtext = gvmap.vmap(model).lower(v_batch).as_text()
    assert isinstance(vtext, str) and vtext.strip()


def test_lower_for_cupy_without_running():
    """SPEC: ``lower(..., backend="cupy")`` works with no GPU and no CuPy, and gives CUDA source."""
    lowered = gvmap.vmap(model).lower(v_batch, backend="cupy")
    assert lowered.as_text().strip()
    kernels = lowered.kernels
    sources = list(kernels.values()) if isinstance(kernels, dict) else list(kernels)
    assert sources, "the seed has elementwise work, so at least one fused kernel"
    for src in sources:
        assert isinstance(src, str) and "__global__" in src  # a complete translation unit


def test_lower_for_numpy():
    text = gvmap.vmap(lambda a: np.exp(a) * 2).lower(np.ones((3, 2)), backend="numpy").as_text()
    assert isinstance(text, str) and text.strip()


def test_signature_cache(backend):
    calls = []

    def body(a, k):
        return np.tanh(a) * k

    def f(a, k):
        calls.append(1)
        return body(a, k)

    g = gvmap.vmap(f, in_axes=(0, None))
    x = np.random.RandomState(14).randn(5, 3).astype(np.float32)
    g(x, 2.0)
    traced = len(calls)
    assert traced >= 1
    assert_tree_close(g(x + 1, 2.0), oracle(body, (0, None))(x + 1, 2.0))
    assert len(calls) == traced, "same shapes and dtypes must not retrace"
    for args in [(x[:4], 2.0), (x.astype(np.float64), 2.0), (x.reshape(5, 3, 1), 2.0), (x, 3.0)]:
        before = len(calls)
        assert_tree_close(g(*args), oracle(body, (0, None))(*args))
        assert len(calls) > before, f"a new signature must retrace: {[getattr(a, 'shape', a) for a in args]}"


def test_cache_distinguishes_backends():
    reason = cupy_unusable_reason()
    if reason is not None:
        pytest.skip(f"CuPy backend unusable: {reason}")
    import cupy

    calls = []

    def f(a):
        calls.append(1)
        return a * 2.0

    g, x = gvmap.vmap(f), np.ones((3, 2))
    with gvmap.backend("numpy"):
        assert isinstance(g(x), np.ndarray)
    before = len(calls)
    with gvmap.backend("cupy"):
        out = g(x)
        assert isinstance(out, cupy.ndarray)
    assert len(calls) > before
    assert_leaf_close(out.get(), x * 2.0)


# ---------------------------------------------------------------------------------------------
# Backends and data movement.

def test_backend_selection():
    start = gvmap.get_backend()
    with gvmap.backend("numpy"):
        assert gvmap.get_backend() == "numpy"
        out = gvmap.vmap(lambda a: a + 1)(np.ones((2, 2)))
        assert type(out) is np.ndarray
    assert gvmap.get_backend() == start
    gvmap.set_backend("numpy")
    try:
        assert gvmap.get_backend() == "numpy"
    finally:
        gvmap.set_backend(start)
    assert gvmap.get_backend() == start


def test_auto_backend():
    start = gvmap.get_backend()
    try:
        gvmap.set_backend("auto")
        expected = "numpy" if cupy_unusable_reason() else "cupy"
        assert gvmap.get_backend() == expected
    finally:
        gvmap.set_backend(start)


@pytest.mark.parametrize("value", ["numpy", "auto"])
def test_backend_environment_variable(value):
    env = dict(os.environ, GVMAP_BACKEND=value, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", "import gvmap, numpy as np; print(gvmap.get_backend());"
         "print(type(gvmap.vmap(lambda a: a * 2)(np.ones((2, 3)))).__module__.split('.')[0])"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    expected = "numpy" if value == "numpy" or cupy_unusable_reason() else "cupy"
    assert out.stdout.split() == [expected, expected]


def test_device_put_and_get_on_pytrees(backend):
    tree = {"a": np.arange(3.0), "b": (np.ones((2, 2), np.float32), [np.int32(4) * np.ones(1, np.int32)])}
    on = gvmap.device_put(tree)
    assert isinstance(on, dict) and isinstance(on["b"], tuple) and isinstance(on["b"][1], list)
    array_type = np.ndarray
    if backend == "cupy":
        import cupy
        array_type = cupy.ndarray
    assert all(isinstance(leaf, array_type) for leaf in tree_leaves(on))
    back = gvmap.device_get(on)
    assert isinstance(back, dict) and isinstance(back["b"], tuple) and isinstance(back["b"][1], list)
    for got, want in zip(tree_leaves(back), tree_leaves(tree)):
        assert_leaf_close(got, want)


def test_gvmap_numpy_eager(backend):
    import gvmap.numpy as gnp

    x = np.linspace(-1, 1, 5)
    for got, want in [(gnp.tanh(np.ones(3)), np.tanh(np.ones(3))),
                      (gnp.sum(x * 2, axis=0), np.sum(x * 2, axis=0)),
                      (gnp.einsum("i,i->", x, x), np.einsum("i,i->", x, x)),
                      (gnp.where(x > 0, x, 0.0), np.where(x > 0, x, 0.0)),
                      (gnp.zeros_like(x), np.zeros_like(x))]:
        assert_tree_close(got, np.asarray(want))


def test_gvmap_numpy_inside_vmap(backend):
    import gvmap.numpy as gnp

    x = np.random.RandomState(15).randn(4, 3).astype(np.float32)
    f_np = lambda a: np.tanh(W @ np.concatenate([a, a[:2]]) + 1.0).sum()
    f_gnp = lambda a: gnp.tanh(W @ gnp.concatenate([a, a[:2]]) + 1.0).sum()
    assert_tree_close(gvmap.vmap(f_gnp)(x), oracle(f_np)(x))


def test_outputs_are_numpy_arrays_on_numpy_backend():
    with gvmap.backend("numpy"):
        for out in tree_leaves(gvmap.vmap(lambda a: (a.sum(), {"t": a.T}))(np.ones((3, 2, 4)))):
            assert type(out) is np.ndarray
        assert type(gvmap.jit(lambda a: a.sum())(np.ones(3))) is np.ndarray


# ---------------------------------------------------------------------------------------------
# The cache must never hand back a plan traced for different axes, values or types.

def test_cache_keys_on_axes(backend):
    x = np.arange(9.0).reshape(3, 3)
    f = lambda a: a * np.arange(3.0)
    for _ in range(2):
        assert_tree_close(gvmap.vmap(f, in_axes=0)(x), oracle(f, in_axes=0)(x))
        assert_tree_close(gvmap.vmap(f, in_axes=1)(x), oracle(f, in_axes=1)(x))
        assert_tree_close(gvmap.vmap(f, out_axes=1)(x), oracle(f, out_axes=1)(x))


def test_unbatched_array_values_are_not_baked_in(backend):
    """An array passed with in_axes=None, or as a keyword, is an input, not a constant."""
    rng = np.random.RandomState(16)
    x, y1, y2 = rng.randn(4, 3), rng.randn(3), rng.randn(3)
    g = gvmap.vmap(lambda a, c: a * c, in_axes=(0, None))
    assert_tree_close(g(x, y1), x * y1)
    assert_tree_close(g(x, y2), x * y2)
    h = gvmap.vmap(lambda a, W=None: a @ W)
    M1, M2 = rng.randn(3, 2), rng.randn(3, 2)
    assert_tree_close(h(x, W=M1), x @ M1)
    assert_tree_close(h(x, W=M2), x @ M2)


def test_static_scalars_are_keyed_by_type_as_well_as_value(backend):
    """1 == 1.0 == True in Python, but they promote differently (NEP 50)."""
    g = gvmap.vmap(lambda a, k: a * k, in_axes=(0, None))
    xi = np.arange(6, dtype=np.int32).reshape(2, 3)
    xf = np.ones((2, 3), np.float32)
    for a, k in [(xi, 1), (xi, 1.0), (xi, True), (xf, 2.0), (xf, np.float64(2.0)), (xf, 2),
                 (xi, 1), (xf, 2.0)]:
        assert_tree_close(g(a, k), oracle(lambda a, k: a * k, in_axes=(0, None))(a, k))


def test_static_keyword_values_retrace(backend):
    g = gvmap.vmap(lambda a, scale=1.0, flip=False: (a[::-1] if flip else a) * scale)
    x = np.arange(6.0).reshape(2, 3)
    for kwargs in [dict(scale=2.0), dict(scale=3.0), dict(scale=3.0, flip=True), dict()]:
        assert_tree_close(g(x, **kwargs), oracle(g.__wrapped__ if hasattr(g, "__wrapped__") else
                                                 (lambda a, scale=1.0, flip=False:
                                                  (a[::-1] if flip else a) * scale))(x, **kwargs))


def test_closed_over_constants_differ_between_functions(backend):
    """Two functions with the same code but different closures are different functions."""
    def make(c):
        return gvmap.vmap(lambda a: a + c)

    x = np.zeros((2, 3))
    assert_tree_close(make(np.ones(3))(x), np.ones((2, 3)))
    assert_tree_close(make(np.full(3, 2.0))(x), np.full((2, 3), 2.0))


# ---------------------------------------------------------------------------------------------
# Unusual but valid inputs and outputs.

def test_non_contiguous_fortran_and_readonly_inputs(backend):
    rng = np.random.RandomState(17)
    base = rng.randn(6, 8)
    ro = base.copy()
    ro.setflags(write=False)
    f = lambda a: np.tanh(a).sum(-1) + a[0]
    for x in [base[:, ::2], base[::-1], np.asfortranarray(base), base.T, ro,
              np.broadcast_to(base[:1], (6, 8))]:
        check(f, (x,))
        check(f, (x,), in_axes=1)


def test_same_array_passed_twice(backend):
    x = np.random.RandomState(18).randn(4, 3)
    check(lambda a, b: a @ b + a.sum(), (x, x))
    check(lambda a, b: a - b, (x, x), in_axes=(0, None))


def test_identity_and_repeated_outputs(backend):
    x = np.random.RandomState(19).randn(3, 4, 5).astype(np.float32)
    check(lambda a: a, (x,), in_axes=1, out_axes=0)
    check(lambda a: a, (x,), in_axes=2, out_axes=-1)
    check(lambda a: (a, a, a * 2), (x,), in_axes=1, out_axes=(0, 1, 2))


def test_unbatched_input_returned(backend):
    rng = np.random.RandomState(20)
    x, y = rng.randn(4, 3), rng.randn(2)
    check(lambda a, c: (a.sum(), c), (x, y), in_axes=(0, None))
    check(lambda a, c: (a.sum(), c), (x, y), in_axes=(0, None), out_axes=(0, None))
    check(lambda a, c: c, (x, y), in_axes=(0, None), out_axes=1)


def test_numpy_scalar_arguments(backend):
    x = np.ones((3, 2), np.float32)
    check(lambda a, k: a * k, (x, np.float32(3.0)), in_axes=(0, None))
    check(lambda a, k: a * k, (x, np.float64(3.0)), in_axes=(0, None))
    check(lambda a, k: a * k, (x, np.arange(3, dtype=np.int32)), in_axes=(0, 0))


@pytest.mark.parametrize("name,f", [
    ("sum where=", lambda a: np.sum(a, where=a > 0)),
    ("sum initial=", lambda a: np.sum(a, initial=5.0)),
    ("max initial=", lambda a: np.max(a, axis=0, initial=0.5)),
    ("sum dtype=", lambda a: np.sum(a, dtype=np.float64)),
    ("mean dtype=", lambda a: np.mean(a, axis=-1, dtype=np.float64)),
    ("cumsum dtype=", lambda a: np.cumsum(a, dtype=np.float64)),
    ("astype copy=", lambda a: a.astype(np.float64, copy=False)),
    ("clip a_min=", lambda a: np.clip(a, a_min=-0.5, a_max=0.5)),
    ("reshape order=F", lambda a: np.reshape(a, (-1,), order="F")),
    ("ravel order=F", lambda a: np.ravel(a, order="F")),
    ("take mode=clip", lambda a: np.take(a, np.array([0, 9]), mode="clip")),
    ("concatenate dtype=", lambda a: np.concatenate([a, a], dtype=np.float64)),
    ("einsum optimize=", lambda a: np.einsum("ij,ij->", a, a, optimize=True)),
    ("argmax keepdims= axis=", lambda a: np.argmax(a, keepdims=True, axis=1)),
])
def test_keyword_arguments_are_honoured_or_refused(backend, name, f):
    """A NumPy keyword gvmap does not implement must raise, never be silently ignored."""
    x = np.random.RandomState(21).randn(4, 2, 3).astype(np.float32)
    try:
        got = gvmap.vmap(f)(x)
    except NotImplementedError as exc:
        function, keyword = name.split()[0], name.split()[1].split("=")[0]
        assert re.search(rf"(?i){function}|{keyword}", str(exc)), (
            f"the message must name {function} or {keyword}: {exc}")
        return
    assert_tree_close(got, oracle(f)(x))


# ---------------------------------------------------------------------------------------------
# Buffers: plans reuse memory and run steps in place; none of that may leak to the user.

def test_inputs_and_constants_are_not_modified(backend):
    rng = np.random.RandomState(22)
    x = rng.randn(4, 3)
    C = rng.randn(3)
    x_copy, C_copy = x.copy(), C.copy()
    fs = [lambda a: np.tanh(a) * 2.0, lambda a: np.exp(a + 1.0).sum(), lambda a: -a,
          lambda a: a + C, lambda a: np.maximum(C * 2.0, a), lambda a: (a * 1.0, a + 0.0)]
    for f in fs:
        for in_axes in (0, 1):
            arg = x if in_axes == 0 else x.T
            got = gvmap.vmap(f, in_axes=in_axes)(arg)
            np.testing.assert_array_equal(x, x_copy)
            np.testing.assert_array_equal(C, C_copy)
            assert_tree_close(got, oracle(f, in_axes=in_axes)(arg))
    got = gvmap.jit(lambda a: np.sqrt(np.abs(a)) + 1.0)(x)
    np.testing.assert_array_equal(x, x_copy)


def test_earlier_results_survive_later_calls(backend):
    """A cached plan may reuse buffers internally, never for what it already returned."""
    rng = np.random.RandomState(23)
    for f in [lambda a: np.tanh(a * 2.0 + 1.0), lambda a: np.tanh(W @ a + 1.0).sum(),
              lambda a: (a.sum(), a * 3.0), lambda a: a.T]:
        g = gvmap.vmap(f)
        xs = [rng.randn(4, 5).astype(np.float32) for _ in range(3)]
        outs = [g(x) for x in xs]
        for x, out in zip(xs, outs):
            assert_tree_close(out, oracle(f)(x))


def test_chunked_call_inside_vmap_and_nested(backend):
    x = np.random.RandomState(24).randn(3, 5, 4)
    f = lambda a: np.tanh(a).sum(-1)
    got = gvmap.vmap(gvmap.vmap(f, chunk_size=2), chunk_size=2)(x)
    assert_tree_close(got, oracle(oracle(f))(x))


def test_jit_with_keyword_arguments_and_cache(backend):
    calls = []

    def f(a, scale=1.0):
        calls.append(1)
        return a * scale

    g, x = gvmap.jit(f), np.ones(3)
    assert_tree_close(g(x, scale=2.0), x * 2.0)
    assert_tree_close(g(x, scale=2.0), x * 2.0)
    assert len(calls) == 1
    assert_tree_close(g(x, scale=3.0), x * 3.0)
    assert_tree_close(g(x * 2), x * 2)


def test_make_graph_of_jit():
    graph = gvmap.make_graph(gvmap.jit(model))(v_batch[0])
    assert [e.primitive.name for e in graph.eqns] == ["dot_general", "add", "tanh", "reduce_sum"]


def test_cache_keys_on_pytree_structure_and_keyword_dtypes(backend):
    rng = np.random.RandomState(25)
    x, y = rng.randn(4, 3), rng.randn(4, 3)
    f = lambda t: t["a"] - 2.0 * t[sorted(t)[1]]
    g = gvmap.vmap(f)
    for tree in [{"a": x, "b": y}, {"a": x, "c": y}, {"a": y, "b": x}]:
        assert_tree_close(g(tree), oracle(f)(tree))
    h = gvmap.vmap(lambda s: s[0] * 2.0 + s[1] if isinstance(s, tuple) else s[0] - s[1])
    h_np = lambda s: s[0] * 2.0 + s[1] if isinstance(s, tuple) else s[0] - s[1]
    for seq in [(x, y), [x, y], (x, y)]:
        assert_tree_close(h(seq), oracle(h_np)(seq))
    k = gvmap.vmap(lambda a, W=None: a @ W if W is not None else a.sum(-1))
    k_np = lambda a, W=None: a @ W if W is not None else a.sum(-1)
    M = rng.randn(3, 2)
    for kwargs in [dict(W=M), dict(W=M.astype(np.float32)), dict(), dict(W=M[:, :1])]:
        assert_tree_close(k(x, **kwargs), oracle(k_np)(x, **kwargs))


def test_cache_keys_on_argument_kind(backend):
    """A 0-d array, a NumPy scalar and a Python scalar with in_axes=None are three signatures."""
    x = np.ones((3, 2), np.float32)
    f = lambda a, k: a * k
    g = gvmap.vmap(f, in_axes=(0, None))
    for k in [2.0, np.float64(2.0), np.array(2.0), np.array(2.0, np.float32), 2, np.int64(2)]:
        assert_tree_close(g(x, k), oracle(f, in_axes=(0, None))(x, k))


@pytest.mark.parametrize("name,f", [
    ("mul", lambda a: a * 2), ("abs", lambda a: np.abs(a)), ("sum", lambda a: a.sum()),
    ("exp", lambda a: np.exp(a)), ("sqrt", lambda a: np.sqrt(a)), ("matmul", lambda a: a @ a),
    ("maximum", lambda a: np.maximum(a, 0)), ("astype", lambda a: a.astype(np.complex128)),
    ("eq", lambda a: a == a[0]), ("real", lambda a: a.real), ("conj", lambda a: np.conj(a)),
])
def test_complex_inputs_are_correct_or_refused(backend, name, f):
    """SPEC does not promise complex dtypes; a wrong answer is never acceptable, an error is."""
    rng = np.random.RandomState(26)
    x = (rng.randn(4, 3) + 1j * rng.randn(4, 3)).astype(np.complex64)
    try:
        got = gvmap.vmap(f)(x)
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return
    assert_tree_close(got, oracle(f)(x))
