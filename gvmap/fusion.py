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

import heapq
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import primitives as P
from .graph import Eqn, Graph, Literal, Var

__all__ = ["Region", "fuse", "FUSIBLE_REDUCTIONS"]

# what a ReductionKernel folds: the reductions with a monoid (argmax/argmin are not)
FUSIBLE_REDUCTIONS = frozenset(P.MONOID_REDUCTIONS)

# dtypes generated kernels compute in (C has no float16 arithmetic without cuda_fp16.h, and
# complex would need thrust): equations touching others run as plain backend calls
KERNEL_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                       np.uint16, np.uint32, np.uint64, np.float32, np.float64)}


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
    """Regions in an order that respects every dependency.

    One pass over the equations in graph order, each placed once; the bookkeeping keeps it
    near-linear in the number of equations (unrolled loops give graphs of thousands):
    a topological numbering of the regions bounds every cycle test (``_RegionDag``), merged
    regions move the smaller one's values, and each region counts the uses of its values
    from outside it, so a reduction's test for absorbing its producer is O(1)."""
    users: dict[Var, list[Eqn]] = {}
    for eqn in graph.eqns:
        for a in eqn.invars:
            if isinstance(a, Var):
                users.setdefault(a, []).append(eqn)
    graph_outputs = {v for v in graph.outvars if isinstance(v, Var)}
    position = {id(e): i for i, e in enumerate(graph.eqns)}

    region_of: dict[Var, Region] = {}      # producer region of each value
    values: dict[Region, list[Var]] = {}   # the values each region produces
    outside_uses: dict[Region, int] = {}   # uses of those values by equations outside it
    dag = _RegionDag()
    regions: dict[Region, None] = {}       # in order of creation (a dict: merges delete)

    def uses_of(v: Var) -> int:
        return len(users.get(v, ())) + (v in graph_outputs)

    def reads_from(eqn: Eqn, region: Region) -> int:
        return sum(1 for a in eqn.invars if isinstance(a, Var) and region_of.get(a) is region)

    def place(region: Region, eqn: Eqn, producers: list) -> None:
        outside_uses[region] = outside_uses.get(region, 0) - reads_from(eqn, region)
        for v in eqn.outvars:
            region_of[v] = region
            outside_uses[region] += uses_of(v)
        values.setdefault(region, []).extend(eqn.outvars)
        # (producers merged into another region meanwhile are gone from the dag)
        dag.add(region, [q for q in producers if q is not region and q in dag])

    def merge(keep: Region, gone: Region) -> None:
        inner = sum(reads_from(e, keep) for e in gone.eqns) + sum(
            1 for v in values[gone] for u in users.get(v, ())
            if region_of.get(u.outvars[0]) is keep)
        outside_uses[keep] += outside_uses.pop(gone) - inner
        for v in values[gone]:
            region_of[v] = keep
        values[keep].extend(values.pop(gone))
        keep.eqns.extend(gone.eqns)
        dag.contract(keep, gone)
        del regions[gone]

    def absorbs_producer(reduction: Eqn, prods: list[Region]) -> bool:
        """A reduction fuses with the elementwise region producing its operand when every
        value of that region is read only inside it or by this reduction (and none is an
        output)."""
        operand = reduction.invars[0]
        if not isinstance(operand, Var) or len(prods) != 1:
            return False
        region = prods[0]
        return (region.kind == "elementwise" and region_of.get(operand) is region
                and outside_uses[region] == reads_from(reduction, region))

    def size(region: Region) -> int:
        return len(values[region]) + dag.degree(region)

    def region_for(eqn: Eqn, prods: list[Region]) -> Region:
        """The region ``eqn`` joins (merging the regions it joins into one), or a new one."""
        # regions this equation depends on through some other region (among those a
        # producer can be: numbered at least as the lowest-numbered producer)
        indirect = dag.ancestors_of_all(prods)
        prim = eqn.primitive
        in_kernel_dtypes = all(a.aval.dtype in KERNEL_DTYPES for a in (*eqn.invars, *eqn.outvars))
        if prim in P.ELEMENTWISE and in_kernel_dtypes:
            target = _post_map_target(eqn, prods, uses_of)
            if target is not None and target not in indirect:
                target.post_eqns.append(eqn)
                return target
            shape = eqn.outvars[0].aval.shape
            joinable = [q for q in prods
                        if q.kind == "elementwise" and q.shape == shape and q not in indirect]
            if not joinable:
                return Region("elementwise", [eqn])
            target = max(joinable, key=size)  # the others move into it
            for other in joinable:
                if other is not target:
                    merge(target, other)
            target.eqns.append(eqn)
            return target
        if prim in FUSIBLE_REDUCTIONS and in_kernel_dtypes:
            if absorbs_producer(eqn, prods):
                region = prods[0]
                region.kind, region.reduce_eqn = "reduction", eqn
                return region
            # a reduction of a value computed elsewhere: its map is the identity
            return Region("reduction", [], reduce_eqn=eqn)
        if prim in P.CONTRACTIONS:
            return Region("contraction", [eqn])
        return Region("single", [eqn])  # anything else, or dtypes outside KERNEL_DTYPES

    for eqn in graph.eqns:
        prods = list(dict.fromkeys(region_of[a] for a in eqn.invars
                                   if isinstance(a, Var) and a in region_of))
        region = region_for(eqn, prods)
        regions.setdefault(region, None)  # a new region joins the list; others are in it
        place(region, eqn, prods)

    def graph_position(e: Eqn) -> int:
        return position[id(e)]

    for region in regions:
        region.eqns.sort(key=graph_position)  # merged regions: back to graph order
        _set_interface(region, users, graph_outputs)
    return _topological(list(regions), dag, graph_position)


