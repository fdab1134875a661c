"""Row kernels: ONE CUDA kernel in which each thread runs the whole per-example graph.

For small per-example computations (the seed model: a 5-vector in, a 3x5 constant, a
scalar out) the fastest batched program reads each example's slice once, computes in
registers with loops over the static per-example shapes, and writes its outputs once:
the memory-bandwidth limit, where a chain of batched launches reads and writes every
intermediate. The input is the PER-EXAMPLE graph (``make_graph(f)(one_example...)``), never the batched one.

Calling convention of the rendered translation unit (``NAME`` is ``RowKernelSource.name``)::

    extern "C" __global__ void NAME(const C0* c0, ..., const X0* x0, long long x0_stride, ...,
                                    Y0* y0, ..., long long n)

Constants are contiguous row-major arrays shared by all examples. Input k's example i
starts at ``xk + i * xk_stride`` (a stride in ELEMENTS; 0 for an unbatched input) and is
contiguous row-major in its per-example shape. Output k's example i is written
contiguously at ``yk + i * size(out_k)``. The kernel is a grid-stride loop over i in
[0, n) calling ``NAME_row``, a ``__host__ __device__`` function computing one example, so
the CPU tests run the very same code on the host.

Inside ``NAME_row`` every intermediate value is a local array ``T vK[size]`` (a scalar when
its size is 1), filled by a loop nest over its static shape; nests small enough are fully
unrolled so that every index is a compile-time constant and the arrays live in registers.
``reshape``, ``squeeze`` and ``expand_dims`` cost nothing: row-major storage is shared.
The per-primitive C (NumPy semantics, NaN rules, integer wrapping) comes from
``codegen/cuda.py``; this module only lays out loops. Output is a pure function of the
graph (names from the primitive chain and a digest of the body), so CuPy's caches hit.

Gathers (``take`` / ``batched_take``) follow NumPy's index rule (``implementations.py``):
an index outside [-n, n) is an IndexError. A thread cannot raise, so a kernel with traced
gather indices takes one more argument, ``long long* error`` (after the outputs; the row
function takes it last): two entries per checked gather, the lowest and the highest
offending index, which a thread that meets one updates (atomicMin / atomicMax) before
reading element 0 instead. The launcher fills it with ``error_buffer()`` and, after the
launch, hands what it reads back to ``raise_errors`` (one device-to-host copy of
16 bytes per gather, which waits for the kernel). Indices known when the kernel is rendered
(constants) are checked then, at no run-time cost. A kernel with linear-algebra checks
(``rowlinalg.py``: a singular matrix, one not positive definite) passes the example index
to the row function as its last argument (``long long example``, after ``error``): a
failing routine records the matrix's flat index ``example * count + s``, and
``raise_errors`` raises the first flagged check in program order (IndexError or
``gvmap.errors.LinAlgError``), as the batched plan would meet it.

Where a thread differs from NumPy: sums and contractions accumulate sequentially (NumPy
sums pairwise and BLAS blocks), so float results differ by rounding only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph, live_eqns
from .cuda import c_type
from .rowemitter import UNROLL_LIMIT, RowEmitter, RowKernelSource
from .rowkernel_rules import emit_rules, row_local_bytes, row_refusal, row_work

__all__ = ["RowKernelSource", "RowSizing", "size_row_kernel", "render_row_kernel",
           "row_kernel_unsupported_reason", "MAX_VALUE_ELEMENTS", "MAX_LOCAL_BYTES", "MAX_WORK",
           "UNROLL_LIMIT"]

# Every value (constant, input, intermediate, output) must have at most this many elements
# per example: 4096 f32 are 16 KiB, already far past the register file (255 registers per
# thread), so such a value spills to local memory; larger ones belong to batched lowering.
MAX_VALUE_ELEMENTS = 4096
# The local arrays of one thread together (the compiler does not overlap them). What does
# not fit in registers is local memory, which the driver reserves for every thread the
# device can hold: 16 KiB x 2048 threads x 132 SMs is 4.3 GiB on an H100. Past that a
# row kernel is slow anyway; batched lowering is the better program.
MAX_LOCAL_BYTES = 16 * 1024
# Inner-loop iterations per example (a dot_general counts out size x contraction size):
# one thread runs them serially, so past ~65k a batched lowering (cuBLAS, reduction
# kernels) wins, and the compile time of the fully unrolled nests stays bounded.
MAX_WORK = 1 << 16


@dataclass(frozen=True)
class RowSizing:
    """What the cost model needs of a row kernel, decided without rendering it."""

    work: int          # inner-loop iterations per example (outputs written included)
    local_bytes: int   # thread-local storage per example


def size_row_kernel(graph: Graph) -> RowSizing:
    """The sizing of the per-example ``graph``'s row kernel, without rendering it;
    NotImplementedError naming why where it cannot be one (a value without a C type or
    over ``MAX_VALUE_ELEMENTS``, a primitive without a rule or C loop, a gather from an
    empty axis, or work / local storage over the limits)."""
    eqns = live_eqns(graph.eqns, graph.outvars)
    values = [*graph.constvars, *graph.invars, *(v for e in eqns for v in e.outvars)]
    for v in values:
        c_type(v.aval.dtype)  # NotImplementedError naming float16, complex, ...
        if v.aval.size > MAX_VALUE_ELEMENTS:
            raise NotImplementedError(
                f"row kernel: a value of type {v.aval} has {v.aval.size} elements per example, "
                f"above the limit of {MAX_VALUE_ELEMENTS}; use batched lowering")
    for eqn in eqns:
        reason = row_refusal(eqn)
        if reason is not None:
            raise NotImplementedError(f"row kernel: {reason}")
    work = sum(map(row_work, eqns)) + sum(v.aval.size for v in graph.outvars)
    local_bytes = sum(map(row_local_bytes, eqns))
    if work > MAX_WORK:
        raise NotImplementedError(
            f"row kernel: {work} inner-loop iterations per example, above the limit of "
            f"{MAX_WORK}; use batched lowering")
    if local_bytes > MAX_LOCAL_BYTES:
        raise NotImplementedError(
            f"row kernel: {local_bytes} bytes of thread-local values per example, above "
            f"the limit of {MAX_LOCAL_BYTES}; use batched lowering")
    return RowSizing(work, local_bytes)


def row_kernel_unsupported_reason(graph: Graph) -> str | None:
    """None when ``graph`` can be a row kernel; otherwise why not (``size_row_kernel``'s
    reason). Decided without rendering."""
    try:
        size_row_kernel(graph)
    except NotImplementedError as e:
        return str(e)
    return None


def render_row_kernel(graph: Graph, sizing: RowSizing | None = None) -> RowKernelSource:
    """The row kernel of the per-example ``graph`` (sized first unless ``sizing`` is
    given); NotImplementedError where it cannot be one, as ``size_row_kernel`` says."""
    sizing = sizing or size_row_kernel(graph)
    row = RowEmitter(graph)
    for eqn in live_eqns(graph.eqns, graph.outvars):
        emit_rules[eqn.primitive](row, eqn)
    row.write_outputs()
    return row.finish(sizing.work, sizing.local_bytes)
