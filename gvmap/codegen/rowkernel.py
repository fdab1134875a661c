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
launch, hands what it reads back to ``raise_index_error`` (one device-to-host copy of
16 bytes per gather, which waits for the kernel). Indices known when the kernel is rendered
(constants) are checked then, at no run-time cost.

Where a thread differs from NumPy: sums and contractions accumulate sequentially (NumPy
sums pairwise and BLAS blocks), so float results differ by rounding only.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..graph import AbstractArray, Eqn, Graph, Literal, Var, live_eqns
from ..implementations import index_error
from .cuda import PREAMBLE, c_literal, c_type
from .templates import template

__all__ = ["RowKernelSource", "render_row_kernel", "row_kernel_unsupported_reason",
           "MAX_VALUE_ELEMENTS", "MAX_LOCAL_BYTES", "MAX_WORK", "UNROLL_LIMIT"]

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
# A loop is preceded by ``#pragma unroll`` when the iterations it encloses (itself, the
# loops inside it and the body's own inner loops) are at most this many.
UNROLL_LIMIT = 256


@dataclass(frozen=True)
class RowKernelSource:
    """A rendered row kernel and what a launcher needs to call it.

    ``consts[k]`` / ``inputs[k]`` / ``outputs[k]`` are the per-example shape and dtype of
    kernel argument ``ck`` / ``xk`` / ``yk`` in the calling convention above; ``consts``
    follow ``graph.constvars`` (values in ``graph.consts``), ``inputs`` ``graph.invars``.
    ``work`` estimates the inner-loop iterations per example and ``local_bytes`` the
    thread-local storage, for the lowering's cost model.
    """

    name: str
    row_function: str
    source: str
    consts: tuple[AbstractArray, ...]
    inputs: tuple[AbstractArray, ...]
    outputs: tuple[AbstractArray, ...]
    work: int
    local_bytes: int
    index_checks: tuple[int, ...] = ()  # the indexed axis's size, per checked gather

    def error_buffer(self) -> np.ndarray | None:
        """The ``error`` argument before the launch: per check, (lowest, highest) offending
        index seen, starting empty (INT64_MAX, INT64_MIN). None without checks."""
        if not self.index_checks:
            return None
        info = np.iinfo(np.int64)
        return np.array([info.max, info.min] * len(self.index_checks), np.int64)

    def raise_index_error(self, error: Any) -> None:
        """After the launch: the IndexError of the first check a thread flagged, if any."""
        for k, size in enumerate(self.index_checks):
            lo, hi = int(error[2 * k]), int(error[2 * k + 1])
            if lo <= hi:
                raise index_error(size, lo, hi)


def row_kernel_unsupported_reason(graph: Graph) -> str | None:
    """None when ``render_row_kernel(graph)`` succeeds; otherwise why not, naming the
    primitive, dtype or size. Every primitive of ``primitives.py`` has a rule; what can
    fail is a dtype without a C type (float16, complex), a (primitive, dtype) pair NumPy
    has no loop for, a ``take`` from an empty axis, or the size limits above."""
    try:
        render_row_kernel(graph)
    except NotImplementedError as e:
        return str(e)
    return None


def render_row_kernel(graph: Graph) -> RowKernelSource:
    """The row kernel of the per-example ``graph``; NotImplementedError (with the reason
    ``row_kernel_unsupported_reason`` gives) where it cannot be one."""
    eqns = live_eqns(graph.eqns, graph.outvars)
    _check_sizes(graph, eqns)
    from .rowkernel_rules import emit_rules  # the rules build on the emitter defined here

    row = _RowEmitter(graph)
    for eqn in eqns:
        rule = emit_rules.get(eqn.primitive)
        if rule is None:
            raise NotImplementedError(f"row kernel: primitive '{eqn.primitive}' has no row rule")
        row.work += rule(row, eqn)
    row.write_outputs()
    if row.work > MAX_WORK:
        raise NotImplementedError(
            f"row kernel: {row.work} inner-loop iterations per example, above the limit of "
            f"{MAX_WORK}; use batched lowering")
    if row.local_bytes > MAX_LOCAL_BYTES:
        raise NotImplementedError(
            f"row kernel: {row.local_bytes} bytes of thread-local values per example, above "
            f"the limit of {MAX_LOCAL_BYTES}; use batched lowering")
    return row.finish()


