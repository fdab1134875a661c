"""Pytrees: nested containers of leaves, as in ``jax.tree_util``.

Containers (nodes): tuples, lists, dicts, ``collections.OrderedDict``, namedtuples,
dataclass instances, ``None`` (an empty subtree, as in JAX), and any class registered with
``register_pytree_node``. Everything else is a leaf. Dict keys are sorted, so flattening
order does not depend on insertion order; an OrderedDict keeps its own order (as JAX).
A ``TreeDef`` is hashable and compares by structure, so it can be part of a cache key.

Every node kind is one entry of ``_NODES``: how to take it apart (children and hashable
aux data) and how to build it again; flatten, unflatten, prefix broadcasting and leaf
paths all read that one table.
"""
from __future__ import annotations

import collections
import dataclasses
from typing import Any, Callable, Hashable, Iterable, NamedTuple

__all__ = ["TreeDef", "flatten", "unflatten", "broadcast_prefix", "leaf_paths",
           "register_pytree_node"]


class _Node(NamedTuple):
    """How one container kind is flattened: ``to_children(x) -> (children, aux)`` with a
    hashable ``aux``, ``from_children(aux, children) -> x``, and ``keys(aux, n)``: the
    path labels of the n children (for error messages)."""

    to_children: Callable[[Any], tuple[Iterable, Hashable]]
    from_children: Callable[[Hashable, list], Any]
    keys: Callable[[Hashable, int], list]


def _indices(aux: Hashable, n: int) -> list:
    return list(range(n))


def _dict_keys(aux: Hashable, n: int) -> list:
    return list(aux)


def _dataclass_to_children(x: Any) -> tuple[list, Hashable]:
    names = tuple(f.name for f in dataclasses.fields(x))
    return [getattr(x, name) for name in names], (type(x), names)


def _dataclass_from_children(aux: Hashable, children: list) -> Any:
    """Rebuilt field by field (``__init__`` may take other arguments, ``frozen`` may
    forbid assignment): the same fields with the new values."""
    cls, names = aux
    obj = object.__new__(cls)
    for name, value in zip(names, children):
        object.__setattr__(obj, name, value)
    return obj


_NODES: dict[Any, _Node] = {
    tuple: _Node(lambda x: (x, None), lambda aux, c: tuple(c), _indices),
    list: _Node(lambda x: (x, None), lambda aux, c: list(c), _indices),
    dict: _Node(lambda x: ((x[k] for k in sorted(x)), tuple(sorted(x))),
                lambda aux, c: dict(zip(aux, c)), _dict_keys),
    collections.OrderedDict: _Node(lambda x: (x.values(), tuple(x)),
                                   lambda aux, c: collections.OrderedDict(zip(aux, c)), _dict_keys),
    "namedtuple": _Node(lambda x: (x, type(x)), lambda aux, c: aux(*c), _indices),
    "dataclass": _Node(_dataclass_to_children, _dataclass_from_children,
                       lambda aux, n: list(aux[1])),
}
_BUILTIN_KINDS = {tuple: "tuple", list: "list", dict: "dict", collections.OrderedDict: "OrderedDict"}


def register_pytree_node(cls: type, flatten_fn: Callable[[Any], tuple[Iterable, Hashable]],
                         unflatten_fn: Callable[[Hashable, list], Any]) -> None:
    """Make instances of ``cls`` containers, as ``jax.tree_util.register_pytree_node``:
    ``flatten_fn(x)`` returns ``(children, aux_data)`` (``aux_data`` hashable: it is part
    of the cache key, so it should hold static configuration, not arrays), and
    ``unflatten_fn(aux_data, children)`` rebuilds an instance. Children may be arrays,
    scalars or containers themselves."""
    if not isinstance(cls, type):
        raise TypeError(f"register_pytree_node needs a class, got {cls!r}")
    if cls in _NODES or cls in (type(None),):
        raise ValueError(f"{cls.__name__} is already a pytree node type")
    _NODES[cls] = _Node(flatten_fn, unflatten_fn, _indices)


def _node_kind(x: Any) -> Any:
    """The ``_NODES`` key for ``x``, or None for a leaf."""
    t = type(x)
    if t in _NODES:
        return t
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return "namedtuple"
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return "dataclass"
    return None


class TreeDef:
    """Structure of a pytree: a node kind, node data (dict keys, namedtuple type), children."""

    __slots__ = ("kind", "data", "children", "num_leaves", "_hash")

    def __init__(self, kind: Any, data: Any, children: tuple["TreeDef", ...]):
        self.kind = kind
        self.data = data
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)
        self._hash = hash((kind, data, children))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeDef)
            and self._hash == other._hash
            and self.kind == other.kind
            and self.data == other.data
            and self.children == other.children
        )

    @property
    def kind_name(self) -> str:
        """``tuple``, ``dict``, ``namedtuple``, ``Point`` ...: for messages and printing."""
        if isinstance(self.kind, str):
            return self.kind
        return _BUILTIN_KINDS.get(self.kind, getattr(self.kind, "__name__", str(self.kind)))

    def child_keys(self) -> list:
        return _NODES[self.kind].keys(self.data, len(self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind in (dict, collections.OrderedDict):
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.data, self.children)) + "}"
        if self.kind is list:
            return f"[{inner}]"
        if self.kind is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.kind == "namedtuple":
            return f"{self.data.__name__}({inner})"
        if self.kind == "dataclass":
            return f"{self.data[0].__name__}({inner})"
        return f"{self.kind_name}({inner})"


