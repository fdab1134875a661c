"""Python's builtins of traced values as the loop computes them: ``max``, ``min``, ``any``,
``all`` (folds made of selects), ``sorted`` (a batched stable sort), ``float`` and ``int``
(traced Python numbers).

Per-example code reaches for the builtins as often as for NumPy: ``F[i, j] = max(match,
delete, insert)`` in a dynamic program, ``best = max(range(k), key=lambda j: score[j])``,
``if any(v > limit for v in x)`` turned into ``flag = any(...)``. In the loop each call
compares the items one by one; gvmap rebinds the names (``rebinding``) to these versions,
which make each comparison a batched select, so the function batches unmodified.

They follow Python's rule exactly, not NumPy's: ``max`` keeps the FIRST item and replaces
it only by an item whose key is strictly greater (``min``: strictly less), so

* a NaN is kept only where it comes first (``max(nan, 1.0)`` is nan, ``max(1.0, nan)``
  is 1.0: a comparison with NaN is False), where ``np.maximum`` propagates it;
* of equal items the first wins, which tells ``-0.0`` from ``0.0``;
* the result is one of the items, of its type (a Python number stays one).

``any`` / ``all`` test each item's truth (NaN is true, as ``bool(nan)``) and give a Python
bool. An item (a key) that is an array of more than one element has no truth value in the
loop (NumPy raises ValueError); here too, and the message names NumPy's elementwise form.
Where no item is traced the builtin itself runs, so its errors (an empty sequence,
``default=`` with several arguments) are Python's own.

``sorted(items, key=, reverse=)`` is a stable argsort of the keys (``np.lexsort`` of a
tuple key's components), and the items picked through it: a list, as the loop's. Python's
sort is stable and compares keys with ``<``; where the keys of an example are ordered (no
NaN among them) every stable sort gives that one answer, so the batched sort is the
loop's, ties (``-0.0`` / ``0.0`` included) in their order and ``reverse=True`` keeping it
too (CPython reverses, sorts, and reverses back). A NaN key compares False both ways, and
where it lands depends on the comparisons CPython's timsort happens to make (which
changed in Python 3.13); gvmap does not emulate them, and raises ``ExampleOrderError`` for
the first example holding one, naming ``np.sort`` (NaNs last) as the rewrite.

``float(x[0])`` / ``int(x[0])`` give traced Python numbers (``pyscalars``), as the loop's
conversions give Python numbers: ``[float(a) for a in v]`` and ``i = int(np.argmax(v))``
then ``v[i]`` batch. The names are rebound to stand-ins of the builtins (``StandInMeta``),
which are the builtins everywhere else.

One difference is left: where the items differ in type, the loop's result type depends on
which item wins, per example. Here every example gets one type: a Python number where a
candidate is one (``max(0.0, x32[0])`` is a Python float, as the loop's picks stack to
float64 and promote weakly, ``max(0.0, x32[0]) * w32`` staying float32), else the type
NumPy's ``where`` promotes the candidates to; a batch whose every example picks the
float32 item gives float32 in the loop.
"""
from __future__ import annotations

import builtins
import itertools
import operator
from typing import Any, Callable

import numpy as np

from . import tree
from .concrete import ambiguous_truth_error
from .pyscalars import as_python, kind_of, mark, modular_pow, to_int
from .tracing import Tracer

__all__ = ["BUILTINS", "NUMBER_TYPES", "StandInMeta"]

_MISSING = object()


def _gnp() -> Any:
    from . import numpy as gnp
    return gnp


def _traced(x: Any) -> bool:
    return isinstance(x, Tracer) and x._value is None


def _one_element(x: Any) -> bool:
    """Has ``x`` a truth value in NumPy (a number, a scalar, an array of one element)?"""
    return not isinstance(x, np.ndarray | Tracer) or x.size == 1


_KINDS = (bool, int, float)
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _result(x: Any, items: list) -> Any:
    """A traced pick as the loop's item: a NumPy scalar where the candidates are NumPy
    values; where one of them is a Python number, a Python number (of the widest kind
    among the candidates: ``max(0, x32[0])`` is a float), so that it promotes weakly
    downstream as whichever item the loop picks would."""
    if not isinstance(x, Tracer) or x.ndim:
        return x
    kinds = [kind_of(item) for item in items]
    if all(kind is None for kind in kinds):
        return mark(x, None)
    category = max(_KINDS.index(kind) if kind else _CATEGORY.get(np.dtype(item.dtype).kind, 2)
                   for item, kind in zip(items, kinds))
    kind = _KINDS[category]
    return as_python(x, kind)


