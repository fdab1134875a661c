"""The row-kernel emitter: the text of one ``NAME_row`` function, and the translation unit
around it (``codegen/rowkernel.py`` describes the calling convention).

``RowEmitter`` holds what the rules in ``rowkernel_rules.py`` build on: each value's
storage (an input pointer, a local array ``T vK[size]``, a scalar or a literal), loop
nests over static shapes (unrolled where small), element references, and the error slots
of checked gathers. It decides nothing: which graph becomes a row kernel, and within
which limits, is ``rowkernel.py``'s business.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import LinAlgError
from ..graph import AbstractArray, Graph, Literal, Var
from ..implementations import index_error
from .cuda import PREAMBLE, c_literal, c_type
from .templates import template

__all__ = ["RowEmitter", "RowKernelSource", "LinAlgCheck", "Storage", "offset", "names",
           "UNROLL_LIMIT"]

# A loop is preceded by ``#pragma unroll`` when the iterations it encloses (itself, the
# loops inside it and the body's own inner loops) are at most this many.
UNROLL_LIMIT = 256


@dataclass(frozen=True)
class LinAlgCheck:
    """An error slot of a linear-algebra routine that can fail (a zero pivot, a matrix that
    is not positive definite): a thread records the flat index ``example * count + s`` of
    each failing matrix ``s`` of its per-example ``stack`` (``count`` matrices), so the
    lowest recorded one is the first failing matrix of the batch, the one the batched path
    (``linalg_impl``) names: the same ``LinAlgError``, example and matrix index."""

    routine: str
    reason: str
    stack: tuple[int, ...]  # the per-example stack dims of the operand
    batch_dims: int         # how many of them are inner vmap levels (part of the example)

    def error(self, flat: int) -> LinAlgError:
        count = math.prod(self.stack)
        example, s = divmod(flat, count)
        within = tuple(int(j) for j in np.unravel_index(s, self.stack)) if self.stack else ()
        return LinAlgError(self.routine, self.reason, (example,) + within[:self.batch_dims],
                           within[self.batch_dims:])


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
    # per error check, in program order: a checked gather's indexed axis size, or a
    # LinAlgCheck; two slots of the error buffer each
    checks: tuple[int | LinAlgCheck, ...] = ()

    @property
    def index_checks(self) -> tuple[int, ...]:
        """The indexed axis's size, per checked gather."""
        return tuple(c for c in self.checks if isinstance(c, int))

    @property
    def takes_example(self) -> bool:
        """Whether the row function takes the example's index last (``long long example``,
        after ``error``): a failing linear-algebra routine records which example failed."""
        return any(isinstance(c, LinAlgCheck) for c in self.checks)

    def error_buffer(self) -> np.ndarray | None:
        """The ``error`` argument before the launch: per check, (lowest, highest) offending
        value seen (a gather's index, a failing matrix's flat index), starting empty
        (INT64_MAX, INT64_MIN). None without checks."""
        if not self.checks:
            return None
        info = np.iinfo(np.int64)
        return np.array([info.max, info.min] * len(self.checks), np.int64)

    def raise_errors(self, error: Any) -> None:
        """After the launch: the error of the first check (in program order) a thread
        flagged, if any: the IndexError of a gather, the LinAlgError of a routine."""
        for k, check in enumerate(self.checks):
            lo, hi = int(error[2 * k]), int(error[2 * k + 1])
            if lo <= hi:
                raise index_error(check, lo, hi) if isinstance(check, int) else check.error(lo)


@dataclass(frozen=True)
class Storage:
    """Where a value lives: a pointer or local array (indexed), or a scalar / literal."""

    text: str
    indexed: bool

    def at(self, offset: str) -> str:
        return f"{self.text}[{offset}]" if self.indexed else self.text


def offset(shape: Sequence[int], index: Sequence[str]) -> str:
    """Row-major flat offset of ``index`` in ``shape``. Size-1 dims contribute nothing, so
    an operand of an elementwise op broadcasts by being indexed with the output's index."""
    assert len(shape) == len(index), (shape, index)
    terms, stride = [], 1
    for d, i in reversed(list(zip(shape, index))):
        if d != 1 and i != "0":
            terms.append(i if stride == 1 else f"({i}) * {stride}")
        stride *= d
    return " + ".join(reversed(terms)) or "0"


