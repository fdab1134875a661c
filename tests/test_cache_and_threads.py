"""Cache correctness and thread safety.

- A compiled plan is never reused for a different signature: changing the shape, dtype,
  in_axes/out_axes, backend, pytree structure or a static value between calls of ONE
  vmapped function gives the right result every time (checked against NumPy), and the
  function is re-traced exactly when the signature is new.
- Closed-over constants: in-place mutation of a captured array after the first call does NOT
  change later results (the graph holds a snapshot taken at trace time, as in JAX); REBINDING
  a closed-over global or cell to a new array object re-traces, so later results use the new
  array (what the plain function computes).
- Threads: several threads calling one vmapped function with mixed shapes at once all get
  correct results; traces in different threads do not interfere.
"""

from __future__ import annotations

import concurrent.futures
import threading

import types

import numpy as np

import gvmap
from oracle import assert_tree_close, oracle


def counted(f):
    """``f`` plus a list that records each run (each trace, under vmap)."""
    runs = []

    def g(*args, **kwargs):
        runs.append(tuple(getattr(a, "shape", None) for a in args))
        return f(*args, **kwargs)

    return g, runs


# ---------------------------------------------------------------------------- signatures

def test_shape_change_is_a_new_plan(backend):
    f, runs = counted(lambda x: np.tanh(x).sum(-1) * x.shape[-1])
    g = gvmap.vmap(f)
    rng = np.random.RandomState(0)
    shapes = [(4, 3), (4, 5), (2, 3), (1, 3), (4, 3, 2), (4, 3), (4, 5)]
    for shape in shapes:
        x = rng.randn(*shape)
        assert_tree_close(g(x), np.tanh(x).sum(-1) * shape[-1])
    # 5 distinct shapes: one trace each at most (at least one per per-example shape)
    assert 3 <= len(runs) <= 5, runs


def test_dtype_change_is_a_new_plan(backend):
    plain = lambda x: x * 3 + x // 2 if x.dtype.kind in "iu" else x * 3 + 0.5
    f, runs = counted(plain)
    g = gvmap.vmap(f)
    base = np.arange(0, 12).reshape(4, 3)
    for dtype in [np.int32, np.float32, np.int64, np.float64, np.int8, np.uint8, np.int32]:
        x = base.astype(dtype)
        assert_tree_close(g(x), oracle(plain)(x))
    assert len(runs) == 6, runs  # one trace per new dtype, none for the repeated int32


def test_dtype_change_same_shape_exact_results(backend):
    g = gvmap.vmap(lambda x: x / 3)
    for dtype in [np.float32, np.float64, np.int64, np.float16]:
        x = np.arange(12).reshape(4, 3).astype(dtype)
        assert_tree_close(g(x), x / 3)


def test_in_axes_change_between_functions_sharing_fun(backend):
    """Two vmaps of the same Python function with different axes never share a plan."""
    def f(x):
        return x.sum(0)

    x = np.arange(24.0).reshape(2, 3, 4)
    for ax in [0, 1, 2, -1, -2]:
        assert_tree_close(gvmap.vmap(f, in_axes=ax)(x), oracle(f, ax)(x))
    for out in [0, 1, -1, -2]:
        assert_tree_close(gvmap.vmap(f, in_axes=1, out_axes=out)(x), oracle(f, 1, out)(x))


def test_in_axes_pytree_with_changing_structure(backend):
    """One vmap, arguments whose pytree structure changes: the plan follows the structure."""
    g = gvmap.vmap(lambda p: sum(v.sum() for v in (p.values() if isinstance(p, dict) else p)))
    a, b = np.ones((3, 2)), np.full((3, 4), 2.0)
    assert_tree_close(g((a, b)), np.full(3, 2.0 + 8.0))
    assert_tree_close(g({"a": a, "b": b}), np.full(3, 2.0 + 8.0))
    assert_tree_close(g([a]), np.full(3, 2.0))
    assert_tree_close(g({"a": a, "b": b, "c": a}), np.full(3, 12.0))
    assert_tree_close(g((b, a)), np.full(3, 10.0))


