"""The IR: a small, typed, jaxpr-like graph.

A ``Graph`` is a list of equations ``outvars = primitive[params] invars`` over ``Var``s
(each with an ``AbstractArray``: shape and dtype) and ``Literal`` scalars. ``str(graph)``
prints the jaxpr-like text README.md shows for the seed; ``graph.check()`` re-derives every type with the
primitives' abstract-evaluation rules and names the first equation that disagrees.

Everything here is immutable and hashable by identity (``Var``) or value (avals, params),
so graphs can be keys of caches and passes can share equations freely.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["AbstractArray", "Var", "Literal", "Eqn", "Graph", "short_dtype", "GraphError"]

_SHORT_DTYPES = {
    "float16": "f16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "bool": "bool", "complex64": "c64", "complex128": "c128",
}


def short_dtype(dtype: Any) -> str:
    """``f32``, ``i64``, ``bool`` ... as printed in graph text."""
    name = np.dtype(dtype).name
    return _SHORT_DTYPES.get(name, name)


@dataclass(frozen=True)
class AbstractArray:
    """What tracing knows of a value: its shape and dtype, never its contents."""

    shape: tuple[int, ...]
    dtype: np.dtype

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __str__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"


class Var:
    """A value produced by one equation (or a graph input/constant). Compared by identity."""

    __slots__ = ("aval",)

    def __init__(self, aval: AbstractArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval})"


@dataclass(frozen=True, eq=False)
class Literal:
    """A scalar written inline in the graph (``add c 1.0``). ``value`` is a NumPy scalar.

    Two literals are equal when they have the same dtype and the same bits: NumPy's ``==``
    would make 0.0 equal -0.0 (which give different results, e.g. ``1 / (x * 0.0)``), 1
    equal 1.0, and a NaN unequal to itself."""

    value: np.generic

    def _key(self) -> tuple:
        return self.value.dtype, self.value.tobytes()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Literal) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def aval(self) -> AbstractArray:
        return AbstractArray((), self.value.dtype)

    def __str__(self) -> str:
        v = self.value
        if v.dtype == np.bool_:
            return str(bool(v))
        if np.issubdtype(v.dtype, np.integer):
            return str(int(v))
        if np.issubdtype(v.dtype, np.complexfloating):
            return str(complex(v))
        return repr(float(v))


Atom = Any  # Var | Literal


@dataclass(frozen=True, eq=False)
class Eqn:
    """``outvars = primitive[params] invars``. Params are hashable (tuples, ints, dtypes).

    ``errstate``: NumPy's floating-point error handling where the traced code set its own
    (``with np.errstate(divide="ignore"):``, or gvmap for Python's number arithmetic,
    which never warns), as sorted ``np.geterr()`` items; None elsewhere. The NumPy backend
    runs the equation under it, so the batch warns where the loop does, not where it does
    not; it is no param (no rule reads it, fusion ignores it)."""

    primitive: Any  # primitives.Primitive
    invars: tuple
    outvars: tuple
    params: Mapping[str, Any] = field(default_factory=dict)
    errstate: tuple | None = None


class GraphError(AssertionError):
    """An internal invariant of the IR does not hold (a gvmap bug, not a user error)."""


@dataclass(frozen=True, eq=False)
class Graph:
    """``{ lambda constvars; invars. let eqns in (outvars) }`` plus the constants' values.

    ``consts[i]`` is the value of ``constvars[i]``: a NumPy array at the top level, or a
    tracer of an enclosing trace while a nested ``vmap``/``jit`` is being traced.
    """

    constvars: tuple
    invars: tuple
    eqns: tuple
    outvars: tuple
    consts: tuple = ()

    def __str__(self) -> str:
        return _print_graph(self)

    def known_value(self, atom: Any) -> np.ndarray | None:
        """The value of a literal or of a constant given as an array, else None (traced)."""
        if isinstance(atom, Literal):
            return np.asarray(atom.value)
        for v, c in zip(self.constvars, self.consts):
            if v is atom and isinstance(c, (np.ndarray, np.generic)):
                return np.asarray(c)
        return None

    def check(self) -> "Graph":
        """Re-derive every equation's output types; raise GraphError naming the first bad one."""
        from .primitives import abstract_eval  # the rules live with the primitives

        defined: set = set(self.constvars) | set(self.invars)
        names = _Namer(self)
        for i, eqn in enumerate(self.eqns):
            for a in eqn.invars:
                if isinstance(a, Var) and a not in defined:
                    raise GraphError(f"equation {i} ({eqn.primitive}) reads an undefined variable\n"
                                     f"  {_print_eqn(eqn, names)}")
            try:
                expected = abstract_eval(eqn.primitive, [a.aval for a in eqn.invars], eqn.params)
            except Exception as e:
                raise GraphError(f"equation {i} is ill-typed: {e}\n  {_print_eqn(eqn, names)}") from e
            got = [v.aval for v in eqn.outvars]
            if list(expected) != got:
                raise GraphError(
                    f"equation {i} ({eqn.primitive}) produces {', '.join(map(str, got))} but its "
                    f"rule gives {', '.join(map(str, expected))}\n  {_print_eqn(eqn, names)}"
                )
            defined.update(eqn.outvars)
        for v in self.outvars:
            if isinstance(v, Var) and v not in defined:
                raise GraphError("an output of the graph is never defined")
        if len(self.consts) != len(self.constvars):
            raise GraphError("constvars and consts differ in length")
        return self


