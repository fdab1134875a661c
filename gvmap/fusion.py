"""Fusion: partition a Graph into regions, each of which runs as ONE launch.

This pass only decides what goes together; ``codegen/`` renders the kernels. Region kinds:

* ``elementwise``: a DAG of elementwise equations with one output shape (operands may
  broadcast into it) -> one ``cupy.ElementwiseKernel``; several outputs when intermediate
  values are used outside the region.
* ``reduction``: an elementwise region feeding ``reduce_sum/prod/max/min/and/or``, plus a
  trailing scale by constants (``mean``'s division) -> one ``cupy.ReductionKernel``.
* ``contraction``: one ``dot_general`` -> cuBLAS.
* ``single``: anything else, one backend call.

Legality is a few predicates, each with its reason: only equations whose dtypes kernels
compute in (``KERNEL_DTYPES``) fuse; an equation joins a region only if it
has the region's output shape (one kernel, one index space), and only if it does not also
depend on the region through an equation outside it (that would be a cycle: the region
would need a value that needs the region). A reduction absorbs its producer only if nothing
else reads the producer's values (a ReductionKernel writes reduced values only).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import primitives as P
from .graph import Eqn, Graph, Literal, Var

__all__ = ["Region", "fuse", "FUSIBLE_REDUCTIONS"]

FUSIBLE_REDUCTIONS = {P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p,
                      P.reduce_and_p, P.reduce_or_p}

# dtypes generated kernels compute in (C has no float16 arithmetic without cuda_fp16.h, and
# complex would need thrust): equations touching others run as plain backend calls
KERNEL_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                       np.uint16, np.uint32, np.uint64, np.float32, np.float64)}


def _kernel_dtypes(eqn: Eqn) -> bool:
    return all(a.aval.dtype in KERNEL_DTYPES for a in (*eqn.invars, *eqn.outvars))


@dataclass(eq=False)
class Region:
    """Equations that run as one launch. For ``reduction`` regions, ``eqns`` is the map
    part, then ``reduce_eqn``, then ``post_eqns`` (elementwise on the reduced value)."""

    kind: str
    eqns: list[Eqn]
    reduce_eqn: Eqn | None = None
    post_eqns: list[Eqn] = field(default_factory=list)
    inputs: tuple[Var, ...] = ()    # values read from outside, in order of first use
    outputs: tuple[Var, ...] = ()   # values used outside (or graph outputs), in order

    @property
    def all_eqns(self) -> list[Eqn]:
        tail = [self.reduce_eqn] if self.reduce_eqn is not None else []
        return [*self.eqns, *tail, *self.post_eqns]

    @property
    def shape(self) -> tuple[int, ...]:
        """The index space of the map part: every elementwise equation's output shape."""
        if self.eqns:
            return self.eqns[0].outvars[0].aval.shape
        return self.reduce_eqn.invars[0].aval.shape if self.reduce_eqn is not None else ()

    def primitive_names(self) -> list[str]:
        return [str(e.primitive) for e in self.all_eqns]


