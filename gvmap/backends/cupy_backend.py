"""The CuPy backend: plans run as CuPy calls on the current CUDA device.

This is the only module that imports CuPy, and only when the backend is asked for, so the
rest of gvmap (tracing, batching, lowering, code generation) works on machines without it.
"""
from __future__ import annotations

import functools
from typing import Any


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


class CupyBackend:
    name = "cupy"

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self._cupy = cupy

    def asarray(self, x: Any) -> Any:
        """Device array for x: NumPy arrays are uploaded (once, on entry)."""
        return self._cupy.asarray(x)

    def to_numpy(self, x: Any) -> Any:
        return self._cupy.asnumpy(x)

    def synchronize(self) -> None:
        self._cupy.cuda.get_current_stream().synchronize()

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, (self._cupy.cuda.memory.OutOfMemoryError, MemoryError))
