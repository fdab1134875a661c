"""NumPy's aliasing rules for traced arrays: which results are new arrays, which are
scalars, which are views, and what a write (``x[k] = v``, ``x += v``, ``x.sort()``)
changes.

NumPy's meaning is kept where gvmap can follow it, and refused, with a rewrite, where it
cannot:

* operations NumPy gives a new array for give a new value (``fresh``), so a write into the
  result never reaches the operand; 0-d results of ufuncs, operators and reductions are
  scalars (``scalar_if_0d``), which ``s += 1`` rebinds;
* a write into an array makes the tracer stand for the updated value; a view NumPy makes
  whatever the memory layout (``r = x[0]``, ``x.T``, ``np.flip(x)``, ``x[None]``,
  ``np.squeeze(x)``, ``np.split(x, 2)``) writes through to its base (``_base``: an index
  key or a ``Layout`` with its inverse), and the base's live views are taken again, as a
  NumPy view always shows its base; ``np.broadcast_to``'s view is read-only, as NumPy's;
* a write NumPy would make visible somewhere gvmap cannot follow is refused: into an
  argument or a closed-over array (the caller's array), or into an array while a view of
  it that gvmap does not follow is alive (``x.reshape``, ``x.ravel()``: NumPy's is a view
  or a copy depending on the layout; ``sliding_window_view``). Such a view that is gone
  blocks nothing (``tracing.UntrackedView``).

``TracedArray`` is the base class of ``tracing.Tracer`` that carries the write rules; it
lives here so that these rules do not import the tracer (tracing.py imports this module).
"""
from __future__ import annotations

import contextlib
import operator
import weakref
from typing import Any, Callable

import numpy as np

from .graph import Var

__all__ = ["TracedArray", "FlatIterator", "Layout", "cut_view", "fresh", "fresh_unless_view",
           "scalar_if_0d", "numpy_result", "call_leaves", "static_key", "scalar_key", "basic_key",
           "check_ufunc_output", "MAY_RETURN_ARGUMENT", "WRITES_ARGUMENT", "ARRAY_MAKERS"]


def _gnp() -> Any:
    from . import numpy as gnp
    return gnp


