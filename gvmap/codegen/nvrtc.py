"""Compile CUDA C++ to PTX with NVRTC through ctypes: no CuPy, no driver, no device.

This is what lets CPU-only CI compile every kernel the renderer can emit. NVRTC needs only
its shared library (the ``nvidia-cuda-nvrtc`` wheel ships it), while CuPy's compile helpers
query a device first. NVRTC has no host headers: sources must not ``#include <math.h>``;
the CUDA math functions are built in.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import os
from typing import Sequence

__all__ = ["CudaCompileError", "compile_cuda", "nvrtc_unavailable_reason"]


class CudaCompileError(RuntimeError):
    """NVRTC rejected a source; the message holds the compiler log and the numbered source."""


def _candidate_paths() -> list[str]:
    """Where libnvrtc may live, best first: pip wheels, a CUDA toolkit, the loader's path."""
    paths: list[str] = []
    try:
        import nvidia  # namespace package of the nvidia-* wheels
        for root in nvidia.__path__:
            # CUDA 13 wheel: nvidia/cu13/lib; CUDA 12 wheel: nvidia/cuda_nvrtc/lib.
            for sub in ("cu13/lib", "cuda_nvrtc/lib", "*/lib"):
                paths += sorted(glob.glob(os.path.join(root, sub, "libnvrtc.so*")), reverse=True)
    except ImportError:
        pass
    roots = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    roots += sorted(glob.glob("/usr/local/cuda*"), reverse=True)
    for root in filter(None, roots):
        paths += sorted(glob.glob(os.path.join(root, "lib64", "libnvrtc.so*")), reverse=True)
    found = ctypes.util.find_library("nvrtc")
    if found:
        paths.append(found)
    # The versioned names sort first; drop duplicates and the alias-free builtins library.
    return list(dict.fromkeys(p for p in paths if "builtins" not in os.path.basename(p)))


@functools.lru_cache(maxsize=None)
def _load() -> tuple[ctypes.CDLL | None, str | None]:
    """The loaded library, or None and the reason (every path tried, with its error)."""
    errors = []
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            errors.append(f"{path}: {exc}")
            continue
        _declare(lib)
        return lib, None
    if not errors:
        return None, ("libnvrtc not found (looked in the nvidia-cuda-nvrtc wheel, $CUDA_HOME, "
                      "$CUDA_PATH, /usr/local/cuda*/lib64 and the loader path); "
                      "install it with `pip install nvidia-cuda-nvrtc`")
    return None, "libnvrtc could not be loaded: " + "; ".join(errors)


def _declare(lib: ctypes.CDLL) -> None:
    prog_p = ctypes.POINTER(ctypes.c_void_p)
    strs = ctypes.POINTER(ctypes.c_char_p)
    size_p = ctypes.POINTER(ctypes.c_size_t)
    signatures = {
        "nvrtcCreateProgram": [prog_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, strs, strs],
        "nvrtcCompileProgram": [ctypes.c_void_p, ctypes.c_int, strs],
        "nvrtcGetProgramLogSize": [ctypes.c_void_p, size_p],
        "nvrtcGetProgramLog": [ctypes.c_void_p, ctypes.c_char_p],
        "nvrtcGetPTXSize": [ctypes.c_void_p, size_p],
        "nvrtcGetPTX": [ctypes.c_void_p, ctypes.c_char_p],
        "nvrtcDestroyProgram": [prog_p],
    }
    for name, argtypes in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = argtypes, ctypes.c_int
    lib.nvrtcGetErrorString.argtypes, lib.nvrtcGetErrorString.restype = [ctypes.c_int], ctypes.c_char_p


def nvrtc_unavailable_reason() -> str | None:
    """Why NVRTC cannot be used here, or None when it can."""
    return _load()[1]


def _numbered(source: str) -> str:
    lines = source.splitlines()
    width = len(str(len(lines)))
    return "\n".join(f"{i:>{width}} | {line}" for i, line in enumerate(lines, 1))


def compile_cuda(source: str, name: str = "gvmap.cu",
                 options: Sequence[str] = ("--std=c++17", "-arch=compute_90")) -> str:
    """Compile ``source`` and return its PTX.

    Raises CudaCompileError (with the NVRTC log and the numbered source) when compilation
    fails, and RuntimeError saying what to install when NVRTC is not found.
    """
    lib, reason = _load()
    if lib is None:
        raise RuntimeError(reason)

    def check(status: int, call: str) -> None:
        if status != 0:
            raise RuntimeError(f"{call} failed: {lib.nvrtcGetErrorString(status).decode()}")

    prog = ctypes.c_void_p()
    check(lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None),
          "nvrtcCreateProgram")
    try:
        opts = (ctypes.c_char_p * len(options))(*(o.encode() for o in options))
        status = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        check(lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size)), "nvrtcGetProgramLogSize")
        log = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetProgramLog(prog, log), "nvrtcGetProgramLog")
        if status != 0:
            raise CudaCompileError(
                f"NVRTC could not compile {name} ({lib.nvrtcGetErrorString(status).decode()}) "
                f"with options {list(options)}:\n{log.value.decode(errors='replace')}\n"
                f"--- source ---\n{_numbered(source)}")
        check(lib.nvrtcGetPTXSize(prog, ctypes.byref(size)), "nvrtcGetPTXSize")
        ptx = ctypes.create_string_buffer(size.value)
        check(lib.nvrtcGetPTX(prog, ptx), "nvrtcGetPTX")
        return ptx.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