def test_batched_vs_unbatched_argument_same_shapes(backend):
    """in_axes None vs 0 for arrays of identical shapes: different plans."""
    f = lambda x, y: x * y.sum()
    x, y = np.arange(6.0).reshape(3, 2), np.arange(6.0).reshape(3, 2) + 1
    assert_tree_close(gvmap.vmap(f, in_axes=(0, 0))(x, y), oracle(f, (0, 0))(x, y))
    assert_tree_close(gvmap.vmap(f, in_axes=(0, None))(x, y), oracle(f, (0, None))(x, y))


def test_backend_change_same_function(backend):
    g = gvmap.vmap(lambda x: np.tanh(x * 2.0).sum())
    x = np.random.RandomState(1).randn(5, 4).astype(np.float32)
    expected = oracle(lambda v: np.tanh(v * 2.0).sum())(x)
    for name in ["numpy", "numpy-fused", backend, "numpy", backend, "numpy-fused"]:
        with gvmap.backend(name):
            got = g(x)
            assert_tree_close(got, expected)
    assert type(g(x)).__module__.split(".")[0] == ("cupy" if backend == "cupy" else "numpy")


def test_static_value_change(backend):
    f, runs = counted(lambda x, s: x * s)
    g = gvmap.vmap(f, in_axes=(0, None))
    x = np.arange(6).reshape(3, 2)
    for s in [2.0, 3.0, 2.0, 2, True, -1, 0.5]:
        assert_tree_close(g(x, s), x * s)   # dtype included: int*2 int64, int*2.0 float64
    # 2.0/3.0/2/True/-1/0.5: six static signatures (2.0 repeats; 2 and True differ from 2.0)
    assert len(runs) == 6, runs


def test_static_keyword_change(backend):
    f = lambda x, axis=0, keepdims=False: x.sum(axis=axis, keepdims=keepdims)
    g = gvmap.vmap(f)
    x = np.arange(24.0).reshape(2, 3, 4)
    for axis in [0, 1, -1, (0, 1), 0]:
        for keepdims in [False, True]:
            assert_tree_close(g(x, axis=axis, keepdims=keepdims),
                              oracle(f)(x, axis=axis, keepdims=keepdims))


def test_numpy_scalar_vs_python_scalar_static(backend):
    g = gvmap.vmap(lambda x, s: x * s, in_axes=(0, None))
    x = np.ones((3, 2), np.float32)
    assert_tree_close(g(x, 2.0), x * 2.0)                       # float32 (weak Python float)
    assert_tree_close(g(x, np.float64(2.0)), x * np.float64(2.0))  # float64 (NEP 50)
    assert_tree_close(g(x, 2.0), x * 2.0)


def test_cached_call_matches_first_call(backend):
    g = gvmap.vmap(lambda a, b: (a @ b, np.maximum(a, 0).sum(-1)), in_axes=(0, None))
    rng = np.random.RandomState(2)
    b = rng.randn(4, 3)
    for _ in range(4):
        a = rng.randn(6, 5, 4)
        assert_tree_close(g(a, b), oracle(lambda u, v: (u @ v, np.maximum(u, 0).sum(-1)),
                                          (0, None))(a, b))


def test_nested_inner_reused_across_outer_shapes(backend):
    inner = gvmap.vmap(lambda v: v * v.sum())
    outer = gvmap.vmap(inner)
    for shape in [(2, 3, 4), (2, 3, 5), (1, 1, 1), (2, 3, 4)]:
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        assert_tree_close(outer(x), oracle(oracle(lambda v: v * v.sum()))(x))
        assert_tree_close(inner(x[0]), oracle(lambda v: v * v.sum())(x[0]))


