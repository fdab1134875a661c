"""``x[mask]`` with a traced boolean mask, where its data-dependent shape never shows.

``x[mask]`` has as many elements as ``mask`` has True values, which differs per example:
a batched program cannot hold it. But the commonest uses never need that shape:

* ``x[mask] = 0``, ``x[x < 0] = v`` (v broadcasting to one selected element): a select,
  ``np.where(mask, v, x)``;
* ``x[mask] += 1``, ``x[mask] = np.sqrt(x[mask]) * 2``: elementwise work on the selected
  elements, written back into the same places;
* ``x[mask].sum()``, ``x[mask].mean()``, ``.var(ddof=)`` / ``.std(ddof=)``: a masked
  reduction;
* ``np.interp(t, t[ok], x[ok])``, filling gaps from the points kept: the kept points moved
  to the front in order, the rest past the last one with its value, and x itself may be a
  selection (``np.interp(t[~ok], t[ok], x[ok])``).

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


_NAN_FORMS = {"median": "nanmedian", "percentile": "nanpercentile", "quantile": "nanquantile",
              "min": "nanmin", "max": "nanmax", "amin": "nanmin", "amax": "nanmax",
              "argmin": "nanargmin", "argmax": "nanargmax", "cumsum": "nancumsum"}


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
        if func in (np.sum, np.mean, np.var, np.std) and args and args[0] is self:
            return getattr(self, func.__name__)(*args[1:], **kwargs)
        if func is np.interp:
            return interp_selected(*args, **kwargs)
        name = func.__name__
        if name in _NAN_FORMS:  # an order statistic of the kept elements: NaN the rest
            raise NotImplementedError(
                f"{_refusal(f'numpy.{name}')}. For numpy.{name} of the elements a mask "
                f"keeps, NaN the others and use NumPy's NaN-ignoring form: "
                f"np.{_NAN_FORMS[name]}(np.where(mask, x, np.nan))")
        raise _refusal(f"numpy.{name}")

    def __array__(self, *args, **kwargs):
        raise _refusal("np.asarray")

    def astype(self, dtype: Any) -> "Selection":
        return self._with(astype(self.values, dtype))

    # ---- reductions that keep a static shape
    def _full_mask(self) -> Any:
        """The mask over every element of the values (a row mask broadcast along them)."""
        return broadcast_to(_expanded(self.mask, np.ndim(self.values)), np.shape(self.values))

    def sum(self, axis: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if axis is not None or kwargs:
            raise _refusal("a sum along an axis")
        mask = _expanded(self.mask, np.ndim(self.values))
        return sum_(where(mask, self.values, 0), dtype=dtype)

    def mean(self, axis: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if axis is not None or kwargs:
            raise _refusal("a mean along an axis")
        count = sum_(self._full_mask())
        total = self.sum(dtype=dtype)
        if dtype is None and np.dtype(total.dtype).kind in "biu":  # NumPy's mean: float64
            total = total.astype(np.float64)
        return total / convert(count, total.dtype)  # NumPy's mean keeps a float32 sum's dtype

    def var(self, axis: Any = None, dtype: Any = None, ddof: Any = 0, **kwargs: Any) -> Any:
        """NumPy's two-pass variance of the selected elements (their mean, then the mean
        of the squared deviations, divided by count - ddof)."""
        if axis is not None or kwargs:
            raise _refusal("a variance along an axis")
        mask = self._full_mask()
        values = self.values
        if np.dtype(values.dtype).kind in "biu":
            values = astype(values, np.float64)
        dev = elementwise.subtract(values, self._with(values).mean(dtype=dtype))
        sq = sum_(where(mask, elementwise.multiply(dev, dev), 0), dtype=dtype)
        count = elementwise.subtract(sum_(mask), ddof)
        return sq / convert(elementwise.maximum(count, 0), sq.dtype)

    def std(self, axis: Any = None, dtype: Any = None, ddof: Any = 0, **kwargs: Any) -> Any:
        return elementwise.sqrt(self.var(axis, dtype, ddof, **kwargs))

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


def interp_selected(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
                    period: Any = None) -> Any:
    """np.interp(x, xp[mask], fp[mask]) for one traced 1-D mask: the kept points first, in
    order (a stable argsort of ~mask), the places after them past the last kept point
    with its value, so each example interpolates between its own kept points as NumPy does. An
    example that keeps no point raises NumPy's ValueError ("array of sample points is
    empty"), naming it."""
    from .arrays import arange
    from .checks import raise_where
    from .indexing import take
    from .sorting import argsort, interp

    if period is not None:
        raise _refusal("numpy.interp with period=")
    if not (isinstance(xp, Selection) and isinstance(fp, Selection)) \
            or not same_mask(xp.mask, fp.mask) or np.ndim(xp.values) != 1 \
            or np.shape(xp.values) != np.shape(fp.values):
        raise _refusal("numpy.interp with points selected by different masks")
    mask = xp.mask
    n = mask.shape[0]
    order = argsort(elementwise.logical_not(mask), kind="stable")
    count = sum_(astype(mask, np.int64))
    last = take(order, elementwise.maximum(elementwise.subtract(count, 1), 0))
    kept = elementwise.less(arange(n), count)
    at = where(kept, order, last)
    # past the last kept point the places climb by one from it, with its value: no empty
    # interval (no 0/0 where the loop warns of none), and `right` put back after
    x_last, f_last = take(xp.values, last), take(fp.values, last)
    climb = astype(elementwise.maximum(elementwise.subtract(arange(n) + 1, count), 0), np.float64)
    xs = elementwise.add(take(xp.values, at), climb)
    fs = take(fp.values, at)
    query = x.values if isinstance(x, Selection) else x
    out = interp(query, xs, fs, left)
    out = where(elementwise.greater(query, x_last), f_last if right is None else right, out)
    # an example that keeps no point: NumPy's ValueError there, naming it
    out = raise_where(where(elementwise.greater(count, 0), out, np.nan),
                      elementwise.equal(count, 0), error="ValueError", function="interp",
                      reason="array of sample points is empty",
                      hint="keep a point in every example, or choose a fallback with "
                           "np.where(mask.any(), np.interp(...), fallback) after making the "
                           "mask of an empty example all True")
    return Selection(out, x.mask) if isinstance(x, Selection) else out


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