class TracedArray:
    """What a traced array does when written into. Its state (``_trace``, ``_var``,
    ``_value``, ``_base``, ``_viewed``, ``_scalar``) is declared by ``tracing.Tracer``."""

    __slots__ = ()

    def fill(self, value: Any) -> None:
        """ndarray.fill: every element becomes ``value`` (``out = np.empty(n); out.fill(0)``)."""
        self[...] = value

    def __setitem__(self, key, value):
        """``x[key] = value`` as NumPy means it, recorded as a new value x stands for
        (``gvmap.numpy.updates``); through a view, the array it views changes too."""
        key = static_key(key)
        base = value._base if isinstance(value, TracedArray) else None
        if base is not None and base[0] is self and _same_key(base[1], key):
            return  # the write-back of `x[key] op= v`: the view already wrote through
        self._write(key, value, f"`x[{_key_text(key)}] = ...`",
                    "Write into a copy: `x = x.copy()` first")

    def _write(self, key: Any, value: Any, what: str, rewrite: str) -> None:
        """``x[key] = value``; a refusal names the operation as ``what`` and ``rewrite``."""
        from .numpy.updates import setitem

        trace = self._trace
        with contextlib.ExitStack() as internal:
            # views the update takes of x and of v (ravel, broadcast) are its own
            # temporaries: `x[:] += v` (x[:] is x itself) must not count them as the user's
            for t in (self, value):
                if isinstance(t, TracedArray) and t._trace is trace:
                    internal.enter_context(trace.internal_views(t._var))
            new = setitem(self, key, value)
        self._assign(new, what, rewrite)

    def _assign(self, new: "TracedArray", what: str, rewrite: str) -> None:
        """Make this tracer stand for ``new`` (a write into x in NumPy). Where NumPy's
        meaning cannot be kept it is refused: x is an argument or constant (NumPy would
        write into the caller's array), or a view of x was taken that no tracer follows.
        A basic-indexing view writes through to the array it views, and the other views
        of x that are alive see the write, as NumPy's views do."""
        trace = self._trace
        if not trace.writable(self._var):  # an input or a closed-over constant
            raise TypeError(
                f"{what} writes into {trace.unwritable_text(self._var)}: NumPy would change "
                f"the caller's array, which gvmap never does. {rewrite} (same result, and the "
                f"caller's array stays unchanged)")
        _refuse_untracked_views(trace, self._var, what)
        self._refuse_untracked_base(what)
        self._become(new, skip=None)

    def _write_through(self, link: Any, view_value: "TracedArray", view: "TracedArray") -> None:
        """The view ``view`` (``self[key]``, or a ``Layout`` of self) was written: the
        part of self it views takes its value."""
        trace = self._trace
        if isinstance(link, Layout) and link.put is None:
            raise ValueError(
                f"assignment destination is read-only (as NumPy says: {link.prim}'s view, "
                f"np.broadcast_to's, cannot be written). Write into a copy: "
                f"`b = np.broadcast_to(x, shape).copy()`")
        if not trace.writable(self._var):
            raise TypeError(
                f"writing into a view of {trace.unwritable_text(self._var)}: NumPy would "
                f"change the caller's array, which gvmap never does. Copy it first "
                f"(`x = x.copy()`), then take the view")
        _refuse_untracked_views(trace, self._var, "writing into a view")
        self._refuse_untracked_base("writing into a view")
        self._become(_put(link, self, view_value), skip=view)

    def _refuse_untracked_base(self, what: str) -> None:
        """Refuse a write into a view no write follows (``w = y.reshape(2, 3)``,
        ``y.ravel()``, ``sliding_window_view(y, 2)``) while the array it views is still in use: NumPy's write would
        change that array too. A view of a temporary (``np.zeros(6).reshape(2, 3)``) is
        written freely: nothing else can see the change."""
        for ref, var in self._viewed:
            source = ref()
            if source is None:
                continue
            if not self._trace.writable(var):
                raise TypeError(
                    f"{what} writes into a view (reshape, ravel or the like) of "
                    f"{self._trace.unwritable_text(var)}: NumPy would change the caller's "
                    f"array, which gvmap never does. "
                    f"Copy it first (`y = x.reshape(2, 3).copy()`), then write into the copy")
            raise TypeError(
                f"{what} writes into a view made by reshape, ravel or the like of an array "
                f"that is still in use: in NumPy the write would change that array too, which "
                f"gvmap cannot follow. Write into the array itself with an index (`y[1, 2] = v` "
                f"rather than `y.ravel()[5] = v`), or write into a copy "
                f"(`w = y.reshape(2, 3).copy()`) where y must not change")

    def _become(self, new: "TracedArray", skip: "TracedArray | None") -> None:
        """Stand for ``new`` from now on: the array this one views (if it is a view)
        takes the write, then this tracer's live views (but ``skip``) are refreshed."""
        if not self._trace.writable(new._var):
            # `a[:] = x` made a stand for x's value itself: a stays an array the function
            # may write into, and x (an argument) still is not
            new = _gnp().copy(new)
        if self._base is not None:
            base, key = self._base
            base._write_through(key, new, self)
        old = self._var
        self._var, self._value = new._var, new._value
        self._refresh_views(old, skip=skip)

    def _refresh_views(self, old: Var, skip: "TracedArray | None") -> None:
        """After this tracer moved from ``old`` to a new value: every live basic-indexing
        view of ``old`` (but ``skip``, which already holds its part) is taken again from
        the new value, as a NumPy view always shows its base, and follows the new value."""
        trace = self._trace
        views = [ref() for ref in trace.views.pop(old, ()) if ref is not None]
        kept = []
        for view in views:
            if view is None:
                continue
            if view is not skip:
                if trace.has_untracked_views(view._var):  # NumPy's view.T would see it
                    raise TypeError(
                        "writing into an array after a view gvmap does not follow (reshape, "
                        "ravel, sliding_window_view) was taken of one of its slices or "
                        "transposes (`w = y[0].reshape(3, 1)`, `w = y.T.reshape(-1)`): in "
                        "NumPy that view may see the write, in gvmap it cannot. Take that "
                        "view of a copy (`w = y[0].reshape(3, 1).copy()`), or index y itself "
                        "for the views you write through")
                taken = _take(view._base[1], self)
                previous = view._var
                view._var, view._value = taken._var, taken._value
                view._refresh_views(previous, skip=None)
            kept.append(weakref.ref(view))
        trace.views[self._var] = kept