def _extreme(name: str, better: Callable) -> Callable:
    """The builtin ``name`` (``max`` / ``min``): an item replaces the current one where
    ``better(its key, the current key)`` holds, Python's strict comparison."""
    builtin = getattr(builtins, name)

    def extreme(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
        if default is not _MISSING and len(args) != 1:
            return builtin(*args, key=key, default=default)  # Python's TypeError
        items = list(args[0]) if len(args) == 1 else list(args)
        keys = items if key is None else [key(item) for item in items]
        if not any(map(_traced, keys)):  # the builtin's answer (or its error): static keys
            # (min(parts, key=len)) pick statically, whatever the items are
            options = {} if default is _MISSING else {"default": _MISSING}
            i = builtin(range(len(items)), key=keys.__getitem__, **options)
            return default if i is _MISSING else items[i]
        if not all(map(_one_element, keys)):
            raise ambiguous_truth_error(builtin)
        if len(args) == 1 and key is None and isinstance(args[0], Tracer) and args[0].ndim == 1:
            return _of_array(args[0], name)
        return _fold(items, keys, better, name)

    extreme.__name__ = extreme.__qualname__ = name
    extreme.__doc__ = f"Python's {name}() of traced values (module docstring)."
    return extreme


_PICKABLE = (bool, int, float, np.generic, np.ndarray, Tracer)


def _check_pickable(values: Any, what: str, rewrite: str, elementwise: str = "") -> None:
    """Can a select pick one of ``values`` per example? Numbers and arrays of one shape
    can; else the TypeError naming ``rewrite`` (an index picked instead)."""
    odd = next((v for v in values if not isinstance(v, _PICKABLE)), None)
    if odd is not None:
        raise TypeError(f"{what} of traced keys picks an item per example, and gvmap can pick "
                        f"numbers and arrays only, not {type(odd).__name__}: {rewrite}")
    shapes = {np.shape(v) for v in values}
    if len(shapes) > 1:
        raise TypeError(
            f"{what} of traced values picks an item per example, and these items differ in "
            f"shape {sorted(shapes)}, so the examples' results would too. Broadcast them to "
            f"one shape first (np.broadcast_to){elementwise}")


def _fold(items: list, keys: list, better: Callable, name: str) -> Any:
    """Python's loop over the items, each comparison a select where it is traced."""
    gnp = _gnp()
    _check_pickable(items, f"{name}()", f"pick an index instead, j = np.arg{name}(np.stack(keys)), "
                    f"and look the item up with it", f", or use np.{name}imum elementwise")
    value, current = items[0], keys[0]
    traced_pick = False
    for item, k in zip(items[1:], keys[1:]):
        take = better(k, current)
        if not _traced(take):
            if take:
                value, current = item, k
            continue
        traced_pick = True
        value, current = gnp.where(take, item, value), gnp.where(take, k, current)
    if not traced_pick:
        return value
    return _result(value, items)


def _of_array(x: Tracer, name: str) -> Any:
    """``max(x)`` of a traced 1-D array without a key, as one reduction: the fold keeps
    ``x[0]`` where it is NaN (nothing compares greater), else skips every NaN and keeps
    the FIRST of the extreme values (``-0.0`` or ``0.0``, whichever comes first)."""
    gnp = _gnp()
    if x.shape[0] == 0:
        return getattr(builtins, name)(())  # Python's ValueError, in its words
    if not np.issubdtype(x.dtype, np.inexact):
        return getattr(gnp, name)(x)
    first = x[0]
    nan = gnp.isnan(x)
    extreme = getattr(gnp, name)(gnp.where(nan, first, x))  # first NaN: picked below
    winner = x[gnp.argmax(x == extreme)]
    return mark(gnp.where(gnp.isnan(first), first, winner), None)


def _truth(name: str, combine: str, start: bool) -> Callable:
    """The builtin ``any`` / ``all``: each item's truth combined with ``combine``."""
    builtin = getattr(builtins, name)

    def test(iterable: Any) -> Any:
        if isinstance(iterable, Tracer) and _traced(iterable) and iterable.ndim == 1:
            return mark(getattr(_gnp(), name)(iterable), bool)
        items = list(iterable)
        if not any(map(_traced, items)):
            return builtin(items)
        if not all(map(_one_element, items)):
            raise ambiguous_truth_error(builtin)
        gnp = _gnp()
        out: Any = start
        for item in items:
            truth = gnp.not_equal(item, 0) if _traced(item) else bool(item)
            out = getattr(gnp, combine)(out, truth) if _traced(truth) or _traced(out) \
                else (out or truth if combine == "logical_or" else out and truth)
        if isinstance(out, Tracer) and out.ndim:
            out = gnp.reshape(out, ())
        return mark(out, bool) if isinstance(out, Tracer) else out

    test.__name__ = test.__qualname__ = name
    test.__doc__ = f"Python's {name}() of traced values (module docstring)."
    return test


# ---------------------------------------------------------------- sorted()

def _sorted(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list:
    """Python's sorted() of traced values (module docstring)."""
    items = list(iterable)
    keys = items if key is None else [key(item) for item in items]
    if not any(map(_traced, tree.flatten(keys)[0])):  # the order is known: Python's
        return _in_order(items, keys, reverse)
    gnp = _gnp()
    columns = _key_columns(keys)
    known = list(itertools.takewhile(lambda c: isinstance(c, np.ndarray), columns))
    if known and len(set(zip(*known))) == len(items):  # the known components decide
        return _in_order(items, list(zip(*known)), reverse)
    if reverse:  # CPython: reverse, sort stably, reverse back (ties keep their order)
        columns = [c[::-1] for c in columns]
    order = gnp.argsort(columns[0]) if len(columns) == 1 else gnp.lexsort(columns[::-1])
    if reverse:
        order = (len(items) - 1 - order)[::-1]
    nan = [gnp.isnan(c) for c in columns if np.issubdtype(c.dtype, np.inexact)] \
        if len(items) > 1 else []  # one item is never compared
    if nan:
        from .numpy.checks import raise_where
        bad = gnp.stack(nan) if len(nan) > 1 else nan[0]  # any NaN of the example's keys
        order = raise_where(
            order, bad, error="OrderError", function="builtins.sorted",
            reason="a key is NaN (it compares False with every other key)",
            hint="np.sort(x) puts NaNs last (list(np.sort(x)) for a list), or drop the NaNs "
                 "first: np.where(np.isnan(x), np.inf, x)")
    return _picked(items, order)


def _in_order(items: list, keys: list, reverse: bool) -> list:
    """The items in Python's order of their known ``keys``."""
    order = builtins.sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)
    return [items[i] for i in order]


def _key_columns(keys: list) -> list:
    """The keys as arrays over the items, one per component of a tuple key (compared in
    turn, as Python compares tuples)."""
    gnp = _gnp()
    lengths = {len(k) if isinstance(k, tuple) else None for k in keys}
    if len(lengths) > 1:
        raise TypeError("sorted() of traced keys: every key must be a tuple of one length, "
                        "or none a tuple (gvmap compares the components in turn)")
    width = lengths.pop()
    parts = [list(k) for k in keys] if width is not None else [[k] for k in keys]
    columns = []
    for j in range(width or 1):
        column = [p[j] for p in parts]
        if not any(map(_traced, column)):  # known (names, say): ranks by Python's order
            columns.append(np.array(_ranks(column)))
            continue
        if not all(map(_one_element, column)):
            raise ambiguous_truth_error(builtins.sorted)
        column = [gnp.reshape(c, ()) if isinstance(c, Tracer | np.ndarray) else c
                  for c in column]
        columns.append(gnp.stack([gnp.asarray(c) for c in column]))
    return columns


def _ranks(values: list) -> list[int]:
    """Each value's place in Python's order of ``values``, equal values sharing one."""
    order = builtins.sorted(range(len(values)), key=values.__getitem__)
    ranks, rank = [0] * len(values), 0
    for pos, i in enumerate(order):
        rank += pos > 0 and values[order[pos - 1]] < values[i]
        ranks[i] = rank
    return ranks


def _picked(items: list, order: Any) -> list:
    """The items in the traced ``order`` (a permutation per example): each leaf position
    stacked over the items, gathered, and split back into items."""
    gnp = _gnp()
    flat = [tree.flatten(item) for item in items]
    treedef = flat[0][1]
    if any(td != treedef for _, td in flat):
        raise TypeError("sorted() of traced keys picks items per example, and these items "
                        "differ in structure; sort an index instead: "
                        "order = np.argsort(np.stack(keys)), then look the items up")
    n, columns = len(items), []
    for position in zip(*(leaves for leaves, _ in flat)):
        _check_pickable(position, "sorted()", "sort an index instead, order = "
                        "np.argsort(np.stack(keys)), and look the items up with it")
        picked = gnp.take(gnp.stack(list(position)), order, axis=0)
        columns.append([_result(picked[i], list(position)) for i in range(n)])
    return [tree.unflatten(treedef, [column[i] for column in columns]) for i in range(n)]


# ---------------------------------------------------------------- float() and int()

class StandInMeta(type):
    """The metaclass of a type traced code sees in place of another (``stands_for``: a
    Python number type here, a NumPy scalar type in ``rebinding``), a subclass of it: it
    compares and hashes as that type (``{float: ...}[type(v)]``, ``x.dtype == np.float64``),
    answers ``issubclass`` as it, and prints as it; only ``is`` tells them apart."""

    stands_for: type

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.stands_for)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.stands_for)

    def __eq__(cls, other: Any) -> bool:
        return other is cls or other is cls.stands_for

    def __hash__(cls) -> int:
        return hash(cls.stands_for)

    def __repr__(cls) -> str:
        return repr(cls.stands_for)


