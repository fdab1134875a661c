"""vmap over Dask arrays: lazy results, one task per batch chunk, on threads and on a cluster.

- Results are Dask arrays whose dtype, shape, chunks and meta come from the traced graph
  (nothing runs before ``compute``), and equal the loop oracle's, for pytrees in and out,
  every ``out_axes`` placement, NumPy/CuPy arguments beside Dask ones, unbatched Dask
  arguments (computed once), rechunked non-batch axes and a batch of no batched argument.
- ``f`` runs once per chunk however many outputs it has; ``chunk_size`` and the
  out-of-memory halving act inside each chunk; refusals (jit, unknown chunk sizes, Dask
  inside a trace, non-array Dask objects) name the argument and the rewrite.
- A batch generated chunk by chunk and reduced keeps peak memory at a few chunks.
- On a two-process ``LocalCluster`` the function ships once per worker and each worker
  traces once per signature, across calls; with dask-cuda each worker runs on its own GPU
  (skipped without dask_cuda and a device).
"""
from __future__ import annotations

import io
import os
import pickle
import tracemalloc

import numpy as np
import pytest

import gvmap
from conftest import cupy_unusable_reason
from oracle import assert_tree_close, oracle

da = pytest.importorskip("dask.array")
import dask  # noqa: E402  (after the skip: dask is an optional dependency)

from gvmap import dask_arrays  # noqa: E402
from test_memory import memory_limit  # noqa: E402,F401  (the fixture: plan runs' batch sizes)

W = np.random.RandomState(8675309).randn(3, 5).astype(np.float32)


def seed(v):
    return np.tanh(W @ v + 1.0).sum()


def on(backend: str, x):
    """``x`` with CuPy chunks when the test runs on the CuPy backend."""
    if backend != "cupy":
        return x
    import cupy

    return x.map_blocks(cupy.asarray)


def sync():
    return dask.config.set(scheduler="sync")


# ---------------------------------------------------------------------------- threads

def test_seed_model_is_lazy_and_matches_the_loop(backend):
    host = np.random.RandomState(0).randn(103, 5).astype(np.float32)
    x = on(backend, da.from_array(host, chunks=25))
    y = gvmap.vmap(seed)(x)
    assert isinstance(y, da.Array)
    assert (y.shape, y.dtype, y.chunks) == ((103,), np.float32, ((25, 25, 25, 25, 3),))
    assert type(y._meta).__module__.split(".")[0] == ("cupy" if backend == "cupy" else "numpy")
    assert_tree_close(y.compute(), oracle(seed)(host), backend=backend)


def test_tasks_run_on_the_backend_chosen_around_the_call():
    g = gvmap.vmap(seed)
    x = da.from_array(np.ones((8, 5), np.float32), chunks=4)
    with gvmap.backend("numpy-fused"):
        y = g(x)
    y.compute(scheduler="threads")  # dask's worker threads, outside the with block
    assert {key[0] for key in g._compiled._data} == {"numpy-fused"}


def test_metadata_comes_from_one_trace_and_nothing_runs_before_compute():
    def plain(v):
        return {"s": (v * v).sum(), "m": np.outer(v, v).astype(np.float64)}

    traces = []

    def f(v):
        traces.append(v.shape)
        return plain(v)

    x = da.random.default_rng(1).standard_normal((10, 4), chunks=(4, 4), dtype=np.float32)
    out = gvmap.vmap(f, out_axes={"s": 0, "m": 2})(x)
    assert len(traces) == 1                      # traced for the metadata, nothing run
    assert (out["s"].dtype, out["s"].chunks) == (np.float32, ((4, 4, 2),))
    assert (out["m"].dtype, out["m"].shape, out["m"].chunks) == (
        np.float64, (4, 4, 10), ((4,), (4,), (4, 4, 2)))
    with sync():
        got = dask.compute(out)[0]
    assert_tree_close(got, oracle(plain, out_axes={"s": 0, "m": 2})(x.compute()))
    assert len(traces) == 2                      # chunks of 4 reuse the metadata trace