def test_chunked_and_unchunked_calls_alternate(backend):
    g = gvmap.vmap(lambda v: np.cumsum(v) * 2, chunk_size=3)
    for n in [2, 7, 3, 10, 1]:
        x = np.arange(n * 4.0).reshape(n, 4)
        assert_tree_close(g(x), np.cumsum(x, axis=1) * 2)


# ---------------------------------------------------------------------------- closed-over constants

def test_inplace_mutation_of_captured_constant_is_not_seen(backend):
    """Snapshot semantics: the graph holds the constant's value at trace time."""
    W = np.ones((2, 3))
    g = gvmap.vmap(lambda v: W @ v)
    x = np.arange(12.0).reshape(4, 3)
    first = gvmap.device_get(g(x))
    np.testing.assert_allclose(first, x @ np.ones((3, 2)))
    W[:] = 5.0
    assert_tree_close(g(x), first)               # fast path (positional arrays)
    assert_tree_close(g(x, **{}), first)         # and the full path
    assert_tree_close(gvmap.vmap(lambda v: W @ v)(x), x @ np.full((3, 2), 5.0))  # a new trace sees 5


def test_inplace_mutation_of_captured_constant_keyword_path(backend):
    W = np.ones(3)
    g = gvmap.vmap(lambda v, k=1.0: (W * v) * k)
    x = np.ones((2, 3))
    first = gvmap.device_get(g(x, k=2.0))
    W += 10.0
    assert_tree_close(g(x, k=2.0), first)


def test_inplace_mutation_of_default_argument_constant(backend):
    W = np.ones(3)

    def f(v, W=W):
        return v + W

    g = gvmap.vmap(f)
    x = np.zeros((2, 3))
    first = gvmap.device_get(g(x))
    W *= 7
    assert_tree_close(g(x), first)


G_W = np.ones(3)


def _uses_global(v):
    return v * G_W


def test_rebinding_a_global_retraces(backend):
    """Rebinding a closed-over global to a new array: later calls use the new array (what
    ``_uses_global`` itself computes)."""
    global G_W
    saved = G_W
    try:
        G_W = np.ones(3)
        g = gvmap.vmap(_uses_global)
        x = np.arange(6.0).reshape(2, 3)
        assert_tree_close(g(x), x * 1.0)
        G_W = np.full(3, 2.0)
        assert_tree_close(g(x), oracle(_uses_global)(x))       # x * 2
        G_W = np.array([1.0, -1.0, 0.5])
        assert_tree_close(g(x, **{}), oracle(_uses_global)(x))
    finally:
        G_W = saved


def test_rebinding_a_closure_cell_retraces(backend):
    def make():
        w = np.ones(3)

        def f(v):
            return v + w

        def rebind(new):
            nonlocal w
            w = new

        return f, rebind

    f, rebind = make()
    g = gvmap.vmap(f)
    x = np.zeros((2, 3))
    assert_tree_close(g(x), np.ones((2, 3)))
    rebind(np.full(3, 4.0))
    assert_tree_close(g(x), np.full((2, 3), 4.0))


def test_rebinding_a_global_used_by_nested_vmap(backend):
    global G_W
    saved = G_W
    try:
        G_W = np.ones(3)
        g = gvmap.vmap(gvmap.vmap(_uses_global))
        x = np.ones((2, 2, 3))
        assert_tree_close(g(x), x)
        G_W = np.full(3, 3.0)
        assert_tree_close(g(x), x * 3.0)
    finally:
        G_W = saved


def test_default_argument_is_not_rebound(backend):
    """Python semantics: a default bound at def time keeps its object when the global is
    rebound, so the result does not change (NumPy gives the same)."""
    global G_W
    saved = G_W
    try:
        G_W = np.ones(3)

        def f(v, W=G_W):
            return v * W

        g = gvmap.vmap(f)
        x = np.full((2, 3), 2.0)
        assert_tree_close(g(x), x)
        G_W = np.full(3, 9.0)
        assert_tree_close(g(x), oracle(f)(x))
    finally:
        G_W = saved


# ---------------------------------------------------------------------------- threads