class RowEmitter:
    """Builds ``NAME_row``'s body: one block per equation, values named v0, v1, ..."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.lines: list[str] = []
        self.depth = 1
        self.n_values = 0
        self.storage: dict[Var, Storage] = {}
        for prefix, vs in (("c", graph.constvars), ("x", graph.invars)):
            for k, v in enumerate(vs):
                self.storage[v] = Storage(f"{prefix}{k}", True)
        self.ops: list[str] = []
        self.checks: list[int | LinAlgCheck] = []
        self.preambles: dict[str, None] = {}  # helpers the rules used, in order, once each

    def error_slot(self, check: int | LinAlgCheck) -> str:
        """A new error slot, the C pointer to pass to ``gvmap_row_index_error``: for a
        gather of traced indices (``check`` the indexed axis's size; the offending index is
        recorded), or for a routine that can fail (a ``LinAlgCheck``; the failing matrix's
        flat index, from the row function's ``example`` index)."""
        self.checks.append(check)
        return f"error + {2 * (len(self.checks) - 1)}"

    def need(self, preamble: str) -> None:
        """Put ``preamble`` (C helpers, include-guarded) before the row function, once."""
        self.preambles[preamble] = None

    # ---- text
    def emit(self, line: str) -> None:
        self.lines.append("  " * self.depth + line)

    def open_loops(self, sizes: Sequence[int], names: Sequence[str], inner: int = 1,
                   unroll: bool | None = None) -> tuple[list[str], int]:
        """``for`` loops over the dims of size != 1; returns the index (a size-1 dim's is
        "0", not looped) and how many loops were opened, for ``close``. Each loop is
        unrolled where ``unroll`` says, by default where the iterations it encloses
        (``inner`` per innermost one) are at most ``UNROLL_LIMIT``."""
        index, opened = [], 0
        for j, (size, name) in enumerate(zip(sizes, names)):
            index.append("0" if size == 1 else name)
            if size == 1:
                continue
            if (math.prod(sizes[j:]) * inner <= UNROLL_LIMIT) if unroll is None else unroll:
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
        return self.storage[atom].at(offset(atom.aval.shape, index))

    def define(self, var: Var) -> Storage:
        """Declare the local value ``var``: ``T vK`` when it has one element, else an array."""
        name, t = f"v{self.n_values}", c_type(var.aval.dtype)
        self.n_values += 1
        if var.aval.size == 1:
            self.emit(f"{t} {name};")
            storage = Storage(name, False)
        else:  # size 0 still declares one element: loops that never run may name it
            self.emit(f"{t} {name}[{max(var.aval.size, 1)}];")
            storage = Storage(name, True)
        self.storage[var] = storage
        return storage

    def alias(self, out: Var, atom: Any) -> None:
        """``out`` shares ``atom``'s row-major storage (reshape and friends)."""
        if isinstance(atom, Literal):
            self.storage[out] = Storage(c_literal(atom.value), False)
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

    # ---- the translation unit
    def finish(self, work: int, local_bytes: int) -> RowKernelSource:
        """The translation unit around the emitted body; ``work`` and ``local_bytes`` come
        from the sizing (``rowkernel.size_row_kernel``), decided before emitting."""
        g = self.graph
        consts = tuple(v.aval for v in g.constvars)
        inputs = tuple(v.aval for v in g.invars)
        outputs = tuple(v.aval for v in g.outvars)
        def pointers(prefix: str, avals: Sequence[AbstractArray], const: str) -> list[str]:
            return [f"{const}{c_type(a.dtype)}* __restrict__ {prefix}{k}"
                    for k, a in enumerate(avals)]

        cs, xs = pointers("c", consts, "const "), pointers("x", inputs, "const ")
        ys = pointers("y", outputs, "")
        errors = ["long long* __restrict__ error"] if self.checks else []
        example = ["long long example"] if any(isinstance(c, LinAlgCheck) for c in self.checks) else []
        row_params = cs + xs + ys + errors + example
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
                     + (["error"] if errors else []) + (["i"] if example else []))
        source = template("row.cu").substitute(
            preamble=PREAMBLE + (_INDEX_ERROR if errors else "") + "".join(self.preambles),
            row=row, row_params=", ".join(row_params), body=body, name=name,
            graph_comment="\n".join("// " + line for line in str(g).splitlines()),
            kernel_params=", ".join(kernel_params), call_args=", ".join(call_args))
        return RowKernelSource(name=name, row_function=row, source=source, consts=consts,
                               inputs=inputs, outputs=outputs, work=work,
                               local_bytes=local_bytes,
                               checks=tuple(self.checks))


# A thread records an out-of-range gather index j (or a failing matrix's flat index) in its
# check's two error slots (lowest, highest); on the host (the CPU tests call the row function directly) without atomics.
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


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{j}" for j in range(n)]
