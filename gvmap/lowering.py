"""Lowering: a batched Graph becomes a ``Plan``, a flat list of launches over value slots.

The Plan is pure data (what runs, in which order, reading and writing which slots, which
dead buffer an output may overwrite) and names no array module, so plans for any backend
can be built and printed on any machine; ``backends/executor.py`` turns a Plan into
callables for NumPy or CuPy. ``Lowered`` is what ``jit(f).lower(...)`` returns.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from . import primitives as P
from .fusion import Region, fuse
from .graph import AbstractArray, Eqn, Graph, Literal, Var, _Namer, format_params
from .implementations import (check_indices_p, index_bounds, raise_if_out_of_bounds,
                              runs_as_kernel)
from .passes import eliminate_common_subexpressions

if TYPE_CHECKING:
    from .codegen.render import KernelSource

__all__ = ["Step", "Plan", "RowPlan", "Lowered", "lower_graph", "lower_rows"]

@dataclass(frozen=True)
class Step:
    """One launch: ``eqns`` computed from ``in_slots`` into ``out_slots``.

    ``kernel`` is set for a fused region (its rendered CUDA); otherwise the step is one
    backend call for its single equation. ``reuse``: a slot holding a dead buffer of the
    output's shape and dtype that the call writes into (``out=``) instead of allocating.
    ``frees``: slots whose last reader this is.
    """

    eqns: tuple[Eqn, ...]
    in_slots: tuple[int, ...]
    out_slots: tuple[int, ...]
    reuse: int | None = None
    frees: tuple[int, ...] = ()
    kernel: "KernelSource | None" = None
    out_vars: tuple[Var, ...] = ()
    in_vars: tuple[Any, ...] = ()

    @property
    def is_view(self) -> bool:
        return self.kernel is None and self.eqns[0].primitive.view

    @property
    def notes(self) -> tuple[str, ...]:
        """What the plan text adds after any backend's launch description."""
        if self.kernel is not None:
            return ()
        eqn = self.eqns[0]
        notes = []
        if eqn.primitive is P.convert_element_type_p and \
                eqn.invars[0].aval.dtype == eqn.params["new_dtype"]:
            notes.append("a copy: an output owns its memory")
        if self.reuse is not None:
            notes.append("in place")
        return tuple(notes)


@dataclass(frozen=True)
class Plan:
    backend: str
    graph: Graph
    num_slots: int
    const_slots: tuple[int, ...]
    literal_slots: Mapping[int, Any]
    in_slots: tuple[int, ...]
    out_slots: tuple[int, ...]
    steps: tuple[Step, ...]

    @property
    def kernels(self) -> dict[str, str]:
        """Generated kernels by name: each a complete CUDA translation unit."""
        out: dict[str, str] = {}
        for step in self.steps:
            if step.kernel is not None:
                name, k = step.kernel.name, 1
                while name in out and out[name] != step.kernel.translation_unit:
                    name, k = f"{step.kernel.name}_{k}", k + 1
                out[name] = step.kernel.translation_unit
        return out

    def as_text(self, describe: "Describe | None" = None) -> str:
        """One line per step, in order, with the graph's variable names; the comment after
        each step says how it runs, in words ``describe(step)`` gives (each backend
        describes its own launches: ``backends.launch_describer``)."""
        describe = describe or _generic_description(self.backend)
        names = _Namer(self.graph)
        launches = sum(1 for s in self.steps if not s.is_view)
        views = len(self.steps) - launches
        lines = [f"plan for {self.backend}: {launches} launch{'es' if launches != 1 else ''}"
                 + (f" (+{views} view{'s' if views != 1 else ''})" if views else "")]
        for step in self.steps:
            outs = " ".join(f"{names(v)}:{v.aval}" for v in step.out_vars)
            ins = " ".join(names(a) for a in step.in_vars)
            what = ", ".join(f"{e.primitive}{format_params(e.params)}" for e in step.eqns)
            if step.kernel is not None:  # (a step without a kernel is one equation)
                what = f"fused[{what}]"
            launch = describe(step) + "".join(f" ({note})" for note in step.notes)
            lines.append(f"  {outs} = {what} {ins}  # {launch}")
        outs = ", ".join(names(v) for v in self.graph.outvars)
        lines.append(f"  -> ({outs})")
        return "\n".join(lines)


Describe = Callable[[Step], str]  # a step's launch in a backend's words