class FlatIterator:
    """``x.flat``: x's elements in C order. Reading gives copies (a scalar for one
    integer, as NumPy's flatiter); ``x.flat[k] = v`` writes into x, as NumPy's does."""

    __slots__ = ("base",)

    def __init__(self, base: TracedArray):
        self.base = base

    def __len__(self) -> int:
        return self.base.size

    def __iter__(self):
        return (self[i] for i in range(self.base.size))

    def _flat_copy(self) -> TracedArray:
        x = self.base
        with x._trace.internal_views(x._var):  # the raveling is gvmap's, not a view of x
            return _gnp().copy(_gnp().ravel(x))

    def __getitem__(self, key: Any) -> Any:
        key = static_key(key)
        out = self._flat_copy()[key]
        return out if scalar_key(key, 1) else fresh(out, ())

    def __setitem__(self, key: Any, value: Any) -> None:
        flat = self._flat_copy()
        flat[key] = value
        x = self.base
        x._assign(_gnp().reshape(flat, x.shape), "`x.flat[...] = ...`",
                  "Write into a copy: `x = x.copy()` first")


class Layout:
    """How the result of a view primitive whose NumPy result is always a view
    (``Primitive.view``) views its operand: ``take`` applies it again to a new value of
    the operand (a write into the operand shows in the view), ``put`` gives the operand's
    new value after a write into the view (None: NumPy's view is read-only)."""

    __slots__ = ("prim", "params", "base_shape", "put")

    def __init__(self, prim: Any, params: dict, base_shape: tuple):
        self.prim, self.params, self.base_shape = prim, params, base_shape
        self.put = None if prim.view == "read-only" else _PUT_BACK[prim.name]

    def take(self, base: TracedArray) -> TracedArray:
        from .tracing import bind
        return bind(self.prim, base, **self.params)


def _put_slice(link: Layout, base: TracedArray, value: TracedArray) -> TracedArray:
    from .numpy.updates import setitem
    p = link.params
    key = tuple(slice(*bounds) for bounds in zip(p["start_indices"], p["limit_indices"],
                                                  p["strides"]))
    return setitem(base, key, value)


# the inverse of each "always" view primitive: the operand's value with the view's written
_PUT_BACK: dict[str, Callable] = {
    "transpose": lambda link, base, v: _gnp().transpose(v, tuple(np.argsort(link.params["permutation"]))),
    "rev": lambda link, base, v: _gnp().flip(v, link.params["dimensions"]),
    "squeeze": lambda link, base, v: _gnp().reshape(v, link.base_shape),
    "expand_dims": lambda link, base, v: _gnp().reshape(v, link.base_shape),
    "slice": _put_slice,
}


def _take(link: Any, base: TracedArray) -> TracedArray:
    """The view ``link`` (an index key or a ``Layout``) taken again of ``base``."""
    return link.take(base) if isinstance(link, Layout) else _gnp().getitem(base, link)


def _put(link: Any, base: TracedArray, value: TracedArray) -> TracedArray:
    """``base``'s new value once its view ``link`` is written with ``value``."""
    if isinstance(link, Layout):
        return link.put(link, base, value)
    from .numpy.updates import setitem
    return setitem(base, link, value)


def cut_view(o: TracedArray) -> None:
    """Make ``o`` no view of anything (a result NumPy copies, built from a view): it
    follows no write, blocks none, and keeps no view it was built from alive."""
    o._viewed, o._holds = (), None
    if o._base is None:
        return
    base = o._base[0]
    o._base = None
    refs = base._trace.views.get(base._var)
    if refs is not None:
        refs[:] = [r for r in refs if r() is not o]


def _numpy_functions(*names: str) -> frozenset:
    return frozenset(getattr(np, n) for n in names if hasattr(np, n))


# NumPy functions whose result may be their argument itself or a view of it (a write into
# one reaches the other, as gvmap's views do). Every other NumPy function, ufunc, operator
# and method (but ``_VIEW_METHODS``, ``reshape``, ``transpose``, ``.T``) returns a new array.
MAY_RETURN_ARGUMENT = _numpy_functions(
    "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "asarray_chkfinite",
    "require", "atleast_1d", "atleast_2d", "atleast_3d", "reshape", "ravel", "squeeze",
    "transpose", "permute_dims", "matrix_transpose", "moveaxis", "rollaxis", "swapaxes",
    "expand_dims", "broadcast_to", "broadcast_arrays", "real", "imag", "real_if_close",
    "flip", "fliplr", "flipud", "rot90", "diagonal", "split", "array_split", "hsplit",
    "vsplit", "dsplit", "unstack") | {np.linalg.matrix_transpose,
                                      np.lib.stride_tricks.sliding_window_view}


# NumPy functions that write into their first argument (np.fill_diagonal(W, 0)): on an
# array the function made they are gvmap's writes, never NumPy's own on a known value
# (whose memory is the graph's constant, read-only)
WRITES_ARGUMENT = _numpy_functions("fill_diagonal", "copyto", "putmask", "put", "place",
                                   "put_along_axis")