def test_f_runs_once_per_chunk_whatever_the_number_of_outputs(monkeypatch):
    runs = []
    real = dask_arrays._ChunkTask.__call__

    def counted(self, *args):
        runs.append(1)
        return real(self, *args)

    monkeypatch.setattr(dask_arrays._ChunkTask, "__call__", counted)

    def f(v, w):
        return v.sum(), (v * 2, {"w": w + 1.0}), v.max()

    host = np.arange(30.0).reshape(6, 5)
    x = da.from_array(host, chunks=2)
    out = gvmap.vmap(f, in_axes=(0, None), out_axes=(0, (1, {"w": None}), 0))(x, np.ones(3))
    got = dask.compute(out, scheduler="threads")[0]
    assert len(runs) == 3
    assert_tree_close(got, oracle(f, in_axes=(0, None), out_axes=(0, (1, {"w": None}), 0))(
        host, np.ones(3)))


def test_pytrees_of_arguments_and_an_unbatched_dask_argument_computed_once():
    made = []

    def count_blocks(block):
        made.append(block.shape)
        return block

    rng = np.random.RandomState(2)
    a, b, w = rng.randn(9, 3), rng.randn(2, 9), rng.randn(3)
    wd = da.from_array(w, chunks=1).map_blocks(count_blocks, meta=np.empty((0,)))  # 3 blocks
    args = ({"a": da.from_array(a, chunks=(4, 3)), "b": da.from_array(b, chunks=(2, 3))}, wd)

    def f(d, w, *, k):
        return {"u": d["a"] * w + d["b"].sum() * k, "v": d["a"] @ w}

    in_axes = ({"a": 0, "b": 1}, None)
    out = gvmap.vmap(f, in_axes=in_axes)(*args, k=2.0)
    assert out["u"].chunks == ((4, 4, 1), (3,))                  # the first batched argument's
    got = dask.compute(out, scheduler="threads")[0]
    assert len(made) == 3                                        # w's blocks, once, not per task
    assert_tree_close(got, oracle(f, in_axes=in_axes)({"a": a, "b": b}, w, k=2.0))


def test_split_non_batch_axes_and_numpy_arguments_follow_the_batch_chunks(backend):
    rng = np.random.RandomState(3)
    x, y = rng.randn(6, 11, 4), rng.randn(11, 2)

    def f(x, y):
        return x @ np.ones(4) + y.sum(), np.stack([y, y])

    xd = on(backend, da.from_array(x, chunks=(4, 3, 2)))         # batch axis 1, in 4 chunks
    out = gvmap.vmap(f, in_axes=(1, 0), out_axes=(0, 2))(xd, y)
    assert out[0].chunks == ((3, 3, 3, 2), (6,)) and out[1].chunks == ((2,), (2,), (3, 3, 3, 2))
    with sync():
        got = dask.compute(out)[0]
    assert_tree_close(got, oracle(f, in_axes=(1, 0), out_axes=(0, 2))(x, y), backend=backend)


def test_a_batch_without_a_batched_argument_is_one_chunk():
    w = da.from_array(np.arange(3.0), chunks=1)
    y = gvmap.vmap(lambda w: w * 2.0, in_axes=None, axis_size=4)(w)
    assert y.chunks == ((4,), (3,))
    np.testing.assert_array_equal(y.compute(scheduler="sync"), np.tile(np.arange(3.0) * 2, (4, 1)))


def test_empty_batch():
    y = gvmap.vmap(seed)(da.zeros((0, 5), chunks=3, dtype=np.float32))
    assert y.shape == (0,) and y.compute(scheduler="sync").shape == (0,)


def test_chunk_size_and_out_of_memory_halving_act_inside_each_chunk(memory_limit):
    limit, seen = memory_limit
    host = np.random.RandomState(4).randn(20, 5).astype(np.float32)
    x = da.from_array(host, chunks=10)
    with sync():
        assert_tree_close(gvmap.vmap(seed, chunk_size=4)(x).compute(), oracle(seed)(host))
        assert sorted(seen) == [2, 2, 4, 4, 4, 4]
        seen.clear()
        limit[0] = 3
        assert_tree_close(gvmap.vmap(seed)(x).compute(), oracle(seed)(host))
    assert max(n for n in seen if n <= 3) <= 3 and sum(n for n in seen if n <= 3) == 20