def _expected(x):
    return np.tanh(x * 2.0).sum(-1) + x.max(-1)


def test_threads_share_one_vmapped_function(backend):
    """8 threads x 50 calls, mixed shapes and dtypes, on one fresh vmapped function (so the
    first compilations race too)."""
    g = gvmap.vmap(lambda v: np.tanh(v * 2.0).sum(-1) + v.max(-1))
    shapes = [(4, 3), (2, 5), (7, 3), (1, 1), (3, 2, 4), (5, 3)]
    dtypes = [np.float64, np.float32]
    rng = np.random.RandomState(4)
    inputs = [rng.randn(*shapes[i % len(shapes)]).astype(dtypes[i % 2 if i % 3 else 0])
              for i in range(400)]
    name = backend

    def call(x):
        with gvmap.backend(name):
            got = gvmap.device_get(g(x))
        return got

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, inputs))
    for x, got in zip(inputs, results):
        exp = _expected(x)
        assert got.dtype == exp.dtype and got.shape == exp.shape, (x.shape, got.shape, exp.shape)
        np.testing.assert_allclose(got, exp, rtol=1e-5 if x.dtype == np.float32 else 1e-12,
                                   atol=1e-5 if x.dtype == np.float32 else 1e-12)


def test_threads_with_different_backends():
    """The backend is per thread: concurrent numpy and numpy-fused calls each run on their
    own backend and all get correct results."""
    g = gvmap.vmap(lambda v: np.exp(-v * v).sum())
    x = np.random.RandomState(5).randn(6, 4)
    exp = np.exp(-x * x).sum(-1)

    def call(i):
        name = ["numpy", "numpy-fused"][i % 2]
        with gvmap.backend(name):
            out = g(x[: 1 + i % 6])
        assert isinstance(out, np.ndarray)
        return i, out

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for i, got in pool.map(call, range(200)):
            np.testing.assert_allclose(got, exp[: 1 + i % 6], rtol=1e-12, atol=1e-12)


def test_concurrent_traces_do_not_interfere(backend):
    """Two threads trace at the same moment (a barrier inside the traced functions holds
    both traces open together); each graph gets only its own equations."""
    barrier = threading.Barrier(2, timeout=20)

    def f(v):
        y = v * 2.0
        barrier.wait()
        return y + 1.0

    def h(v):
        y = np.sin(v)
        barrier.wait()
        return y.sum()

    x = np.arange(12.0).reshape(4, 3)
    name = backend

    def run(fun):
        with gvmap.backend(name):
            return gvmap.device_get(gvmap.vmap(fun)(x))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(run, f), pool.submit(run, h)
        got_f, got_h = a.result(timeout=60), b.result(timeout=60)
    np.testing.assert_allclose(got_f, x * 2.0 + 1.0)
    np.testing.assert_allclose(got_h, np.sin(x).sum(-1))


def test_threads_nested_and_jit_mixed(backend):
    inner = gvmap.vmap(lambda v: v - v.mean())
    outer = gvmap.vmap(inner)
    jitted = gvmap.jit(lambda m: (m * m).sum(0))
    rng = np.random.RandomState(6)
    xs = [rng.randn(*s) for s in [(2, 3, 4), (3, 1, 2), (1, 4, 4)] * 30]
    name = backend

    def call(i):
        x = xs[i]
        with gvmap.backend(name):
            if i % 3 == 0:
                return gvmap.device_get(outer(x)), x - x.mean(-1, keepdims=True)
            if i % 3 == 1:
                return gvmap.device_get(inner(x[0])), x[0] - x[0].mean(-1, keepdims=True)
            return gvmap.device_get(jitted(x)), (x * x).sum(0)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for got, exp in pool.map(call, range(len(xs))):
            np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- regressions