class _NumberTypeMeta(StandInMeta):
    """Makes ``float`` / ``int`` as traced code sees them act as the builtins everywhere
    (``dtype=float``, ``isinstance(v, int)``, ``float("inf")``, ``int("7", 8)``; as
    subclasses, NumPy's ``np.dtype(float)`` is float64). Only a call on one traced value
    differs: it converts as the loop's ``float(x[0])`` does, to a traced Python number."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and _traced(args[0]):
            return cls.convert(args[0])
        return cls.stands_for(*args, **kwargs)


def _to_float(x: Tracer) -> Tracer:
    """``float(x)`` of a traced NumPy scalar (or 0-d array): a traced Python float, its
    value exactly (float32's and int64's as ``float`` gives them)."""
    if x._python is float:
        return x
    if x.ndim:
        raise TypeError("float(): only 0-dimensional arrays can be converted to Python "
                        f"scalars (the loop's array has shape {x.shape})")
    return as_python(x, float)


def _to_int(x: Tracer) -> Tracer:
    """``int(x)``: truncated toward zero, a traced Python int; NaN and the infinities
    raise as Python's conversion does (``pyscalars.to_int``)."""
    return x if x._python is int else to_int(x, "trunc", "builtins.int")


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    """``pow``: the builtin, but ``pow(a, b, m)`` with a traced int among b and m (which
    Python hands to no ``__rpow__``) is ``pyscalars.modular_pow``."""
    if mod is not None and not _traced(base) and (_traced(exp) or _traced(mod)):
        return modular_pow(base, exp, mod)
    return builtins.pow(base, exp) if mod is None else builtins.pow(base, exp, mod)


def _number_type(python_type: type, convert: Callable) -> type:
    return _NumberTypeMeta(python_type.__name__, (python_type,), {
        "stands_for": python_type, "convert": staticmethod(convert),
        "__module__": "builtins", "__doc__": python_type.__doc__})


# the Python number types as traced code sees them; ``rebinding``'s ``type`` gives these for
# Python numbers, so ``type(v) is float`` holds there as in the loop
NUMBER_TYPES: dict[type, type] = {float: _number_type(float, _to_float),
                                  int: _number_type(int, _to_int)}

# the builtins traced code reads as these versions (``rebinding`` puts them in its globals)
BUILTINS: dict[str, Callable] = {
    "float": NUMBER_TYPES[float], "int": NUMBER_TYPES[int],
    "max": _extreme("max", operator.gt),
    "min": _extreme("min", operator.lt),
    "any": _truth("any", "logical_or", False),
    "all": _truth("all", "logical_and", True),
    "pow": _pow,
    "sorted": _sorted,
}