def _check_sizes(graph: Graph, eqns: Sequence[Eqn]) -> None:
    values = [*graph.constvars, *graph.invars, *(v for e in eqns for v in e.outvars)]
    for v in values:
        c_type(v.aval.dtype)  # NotImplementedError naming float16, complex, ...
        if v.aval.size > MAX_VALUE_ELEMENTS:
            raise NotImplementedError(
                f"row kernel: a value of type {v.aval} has {v.aval.size} elements per example, "
                f"above the limit of {MAX_VALUE_ELEMENTS}; use batched lowering")


# ---------------------------------------------------------------- storage and indexing

@dataclass(frozen=True)
class _Storage:
    """Where a value lives: a pointer or local array (indexed), or a scalar / literal."""

    text: str
    indexed: bool

    def at(self, offset: str) -> str:
        return f"{self.text}[{offset}]" if self.indexed else self.text


def _offset(shape: Sequence[int], index: Sequence[str]) -> str:
    """Row-major flat offset of ``index`` in ``shape``. Size-1 dims contribute nothing, so
    an operand of an elementwise op broadcasts by being indexed with the output's index."""
    assert len(shape) == len(index), (shape, index)
    terms, stride = [], 1
    for d, i in reversed(list(zip(shape, index))):
        if d != 1 and i != "0":
            terms.append(i if stride == 1 else f"({i}) * {stride}")
        stride *= d
    return " + ".join(reversed(terms)) or "0"