def test_chunking_from_threads_never_poisons_the_cache(backend):
    """Chunking used to overwrite ``self.axis_size`` while it sliced: another thread then
    built (and the fast path kept) a plan of the chunk's size. Nothing on the call path is
    shared mutable state now, so every call, and the single-threaded call after, is right."""
    g = gvmap.vmap(lambda x: x * 2.0, in_axes=None, axis_size=10, chunk_size=3)
    x = np.arange(4.0)
    name = backend

    def call(_):
        with gvmap.backend(name):
            return gvmap.device_get(g(x)).shape

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        shapes = list(pool.map(call, range(200)))
    assert set(shapes) == {(10, 4)}, sorted(set(shapes))
    assert_tree_close(g(x), np.tile(x * 2.0, (10, 1)))


def test_static_signed_zero_and_nan_are_distinct_signatures(backend):
    f, runs = counted(lambda x, s: x / s)
    g = gvmap.vmap(f, in_axes=(0, None))
    x = np.ones((3, 2))
    with np.errstate(divide="ignore"):
        assert_tree_close(g(x, 0.0), np.full((3, 2), np.inf))
        assert_tree_close(g(x, -0.0), np.full((3, 2), -np.inf))     # -inf, not inf's plan
    k = gvmap.vmap(lambda x, s=0.0: x / s)
    assert_tree_close(k(x, s=0.0), np.full((3, 2), np.inf))
    assert_tree_close(k(x, s=-0.0), np.full((3, 2), -np.inf))        # keyword too
    t = gvmap.vmap(lambda x, s: x / s[1], in_axes=(0, None))
    assert_tree_close(t(x, (1.0, 0.0)), np.full((3, 2), np.inf))
    assert_tree_close(t(x, (1.0, -0.0)), np.full((3, 2), -np.inf))   # inside a tuple
    before = g.cache_info().currsize
    for _ in range(5):
        g(x, float("nan"))
    assert g.cache_info().currsize == before + 1                     # NaN: one entry


def test_signature_cache_is_bounded_and_counts_evictions(backend):
    g = gvmap.vmap(lambda x: x + 1.0)
    g.cache_size = 3
    for n in range(1, 8):
        assert_tree_close(g(np.zeros((2, n))), np.ones((2, n)))
    info = g.cache_info()
    assert info.currsize == 3 and info.maxsize == 3 and info.evictions == 4, info
    assert len(g._fast) <= 3 and len(g._built) <= 3
    assert_tree_close(g(np.zeros((2, 1))), np.ones((2, 1)))          # evicted: traced again
    assert g.cache_info().evictions == 5


def test_cache_size_must_be_positive():
    g = gvmap.vmap(lambda x: x)
    for bad in (0, -1, 1.5, True):
        try:
            g.cache_size = bad
        except ValueError as e:
            assert "cache_size" in str(e)
        else:
            raise AssertionError(f"cache_size={bad!r} accepted")


G_T = 1.0


def _scaled(v):
    return v * G_T


def _calls_helper(v):
    return _scaled(v) + 1.0


def test_rebinding_a_python_scalar_retraces(backend):
    global G_T
    saved = G_T
    try:
        g = gvmap.vmap(_scaled)
        x = np.ones((2, 3))
        assert_tree_close(g(x), x)
        G_T = 2.0
        assert_tree_close(g(x), x * 2.0)
        G_T = -0.0
        assert_tree_close(g(x, **{}), oracle(_scaled)(x))
    finally:
        G_T = saved


def test_rebinding_a_global_read_by_a_helper_retraces(backend):
    global G_T
    saved = G_T
    try:
        g = gvmap.vmap(_calls_helper)
        x = np.ones((2, 3))
        assert_tree_close(g(x), x + 1.0)
        G_T = 3.0
        assert_tree_close(g(x), oracle(_calls_helper)(x))            # 4.0, not 2.0
    finally:
        G_T = saved


