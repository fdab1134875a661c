"""Graph-to-graph clean-ups that run before fusion (each pure, each checked by tests).

Tracing records what the user's code does, which often computes the same value twice
(``(v - v.mean()) / v.std()`` sums ``v`` twice). Removing the repeat saves a launch on the
GPU and a pass over memory on the CPU. ``make_graph`` shows the graph before these passes.
"""
from __future__ import annotations

from typing import Any

from . import primitives as P
from .graph import Eqn, Graph, Var, live_eqns

__all__ = ["eliminate_common_subexpressions"]


def eliminate_common_subexpressions(graph: Graph) -> Graph:
    """Equations with the same primitive, params and operands compute the same value: keep
    the first, and read it wherever a repeat was read. A conversion to the operand's own
    dtype (what ``x.copy()`` records, so that writing into the copy is NumPy's meaning
    while tracing) is its operand's value: read the operand instead."""
    replaced: dict[Var, Var] = {}
    seen: dict[tuple, Eqn] = {}
    eqns: list[Eqn] = []

    def operand(a: Any) -> Any:
        return replaced.get(a, a) if isinstance(a, Var) else a

    for eqn in graph.eqns:
        invars = tuple(operand(a) for a in eqn.invars)
        if eqn.primitive is P.convert_element_type_p and isinstance(invars[0], Var) and \
                invars[0].aval.dtype == eqn.params["new_dtype"]:
            replaced[eqn.outvars[0]] = invars[0]
            continue
        # Vars are keys by identity, Literals by dtype and bits (0.0 and -0.0 stay apart)
        key = (eqn.primitive, invars, tuple(sorted(eqn.params.items())), eqn.errstate)
        first = seen.get(key)
        if first is not None:
            replaced.update(zip(eqn.outvars, first.outvars))
            continue
        new = eqn if invars == eqn.invars else Eqn(eqn.primitive, invars, eqn.outvars,
                                                   eqn.params, eqn.errstate)
        seen[key] = new
        eqns.append(new)
    if not replaced:
        return graph
    outvars = tuple(operand(v) for v in graph.outvars)
    return Graph(graph.constvars, graph.invars, tuple(live_eqns(eqns, outvars)), outvars,
                 graph.consts)
