"""One way the tests build generated CUDA for the host with nvcc and run it: the C of the
kernels is ``__host__ __device__``, so its NumPy semantics are checked without a GPU."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def nvcc_or_skip(what: str) -> str:
    """nvcc's path, or a skip saying which host check did not run."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip(f"nvcc not on PATH: {what} not checked")
    return nvcc


def build_and_run(nvcc: str, tmp: Path, stem: str, source: str,
                  *args: object) -> subprocess.CompletedProcess:
    """Write ``tmp/stem.cu``, build it with nvcc (C++17, -O1; a failed build shows nvcc's
    errors and where the source is) and run it with ``args``; its stdout is returned."""
    (tmp / f"{stem}.cu").write_text(source)
    build = subprocess.run([nvcc, "-std=c++17", "-O1", "-o", str(tmp / stem),
                            str(tmp / f"{stem}.cu")], capture_output=True, text=True)
    assert build.returncode == 0, f"nvcc failed:\n{build.stderr}\nsource in {tmp}"
    return subprocess.run([str(tmp / stem), *map(str, args)], capture_output=True, text=True,
                          check=True)
