"""hypothesis: random shapes (size-1 dims included), random in_axes (negative included), random
out_axes and batch sizes 1..5, over a handful of composed functions, against the loop oracle.

The profile (conftest.py) is "ci" by default: a few examples per test, so the suite stays fast;
GVMAP_HYPOTHESIS_PROFILE=nightly runs many more.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import gvmap
from oracle import assert_tree_close, oracle

DTYPES = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def batched(draw, shape: tuple, n: int, dtype, allow_none: bool = False):
    """An array holding n examples of ``shape`` at a random in_axes (or unbatched)."""
    choices = list(range(-(len(shape) + 1), len(shape) + 1))
    axis = draw(st.sampled_from(([None] if allow_none else []) + choices))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    full = shape if axis is None else shape[:axis % (len(shape) + 1)] + (n,) + shape[axis % (len(shape) + 1):]
    values = np.asarray(rng.randn(*full))
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        values = values > 0
    elif dtype.kind == "i":
        values = np.round(values * 3)
    return values.astype(dtype), axis


def out_axis(draw, per_example_ndim: int):
    return draw(st.integers(-(per_example_ndim + 1), per_example_ndim))


def run(f, args, in_axes, out_axes):
    got = gvmap.vmap(f, in_axes=in_axes, out_axes=out_axes)(*args)
    assert_tree_close(got, oracle(f, in_axes=in_axes, out_axes=out_axes)(*args))


def elementwise(x):
    return np.tanh(x * 2.0 + 1.0) - x ** 2 / (1.0 + np.abs(x)) + np.exp(-x * x) * np.sign(x)


@given(data=st.data(), shape=shapes, n=st.integers(1, 5), dtype=DTYPES)
def test_elementwise_chain(backend, data, shape, n, dtype):
    x, ax = batched(data.draw, shape, n, dtype)
    run(elementwise, (x,), ax, out_axis(data.draw, len(shape)))


REDUCERS = ["sum", "mean", "max", "min", "prod", "var", "std", "argmax", "argmin"]


@given(data=st.data(), shape=shapes, n=st.integers(1, 5),
       dtype=st.sampled_from([np.dtype(t) for t in (np.float32, np.float64, np.int32, np.bool_)]),
       name=st.sampled_from(REDUCERS), keepdims=st.booleans())
def test_reduction(backend, data, shape, n, dtype, name, keepdims):
    if dtype == np.bool_ and name in ("var", "std", "prod"):
        name = "sum"
    nd = len(shape)
    axis_options = [st.none(), st.integers(-nd, nd - 1)]
    if not name.startswith("arg"):
        axis_options.append(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)
                            .map(lambda axes: tuple(a - nd if i % 2 else a for i, a in enumerate(axes))))
    axis = data.draw(st.one_of(*axis_options))
    x, ax = batched(data.draw, shape, n, dtype)

    def f(a):
        if a.dtype.kind == "f":
            a = np.sin(a) + a * 0.5
        elif a.dtype.kind == "i":
            a = a * 3 - 1
        return getattr(np, name)(a, axis=axis, keepdims=keepdims)

    run(f, (x,), ax, out_axis(data.draw, np.ndim(f(np.zeros(shape, dtype)))))


@given(data=st.data(), m=st.integers(1, 4), k=st.integers(1, 4), p=st.integers(1, 4),
       n=st.integers(1, 5), dtype=DTYPES, form=st.sampled_from(["matvec", "matmat", "einsum", "tensordot"]))
def test_contraction(backend, data, m, k, p, n, dtype, form):
    x, ax = batched(data.draw, (m, k), n, dtype, allow_none=True)
    y_shape = (k,) if form == "matvec" else (k, p)
    y, ay = batched(data.draw, y_shape, n, dtype, allow_none=ax is not None)
    f = {"matvec": lambda a, b: np.tanh(a @ b),
         "matmat": lambda a, b: np.maximum(a @ b, 0.0),
         "einsum": lambda a, b: np.einsum("ij,jk->ki", a, b) * 2.0,
         "tensordot": lambda a, b: np.tensordot(a, b, axes=([1], [0])).sum(-1)}[form]
    out_nd = np.ndim(f(np.zeros((m, k), dtype), np.zeros(y_shape, dtype)))
    run(f, (x, y), (ax, ay), out_axis(data.draw, out_nd))


@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
       n=st.integers(1, 5), dtype=DTYPES)
def test_reshape_transpose(backend, data, shape, n, dtype):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    x, ax = batched(data.draw, shape, n, dtype)

    def f(a):
        t = np.transpose(a, perm) * 1.5
        return t.reshape(t.shape[0], -1)[:, ::-1].T + 1.0

    run(f, (x,), ax, out_axis(data.draw, 2))


@given(data=st.data(), shape=shapes, n=st.integers(1, 5), dtype=DTYPES)
def test_broadcasting_two_arguments(backend, data, shape, n, dtype):
    """y is a suffix of x's shape with some dims set to 1; either may be unbatched."""
    cut = data.draw(st.integers(0, len(shape)))
    y_shape = tuple(1 if data.draw(st.booleans()) else d for d in shape[cut:])
    x, ax = batched(data.draw, shape, n, dtype, allow_none=True)
    y, ay = batched(data.draw, y_shape, n, np.float32, allow_none=ax is not None)
    run(lambda a, b: np.where(a > b, a * b, a - b), (x, y), (ax, ay), out_axis(data.draw, len(shape)))


UNARY = {
    "tanh": np.tanh, "sin": np.sin, "square": lambda a: a * a, "shift": lambda a: a + 1.5,
    "relu": lambda a: np.maximum(a, 0.0), "reverse": lambda a: a[::-1], "T": lambda a: a.T,
    "cumsum": lambda a: np.cumsum(a, axis=-1), "softmax": lambda a: np.exp(a) / np.exp(a).sum(),
    "expand": lambda a: a[None], "squeeze": lambda a: np.squeeze(a),
}


@given(data=st.data(), shape=shapes, n=st.integers(1, 5), dtype=DTYPES,
       program=st.lists(st.sampled_from(sorted(UNARY)), min_size=1, max_size=5),
       reduce=st.booleans())
def test_random_program(backend, data, shape, n, dtype, program, reduce):
    def f(a):
        for name in program:
            if a.ndim or name in ("tanh", "sin", "square", "shift", "relu", "softmax", "expand"):
                a = UNARY[name](a)
        return a.sum(0) if reduce and a.ndim else a

    x, ax = batched(data.draw, shape, n, dtype)
    run(f, (x,), ax, out_axis(data.draw, np.ndim(f(np.zeros(shape, dtype)))))


@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
       n=st.integers(1, 4), dtype=DTYPES)
def test_nested_vmap(backend, data, shape, n, dtype):
    """vmap(vmap(f)) with random axes at both levels, f mixing an elementwise chain and a sum."""
    inner_in = data.draw(st.integers(-len(shape), len(shape) - 1))
    x, outer_in = batched(data.draw, shape, n, dtype)  # the outer level's batch of size n

    def f(a):
        return elementwise(a) + a.sum()

    inner_out = out_axis(data.draw, len(shape) - 1)
    outer_out = out_axis(data.draw, len(shape))
    g = gvmap.vmap(gvmap.vmap(f, in_axes=inner_in, out_axes=inner_out), in_axes=outer_in, out_axes=outer_out)
    o = oracle(oracle(f, in_axes=inner_in, out_axes=inner_out), in_axes=outer_in, out_axes=outer_out)
    assert_tree_close(g(x), o(x))