def fresh(out: Any, inputs: Any) -> Any:
    """``out``, the result of an operation NumPy gives a NEW array for, with every tracer
    in it that IS one of the tracers among ``inputs`` replaced by a copy. gvmap's
    implementations return their operand itself where the operation changes nothing
    (``x.astype(x.dtype)``, ``np.concatenate([x])``, ``+x``, ``np.round`` of integers);
    without the copy, ``y = x.astype(float); y[0] = 5`` would change x too, which NumPy's
    copy never does."""
    given = {id(t) for t in call_leaves(inputs) if isinstance(t, TracedArray)}
    if not given:
        return out

    def one(o: Any) -> Any:
        if not isinstance(o, TracedArray):
            return o
        if id(o) in given:
            return _gnp().copy(o)
        cut_view(o)  # a new array: views the implementation took on the way are its own
        return o

    if isinstance(out, TracedArray):
        return one(out)
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a named result (eigh's)
        return type(out)(*(one(o) for o in out))
    if isinstance(out, (tuple, list)):
        return type(out)(one(o) for o in out)
    return out


# NumPy functions whose 0-d results are 0-d ARRAYS (mutable, ``+=`` in place), where every
# other operation's 0-d result is a scalar
ARRAY_MAKERS = _numpy_functions(
    "array", "asarray", "asanyarray", "copy", "empty_like", "zeros_like", "ones_like",
    "full_like", "require", "ascontiguousarray", "atleast_1d", "atleast_2d", "atleast_3d",
    # and those that return 0-d arrays of scalar operands (np.where(c, x, 0.0) of x[0])
    "where", "select", "piecewise", "tensordot", "cov", "isin", "i0", "real_if_close",
    "cross", "resize", "apply_along_axis")


def scalar_if_0d(out: Any) -> Any:
    """Mark the 0-d tracers among ``out``, a ufunc's, an operator's or a reduction's result,
    as the NumPy scalars those are in the loop (``s = x.sum(); s += 0.5`` rebinds s, with
    NumPy's promotion, where a 0-d array's ``+=`` would keep its dtype)."""
    for o in (out if isinstance(out, (tuple, list)) else (out,)):
        if isinstance(o, TracedArray) and o.ndim == 0:
            o._scalar = True
    return out


def numpy_result(func: Callable, out: Any, inputs: Any) -> Any:
    """gvmap's result for the NumPy function ``func`` made what NumPy's is: a new array
    unless ``func`` may return its argument or a view (``fresh_unless_view``), and a 0-d
    result a NumPy scalar (``np.sum(x)``, ``np.max(x)``, ``np.dot(v, v)``) unless ``func``
    makes arrays (``ARRAY_MAKERS``) or views. Whether the call came through NumPy's
    dispatch or through the rebound ``np`` of the traced code."""
    out = fresh_unless_view(func, out, inputs)
    return out if func in MAY_RETURN_ARGUMENT or func in ARRAY_MAKERS else scalar_if_0d(out)


def fresh_unless_view(func: Callable, out: Any, inputs: Any) -> Any:
    """``fresh(out, inputs)`` for a NumPy function ``func`` that returns a new array; the
    result as it is for one that may return its argument or a view of it (or was asked
    not to copy, ``copy=False``)."""
    args, kwargs = inputs
    if func in MAY_RETURN_ARGUMENT or kwargs.get("copy", True) is not True:
        return out
    return fresh(out, inputs)


def call_leaves(tree: Any):
    """The leaves of call arguments ``tree``: nested tuples, lists and dict values."""
    stack = [tree]
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        else:
            yield x


def _inplace(name: str, symbol: str):
    """``x op= y``: NumPy writes into x's memory, so every name bound to x sees the new
    value. The tracer object takes the new value likewise. Two cases cannot keep NumPy's
    meaning and are refused: x is an argument (NumPy would write into the caller's array)
    or a view of x was taken earlier (NumPy's view would see the write)."""
    def op(self, other):
        if getattr(self, "_python", None) is not None:  # a Python number: t += 1 rebinds t
            return _BINARY_OPERATORS[symbol](self, other)
        result = getattr(_gnp(), name)(self, other)
        if self._scalar:  # a NumPy scalar is immutable: ``s += x`` rebinds s, promoting
            return scalar_if_0d(fresh(result, (self, other)))
        check_ufunc_output(name, result, self, f" (as NumPy refuses `x {symbol}= ...` here); "
                                               f"write `x = x {symbol} ...`")
        if result.dtype != self.dtype:
            result = _gnp().astype(result, self.dtype)
        self._assign(result, f"`x {symbol}= ...`", f"Write `x = x {symbol} ...`")
        return self
    return op


def check_ufunc_output(ufunc: str, result: Any, out: Any, rewrite: str = "") -> None:
    """NumPy's rules for a ufunc writing ``result`` into ``out`` (``out=``, ``x op= y``):
    same_kind casting, and a result that broadcasts to out's shape; NumPy's errors."""
    if not np.can_cast(result.dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"Cannot cast ufunc '{ufunc}' output from {result.dtype!r} to "
                        f"{out.dtype!r} with casting rule 'same_kind'{rewrite}")
    try:
        shape = np.broadcast_shapes(result.shape, out.shape)
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with shapes "
                         f"{result.shape} {out.shape}") from None
    if shape != out.shape:
        raise ValueError(f"non-broadcastable output operand with shape {out.shape} doesn't "
                         f"match the broadcast shape {shape}")