LEAF = TreeDef("leaf", None, ())
NONE = TreeDef("none", None, ())


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, TreeDef]:
    """Leaves in a deterministic order, and the structure to rebuild the tree."""
    leaves: list = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def _flatten(x: Any, leaves: list, is_leaf) -> TreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return LEAF
    if x is None:
        return NONE
    real = getattr(type(x), "gvmap_object_of", None)
    if real is not None:  # an object of the user's seen through a view (gvmap.views)
        x = real(x)
    kind = _node_kind(x)
    if kind is None:
        leaves.append(x)
        return LEAF
    children, aux = _NODES[kind].to_children(x)
    return TreeDef(kind, aux, tuple(_flatten(c, leaves, is_leaf) for c in children))


def unflatten(treedef: TreeDef, leaves: Iterable) -> Any:
    """Inverse of :func:`flatten`."""
    return _unflatten(treedef, iter(leaves))


def _unflatten(td: TreeDef, it) -> Any:
    if td.kind == "leaf":
        return next(it)
    if td.kind == "none":
        return None
    return _NODES[td.kind].from_children(td.data, [_unflatten(c, it) for c in td.children])


def broadcast_prefix(prefix: Any, full: TreeDef, what: str) -> list:
    """Expand ``prefix`` (a tree whose leaves apply to whole subtrees of ``full``) to one
    entry per leaf of ``full``. ``None`` in the prefix is a leaf (it means "not batched").

    Tuples, lists and namedtuples match each other; dicts (and OrderedDicts) must have the
    same keys; other containers must be of the same type with the same children. Raises
    ValueError naming ``what`` (e.g. ``in_axes``) and the path where the structures part.
    """
    out: list = []
    _broadcast(prefix, full, out, what, "")
    return out


_SEQUENCES = (tuple, list, "namedtuple")
_MAPPINGS = (dict, collections.OrderedDict)


def _broadcast(prefix: Any, td: TreeDef, out: list, what: str, path: str) -> None:
    kind = None if prefix is None else _node_kind(prefix)
    if kind is None:
        out.extend([prefix] * td.num_leaves)
        return
    where = f" at {path}" if path else ""
    if td.kind in _MAPPINGS:
        if kind not in _MAPPINGS or set(prefix) != set(td.data):
            raise ValueError(
                f"{what}{where} is {_describe(prefix)} but the value there is a dict with keys "
                f"{list(td.data)}; give one entry per key, or a single int/None for the whole dict"
            )
        for k, child in zip(td.data, td.children):
            _broadcast(prefix[k], child, out, what, f"{path}[{k!r}]")
        return
    if td.kind in _SEQUENCES and kind in _SEQUENCES:
        if len(prefix) != len(td.children):
            raise ValueError(
                f"{what}{where} has {len(prefix)} entries but the value there has "
                f"{len(td.children)}; give one entry per element, or a single int/None"
            )
        for i, (p, child) in enumerate(zip(prefix, td.children)):
            _broadcast(p, child, out, what, f"{path}[{i}]")
        return
    if td.kind not in ("leaf", "none") and kind == td.kind:
        children, aux = _NODES[kind].to_children(prefix)
        children = list(children)
        if len(children) != len(td.children):
            raise ValueError(f"{what}{where} is a {td.kind_name} with {len(children)} children "
                             f"but the value there has {len(td.children)}")
        for key, p, child in zip(td.child_keys(), children, td.children):
            _broadcast(p, child, out, what, f"{path}[{key!r}]")
        return
    there = {"leaf": "an array (a single leaf)", "none": "None"}.get(td.kind, f"a {td.kind_name}")
    raise ValueError(
        f"{what}{where} is {_describe(prefix)} but the value there is {there}; "
        f"use a single int or None for it"
    )


def _describe(x: Any) -> str:
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x, key=repr)}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


def leaf_paths(treedef: TreeDef) -> list[str]:
    """A readable path per leaf, e.g. ``[0]``, ``[1]['w']``, in flattening order."""
    out: list[str] = []
    _paths(treedef, "", out)
    return out


def _paths(td: TreeDef, prefix: str, out: list[str]) -> None:
    if td.kind == "leaf":
        out.append(prefix)
    elif td.kind != "none":
        for k, c in zip(td.child_keys(), td.children):
            _paths(c, f"{prefix}[{k!r}]", out)