class _Namer:
    """a, b, ..., z, ba, bb, ... in order of first appearance (JAX's scheme). Given a graph,
    its constants and inputs are named first, as its text names them, so that any text
    about its equations (an error, a plan) uses the names ``str(graph)`` shows."""

    def __init__(self, graph: "Graph | None" = None) -> None:
        self.names: dict = {}
        if graph is not None:
            for v in (*graph.constvars, *graph.invars):
                self(v)

    def __call__(self, v: Atom) -> str:
        if isinstance(v, Literal):
            return str(v)
        name = self.names.get(v)
        if name is None:
            name = self.names[v] = _alphabetic(len(self.names))
        return name


def _alphabetic(i: int) -> str:
    s = chr(ord("a") + i % 26)
    i //= 26
    while i:
        s = chr(ord("a") + i % 26) + s
        i //= 26
    return s


def format_param(value: Any) -> str:
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return short_dtype(value)
    return repr(value)


def format_params(params: Mapping[str, Any]) -> str:
    if not params:
        return ""
    return "[" + ", ".join(f"{k}={format_param(params[k])}" for k in sorted(params)) + "]"


def _print_eqn(eqn: Eqn, names: _Namer) -> str:
    ins = " ".join(names(a) for a in eqn.invars)
    outs = " ".join(f"{names(v)}:{v.aval}" for v in eqn.outvars)
    return f"{outs} = {eqn.primitive}{format_params(eqn.params)} {ins}".rstrip()


def _print_graph(g: Graph) -> str:
    names = _Namer()
    consts = " ".join(f"{names(v)}:{v.aval}" for v in g.constvars)
    ins = " ".join(f"{names(v)}:{v.aval}" for v in g.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]
    lines += ["    " + _print_eqn(e, names) for e in g.eqns]
    outs = ", ".join(names(v) for v in g.outvars)
    lines.append(f"  in ({outs}{',' if len(g.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


def live_eqns(eqns: Sequence[Eqn], outvars: Sequence[Atom]) -> list[Eqn]:
    """Dead-code elimination: the equations that some output depends on, and those that
    may raise (``Primitive.raises``: the loop raises there whatever reads the result), in
    order."""
    needed = {v for v in outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(eqns):
        if eqn.primitive.raises or any(v in needed for v in eqn.outvars):
            kept.append(eqn)
            needed.update(a for a in eqn.invars if isinstance(a, Var))
    kept.reverse()
    return kept
