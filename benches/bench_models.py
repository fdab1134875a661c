"""Each model x method x batch size, one pytest-benchmark each.

Benchmarks are grouped per (model, n), so pytest-benchmark's table and the JSON
compare the methods side by side.  Before timing, every method is called once on
the same data (warm-up: gvmap traces, batches, fuses and caches; JAX compiles)
and its result is checked against hand-batched NumPy on the first rows, so a
wrong answer is never timed.  The timed call includes synchronisation (CuPy
stream synchronize, JAX block_until_ready, torch.cuda.synchronize).
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys

import numpy as np
import pytest

import benchenv
from benchenv import METHODS, fmt_size
from models import MODELS

CHECK_ROWS = 256
SMOKE_ROUNDS = 2


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames:
        return
    s = metafunc.config.gvmap_bench
    cases = []
    for model in s.models:
        sizes = sorted({n for m in s.methods for n in s.sizes_for(m)})
        for n in sizes:
            for method in s.methods:
                if n in s.sizes_for(method):
                    cases.append((model, n, method))
    metafunc.parametrize(
        "case", cases, ids=[f"{mo}-{fmt_size(n)}-{me}" for mo, n, me in cases]
    )


# --------------------------------------------------------------------------
# data: one (model, n) at a time, shared by all methods of that group
# --------------------------------------------------------------------------
_DATA: dict = {}


def _data(model, n, where):
    key = (model.name, n)
    if _DATA.get("key") != key:
        _DATA.clear()
        gc.collect()
        _free_gpu_pools()
        _DATA["key"] = key
    if where not in _DATA:
        if where == "host":
            _DATA["host"] = model.host_input(n)
        elif where == "cupy":
            import cupy

            # same values as the host methods where those run; else made on the device
            if "host" in _DATA:
                _DATA["cupy"] = cupy.asarray(_DATA["host"])
            else:
                _DATA["cupy"] = model.device_input(n)
            cupy.cuda.get_current_stream().synchronize()
        else:
            raise KeyError(where)
    return _DATA[where]


def _free_gpu_pools():
    if benchenv.cupy_usable():
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _is_out_of_memory(e: BaseException) -> bool:
    if isinstance(e, MemoryError):
        return True
    msg = str(e).lower()  # torch.cuda.OutOfMemoryError, JAX's RESOURCE_EXHAUSTED, ...
    return (type(e).__name__ == "OutOfMemoryError" or "out of memory" in msg
            or "resource_exhausted" in msg)


def _host_or_gpu_source(model, n):
    """Input data for JAX / torch: via DLPack from CuPy when on the GPU with CuPy, else host."""
    if benchenv.cupy_usable():
        return "cupy", _data(model, n, "cupy")
    return "host", _data(model, n, "host")


# --------------------------------------------------------------------------
# skip rules
# --------------------------------------------------------------------------
def _gpu_memory(method):
    if benchenv.cupy_usable():
        return benchenv.memory_bytes(True)
    where = METHODS[method][0]
    try:
        if where == "torch":
            import torch

            return int(torch.cuda.mem_get_info()[1])
        if where == "jax":
            import jax

            return int(jax.devices()[0].memory_stats()["bytes_limit"])
    except Exception:
        pass
    return 16 * 2**30


def _skip_reason(settings, model, n, method):
    ok, why = benchenv.method_status(method)
    if not ok:
        return why
    if method == "loop" and n > settings.loop_max:
        return (f"Python loop limited to n <= {fmt_size(settings.loop_max)} "
                "(it would take too long; raise with GVMAP_BENCH_LOOP_MAX)")
    on_gpu = benchenv.method_on_gpu(method)
    need = n * model.bytes_per_example
    have = (_gpu_memory(method) if on_gpu else benchenv.memory_bytes(False))
    if need > benchenv.MEMORY_FRACTION * have:
        return (f"estimated working set {need / 2**30:.1f} GiB exceeds "
                f"{benchenv.MEMORY_FRACTION:.0%} of {'device' if on_gpu else 'host'} "
                f"memory ({have / 2**30:.1f} GiB)")
    if not on_gpu and method != "loop" and n * model.flops_per_example > settings.host_work_max:
        return (f"~{n * model.flops_per_example:.2g} flops per call on the host CPU exceeds "
                f"the cap {settings.host_work_max:.2g} (raise with GVMAP_BENCH_HOST_WORK_MAX)")
    return None


# --------------------------------------------------------------------------
# the functions to time
# --------------------------------------------------------------------------
@contextlib.contextmanager
def _environ(name, value):
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def _synchronized(fn, x):
    """A call of fn(x) that waits for the GPU (CuPy launches are asynchronous)."""
    import cupy

    stream = cupy.cuda.get_current_stream

    def call():
        r = fn(x)
        stream().synchronize()
        return r

    return call


def _prepare(model, n, method, stack):
    """-> (call, to_numpy, x): `call()` runs one synchronised batched evaluation of
    the model on the input `x`; `to_numpy` brings a result (or `x`) to the host."""
    if method == "loop":
        x = _data(model, n, "host")
        return (lambda: model.loop(x)), np.asarray, x
    if method == "hand-numpy":
        x = _data(model, n, "host")
        g = model.hand("numpy")
        return (lambda: g(x)), np.asarray, x
    if method == "gvmap-numpy":
        import gvmap

        stack.enter_context(gvmap.backend("numpy"))
        x = _data(model, n, "host")
        f = gvmap.vmap(model.numpy_example)
        return (lambda: f(x)), gvmap.device_get, x
    if method == "hand-cupy":
        import cupy

        x = _data(model, n, "cupy")
        return _synchronized(model.hand("cupy"), x), cupy.asnumpy, x
    if method in ("gvmap-cupy", "gvmap-cupy-rows"):
        import cupy
        import gvmap

        stack.enter_context(gvmap.backend("cupy"))
        # row kernels are opt-in until measured: the variable is read when a plan is built
        stack.enter_context(_environ("GVMAP_ROW_KERNELS", "1" if method.endswith("rows") else "0"))
        x = _data(model, n, "cupy")
        return _synchronized(gvmap.vmap(model.numpy_example), x), gvmap.device_get, x
    if method == "jax":
        import jax

        src, data = _host_or_gpu_source(model, n)
        if src == "cupy" and benchenv.jax_on_gpu():
            x = jax.numpy.from_dlpack(data)
        else:
            x = jax.device_put(_data(model, n, "host"))
        x.block_until_ready()
        f = jax.jit(jax.vmap(model.jax_example()))
        return (lambda: f(x).block_until_ready()), np.asarray, x
    if method == "torch":
        import torch
        import torch.func

        dev = benchenv.torch_device()
        src, data = _host_or_gpu_source(model, n)
        if src == "cupy" and dev == "cuda":
            x = torch.from_dlpack(data)
        else:
            x = torch.from_numpy(_data(model, n, "host")).to(dev)
        f = torch.func.vmap(model.torch_example(dev))

        def call():
            r = f(x)
            if dev == "cuda":
                torch.cuda.synchronize()
            return r

        return call, (lambda r: r.detach().cpu().numpy()), x
    raise KeyError(method)


def _check(model, n, method, out, to_numpy, x):
    got = np.asarray(to_numpy(out))
    k = min(n, CHECK_ROWS)
    x = np.asarray(to_numpy(x[:k]))
    ref = np.asarray(model.hand("numpy")(x))
    assert got.shape[0] == n, f"{method}: result has {got.shape[0]} rows, expected n={n}"
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(
        got[:k], ref, rtol=2e-4, atol=2e-4 * scale,
        err_msg=f"{method} disagrees with hand-batched NumPy for model {model.name} at n={n}",
    )


def test_bench(benchmark, bench_settings, case):
    model_name, n, method = case
    model = MODELS[model_name]
    reason = _skip_reason(bench_settings, model, n, method)
    if reason:
        pytest.skip(reason)

    benchmark.group = f"{model_name} n={fmt_size(n)}"
    benchmark.extra_info.update(
        model=model_name, n=n, method=method, method_description=METHODS[method][1],
        model_description=model.description,
        device="gpu" if benchenv.method_on_gpu(method) else "cpu",
    )
    with contextlib.ExitStack() as stack:
        call, to_numpy, x = _prepare(model, n, method, stack)
        try:
            out = call()  # warm-up: trace/compile/cache, then check the answer
        except Exception as e:
            # gvmap must chunk instead of running out of memory (SPEC): that fails.
            # Any other method: the point is simply not measured.
            if _is_out_of_memory(e) and not method.startswith("gvmap"):
                pytest.skip(f"{method} ran out of memory at n={fmt_size(n)}: "
                            f"{type(e).__name__}: {str(e)[:200]}")
            raise
        _check(model, n, method, out, to_numpy, x)
        del x
        del out
        with benchenv.Contention() as cont:
            if bench_settings.smoke:
                benchmark.pedantic(call, rounds=SMOKE_ROUNDS, iterations=1)
            else:
                benchmark(call)
        # CPU seconds other processes used meanwhile (of cpu_count x wall_s available)
        benchmark.extra_info["wall_s"] = round(cont.wall_s, 4)
        benchmark.extra_info["other_processes_cpu_s"] = (
            None if cont.other_cpu_s is None else round(cont.other_cpu_s, 3))