def _generic_description(backend: str) -> Describe:
    return lambda step: (f"{backend} kernel {step.kernel.name}" if step.kernel is not None
                         else f"{backend}.{step.eqns[0].primitive.launch}")


def lower_graph(graph: Graph, backend: str, fused: bool | None = None) -> Plan:
    """With ``fused`` (the default for CuPy), one launch per fused region (``fusion.py``),
    a generated kernel for each region ``_runs_as_kernel`` picks; otherwise (NumPy, which
    has no kernels to fuse) one call per equation, with dead buffers reused in place."""
    if fused is None:
        fused = backend != "numpy"
    graph = _fresh_outputs(_with_index_checks(eliminate_common_subexpressions(graph), fused))
    if fused:
        from .codegen.render import render_region

        groups = []
        for region in fuse(graph):
            if _runs_as_kernel(region):
                groups.append((tuple(region.all_eqns), region.inputs, region.outputs,
                               render_region(region)))
            else:
                groups += [((e,), e.invars, e.outvars, None) for e in region.all_eqns]
    else:
        groups = [((e,), e.invars, e.outvars, None) for e in graph.eqns]
    return _assign_slots(graph, backend, groups)


def _runs_as_kernel(region: Region) -> bool:
    """A region of several equations is one generated kernel. So is a lone elementwise
    equation whose CuPy function means something else than NumPy's (``runs_as_kernel``,
    from the audit table in ``implementations.py``): fused or not, one semantics."""
    if region.kind == "elementwise":
        return len(region.eqns) > 1 or runs_as_kernel(region.eqns[0].primitive)
    return region.kind == "reduction" and len(region.all_eqns) > 1


def _fresh_outputs(graph: Graph) -> Graph:
    """Outputs never share memory with the arguments, the constants or each other, as the
    loop's ``np.stack`` and JAX give fresh arrays: writing into one must not change an
    argument, the plan's constant snapshot, a later call's literal or another output.

    An output gets a copy step (``convert_element_type`` to its own dtype: astype copies)
    when it is an input, a constant or a literal, or a view chain (``Primitive.view``) of
    one; when its view chain broadcasts (stride 0: NumPy's view is read-only, and on CuPy
    one write would change many elements); or when it reads the buffer of an earlier
    output. An output computed into a buffer of its own, or a view of one (the batched
    graph's final transpose), is not copied.
    """
    base: dict[Var, Any] = {}      # each view: the value whose buffer it reads
    broadcast: set[Var] = set()    # views whose chain broadcasts a dimension
    computed: set[Var] = set()     # values in buffers the plan allocates
    for eqn in graph.eqns:
        (out,) = eqn.outvars[:1]
        if not eqn.primitive.view:
            computed.update(eqn.outvars)
            continue
        src = eqn.invars[0]
        base[out] = base.get(src, src) if isinstance(src, Var) else src
        if src in broadcast or out.aval.size > src.aval.size:
            broadcast.add(out)
    eqns, outvars, claimed = list(graph.eqns), [], set()
    for v in graph.outvars:
        buffer = base.get(v, v) if isinstance(v, Var) else v
        if isinstance(buffer, Var) and buffer in computed and buffer not in claimed \
                and v not in broadcast:
            claimed.add(buffer)
            outvars.append(v)
        else:
            outvars.append(_emit(eqns, P.convert_element_type_p, (v,), v.aval,
                                 new_dtype=v.aval.dtype))
    if outvars == list(graph.outvars):
        return graph
    return Graph(graph.constvars, graph.invars, tuple(eqns), tuple(outvars), graph.consts)


# The gathers, and where the indexed axis is past ``axis`` (batched_take: the batch dim)
_GATHERS = {P.take_p: 0, P.batched_take_p: 1}