def fuse(graph: Graph) -> list[Region]:
    """Regions in an order that respects every dependency."""
    users: dict[Var, list[Eqn]] = {}
    for eqn in graph.eqns:
        for a in eqn.invars:
            if isinstance(a, Var):
                users.setdefault(a, []).append(eqn)
    graph_outputs = {v for v in graph.outvars if isinstance(v, Var)}

    region_of: dict[Var, Region] = {}      # producer region of each value
    preds: dict[Region, set] = {}          # regions whose values each region reads
    regions: list[Region] = []

    def ancestors(region: Region) -> set:
        seen, stack = set(), list(preds[region])
        while stack:
            q = stack.pop()
            if q not in seen:
                seen.add(q)
                stack.extend(preds[q])
        return seen

    def place(region: Region, eqn: Eqn, producers: list) -> None:
        for v in eqn.outvars:
            region_of[v] = region
        # (producers merged into another region meanwhile are gone from preds)
        preds.setdefault(region, set()).update(q for q in producers if q is not region and q in preds)

    def merge(target: Region, other: Region) -> None:
        target.eqns.extend(other.eqns)
        for v, r in region_of.items():
            if r is other:
                region_of[v] = target
        preds[target] |= preds.pop(other)
        for p in preds.values():
            if other in p:
                p.discard(other)
                p.add(target)
        preds[target].discard(target)
        regions.remove(other)

    for eqn in graph.eqns:
        prods = list(dict.fromkeys(region_of[a] for a in eqn.invars
                                   if isinstance(a, Var) and a in region_of))
        # regions this equation depends on through some other region
        indirect = set().union(*(ancestors(q) for q in prods)) if prods else set()
        prim = eqn.primitive

        if prim in P.ELEMENTWISE and _kernel_dtypes(eqn):
            target = _post_map_target(eqn, prods, users, graph_outputs)
            if target is not None and target not in indirect:
                target.post_eqns.append(eqn)
                place(target, eqn, prods)
                continue
            shape = eqn.outvars[0].aval.shape
            joinable = [q for q in prods
                        if q.kind == "elementwise" and q.shape == shape and q not in indirect]
            if joinable:
                target = joinable[0]
                for other in joinable[1:]:
                    merge(target, other)
                target.eqns.append(eqn)
                target.eqns.sort(key=_position(graph))
                place(target, eqn, prods)
                continue
            region = Region("elementwise", [eqn])
        elif prim in P.ELEMENTWISE:
            region = Region("single", [eqn])
        elif prim in FUSIBLE_REDUCTIONS and not _kernel_dtypes(eqn):
            region = Region("single", [eqn])
        elif prim in FUSIBLE_REDUCTIONS and _absorbable(eqn, prods, users, graph_outputs):
            region = prods[0]
            region.kind, region.reduce_eqn = "reduction", eqn
            place(region, eqn, prods)
            continue
        elif prim in FUSIBLE_REDUCTIONS:  # a reduction of a value computed elsewhere: map = identity
            region = Region("reduction", [], reduce_eqn=eqn)
        elif prim in P.CONTRACTIONS:
            region = Region("contraction", [eqn])
        else:
            region = Region("single", [eqn])
        regions.append(region)
        place(region, eqn, prods)

    for region in regions:
        _set_interface(region, users, graph_outputs)
    return _topological(regions, preds, _position(graph))


def _topological(regions: list[Region], preds: dict, position) -> list[Region]:
    """Regions ordered so each runs after the regions it reads (merging can make a region
    need a value produced by a region created after it); ties keep graph order."""
    first = {r: min(position(e) for e in r.all_eqns) for r in regions}
    done: set = set()
    order: list[Region] = []
    pending = sorted(regions, key=first.__getitem__)
    while pending:
        ready = next(r for r in pending if preds[r] <= done)  # exists: the legality rules
        order.append(ready)                                    # keep the region graph acyclic
        done.add(ready)
        pending.remove(ready)
    return order


def _position(graph: Graph):
    index = {id(e): i for i, e in enumerate(graph.eqns)}
    return lambda e: index[id(e)]


def _absorbable(eqn: Eqn, prods: list[Region], users: dict, graph_outputs: set) -> bool:
    """A reduction fuses with the elementwise region producing its operand when every value
    of that region is read only inside it or by this reduction (and none is an output)."""
    operand = eqn.invars[0]
    if not isinstance(operand, Var) or len(prods) != 1:
        return False
    region = prods[0]
    if region.kind != "elementwise" or operand not in {v for e in region.eqns for v in e.outvars}:
        return False
    members = {id(e) for e in region.eqns} | {id(eqn)}
    for e in region.eqns:
        for v in e.outvars:
            if v in graph_outputs or any(id(u) not in members for u in users.get(v, [])):
                return False
    return True


def _post_map_target(eqn: Eqn, prods: list[Region], users: dict, graph_outputs: set) -> Region | None:
    """A reduction region whose result this equation scales by constants (mean's division):
    it becomes the region's ``post_map_expr``."""
    if len(prods) != 1 or prods[0].kind != "reduction":
        return None
    region = prods[0]
    last = (region.post_eqns or [region.reduce_eqn])[-1].outvars[0]
    others = [a for a in eqn.invars if a is not last]
    if last not in eqn.invars or not all(isinstance(a, Literal) for a in others):
        return None
    if last in graph_outputs or len(users.get(last, [])) != 1:
        return None
    return region


def _set_interface(region: Region, users: dict, graph_outputs: set) -> None:
    members = region.all_eqns
    inside = {v for e in members for v in e.outvars}
    member_ids = {id(e) for e in members}
    inputs: dict[Var, None] = {}
    for e in members:
        for a in e.invars:
            if isinstance(a, Var) and a not in inside:
                inputs[a] = None
    outputs = [v for e in members for v in e.outvars
               if v in graph_outputs or any(id(u) not in member_ids for u in users.get(v, []))]
    region.inputs, region.outputs = tuple(inputs), tuple(outputs)
