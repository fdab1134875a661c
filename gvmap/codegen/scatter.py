"""The CUDA of ``scatter[mode]`` on CuPy: runs of equal indices, each folded in order by one
thread.

CuPy has no scatter that keeps NumPy's meaning for every mode and dtype (CUPY_AUDIT in
``implementations.py`` says why): a plain ``x[idx] = v`` with repeated indices is a race,
``cupyx.scatter_add`` adds in whatever order the atomics land (and supports few dtypes),
``cupyx.scatter_max`` / ``scatter_min`` drop NaNs, and there is no ``scatter_mul``. So the
CuPy rule sorts the indices stably (``cupy.argsort``: thrust's stable sort, equal indices
keep their order) and launches the kernel here over (K, R) = (indices, elements per row):
the thread at the FIRST index of a run of equal ones folds the whole run into its target
element, in the original order. That is NumPy's sequential order exactly: the last write
wins for ``set``; sums and products round as ``np.add.at`` / ``np.multiply.at`` do, NaN
propagates as ``np.maximum.at``. Work is O(K * R) in all, O(run length) in the thread of a
run (a run of all K indices is sequential, as NumPy is). No atomics: bitwise deterministic.

The combining step is the C of the elementwise primitive (``codegen/cuda.py``), so integer
sums wrap and maxima treat NaN exactly as fused kernels do. Imports nothing from CuPy, so the
CPU tests compile the kernel with NVRTC.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from .cuda import PREAMBLE, c_expression, c_type

__all__ = ["scatter_in_params", "scatter_operation", "scatter_kernel_name",
           "scatter_translation_unit"]

# cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble=PREAMBLE), called
# with size=K * R: every argument is raw (indexed by hand), ``i`` the element of (K, R).
scatter_in_params = "raw T upd, raw int64 s, raw int64 perm, int64 K, int64 R, int64 n"
scatter_out_params = "raw T out"


def _combine(mode: str, dtype: np.dtype) -> str:
    if mode == "set":
        return "b"
    return c_expression(P.SCATTER_COMBINE[mode], [dtype, dtype], dtype, ["a", "b"])


def scatter_operation(mode: str, dtype: Any) -> str:
    """The kernel body: ``out`` (a copy of x, (n, R) row-major) gets the run starting at
    sorted index k folded into element r of row s[k]; ``perm[q]`` is the original position
    of the q-th sorted index (its update row)."""
    dtype = np.dtype(dtype)
    t = c_type(dtype)
    return f"""
const long long k = i / R, r = i % R;
const long long j = s[k];
if ((k == 0 || s[k - 1] != j) && j >= 0 && j < n) {{
  {t} acc = out[j * R + r];
  for (long long q = k; q < K && s[q] == j; q++) {{
    const {t} a = acc, b = upd[perm[q] * R + r];
    acc = {_combine(mode, dtype)};
  }}
  out[j * R + r] = acc;
}}"""


def scatter_kernel_name(mode: str, dtype: Any) -> str:
    return f"gvmap_scatter_{mode}_{np.dtype(dtype).name}"


def scatter_translation_unit(mode: str, dtype: Any) -> str:
    """The same body as a stand-alone ``__global__`` function (what CuPy's ElementwiseKernel
    wraps it in, with a grid-stride loop over i), for compiling without CuPy."""
    t = c_type(np.dtype(dtype))
    body = scatter_operation(mode, dtype).replace("\n", "\n    ")
    return f"""{PREAMBLE}
extern "C" __global__ void {scatter_kernel_name(mode, dtype)}(
    const {t}* upd, const long long* s, const long long* perm, long long K, long long R,
    long long n, {t}* out) {{
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < K * R;
       i += (long long)gridDim.x * blockDim.x) {{{body}
  }}
}}
"""