def _with_index_checks(graph: Graph, fused: bool) -> Graph:
    """NumPy's index rule (``implementations.py``) for every gather of ``graph``.

    Indices known now (literals, constants) are checked now: IndexError at lowering.
    Unfused plans run on NumPy, whose gathers check traced indices themselves. In fused
    plans (CuPy's, whose gathers wrap, and its numpy-fused emulation) each gather of traced
    indices gets a flag, "some index is out of range" (comparisons and an ``any``: ONE fused
    reduction kernel on CuPy), and the plan ends with ONE ``check_indices`` step reading the
    flags' ``or``, which raises the IndexError. Its cost on CuPy: one launch per gather, one
    more to combine several flags, and one device-to-host copy of a bool per call, which
    waits for the GPU to run the plan (as using its results does anyway); it comes last so
    that no launch waits behind it. A step before it that raises by itself (np.linalg's
    LinAlgError) on values read through a wrapped index raises first.
    """
    eqns: list[Eqn] = []
    flags, indices, sizes = [], [], []
    for eqn in graph.eqns:
        eqns.append(eqn)
        if eqn.primitive not in _GATHERS:
            continue
        x, idx = eqn.invars
        size = x.aval.shape[eqn.params["axis"] + _GATHERS[eqn.primitive]]
        known = graph.known_value(idx)
        if known is not None:
            raise_if_out_of_bounds(np, size, known)
            continue
        flag = _out_of_bounds_flag(idx, size, eqns) if fused else None
        if flag is not None:
            flags.append(flag)
            indices.append(idx)
            sizes.append(size)
    if not flags:
        return graph
    scalar = AbstractArray((), np.bool_)
    any_flag = flags[0]
    for flag in flags[1:]:
        any_flag = _emit(eqns, P.or_p, (any_flag, flag), scalar)
    _emit(eqns, check_indices_p, (any_flag, *indices), scalar, sizes=tuple(sizes))
    return Graph(graph.constvars, graph.invars, tuple(eqns), graph.outvars, graph.consts)


def _out_of_bounds_flag(idx: Var, size: int, eqns: list) -> Var | None:
    """A bool scalar: whether some element of ``idx`` breaks the index rule; None where
    none can (no elements, or a dtype whose every value is in range)."""
    lower, upper = index_bounds(idx.aval.dtype, size)
    if idx.aval.size == 0 or (lower is None and upper is None):
        return None
    shape, dtype = idx.aval.shape, idx.aval.dtype
    mask = AbstractArray(shape, np.bool_)
    parts = [_emit(eqns, prim, (idx, Literal(dtype.type(bound))), mask)
             for prim, bound in ((P.lt_p, lower), (P.ge_p, upper)) if bound is not None]
    bad = parts[0] if len(parts) == 1 else _emit(eqns, P.or_p, tuple(parts), mask)
    if not shape:
        return bad
    return _emit(eqns, P.reduce_or_p, (bad,), AbstractArray((), np.bool_),
                 axes=tuple(range(len(shape))))


def _emit(eqns: list, prim: P.Primitive, operands: tuple, aval: AbstractArray, **params) -> Var:
    out = Var(aval)
    eqns.append(Eqn(prim, operands, (out,), params))
    return out


def _assign_slots(graph: Graph, backend: str, groups: list) -> Plan:
    slots: dict[Any, int] = {}
    literal_values: dict[int, Any] = {}

    def slot(v: Any) -> int:
        key = v if isinstance(v, Var) else ("literal", id(v))
        if key not in slots:
            slots[key] = len(slots)
            if isinstance(v, Literal):
                literal_values[slots[key]] = v.value
        return slots[key]

    const_slots = tuple(slot(v) for v in graph.constvars)
    in_slots = tuple(slot(v) for v in graph.invars)
    wired = [(tuple(slot(a) for a in ins), tuple(slot(v) for v in outs)) for _, ins, outs, _ in groups]
    last_use = {s: i for i, (ins, _) in enumerate(wired) for s in ins}  # the last i wins
    out_slots = tuple(slot(v) for v in graph.outvars)
    keep = set(out_slots) | set(const_slots) | set(in_slots) | set(literal_values)
    viewed = {s for (eqns, _, _, kernel), (ins, _) in zip(groups, wired)
              if kernel is None and eqns[0].primitive.view for s in ins}
    owned: set[int] = set()  # slots holding a buffer this plan allocated (safe to overwrite)

    steps = []
    for i, ((eqns, in_vars, out_vars, kernel), (ins, outs)) in enumerate(zip(groups, wired)):
        dying = tuple(sorted({s for s in ins if last_use[s] == i and s not in keep}))
        reuse = None
        prim = eqns[0].primitive  # a lone ufunc call of one result may write out= a dead buffer
        if kernel is None and prim.ufunc is not None and not prim.multiple_results:
            aval = eqns[0].outvars[0].aval
            for s, a in zip(ins, in_vars):
                if aval.ndim and s in dying and s in owned and s not in viewed and a.aval == aval:
                    reuse = s
                    break
        if kernel is not None or not prim.view:
            owned.update(outs)
        steps.append(Step(eqns, ins, outs, reuse, tuple(s for s in dying if s != reuse), kernel,
                          tuple(out_vars), tuple(in_vars)))
    return Plan(backend=backend, graph=graph, num_slots=len(slots), const_slots=const_slots,
                literal_slots=literal_values, in_slots=in_slots, out_slots=out_slots,
                steps=tuple(steps))