def _refuse_untracked_views(trace: Any, var: Var, what: str) -> None:
    if trace.has_untracked_views(var):
        raise TypeError(
            f"{what} after a view of x was taken by reshape, ravel or the like: "
            f"in NumPy that view would see the write, in gvmap it cannot. Write into a copy "
            f"(`y = x.copy()`) and use y, or index x (x[1:], x[:, 0]) for the views you write "
            f"through")


def static_key(key: Any) -> Any:
    """An index key with its known tracers replaced by their values: ``y[np.array([True,
    False])] = 0`` and ``x[np.arange(3)]`` index with static arrays, as in NumPy, not with
    traced ones."""
    if isinstance(key, TracedArray):
        return key._value if key._value is not None else key
    if isinstance(key, tuple) and any(isinstance(k, TracedArray) for k in key):
        return tuple(k._value if isinstance(k, TracedArray) and k._value is not None else k
                     for k in key)
    return key


def scalar_key(key: Any, ndim: int) -> bool:
    """One integer per dimension (``x[0]`` of a vector, ``x[1, 2]`` of a matrix, ``x[i]``
    with a traced 0-d integer i): NumPy returns a scalar, a copy that no later write into
    x changes, and ``s += 1`` rebinds s (``x[0, ...]`` and ``x[()]`` are 0-d views)."""
    parts = key if isinstance(key, tuple) else (key,)
    return len(parts) == ndim and all(
        isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))
        or isinstance(k, TracedArray) and k.ndim == 0 and k.dtype.kind in "iu"  # the loop's
        for k in parts)                                       # value there: a NumPy int


def basic_key(key: Any) -> bool:
    """Basic indexing (ints, slices, None, ...): NumPy returns a view, not a copy."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))
               and not isinstance(k, (bool, np.bool_)) for k in parts)


def _same_key(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # keys holding arrays: never the write-back of a basic view
        return False


def _key_text(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join("i" if isinstance(k, TracedArray) else ":" if isinstance(k, slice) else
                     "..." if k is Ellipsis else repr(k) for k in parts)


_BINARY_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul,
                     "/": operator.truediv, "//": operator.floordiv, "%": operator.mod,
                     "**": operator.pow, "&": operator.and_, "|": operator.or_,
                     "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift}

for _dunder, _fn, _sym in [("iadd", "add", "+"), ("isub", "subtract", "-"),
                           ("imul", "multiply", "*"), ("itruediv", "true_divide", "/"),
                           ("ifloordiv", "floor_divide", "//"), ("imod", "remainder", "%"),
                           ("ipow", "power", "**"), ("iand", "bitwise_and", "&"),
                           ("ior", "bitwise_or", "|"), ("ixor", "bitwise_xor", "^"),
                           ("ilshift", "left_shift", "<<"), ("irshift", "right_shift", ">>")]:
    setattr(TracedArray, f"__{_dunder}__", _inplace(_fn, _sym))


def _sort_in_place(name: str):
    def method(self, *args, **kwargs):
        self._assign(getattr(_gnp(), name)(self, *args, **kwargs), f"`x.{name}()`",
                     f"Write `x = np.{name}(x{', kth' if name == 'partition' else ''})`")
    method.__name__ = name
    method.__doc__ = f"ndarray.{name}: in place, as a new value x stands for."
    return method


TracedArray.sort = _sort_in_place("sort")
TracedArray.partition = _sort_in_place("partition")
