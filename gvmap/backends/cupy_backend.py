"""The CuPy backend: plans run as CuPy calls and generated kernels on the current device.

This is the only module that imports CuPy, and only when the backend is asked for, so the
rest of gvmap (tracing, batching, fusion, code generation) works on machines without it.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from ..codegen.render import ElementwiseSource


@functools.lru_cache(maxsize=1)
def cupy_unusable_reason() -> str | None:
    """None when CuPy can run kernels here, else a sentence saying why not."""
    try:
        import cupy
    except ImportError as e:
        return (f"CuPy is not installed ({e}); install gvmap with the extra for your CUDA "
                f"version: pip install 'gvmap[cuda12]' or 'gvmap[cuda13]'")
    except Exception as e:  # a broken install, a missing CUDA library
        return f"CuPy failed to import: {type(e).__name__}: {e}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return f"no usable CUDA device (the driver said: {type(e).__name__}: {e})"
    if count < 1:
        return "no CUDA device is visible (cupy.cuda.runtime.getDeviceCount() == 0)"
    return None


class KernelCompileError(RuntimeError):
    """A generated kernel failed to compile: the message holds its source and primitives."""


class CupyBackend:
    name = "cupy"
    fuses = True

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self._cupy = cupy
        self._kernels: dict[tuple, Any] = {}

    def asarray(self, x: Any) -> Any:
        """Device array for x: NumPy arrays are uploaded (once, on entry); a CuPy array on
        another GPU than the current one is refused rather than silently copied."""
        cupy = self._cupy
        if isinstance(x, cupy.ndarray):
            current = cupy.cuda.runtime.getDevice()
            if x.device.id != current:
                raise ValueError(
                    f"an argument lives on GPU {x.device.id} but gvmap runs on the current "
                    f"device, GPU {current}; move it first (with cupy.cuda.Device({current}): "
                    f"cupy.asarray(x)) or call gvmap under cupy.cuda.Device({x.device.id})")
            return x
        return cupy.asarray(x)

    def synchronize(self) -> None:
        self._cupy.cuda.get_current_stream().synchronize()

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, (self._cupy.cuda.memory.OutOfMemoryError, MemoryError))

    def device_id(self) -> int:
        """The current device: part of every signature, so a plan and the constants it
        uploaded are only ever used on the GPU they were built for."""
        return self._cupy.cuda.runtime.getDevice()

    def takes_as_is(self, args: Any) -> bool:
        """Never: every argument goes through ``asarray``, which refuses arrays living on
        another GPU (the fast path included)."""
        return False

    def release_memory(self) -> None:
        """Before an out-of-memory retry: hand the pool's cached blocks back to the driver,
        so the halves are not refused for fragmentation."""
        self._cupy.get_default_memory_pool().free_all_blocks()

    def build_kernel(self, source: Any, out_avals: Sequence[Any]) -> Callable:
        """A callable running one fused region: inputs in, a tuple of outputs out."""
        cupy = self._cupy
        kernel = self._kernel_object(source)
        checked = _compile_checked(cupy, source)
        if isinstance(source, ElementwiseSource):
            outs_spec = [(a.shape, a.dtype) for a in out_avals]

            def run(*xs):
                outs = [cupy.empty(shape, dtype) for shape, dtype in outs_spec]
                checked(kernel, *xs, *outs)
                return outs
            return run

        shape, axes = source.shape, source.axes

        def run_reduction(*xs):
            # the map runs over the region's whole index space: broadcast views, no copies
            xs = [x if x.shape == shape else cupy.broadcast_to(x, shape) for x in xs]
            return (checked(kernel, *xs, axis=axes),)
        return run_reduction

    def build_row_kernel(self, source: Any, consts: Sequence[Any]) -> Callable:
        """A launcher for a generated row kernel (one thread per example), whose constants
        ``consts`` are already on the current device: takes
        ``[(input, stride), ...]`` in the kernel's layout and the batch size, returns the
        outputs as (n, *per-example shape) arrays."""
        cupy = self._cupy
        kernel = cupy.RawKernel(source.source, source.name)
        checked = _compile_checked(cupy, source)
        dev_consts = [cupy.ascontiguousarray(c) for c in consts]  # already on the device
        out_specs = [(a.shape, a.dtype) for a in source.outputs]
        error_init = source.error_buffer()  # None without checks (traced gathers, linalg)

        def launch(ins, n):
            outs = [cupy.empty((n, *shape), dtype) for shape, dtype in out_specs]
            if n:
                args = [*dev_consts]
                for x, stride in ins:
                    args += [x, np.int64(stride)]
                args += outs
                if error_init is not None:
                    error = cupy.asarray(error_init)
                    args.append(error)
                args.append(np.int64(n))
                block = 128
                grid = min(-(-n // block), 1 << 20)  # the kernel loops over the rest
                checked(kernel, (grid,), (block,), tuple(args))
                if error_init is not None:  # one device-to-host copy, after the launch
                    source.raise_errors(error.get())
            return outs
        return launch

    def _kernel_object(self, source: Any) -> Any:
        """CuPy memoizes compiled binaries by source, in memory and on disk; gvmap's source
        is deterministic, so those caches hit across plans and processes."""
        kernel = self._kernels.get(source)  # sources are frozen records: keys by value
        if kernel is None:
            cupy = self._cupy
            if isinstance(source, ElementwiseSource):
                kernel = cupy.ElementwiseKernel(source.in_params, source.out_params,
                                                source.operation, source.name,
                                                preamble=source.preamble)
            else:
                kernel = cupy.ReductionKernel(source.in_params, source.out_params,
                                              source.map_expr, source.reduce_expr,
                                              source.post_map_expr, source.identity, source.name,
                                              reduce_type=source.reduce_type,
                                              preamble=source.preamble)
            self._kernels[source] = kernel
        return kernel


def _compile_checked(cupy: Any, source: Any) -> Callable:
    """Call a kernel; a compile failure (CuPy compiles on first launch) becomes an error
    that shows the generated source and the primitive chain, not a bare NVRTC log."""
    def call(kernel, *args, **kwargs):
        try:
            return kernel(*args, **kwargs)
        except cupy.cuda.compiler.CompileException as e:
            raise KernelCompileError(
                f"gvmap generated a kernel that does not compile (a gvmap bug: please report it "
                f"with this message)\nkernel {source.name}\n--- generated source ---\n"
                f"{getattr(source, 'translation_unit', None) or source.source}\n"
                f"--- compiler log ---\n{e}") from None
    return call


def describe_step(step: Any, backend: str = "cupy") -> str:
    """A plan step in CuPy's words: the generated kernel class and name, or the CuPy call
    (cuBLAS for contractions). Needs no CuPy: plans are shown on any machine."""
    from ..implementations import check_indices_p
    from .. import primitives as P

    if step.kernel is not None:
        kind = "ElementwiseKernel" if isinstance(step.kernel, ElementwiseSource) else "ReductionKernel"
        return f"cupy.{kind} {step.kernel.name}"
    prim = step.eqns[0].primitive
    if prim is check_indices_p:
        return "cupy: IndexError if set (one device-to-host copy)"
    if prim is P.dot_general_p:
        return "cupy.matmul (cuBLAS)"
    return f"cupy.{prim.launch}"


def describe_row(plan: Any) -> str:
    return f"cupy.RawKernel {plan.kernel.name}, one thread per example"
