"""Lowering: a batched Graph becomes a ``Plan``, a flat list of launches over value slots.

The Plan is pure data (what runs, in which order, reading and writing which slots, which
dead buffer an output may overwrite) and names no array module, so plans for any backend
can be built and printed on any machine; ``backends/executor.py`` turns a Plan into
callables for NumPy or CuPy. ``Lowered`` is what ``jit(f).lower(...)`` returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from . import primitives as P
from .graph import Eqn, Graph, Literal, Var, _Namer, format_params
from .implementations import UFUNC_NAMES

__all__ = ["Step", "Plan", "Lowered", "lower_graph"]

_LAUNCH_NAMES = {
    P.dot_general_p: "matmul", P.reduce_sum_p: "sum", P.reduce_prod_p: "prod",
    P.reduce_max_p: "max", P.reduce_min_p: "min", P.reduce_and_p: "all", P.reduce_or_p: "any",
    P.argmax_p: "argmax", P.argmin_p: "argmin", P.cumsum_p: "cumsum", P.select_p: "where",
    P.convert_element_type_p: "astype", P.broadcast_in_dim_p: "broadcast_to (view)",
    P.reshape_p: "reshape", P.transpose_p: "transpose (view)", P.squeeze_p: "reshape (view)",
    P.expand_dims_p: "reshape (view)", P.slice_p: "slice (view)", P.rev_p: "flip (view)",
    P.concatenate_p: "concatenate", P.take_p: "take", P.batched_take_p: "take (batched)",
}

# Primitives whose result may be a view of an operand: never overwritten in place.
_VIEWS = {P.broadcast_in_dim_p, P.reshape_p, P.transpose_p, P.squeeze_p, P.expand_dims_p,
          P.slice_p, P.rev_p}


@dataclass(frozen=True)
class Step:
    """One launch: ``eqn`` computed from ``in_slots`` into ``out_slot``.

    ``reuse``: a slot holding a dead buffer of the output's shape and dtype that the launch
    writes into (``out=``) instead of allocating. ``frees``: slots whose last reader this is.
    """

    eqn: Eqn
    in_slots: tuple[int, ...]
    out_slot: int
    reuse: int | None
    frees: tuple[int, ...]


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

    def as_text(self) -> str:
        """One line per launch, in order, with the graph's variable names."""
        names = _Namer()
        for v in (*self.graph.constvars, *self.graph.invars):
            names(v)
        lines = [f"plan for {self.backend}: {len(self.steps)} launch"
                 f"{'es' if len(self.steps) != 1 else ''}"]
        for step in self.steps:
            eqn = step.eqn
            outs = " ".join(f"{names(v)}:{v.aval}" for v in eqn.outvars)
            ins = " ".join(names(a) for a in eqn.invars)
            launch = f"{self.backend}.{_launch_name(eqn.primitive)}"
            if step.reuse is not None:
                launch += " (in place)"
            lines.append(f"  {outs} = {eqn.primitive}{format_params(eqn.params)} {ins}  # {launch}")
        outs = ", ".join(names(v) for v in self.graph.outvars)
        lines.append(f"  -> ({outs})")
        return "\n".join(lines)


def _launch_name(prim: P.Primitive) -> str:
    return UFUNC_NAMES.get(prim) or _LAUNCH_NAMES.get(prim, str(prim))


def lower_graph(graph: Graph, backend: str) -> Plan:
    """One launch per equation, with dead-buffer reuse for elementwise ufuncs."""
    slots: dict[Any, int] = {}

    def slot(v: Any) -> int:
        key = v if isinstance(v, Var) else ("literal", id(v))
        if key not in slots:
            slots[key] = len(slots)
            if isinstance(v, Literal):
                literal_values[slots[key]] = v.value
        return slots[key]

    literal_values: dict[int, Any] = {}
    const_slots = tuple(slot(v) for v in graph.constvars)
    in_slots = tuple(slot(v) for v in graph.invars)
    last_use: dict[int, int] = {}
    eqn_slots = []
    for i, eqn in enumerate(graph.eqns):
        ins = tuple(slot(a) for a in eqn.invars)
        for s in ins:
            last_use[s] = i
        eqn_slots.append((ins, slot(eqn.outvars[0])))
    out_slots = tuple(slot(v) for v in graph.outvars)
    keep = set(out_slots) | set(const_slots) | set(in_slots) | set(literal_values)
    owned: set[int] = set()  # slots holding a buffer this plan allocated (safe to overwrite)
    viewed = {s for eqn, (ins, _) in zip(graph.eqns, eqn_slots) if eqn.primitive in _VIEWS
              for s in ins}  # a buffer some view aliases must never be overwritten

    steps = []
    for i, (eqn, (ins, out)) in enumerate(zip(graph.eqns, eqn_slots)):
        dying = tuple(sorted({s for s in ins if last_use[s] == i and s not in keep}))
        reuse = None
        aval = eqn.outvars[0].aval
        if eqn.primitive in UFUNC_NAMES and aval.ndim > 0:
            for s, a in zip(ins, eqn.invars):
                if s in dying and s in owned and s not in viewed and a.aval == aval:
                    reuse = s
                    break
        if eqn.primitive not in _VIEWS:
            owned.add(out)
        steps.append(Step(eqn, ins, out, reuse, tuple(s for s in dying if s != reuse)))
    return Plan(backend=backend, graph=graph, num_slots=len(slots), const_slots=const_slots,
                literal_slots=literal_values, in_slots=in_slots, out_slots=out_slots,
                steps=tuple(steps))


class Lowered:
    """A compiled plan, inspectable: ``as_text()`` lists the launches; ``kernels`` maps each
    generated kernel's name to its CUDA source (empty where nothing is generated)."""

    def __init__(self, plan: Plan, kernels: Mapping[str, str] | None = None):
        self.plan = plan
        self.graph = plan.graph
        self.backend = plan.backend
        self.kernels: dict[str, str] = dict(kernels or {})

    def as_text(self) -> str:
        return self.plan.as_text()

    def __repr__(self) -> str:
        return f"Lowered(backend={self.backend!r}, launches={len(self.plan.steps)})"