class _RegionDag:
    """The regions' dependency DAG while fusion builds it, with a topological numbering
    (``number``) kept valid under its two updates, after Pearce and Kelly's dynamic
    topological sort: an edge against the numbering, and merging two unrelated regions.
    A path from region ``t`` to region ``q`` only visits numbers between theirs, so cycle
    tests stay local instead of walking every ancestor."""

    def __init__(self) -> None:
        self.number: dict[Region, int] = {}
        self.preds: dict[Region, set] = {}
        self.succs: dict[Region, set] = {}
        self._next = 0  # numbers only move among existing ones, so new ones come after

    def __contains__(self, region: Region) -> bool:
        return region in self.number

    def degree(self, region: Region) -> int:
        return len(self.preds[region]) + len(self.succs[region])

    def add(self, region: Region, producers: list) -> None:
        """``region`` (new, or growing) reads values of ``producers``."""
        if region not in self.number:
            self.number[region] = self._next
            self._next += 1
            self.preds[region], self.succs[region] = set(), set()
        for q in producers:
            if q not in self.preds[region]:
                if self.number[q] > self.number[region]:
                    self._reorder_for_edge(q, region)
                self.preds[region].add(q)
                self.succs[q].add(region)

    def ancestors_of_all(self, regions: list) -> set:
        """Every region some region of ``regions`` depends on, numbered at least as the
        lowest of ``regions`` (all a member of ``regions`` can depend on)."""
        if not regions:
            return set()
        low = min(self.number[r] for r in regions)
        found: set = set()
        stack = [p for r in regions for p in self.preds[r] if self.number[p] >= low]
        while stack:
            p = stack.pop()
            if p not in found:
                found.add(p)
                stack.extend(q for q in self.preds[p] if self.number[q] >= low)
        return found

    def contract(self, keep: Region, gone: Region) -> None:
        """``gone`` merges into ``keep``; the two are unrelated (no path either way)."""
        a, b = sorted((keep, gone), key=self.number.__getitem__)
        lo, hi = self.number[a], self.number[b]
        before = self._window(b, self.preds, lo, hi)   # b's ancestors numbered above a
        after = self._window(a, self.succs, lo, hi)    # a's descendants numbered below b
        slots = sorted(self.number[r] for r in before | after)[1:]
        order = (sorted(before - {b}, key=self.number.__getitem__) + [keep]
                 + sorted(after - {a}, key=self.number.__getitem__))
        for region, slot in zip(order, slots):
            self.number[region] = slot
        del self.number[gone]
        for p in self.preds.pop(gone):
            self.succs[p].discard(gone)
            self.succs[p].add(keep)
            self.preds[keep].add(p)
        for s in self.succs.pop(gone):
            self.preds[s].discard(gone)
            self.preds[s].add(keep)
            self.succs[keep].add(s)

    def _reorder_for_edge(self, x: Region, y: Region) -> None:
        """Renumber so that a new edge x -> y (x numbered after y, no path y -> x) fits."""
        lo, hi = self.number[y], self.number[x]
        before = self._window(x, self.preds, lo, hi)   # x and its ancestors above y
        after = self._window(y, self.succs, lo, hi)    # y and its descendants below x
        slots = sorted(self.number[r] for r in before | after)
        order = (sorted(before, key=self.number.__getitem__)
                 + sorted(after, key=self.number.__getitem__))
        for region, slot in zip(order, slots):
            self.number[region] = slot

    def _window(self, start: Region, edges: dict, lo: int, hi: int) -> set:
        """``start`` and the regions reachable from it along ``edges`` numbered in [lo, hi]."""
        found, stack = {start}, [start]
        while stack:
            for q in edges[stack.pop()]:
                if q not in found and lo <= self.number[q] <= hi:
                    found.add(q)
                    stack.append(q)
        return found


