"""CUDA code generation: C expressions per primitive (``cuda``) and an NVRTC compile check
(``nvrtc``). Nothing here imports CuPy, so CPU-only CI renders and compiles every kernel."""
from .cuda import PREAMBLE, c_expression, c_literal, c_type, reduce_expr, reduce_identity
from .nvrtc import CudaCompileError, compile_cuda, nvrtc_unavailable_reason

__all__ = ["PREAMBLE", "c_expression", "c_literal", "c_type", "reduce_expr", "reduce_identity",
           "CudaCompileError", "compile_cuda", "nvrtc_unavailable_reason"]