def test_rebinding_seen_through_nesting(backend):
    """``gi`` alone re-traces when ``G_T`` is rebound; an outer vmap that calls ``gi`` must
    too (it used to keep gi's old graph)."""
    global G_T
    saved = G_T
    try:
        gi = gvmap.vmap(_scaled)
        outer = gvmap.vmap(lambda m: gi(m))
        x = np.ones((2, 3, 4))
        assert_tree_close(outer(x), x)
        G_T = 5.0
        assert_tree_close(gi(x[0]), x[0] * 5.0)
        assert_tree_close(outer(x), x * 5.0)
    finally:
        G_T = saved


def test_rebinding_a_closure_scalar_retraces(backend):
    scale = 1.0

    def f(v):
        return v * scale

    g = gvmap.vmap(f)
    x = np.ones((2, 2))
    assert_tree_close(g(x), x)
    scale = 4.0  # noqa: F841 (read through f's closure cell)
    assert_tree_close(g(x), x * 4.0)


class _Model:
    scale = 1.0  # a class attribute, read through the instance

    def __init__(self):
        self.w = np.ones(2)

    def __call__(self, v):
        return v @ self.w * self.scale


def test_items_and_attributes_read_are_watched(backend):
    """A list's or dict's items, an object's or class's attributes the traced code read:
    rebinding one traces again (``model.w = new_w``, ``params["w"] = ...``); arrays
    changed in place stay snapshotted, as under jax.jit."""
    table, params, model = [1.0], {"w": np.ones(2)}, _Model()
    ns = types.SimpleNamespace(bias=0.0)
    g = gvmap.vmap(lambda v: v @ params["w"] * table[0] + ns.bias)
    m = gvmap.vmap(model)
    x = np.ones((3, 2))
    assert_tree_close(g(x), np.full(3, 2.0))
    assert_tree_close(m(x), np.full(3, 2.0))
    table[0] = 9.0
    assert_tree_close(g(x), np.full(3, 18.0))
    params["w"] = np.full(2, 2.0)
    assert_tree_close(g(x), np.full(3, 36.0))
    ns.bias = 1.0
    assert_tree_close(g(x), np.full(3, 37.0))
    table.append(5.0)                        # an item the trace never read: traces again
    assert_tree_close(g(x), np.full(3, 37.0))
    model.w = np.full(2, 3.0)
    assert_tree_close(m(x), np.full(3, 6.0))
    _Model.scale = 2.0
    try:
        assert_tree_close(m(x), np.full(3, 12.0))
    finally:
        _Model.scale = 1.0
    assert_tree_close(m(x), np.full(3, 6.0))
    big = list(range(300))                   # past 256 items: watched by its length alone
    h = gvmap.vmap(lambda v: v * big[0])
    assert_tree_close(h(x), x * 0)
    big[0] = 1
    assert_tree_close(h(x), x * 0)
    big.append(1)
    assert_tree_close(h(x), x)
    params["w"][:] = 0.0                     # in place: the snapshot stands (documented)
    assert_tree_close(g(x), np.full(3, 37.0))
    assert g.cache_info().misses == 5 and m.cache_info().misses == 4


def test_the_traces_own_writes_do_not_trace_again(backend):
    """State the traced code writes while tracing (a constant appended, a counter) is
    taken as the trace left it: later calls run the plan."""
    log, counter = [], types.SimpleNamespace(calls=0)

    def f(v):
        log.append(v.shape)
        counter.calls += 1
        return v * len(log)

    g = gvmap.vmap(f)
    x = np.ones((3, 2))
    for _ in range(3):
        assert_tree_close(g(x), x)
    assert log == [(2,)] and counter.calls == 1 and g.cache_info().misses == 1


def _module_level(v):
    return np.tanh(v).sum()


def test_vmapped_and_jitted_functions_pickle(backend):
    import pickle

    x = np.random.RandomState(3).randn(4, 5)
    for fn in (gvmap.vmap(_module_level), gvmap.vmap(_module_level, in_axes=1, chunk_size=2),
               gvmap.jit(_module_level)):
        fn(x)                                       # caches, locks, plans: left behind
        copy = pickle.loads(pickle.dumps(fn))
        assert type(copy) is type(fn) and copy.fun is _module_level
        assert copy.cache_info().currsize == 0
        assert_tree_close(copy(x), fn(x))
    v = pickle.loads(pickle.dumps(gvmap.vmap(_module_level, in_axes=1, chunk_size=2)))
    assert (v.in_axes, v.chunk_size) == (1, 2)