def test_refusals_name_the_argument_and_the_rewrite():
    x = da.from_array(np.ones((6, 5), np.float32), chunks=3)
    with pytest.raises(TypeError, match=r"jit: argument 0 \('v'\).*vmap.*map_blocks"):
        gvmap.jit(seed)(x)
    with pytest.raises(ValueError, match=r"argument 0 \('v'\).*unknown chunk sizes.*"
                                         r"compute_chunk_sizes\(\)"):
        gvmap.vmap(seed)(x[x[:, 0] > 0])
    with pytest.raises(TypeError, match="inside a traced function.*outermost"):
        gvmap.vmap(lambda s: gvmap.vmap(lambda v: v * s)(x))(np.ones(2, np.float32))
    with pytest.raises(TypeError, match="Delayed.*not a dask.array.Array.*from_delayed"):
        gvmap.vmap(seed)(dask.delayed(np.ones)((6, 5)))
    with pytest.raises(ValueError, match="different sizes"):      # the signature's own checks
        gvmap.vmap(lambda a, b: a + b)(x, da.ones((4, 5), chunks=2))
    with pytest.raises(TypeError, match="complex"):
        gvmap.vmap(seed)(x.astype(np.complex64))


def test_bounded_memory_a_large_generated_batch_reduced_to_a_scalar():
    """1e6 examples (20 MB of float32 inputs) in 100 chunks of 200 kB, generated and reduced
    chunk by chunk: Python's allocations (NumPy's included) peak at a few chunks."""
    n, chunk = 10**6, 10**4
    x = da.random.default_rng(5).standard_normal((n, 5), chunks=(chunk, 5), dtype=np.float32)
    gvmap.vmap(seed)(x[:2 * chunk]).sum().compute(scheduler="threads")  # one-off allocations
    total = gvmap.vmap(seed)(x).sum()
    chunk_bytes = chunk * 5 * 4
    tracemalloc.start()
    try:
        got = total.compute(scheduler="threads", num_workers=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * chunk_bytes, f"peak {peak / 1e6:.1f} MB, chunks of {chunk_bytes / 1e6} MB"
    hand = x.map_blocks(lambda b: np.tanh(b @ W.T + 1.0).sum(1), drop_axis=1, dtype=np.float32)
    np.testing.assert_allclose(got, hand.sum(dtype=np.float64).compute(), rtol=1e-4)


def test_dask_progress_bar_reports_the_tasks(capsys):
    from dask.diagnostics import ProgressBar

    x = da.from_array(np.ones((40, 5), np.float32), chunks=10)
    with ProgressBar(out=io.StringIO()) as bar:
        gvmap.vmap(seed)(x).sum().compute(scheduler="threads")
    assert "100% Completed" in bar._file.getvalue()


def test_the_function_ships_as_bytes_and_arrives_once_per_process():
    g = gvmap.vmap(seed)
    g(np.ones((4, 5), np.float32))                     # caches and plans: left behind
    shipped = dask_arrays._Shipped.of(g)
    first, again = pickle.loads(pickle.dumps(shipped)), pickle.loads(pickle.dumps(shipped))
    assert first is again and first.transformation is not g
    assert first.transformation.cache_info().currsize == 0
    assert dask_arrays._Shipped.of(gvmap.vmap(seed)).token == shipped.token  # content, not id
    assert dask_arrays._Shipped.of(gvmap.vmap(seed, out_axes=-1)).token != shipped.token


# ---------------------------------------------------------------------------- distributed

@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, shared by this module's cluster tests (a
    cluster takes seconds to start); not the default scheduler, so the other tests keep
    Dask's threads."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", worker_dashboard_address=":0") as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client


def worker_plans():
    """On a worker: (token, hits, misses, compiled signatures) per function arrived there."""
    from gvmap import dask_arrays

    return [(token, *s.transformation.cache_info()[:2], len(s.transformation._compiled))
            for token, s in list(dask_arrays._arrived._data.items())]


def test_cluster_of_processes_traces_once_per_signature_per_worker(client, tmp_path):
    log = str(tmp_path / "traces")

    def f(v):  # each trace, in whichever process, leaves its process id in the log
        with open(log, "a") as trace_log:
            trace_log.write(f"{os.getpid()}\n")
        return np.tanh(W @ v + 1.0).sum()

    host = np.random.RandomState(6).randn(64, 5).astype(np.float32)
    x = da.from_array(host, chunks=8)                  # 8 chunks of one signature
    g = gvmap.vmap(f)
    token = dask_arrays._Shipped.of(g).token
    assert_tree_close(g(x).compute(scheduler=client), oracle(seed)(host), backend="numpy")
    assert_tree_close(g(x * 2).compute(scheduler=client), oracle(seed)(host * 2), backend="numpy")
    with open(log) as trace_log:
        pids = [int(line) for line in trace_log]
    workers = set(client.run(os.getpid).values())
    on_workers = [pid for pid in pids if pid != os.getpid()]
    assert on_workers and set(on_workers) <= workers
    assert len(on_workers) == len(set(on_workers)), pids  # once per worker, across both calls
    mine = [p for plans in client.run(worker_plans).values() for p in plans if p[0] == token]
    assert sum(hits + misses for _, hits, misses, _ in mine) == 16  # every task: one copy


