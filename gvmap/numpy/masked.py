"""``x[mask]`` with a traced boolean mask, where its data-dependent shape never shows.

``x[mask]`` has as many elements as ``mask`` has True values, which differs per example:
a batched program cannot hold it. But the commonest uses never need that shape:

* ``x[mask] = 0``, ``x[x < 0] = v`` (v broadcasting to one selected element): a select,
  ``np.where(mask, v, x)``;
* ``x[mask] += 1``, ``x[mask] = np.sqrt(x[mask]) * 2``: elementwise work on the selected
  elements, written back into the same places;
* ``x[mask].sum()``, ``x[mask].mean()``: a masked reduction.

So ``x[mask]`` returns a ``Selection``: the elements of ``x`` at ``mask``, held at their
places in x's shape (the other places do not matter). Elementwise ufuncs and operators
with scalars and with selections of the same mask give selections; assigning one back
(``y[mask] = sel``), ``sum``/``mean`` and ``np.sum``/``np.mean`` of one compute. Anything
that would need the selection's own shape (its length, indexing it, concatenating it,
returning it) is refused, naming ``np.where``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Var
from ..tracing import Tracer
from . import elementwise
from ._core import convert
from .elementwise import UFUNCS, astype, where
from .reductions import sum as sum_
from .shape import broadcast_to, expand_dims

__all__ = ["Selection", "select", "write_selected"]


def _refusal(what: str) -> NotImplementedError:
    return NotImplementedError(
        f"{what} of x[mask] with a traced mask: x[mask] has a data-dependent shape (its "
        f"length is the number of True values, which differs per example), which a batched "
        f"program cannot hold. Keep x's shape: "
        f"np.where(mask, f(x), x) for an update, np.where(mask, x, 0).sum() for a sum "
        f"(gvmap computes x[mask] = v, x[mask] op= v, elementwise work on x[mask] written "
        f"back, and x[mask].sum()/.mean() this way)")


def _mask_dims(x: Tracer, mask: Tracer) -> int:
    if mask.shape != x.shape[:mask.ndim]:
        raise IndexError(f"boolean index did not match indexed array: the mask has shape "
                         f"{mask.shape}, the array {x.shape}")
    return mask.ndim


def same_mask(a: Tracer, b: Tracer) -> bool:
    """Do two traced masks hold the same values in every example? True when they are one
    value, or computed by the same equations from the same operands (``y[~m] = -y[~m]``
    computes ``~m`` twice); anything else cannot be known at trace time."""
    if a is b or a._var is b._var:
        return True
    if a._trace is not b._trace:
        return False
    producer = {out: e for e in a._trace.eqns for out in e.outvars}

    def same(u: Any, v: Any) -> bool:
        if u is v:
            return True
        if not (isinstance(u, Var) and isinstance(v, Var)):
            return u == v  # literals: equal dtype and bits
        eu, ev = producer.get(u), producer.get(v)
        return (eu is not None and ev is not None and eu.primitive is ev.primitive
                and eu.params == ev.params and eu.outvars.index(u) == ev.outvars.index(v)
                and len(eu.invars) == len(ev.invars)
                and all(same(x, y) for x, y in zip(eu.invars, ev.invars)))
    return same(a._var, b._var)


def _expanded(mask: Any, ndim: int) -> Any:
    extra = ndim - mask.ndim
    return expand_dims(mask, tuple(range(mask.ndim, ndim))) if extra else mask


class Selection:
    """The elements of ``values`` (x's shape) at ``mask`` (a traced bool array over x's
    leading dims)."""

    __slots__ = ("values", "mask")
    __array_priority__ = 2000  # above Tracer's: x + x[mask] comes here and is refused

    def __init__(self, values: Any, mask: Tracer):
        self.values = values
        self.mask = mask

    def _with(self, values: Any) -> "Selection":
        return Selection(values, self.mask)

    def _operand(self, other: Any) -> Any:
        if isinstance(other, Selection):
            if not same_mask(other.mask, self.mask) or np.shape(other.values) != np.shape(self.values):
                raise _refusal("combining with another selection")
            return other.values
        if isinstance(other, (Tracer, np.ndarray)) and np.ndim(other) > 0:
            # x[mask] + y: y would need x[mask]'s length (NumPy: a broadcast error or
            # one value per selected element)
            raise _refusal("combining an array with the elements")
        return other

    # ---- elementwise work stays a selection
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None or ufunc.__name__ not in UFUNCS:
            raise _refusal(f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
        args = [x.values if x is self else self._operand(x) for x in inputs]
        out = UFUNCS[ufunc.__name__](*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(self._with(o) for o in out)
        return self._with(out)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.sum, np.mean) and args and args[0] is self:
            return getattr(self, func.__name__)(*args[1:], **kwargs)
        raise _refusal(f"numpy.{func.__name__}")

    def __array__(self, *args, **kwargs):
        raise _refusal("np.asarray")

    def astype(self, dtype: Any) -> "Selection":
        return self._with(astype(self.values, dtype))

    # ---- reductions that keep a static shape
    def sum(self, axis: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if axis is not None or kwargs:
            raise _refusal("a sum along an axis")
        mask = _expanded(self.mask, np.ndim(self.values))
        return sum_(where(mask, self.values, 0), dtype=dtype)

    def mean(self, axis: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if axis is not None or kwargs:
            raise _refusal("a mean along an axis")
        count = sum_(broadcast_to(_expanded(self.mask, np.ndim(self.values)),
                                  np.shape(self.values)))
        total = self.sum(dtype=dtype)
        if dtype is None and np.dtype(total.dtype).kind in "biu":  # NumPy's mean: float64
            total = total.astype(np.float64)
        return total / convert(count, total.dtype)  # NumPy's mean keeps a float32 sum's dtype

    # ---- what needs the selection's own shape
    def __len__(self):
        raise _refusal("len()")

    def __iter__(self):
        raise _refusal("iteration")

    def __getitem__(self, key):
        raise _refusal("indexing")

    def __bool__(self):
        raise _refusal("bool()")

    def __getattr__(self, name):
        if name.startswith("_"):  # protocols probed by Python and NumPy: simply absent
            raise AttributeError(name)
        raise _refusal(f".{name}")

    @staticmethod
    def gvmap_operand_refusal(name: str) -> Exception:
        """Raised where a gvmap.numpy function gets a selection as an operand (_core)."""
        return _refusal(f"gvmap.numpy.{name}")

    @staticmethod
    def gvmap_output_refusal() -> Exception:
        """Raised where a traced function returns a selection (tracing.trace_function)."""
        return _refusal("returning the elements")

    def __repr__(self) -> str:
        return f"Selection<elements of {self.values!r} at a traced mask>"


def _binary(name: str, reflected: bool = False):
    def op(self: Selection, other: Any) -> Selection:
        fn = getattr(elementwise, name)
        o = self._operand(other)
        return self._with(fn(o, self.values) if reflected else fn(self.values, o))
    return op


for _dunder, _fn in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                     ("truediv", "true_divide"), ("floordiv", "floor_divide"),
                     ("mod", "remainder"), ("pow", "power"), ("and", "bitwise_and"),
                     ("or", "bitwise_or"), ("xor", "bitwise_xor"), ("lt", "less"),
                     ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                     ("eq", "equal"), ("ne", "not_equal")]:
    setattr(Selection, f"__{_dunder}__", _binary(_fn))
    if _dunder not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Selection, f"__r{_dunder}__", _binary(_fn, reflected=True))
        # x[mask] op= v: Python computes the new selection, then x[mask] = it
        setattr(Selection, f"__i{_dunder}__", _binary(_fn))
for _dunder, _fn in [("neg", "negative"), ("pos", "positive"), ("abs", "absolute"),
                     ("invert", "invert")]:
    setattr(Selection, f"__{_dunder}__",
            (lambda f: lambda self: self._with(getattr(elementwise, f)(self.values)))(_fn))
Selection.__hash__ = None


def select(x: Tracer, mask: Tracer) -> Selection:
    """``x[mask]`` for a traced boolean ``mask`` over x's leading dims."""
    _mask_dims(x, mask)
    return Selection(x, mask)


def write_selected(x: Tracer, mask: Tracer, value: Any) -> Any:
    """The value of ``x`` after ``x[mask] = value``: ``value`` a selection with this mask
    (``x[mask] += 1``), or anything broadcasting to one selected element (``x[mask] = 0``,
    a row where the mask covers the first axis)."""
    ndim = _mask_dims(x, mask)
    rest = x.shape[ndim:]
    if isinstance(value, Selection):
        if not same_mask(value.mask, mask) or np.shape(value.values) != x.shape:
            raise _refusal("assigning a selection made with another mask")
        value = value.values
    elif np.ndim(value) > len(rest):
        raise _refusal("assigning an array with one value per selected element")
    else:
        value = broadcast_to(value, rest) if np.ndim(value) else value
    return where(_expanded(mask, x.ndim), convert(value, x.dtype), x)