def test_device_is_part_of_the_signature(monkeypatch):
    """A plan (and the constants it uploaded) is never reused on another device: the
    compiled-signature key and the fast-path key hold ``backend.device_id()``."""
    from gvmap.backends import current_backend

    backend = current_backend()
    device = [0]
    monkeypatch.setattr(type(backend), "device_id", lambda self: device[0])
    W = np.ones(3)
    g = gvmap.vmap(lambda v: v * W)
    x = np.ones((2, 3))
    g(x)
    g(x)
    assert g.cache_info().currsize == 1
    device[0] = 1
    g(x)
    assert g.cache_info().currsize == 2
    assert {k[1] for k in g._compiled._data} == {0, 1}
    assert {k[1] for k in g._fast} == {0, 1}


def test_closed_over_array_is_snapshotted_once_per_function(backend):
    """Ten batch shapes share one copy of a closed-over array (they used to hold ten), and
    a nested vmap inlines its inner function's copy instead of copying it again."""
    W = np.arange(12.0).reshape(3, 4)
    g = gvmap.vmap(lambda v: W @ v)
    for n in range(1, 11):
        assert_tree_close(g(np.ones((n, 4))), oracle(lambda v: W @ v)(np.ones((n, 4))))
    consts = [c for b in g._built._data.values() for c in b.graph.consts if c.shape == W.shape]
    assert len(consts) == 10 and len({id(c) for c in consts}) == 1
    assert not np.shares_memory(consts[0], W)  # still a snapshot
    inner = gvmap.vmap(lambda v: W @ v)
    outer = gvmap.vmap(inner)
    for n in (2, 3):
        outer(np.ones((n, 2, 4)))
    inner_copy = {id(c) for b in inner._built._data.values() for c in b.graph.consts}
    outer_copies = {id(c) for b in outer._built._data.values() for c in b.graph.consts}
    assert outer_copies == inner_copy and len(inner_copy) == 1


def test_shared_snapshot_is_uploaded_once_per_device(monkeypatch):
    """Plans of one function upload a shared snapshot once (per device), not per plan."""
    from gvmap.backends import current_backend

    backend = current_backend()
    uploads = []
    real = type(backend).asarray

    def counting(self, x):
        if getattr(x, "shape", None) == (6, 7):
            uploads.append(id(x))
        return real(self, x)

    monkeypatch.setattr(type(backend), "asarray", counting)
    W = np.arange(42.0).reshape(6, 7)
    g = gvmap.vmap(lambda v: W @ v)
    for n in range(1, 6):
        g(np.ones((n, 7)))
    assert len(uploads) == 1, uploads


def test_reads_in_a_loop_are_watched_once(backend):
    """A method read on every pass of a loop is one watched read, not one per pass."""
    model = _Model()

    def f(v):
        for _ in range(50):
            v = model(v[None].repeat(2, 0))
        return v

    g = gvmap.vmap(f)
    g(np.ones((3, 2)))
    assert len(g._watch._attributes) == 3  # _Model.__call__, model.w, _Model.scale


def test_reads_of_a_nested_vmap_are_watched_by_the_enclosing_one(backend):
    """The enclosing plan inlines the inner one's graph, so it depends on what the inner
    trace read (here the inner function ran on its own first, and its plan is reused)."""
    model = _Model()
    inner = gvmap.vmap(model)
    outer = gvmap.vmap(lambda x: inner(x))
    x = np.ones((3, 4, 2))
    assert_tree_close(inner(x[0]), np.full(4, 2.0))
    assert_tree_close(outer(x), np.full((3, 4), 2.0))
    model.w = np.full(2, 5.0)
    assert_tree_close(outer(x), np.full((3, 4), 10.0))