# Row kernels are opt-in until measured on a GPU (benches/: compare GVMAP_ROW_KERNELS=1 and 0).
ROW_KERNEL_MAX_WORK = 4096  # inner-loop iterations per example, one thread each


def row_kernels_enabled() -> bool:
    return os.environ.get("GVMAP_ROW_KERNELS", "0").strip().lower() in ("1", "on", "true", "yes")


@dataclass(frozen=True)
class RowPlan:
    """One kernel, one thread per example, running the whole per-example graph.

    When every per-example value is small, reading each input once and writing each
    output once beats a chain of batched launches. ``graph`` is the
    per-example graph; ``batched`` the batched one (for names in ``as_text``)."""

    backend: str
    graph: Graph
    batched: Graph
    kernel: Any  # codegen.rowkernel.RowKernelSource
    in_bdims: tuple
    out_axes: tuple
    axis_size: int
    reason: str

    @property
    def kernels(self) -> dict[str, str]:
        return {self.kernel.name: self.kernel.source}

    def emulation(self) -> Graph:
        """The batched graph of ``graph`` in the kernel's layout (batched inputs and every
        output at axis 0): what a backend without the kernel runs to emulate it."""
        from .batching import batch_graph

        return batch_graph(self.graph, [None if b is None else 0 for b in self.in_bdims],
                           self.axis_size, [0] * len(self.graph.outvars))

    def as_text(self, describe: "Callable[[RowPlan], str] | None" = None) -> str:
        """The one launch; ``describe(plan)`` says how it runs in the backend's words."""
        names = _Namer(self.batched)
        outs = " ".join(f"{names(v)}:{v.aval}" for v in self.batched.outvars)
        ins = " ".join(names(v) for v in self.batched.invars)
        chain = ", ".join(str(e.primitive) for e in self.graph.eqns)
        launch = (describe(self) if describe is not None
                  else f"{self.backend} row kernel {self.kernel.name}, one thread per example")
        return "\n".join([f"plan for {self.backend}: 1 launch (row kernel: {self.reason})",
                          f"  {outs} = row_kernel[{chain}] {ins}  # {launch}",
                          f"  -> ({', '.join(names(v) for v in self.batched.outvars)})"])


def lower_rows(per_example: Graph, batched: Graph, in_bdims: tuple, out_axes: tuple,
               axis_size: int, backend: str) -> RowPlan | None:
    """The row-kernel plan when it is enabled and the cost model picks it, else None."""
    if not row_kernels_enabled() or not axis_size or not per_example.eqns:
        return None
    from .codegen.rowkernel import render_row_kernel, size_row_kernel

    try:
        sizing = size_row_kernel(per_example)  # decided without rendering
    except NotImplementedError:
        return None
    if sizing.work > ROW_KERNEL_MAX_WORK:
        return None
    kernel = render_row_kernel(per_example, sizing)  # rendered once
    launches = sum(1 for s in lower_graph(batched, backend, True).steps if not s.is_view)
    reason = (f"{kernel.work} inner iterations and {kernel.local_bytes} B of locals per "
              f"example, instead of {launches} batched launch{'es' if launches != 1 else ''}")
    return RowPlan(backend, per_example, batched, kernel, tuple(in_bdims), tuple(out_axes),
                   axis_size, reason)


class Lowered:
    """A compiled plan, inspectable: ``as_text()`` lists the launches; ``kernels`` maps each
    generated kernel's name to its CUDA source (empty where nothing is generated).
    ``describe``: the backend's words for its launches (a step describer and a row-plan
    describer, ``backends.launch_describers``); without them the text is generic."""

    def __init__(self, plan: "Plan | RowPlan", describe: tuple | None = None):
        self.plan = plan
        self.graph = plan.batched if isinstance(plan, RowPlan) else plan.graph
        self.backend = plan.backend
        self.kernels: dict[str, str] = plan.kernels
        self._describe = describe

    def as_text(self) -> str:
        step_words, row_words = self._describe or (None, None)  # None: generic words
        return self.plan.as_text(row_words if isinstance(self.plan, RowPlan) else step_words)

    def __repr__(self) -> str:
        launches = 1 if isinstance(self.plan, RowPlan) else len(self.plan.steps)  # one kernel
        return f"Lowered(backend={self.backend!r}, launches={launches})"