class _RowEmitter:
    """Builds ``NAME_row``'s body: one block per equation, values named v0, v1, ..."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.lines: list[str] = []
        self.depth = 1
        self.work = 0
        self.local_bytes = 0
        self.n_values = 0
        self.storage: dict[Var, _Storage] = {}
        for prefix, vs in (("c", graph.constvars), ("x", graph.invars)):
            for k, v in enumerate(vs):
                self.storage[v] = _Storage(f"{prefix}{k}", True)
        self.ops: list[str] = []
        self.index_checks: list[int] = []

    def index_check(self, size: int) -> str:
        """A new error slot for a gather of traced indices: the C pointer to pass to
        ``gvmap_row_index_error``."""
        self.index_checks.append(size)
        return f"error + {2 * (len(self.index_checks) - 1)}"

    # ---- text
    def emit(self, line: str) -> None:
        self.lines.append("  " * self.depth + line)

    def open_loops(self, sizes: Sequence[int], names: Sequence[str],
                   inner: int = 1) -> tuple[list[str], int]:
        """``for`` loops over the dims of size != 1; returns the index (a size-1 dim's is
        "0", not looped) and how many loops were opened, for ``close``."""
        index, opened = [], 0
        for j, (size, name) in enumerate(zip(sizes, names)):
            index.append("0" if size == 1 else name)
            if size == 1:
                continue
            if math.prod(sizes[j:]) * inner <= UNROLL_LIMIT:
                self.emit("#pragma unroll")
            self.emit(f"for (int {name} = 0; {name} < {size}; {name}++) {{")
            self.depth += 1
            opened += 1
        return index, opened

    def close(self, opened: int) -> None:
        for _ in range(opened):
            self.depth -= 1
            self.emit("}")

    # ---- values
    def ref(self, atom: Any, index: Sequence[str]) -> str:
        if isinstance(atom, Literal):
            return c_literal(atom.value)
        return self.storage[atom].at(_offset(atom.aval.shape, index))

    def define(self, var: Var) -> _Storage:
        """Declare the local value ``var``: ``T vK`` when it has one element, else an array."""
        name, t = f"v{self.n_values}", c_type(var.aval.dtype)
        self.n_values += 1
        self.local_bytes += max(var.aval.size, 1) * var.aval.dtype.itemsize
        if var.aval.size == 1:
            self.emit(f"{t} {name};")
            storage = _Storage(name, False)
        else:  # size 0 still declares one element: loops that never run may name it
            self.emit(f"{t} {name}[{max(var.aval.size, 1)}];")
            storage = _Storage(name, True)
        self.storage[var] = storage
        return storage

    def alias(self, out: Var, atom: Any) -> None:
        """``out`` shares ``atom``'s row-major storage (reshape and friends)."""
        if isinstance(atom, Literal):
            self.storage[out] = _Storage(c_literal(atom.value), False)
        else:
            self.storage[out] = self.storage[atom]

    def write_outputs(self) -> None:
        for k, v in enumerate(self.graph.outvars):
            size = v.aval.size
            self.emit(f"// output y{k}: {v.aval}")
            if size == 0:
                continue
            if isinstance(v, Literal) or not self.storage[v].indexed or size == 1:
                flat = "0"
                opened = 0
            else:
                flat = "o"
                _, opened = self.open_loops([size], ["o"])
            source = c_literal(v.value) if isinstance(v, Literal) else self.storage[v].at(flat)
            self.emit(f"y{k}[{flat}] = {source};")
            self.close(opened)
            self.work += size

    # ---- the translation unit
    def finish(self) -> RowKernelSource:
        g = self.graph
        consts = tuple(v.aval for v in g.constvars)
        inputs = tuple(v.aval for v in g.invars)
        outputs = tuple(v.aval for v in g.outvars)
        def pointers(prefix: str, avals: Sequence[AbstractArray], const: str) -> list[str]:
            return [f"{const}{c_type(a.dtype)}* __restrict__ {prefix}{k}"
                    for k, a in enumerate(avals)]

        cs, xs = pointers("c", consts, "const "), pointers("x", inputs, "const ")
        ys = pointers("y", outputs, "")
        errors = ["long long* __restrict__ error"] if self.index_checks else []
        row_params = cs + xs + ys + errors
        body = "\n".join(self.lines)
        signature = f"{g}\n" + ", ".join(row_params)
        digest = hashlib.sha1((signature + "\n" + body).encode()).hexdigest()[:10]
        name = "gvmap_row_"
        for op in dict.fromkeys(self.ops):  # readable in profilers; the digest makes it unique
            if len(name) + len(op) > 50:
                break
            name += op + "_"
        name += digest
        row = f"{name}_row"
        kernel_params = (cs + [p for k, x in enumerate(xs) for p in (x, f"long long x{k}_stride")]
                         + ys + errors + ["long long n"])
        call_args = ([f"c{k}" for k in range(len(consts))]
                     + [f"x{k} + i * x{k}_stride" for k in range(len(inputs))]
                     + [f"y{k} + i * {a.size}LL" for k, a in enumerate(outputs)]
                     + (["error"] if errors else []))
        source = template("row.cu").substitute(
            preamble=PREAMBLE + (_INDEX_ERROR if errors else ""), row=row, row_params=", ".join(row_params), body=body, name=name,
            graph_comment="\n".join("// " + line for line in str(g).splitlines()),
            kernel_params=", ".join(kernel_params), call_args=", ".join(call_args))
        return RowKernelSource(name=name, row_function=row, source=source, consts=consts,
                               inputs=inputs, outputs=outputs, work=self.work,
                               local_bytes=self.local_bytes,
                               index_checks=tuple(self.index_checks))


# A thread records an out-of-range gather index j in its check's two error slots (lowest,
# highest); on the host (the CPU tests call the row function directly) without atomics.
_INDEX_ERROR = r"""#ifndef GVMAP_ROW_INDEX_ERROR
#define GVMAP_ROW_INDEX_ERROR
__host__ __device__ inline void gvmap_row_index_error(long long* slots, long long j) {
#ifdef __CUDA_ARCH__
  atomicMin(slots, j);
  atomicMax(slots + 1, j);
#else
  if (j < slots[0]) slots[0] = j;
  if (j > slots[1]) slots[1] = j;
#endif
}
#endif  // GVMAP_ROW_INDEX_ERROR
"""


def _names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{j}" for j in range(n)]
