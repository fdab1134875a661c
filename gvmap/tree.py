"""Pytrees: nested tuples, lists, dicts (and namedtuples) of leaves.

``None`` is an empty subtree, as in JAX. Dict keys are sorted so that the flattening order
does not depend on insertion order. A ``TreeDef`` is hashable and compares by structure,
so it can be part of a cache key.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["TreeDef", "flatten", "unflatten", "broadcast_prefix", "leaf_paths"]


class TreeDef:
    """Structure of a pytree: a node kind, node data (dict keys, namedtuple type), children."""

    __slots__ = ("kind", "data", "children", "num_leaves", "_hash")

    def __init__(self, kind: str, data: Any, children: tuple["TreeDef", ...]):
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

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.data, self.children)) + "}"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "namedtuple":
            return f"{self.data.__name__}({inner})"
        return f"({inner}{',' if len(self.children) == 1 else ''})"


LEAF = TreeDef("leaf", None, ())


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


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
        return TreeDef("none", None, ())
    if type(x) is tuple:
        return TreeDef("tuple", None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if type(x) is list:
        return TreeDef("list", None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if type(x) is dict:
        keys = tuple(sorted(x))
        return TreeDef("dict", keys, tuple(_flatten(x[k], leaves, is_leaf) for k in keys))
    if _is_namedtuple(x):
        return TreeDef("namedtuple", type(x), tuple(_flatten(c, leaves, is_leaf) for c in x))
    leaves.append(x)
    return LEAF


def unflatten(treedef: TreeDef, leaves: Iterable) -> Any:
    """Inverse of :func:`flatten`."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td: TreeDef, it) -> Any:
    kind = td.kind
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    children = [_unflatten(c, it) for c in td.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "dict":
        return dict(zip(td.data, children))
    return td.data(*children)


def broadcast_prefix(prefix: Any, full: TreeDef, what: str) -> list:
    """Expand ``prefix`` (a tree whose leaves apply to whole subtrees of ``full``) to one
    entry per leaf of ``full``. ``None`` in the prefix is a leaf (it means "not batched").

    Tuples and lists match each other; dicts must have the same keys. Raises ValueError
    naming ``what`` (e.g. ``in_axes``) and the path where the structures part.
    """
    out: list = []
    _broadcast(prefix, full, out, what, "")
    return out


def _broadcast(prefix: Any, td: TreeDef, out: list, what: str, path: str) -> None:
    is_container = type(prefix) in (tuple, list, dict) or _is_namedtuple(prefix)
    if not is_container:
        out.extend([prefix] * td.num_leaves)
        return
    where = f" at {path}" if path else ""
    if td.kind == "dict":
        if type(prefix) is not dict or tuple(sorted(prefix)) != td.data:
            raise ValueError(
                f"{what}{where} is {_describe(prefix)} but the value there is a dict with keys "
                f"{list(td.data)}; give one entry per key, or a single int/None for the whole dict"
            )
        for k, child in zip(td.data, td.children):
            _broadcast(prefix[k], child, out, what, f"{path}[{k!r}]")
        return
    if td.kind in ("tuple", "list", "namedtuple") and type(prefix) is not dict:
        if len(prefix) != len(td.children):
            raise ValueError(
                f"{what}{where} has {len(prefix)} entries but the value there has "
                f"{len(td.children)}; give one entry per element, or a single int/None"
            )
        for i, (p, child) in enumerate(zip(prefix, td.children)):
            _broadcast(p, child, out, what, f"{path}[{i}]")
        return
    kind = {"leaf": "an array (a single leaf)", "none": "None"}.get(td.kind, f"a {td.kind}")
    raise ValueError(
        f"{what}{where} is {_describe(prefix)} but the value there is {kind}; "
        f"use a single int or None for it"
    )


def _describe(x: Any) -> str:
    if type(x) is dict:
        return f"a dict with keys {sorted(x)}"
    return f"a {type(x).__name__} of length {len(x)}"


def leaf_paths(treedef: TreeDef) -> list[str]:
    """A readable path per leaf, e.g. ``[0]``, ``[1]['w']``, in flattening order."""
    out: list[str] = []
    _paths(treedef, "", out)
    return out


def _paths(td: TreeDef, prefix: str, out: list[str]) -> None:
    if td.kind == "leaf":
        out.append(prefix)
    elif td.kind == "dict":
        for k, c in zip(td.data, td.children):
            _paths(c, f"{prefix}[{k!r}]", out)
    else:
        for i, c in enumerate(td.children):
            _paths(c, f"{prefix}[{i}]", out)