def _topological(regions: list[Region], dag: _RegionDag, position) -> list[Region]:
    """Regions ordered so each runs after the regions it reads (merging can make a region
    need a value produced by a region created after it); of the regions ready to run, the
    one whose first equation comes first in the graph runs first."""
    first = {r: min(position(e) for e in r.all_eqns) for r in regions}
    waiting = {r: len(dag.preds[r]) for r in regions}
    ready = [(first[r], id(r), r) for r in regions if not waiting[r]]  # (firsts are unique)
    heapq.heapify(ready)
    order: list[Region] = []
    while ready:  # never empty early: the legality rules keep the region graph acyclic
        _, _, region = heapq.heappop(ready)
        order.append(region)
        for r in dag.succs[region]:
            waiting[r] -= 1
            if not waiting[r]:
                heapq.heappush(ready, (first[r], id(r), r))
    assert len(order) == len(regions), "fusion made a cycle of regions"
    return order


def _post_map_target(eqn: Eqn, prods: list[Region], uses_of: Callable[[Var], int]) -> Region | None:
    """A reduction region whose result this equation scales by constants (mean's division):
    it becomes the region's ``post_map_expr`` (one expression: a primitive with several
    results cannot be one), when that result has no other use."""
    if len(prods) != 1 or prods[0].kind != "reduction" or eqn.primitive.multiple_results:
        return None
    region = prods[0]
    last = (region.post_eqns or [region.reduce_eqn])[-1].outvars[0]
    scales = last in eqn.invars and all(a is last or isinstance(a, Literal) for a in eqn.invars)
    return region if scales and uses_of(last) == 1 else None


def _set_interface(region: Region, users: dict, graph_outputs: set) -> None:
    members = region.all_eqns
    inside = {v for e in members for v in e.outvars}
    member_ids = {id(e) for e in members}
    inputs = dict.fromkeys(a for e in members for a in e.invars
                           if isinstance(a, Var) and a not in inside)
    outputs = [v for e in members for v in e.outvars
               if v in graph_outputs or any(id(u) not in member_ids for u in users.get(v, []))]
    region.inputs, region.outputs = tuple(inputs), tuple(outputs)