def test_cluster_of_processes_pytrees_and_shared_arguments(client):
    rng = np.random.RandomState(7)
    a, b, w = rng.randn(10, 3), rng.randn(10), rng.randn(3)

    def f(a, b, w):
        return {"x": a * w + b, "y": (a @ w, b > 0)}

    in_axes = (0, 0, None)
    out = gvmap.vmap(f, in_axes=in_axes)(da.from_array(a, chunks=(3, 1)), b,
                                         da.from_array(w, chunks=2))
    got = dask.compute(out, scheduler=client)[0]
    assert_tree_close(got, oracle(f, in_axes=in_axes)(a, b, w), backend="numpy")


def test_dask_cuda_one_gpu_per_worker():
    """With dask-cuda each worker sees its own GPU as its current device: chunks are CuPy
    arrays there, plans compile per worker on that device, outputs stay CuPy."""
    dask_cuda = pytest.importorskip("dask_cuda")
    distributed = pytest.importorskip("distributed")
    reason = cupy_unusable_reason()
    if reason is not None:
        pytest.skip(f"no usable GPU: {reason}")
    import cupy

    workers = min(2, cupy.cuda.runtime.getDeviceCount())
    host = np.random.RandomState(8).randn(4096, 5).astype(np.float32)
    with dask_cuda.LocalCUDACluster(n_workers=workers, threads_per_worker=1) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        x = da.from_array(host, chunks=512).map_blocks(cupy.asarray)
        y = gvmap.vmap(seed)(x)
        assert type(y._meta) is cupy.ndarray
        got = y.compute(scheduler=client)
        assert type(got) is cupy.ndarray
        assert_tree_close(got, oracle(seed)(host), backend="cupy")
        visible = client.run(lambda: os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0])
        assert len(set(visible.values())) == workers

        def compiled_on():
            from gvmap import dask_arrays

            return sorted({key[:2] for s in dask_arrays._arrived._data.values()
                           for key in s.transformation._compiled._data})

        assert all(keys in ([], [("cupy", 0)]) for keys in client.run(compiled_on).values())


def _checked(p):
    if np.any(p < 0):
        raise ValueError("negative input")
    return np.linalg.cholesky(p @ p.T + np.eye(2)), np.nanargmax(p[0] + p[1])


def test_an_error_names_its_example_in_the_whole_batch_not_the_chunk():
    """Each task runs a chunk; the example its error names is moved to the chunk's offset
    (a user's raise, a LinAlgError, NumPy's ExampleError), as vmap's own chunks do."""
    from gvmap.errors import ExampleValueError, LinAlgError

    host = np.abs(np.random.RandomState(9).randn(10, 2, 2))
    x = da.from_array(host, chunks=(4, 2, 2))
    with sync():
        bad = host.copy(); bad[7, 1, 0] = -1.0
        with pytest.raises(ValueError, match="negative input") as info:
            gvmap.vmap(_checked)(da.from_array(bad, chunks=(4, 2, 2)))[0].compute()
        assert info.value.gvmap_example == (7,)
        nan = host.copy(); nan[6, :, 1] = np.nan; nan[6, :, 0] = np.nan
        with pytest.raises(ExampleValueError, match="in example 6"):
            gvmap.vmap(lambda p: np.nanargmax(p[0] + p[1]))(da.from_array(nan, chunks=(4, 2, 2))).compute()
        singular = np.stack([np.eye(2)] * 10); singular[9] = -np.eye(2)
        with pytest.raises(LinAlgError, match="in example 9"):
            gvmap.vmap(np.linalg.cholesky)(da.from_array(singular, chunks=(4, 2, 2))).compute()
        assert_tree_close(gvmap.vmap(_checked)(x)[0].compute(), oracle(_checked)(host)[0])


def test_cluster_of_processes_ships_a_named_example_back(client):
    bad = np.abs(np.random.RandomState(9).randn(10, 2, 2))
    bad[5, 0, 0] = -1.0
    with pytest.raises(ValueError, match="negative input") as info:
        gvmap.vmap(_checked)(da.from_array(bad, chunks=(3, 2, 2)))[0].compute(scheduler=client)
    assert info.value.gvmap_example == (5,) and "example 5 of the batch" in info.value.__notes__[0]
