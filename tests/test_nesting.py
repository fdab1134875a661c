"""Nested vmap (2 and 3 deep), closures over outer traced values, jit inside vmap and vmap
inside jit, each against nested loop oracles; and that nesting yields ONE flat graph."""

from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

rng0 = np.random.RandomState(8675309)
W = rng0.randn(3, 5).astype(np.float32)


def model(v):
    return np.tanh(W @ v + 1.0).sum()


@pytest.mark.parametrize("in1,out1,in2,out2", [
    (0, 0, 0, 0), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, -1), (-1, 0, -1, 1), (1, 1, 2, 2),
    (-2, -1, 0, -3),
])
def test_vmap_vmap(backend, in1, out1, in2, out2):
    """The outer vmap batches over axis in2 of the full array, the inner over in1 of the rest."""
    x = np.random.RandomState(0).randn(4, 5, 6).astype(np.float32)
    f = lambda a: np.tanh(a * 2.0 + 1.0)[::2] + a.sum()
    got = gvmap.vmap(gvmap.vmap(f, in_axes=in1, out_axes=out1), in_axes=in2, out_axes=out2)(x)
    want = oracle(oracle(f, in_axes=in1, out_axes=out1), in_axes=in2, out_axes=out2)(x)
    assert_tree_close(got, want)


def test_vmap_vmap_seed(backend):
    v = np.random.RandomState(1).randn(3, 4, 5).astype(np.float32)
    assert_tree_close(gvmap.vmap(gvmap.vmap(model))(v), oracle(oracle(model))(v))


def test_vmap_vmap_two_arguments_mixed_axes(backend):
    rng = np.random.RandomState(2)
    x, y = rng.randn(3, 4, 5), rng.randn(5, 4)
    f = lambda a, b: a @ b
    inner = dict(in_axes=(0, None), out_axes=0)
    outer = dict(in_axes=(1, 1), out_axes=-1)
    got = gvmap.vmap(gvmap.vmap(f, **inner), **outer)(x, y)
    assert_tree_close(got, oracle(oracle(f, **inner), **outer)(x, y))


@pytest.mark.parametrize("axes", [
    ((0, 0), (0, 0), (0, 0)),
    ((1, 0), (1, 1), (2, -1)),
    ((-1, -1), (0, -2), (3, 1)),
])
def test_vmap_three_deep(backend, axes):
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    f = lambda a: np.sum(np.sin(a) * a) + a.max()
    g, o = f, f
    for in_axis, out_axis in axes:
        g = gvmap.vmap(g, in_axes=in_axis, out_axes=out_axis)
        o = oracle(o, in_axes=in_axis, out_axes=out_axis)
    assert_tree_close(g(x), o(x))


def test_three_deep_pytree_outputs(backend):
    x = np.random.RandomState(4).randn(2, 3, 4, 2)
    f = lambda a: {"s": a.sum(), "v": a[::-1] * 2}
    g = gvmap.vmap(gvmap.vmap(gvmap.vmap(f), in_axes=1), in_axes=2, out_axes={"s": 0, "v": 1})
    o = oracle(oracle(oracle(f), in_axes=1), in_axes=2, out_axes={"s": 0, "v": 1})
    assert_tree_close(g(x), o(x))


def test_inner_closes_over_outer_traced_value(backend):
    rng = np.random.RandomState(5)
    xs, ys = rng.randn(4, 3).astype(np.float32), rng.randn(6, 3).astype(np.float32)
    f = lambda x, ys: gvmap.vmap(lambda y: np.dot(x, y) + x.sum())(ys)
    f_oracle = lambda x, ys: oracle(lambda y: np.dot(x, y) + x.sum())(ys)
    got = gvmap.vmap(f, in_axes=(0, None))(xs, ys)
    assert_tree_close(got, oracle(f_oracle, in_axes=(0, None))(xs, ys))
    assert_tree_close(got, xs @ ys.T + xs.sum(1, keepdims=True))


def test_inner_closure_elementwise(backend):
    xs, ys = np.arange(4.0), np.arange(5.0)
    got = gvmap.vmap(lambda x: gvmap.vmap(lambda y: x * y)(ys))(xs)
    assert_tree_close(got, np.outer(xs, ys))


def test_inner_vmap_both_batched(backend):
    """The inner function's argument and its closure are both batched by the outer level."""
    rng = np.random.RandomState(6)
    xs, ys = rng.randn(4, 3), rng.randn(4, 5, 3)
    f = lambda x, y: gvmap.vmap(lambda r: np.tanh(r - x))(y)
    f_oracle = lambda x, y: oracle(lambda r: np.tanh(r - x))(y)
    assert_tree_close(gvmap.vmap(f)(xs, ys), oracle(f_oracle)(xs, ys))


def test_jit_inside_vmap(backend):
    x = np.random.RandomState(7).randn(5, 3)
    inner = gvmap.jit(lambda a: np.exp(a) / np.exp(a).sum())
    got = gvmap.vmap(lambda a: inner(a) + 1.0)(x)
    assert_tree_close(got, oracle(lambda a: np.exp(a) / np.exp(a).sum() + 1.0)(x))


def test_vmap_inside_jit(backend):
    x = np.random.RandomState(8).randn(3, 4).astype(np.float32)
    got = gvmap.jit(lambda a: gvmap.vmap(model, in_axes=1)(np.concatenate([a, a[:2]])) * 2)(x)
    want = oracle(model, in_axes=1)(np.concatenate([x, x[:2]])) * 2
    assert_tree_close(got, want)


def test_vmap_of_jit_of_vmap(backend):
    x = np.random.RandomState(9).randn(2, 3, 5).astype(np.float32)
    got = gvmap.vmap(gvmap.jit(gvmap.vmap(model)))(x)
    assert_tree_close(got, oracle(oracle(model))(x))


def _graphs_inside(value) -> bool:
    if hasattr(value, "eqns"):
        return True
    if isinstance(value, (tuple, list)):
        return any(_graphs_inside(v) for v in value)
    if isinstance(value, dict):
        return any(_graphs_inside(v) for v in value.values())
    return False


@pytest.mark.parametrize("depth", [2, 3])
def test_nested_vmap_is_one_flat_graph(depth):
    f, shape = model, (5,)
    for d in range(depth):
        f, shape = gvmap.vmap(f), (2 + d,) + shape
    graph = gvmap.make_graph(f)(np.ones(shape, np.float32))
    names = [e.primitive.name for e in graph.eqns]
    for eqn in graph.eqns:
        assert not _graphs_inside(tuple(dict(eqn.params).values())), f"nested graph in {eqn.primitive.name}"
        assert not any(word in eqn.primitive.name for word in ("call", "jit", "vmap", "closed")), names
    assert names.count("dot_general") == 1, f"W @ v must stay one contraction: {names}"
    assert names.count("reduce_sum") == 1 and names.count("tanh") == 1, names
    assert set(names) <= {"dot_general", "add", "tanh", "reduce_sum", "transpose", "reshape",
                          "broadcast_in_dim"}, names


def test_jit_inside_vmap_is_inlined():
    inner = gvmap.jit(lambda a: np.exp(a) * 2.0)
    graph = gvmap.make_graph(gvmap.vmap(lambda a: inner(a).sum()))(np.ones((4, 3)))
    names = [e.primitive.name for e in graph.eqns]
    assert names == ["exp", "mul", "reduce_sum"], names
