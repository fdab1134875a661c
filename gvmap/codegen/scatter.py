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
sums wrap and maxima treat NaN exactly as fused kernels do. float16 (no C type in gvmap's
kernels) is held in float and every sum or product rounded back to the nearest float16, as
NumPy's float16 loop rounds each step of ``np.add.at``: rounding once at the end would let
2048 + 1 + 1 + ... grow where NumPy's stays 2048. Imports nothing from CuPy, so the CPU tests
compile the kernel with NVRTC.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from .cuda import PREAMBLE, c_expression, c_type

__all__ = ["SCATTER_PREAMBLE", "scatter_in_params", "scatter_operation", "scatter_kernel_name",
           "scatter_translation_unit", "scatter_work_dtype"]

# cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble=PREAMBLE), called
# with size=K * R: every argument is raw (indexed by hand), ``i`` the element of (K, R).
scatter_in_params = "raw T upd, raw int64 s, raw int64 perm, int64 K, int64 R, int64 n"
scatter_out_params = "raw T out"

# The float16 value nearest x, as a float: ties to even, inf from 65520 (half an ulp past
# 65504) up, NaN and inf kept, float16 subnormals kept (steps of 2^-24). Rounding an exact
# float16 sum or product first to float then to float16 is rounding it once: float's 24
# bits are at least 2 * 11 + 2 (double rounding is innocuous for + and *).
SCATTER_PREAMBLE = PREAMBLE + r"""
#ifndef GVMAP_ROUND_TO_HALF
#define GVMAP_ROUND_TO_HALF
__host__ __device__ inline float gvmap_round_to_half(float x) {
  union { float f; unsigned int u; } v; v.f = x;
  const unsigned int mag = v.u & 0x7fffffffu;
  const bool negative = (v.u >> 31) != 0u;
  if (mag >= 0x7f800000u) return x;                             // inf, NaN
  // 65520 and up (half an ulp past 65504, a tie that goes to the even 65536): inf
  if (mag >= 0x477ff000u) return gvmap_f32_from_bits((v.u & 0x80000000u) | 0x7f800000u);
  const int e = (int)(mag >> 23) - 127;                         // float32 subnormals: -127
  if (e < -25) return negative ? -0.0f : 0.0f;                  // under 2^-25: to zero
  const int drop = e >= -14 ? 13 : -1 - e;                      // of the 24 significant bits
  const unsigned int m = (mag & 0x007fffffu) | 0x00800000u;
  unsigned int q = m >> drop;
  const unsigned int rem = m & ((1u << drop) - 1u), half = 1u << (drop - 1);
  if (rem > half || (rem == half && (q & 1u))) q++;
  // q units of 2^(e - 23 + drop), an exponent in [-24, 5]: a normal float scale, exact
  const float r = (float)q * gvmap_f32_from_bits((unsigned int)(e - 23 + drop + 127) << 23);
  return negative ? -r : r;
}
#endif
"""


def scatter_work_dtype(dtype: Any) -> np.dtype:
    """The dtype the kernel holds values in: float for float16, else the array's own."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _combine(mode: str, dtype: np.dtype) -> str:
    if mode == "set":
        return "b"
    work = scatter_work_dtype(dtype)
    step = c_expression(P.SCATTER_COMBINE[mode], [work, work], work, ["a", "b"])
    if dtype == np.float16 and mode in ("add", "mul"):  # max / min pick an operand: exact
        return f"gvmap_round_to_half({step})"
    return step


def scatter_operation(mode: str, dtype: Any) -> str:
    """The kernel body: ``out`` (a copy of x, (n, R) row-major) gets the run starting at
    sorted index k folded into element r of row s[k]; ``perm[q]`` is the original position
    of the q-th sorted index (its update row). ``dtype`` is the array's; the buffers hold
    ``scatter_work_dtype(dtype)``."""
    dtype = np.dtype(dtype)
    t = c_type(scatter_work_dtype(dtype))
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
    t = c_type(scatter_work_dtype(dtype))
    body = scatter_operation(mode, dtype).replace("\n", "\n    ")
    return f"""{SCATTER_PREAMBLE}
extern "C" __global__ void {scatter_kernel_name(mode, dtype)}(
    const {t}* upd, const long long* s, const long long* perm, long long K, long long R,
    long long n, {t}* out) {{
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < K * R;
       i += (long long)gridDim.x * blockDim.x) {{{body}
  }}
}}
"""
