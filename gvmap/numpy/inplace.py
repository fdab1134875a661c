"""NumPy's in-place writers of a whole array: ``np.copyto``, ``np.putmask`` and ``np.put``,
into a traced local array (``b = np.zeros_like(x); np.copyto(b, x, where=x > 0)``).

Each computes the array's new value as a composition (a select, a gather of the cycled
values, a scatter for traced ``put`` indices) and writes it with ``dst[...] = new``, so
every rule of an in-place write holds as for ``x[...] = v``: a view writes through to the
array it views, and an argument of the traced function (or a constant it closes over) is
refused, never changed. The argument checks are NumPy's own, run on stand-ins of the
operands' shapes and dtypes, so a casting or shape error is NumPy's message.

``np.place`` stays unsupported: its values go, in order, to the True elements of the mask,
which is a per-example count (its fixed-shape form is ``np.putmask`` or ``np.where``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tracing import Tracer
from ._core import PY_SCALARS, check_operand, convert, dtype_of, shape_of
from .clip import clip
from .elementwise import remainder, where as select
from .indexing import take
from .shape import broadcast_to, ravel, reshape

__all__ = ["copyto", "putmask", "put"]


def _stand_in(x: Any) -> Any:
    """x for NumPy's own argument checks: Python scalars as themselves (NEP 50 weak types),
    arrays as zeros of their shape and dtype."""
    if isinstance(x, PY_SCALARS):
        return x
    return np.zeros(shape_of(x), dtype_of(x))


def _write(dst: Tracer, new: Any, name: str, arg: str) -> None:
    """``dst[...] = new``, its refusals naming ``np.<name>``."""
    dst._write(Ellipsis, new, f"`np.{name}({arg}, ...)`",
               f"Write into a copy: `{arg} = {arg}.copy()` first")


def _destination(dst: Any, name: str) -> Tracer:
    if not isinstance(dst, Tracer):
        raise TypeError(
            f"np.{name}(a, ...) with traced values writes into the NumPy array a, which cannot "
            f"hold a traced value; make a inside the function (a = np.zeros(...), "
            f"a = x.copy()) so gvmap can record the write")
    return dst


def _cycled(values: Any, size: int, shape: tuple[int, ...]) -> Any:
    """``values`` raveled and repeated to ``size`` elements, in ``shape`` (putmask's and
    put's rule: element n of the target takes values[n % len(values)])."""
    n = int(np.prod(shape_of(values), dtype=np.int64))
    return take(ravel(values), (np.arange(size, dtype=np.intp) % n).reshape(shape))


def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """numpy.copyto: ``dst`` takes ``src`` (broadcast, cast to dst's dtype) where ``where``
    is True and keeps its values elsewhere."""
    dst = _destination(dst, "copyto")
    src = check_operand(src, "copyto")
    where = check_operand(where, "copyto")
    np.copyto(np.zeros(dst.shape, dst.dtype), _stand_in(src), casting=casting,
              where=_stand_in(where))  # NumPy's casting, dtype and broadcasting errors
    new = broadcast_to(convert(src, dst.dtype), dst.shape)
    if not (isinstance(where, (bool, np.bool_)) and where):
        new = select(where, new, dst)
    _write(dst, new, "copyto", "dst")


def putmask(a: Any, mask: Any, values: Any) -> None:
    """numpy.putmask: ``a.flat[n] = values[n % len(values)]`` where ``mask.flat[n]``; the
    values are cast to a's dtype as an assignment casts (1.7 into an int array is 1)."""
    a = _destination(a, "putmask")
    mask, values = check_operand(mask, "putmask"), check_operand(values, "putmask")
    np.putmask(np.zeros(a.shape, a.dtype), _stand_in(mask).astype(bool), _stand_in(values))
    if int(np.prod(shape_of(values), dtype=np.int64)) == 0:
        return  # NumPy writes nothing
    mask = reshape(convert(mask, np.bool_), a.shape)  # the same size, so the same flat order
    _write(a, select(mask, convert(_cycled(values, a.size, a.shape), a.dtype), a), "putmask", "a")


def put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """numpy.put: ``a.flat[ind] = v`` (v repeated to len(ind); a repeated index keeps its
    last value). mode 'raise' applies the index rule of every gather (IndexError outside
    [-n, n)), 'wrap' takes indices modulo n, 'clip' clips them into [0, n)."""
    a = _destination(a, "put")
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    ind, v = check_operand(ind, "put"), check_operand(v, "put")
    if not isinstance(ind, Tracer):
        np.put(np.zeros(a.shape, a.dtype), np.asarray(ind), _stand_in(v), mode=mode)
        ind = np.asarray(ind, dtype=np.intp)
    elif ind.dtype.kind not in "iu":
        raise TypeError(f"np.put: indices must be integers, not {ind.dtype}")
    ind = ravel(ind)
    count = int(shape_of(ind)[0])
    if count == 0 or int(np.prod(shape_of(v), dtype=np.int64)) == 0:
        return
    n = a.size
    if mode == "wrap":
        ind = remainder(ind, n)
    elif mode == "clip":
        ind = clip(ind, 0, n - 1)
    with a._trace.internal_views(a._var):  # the ravel in take is gvmap's, not the user's view
        flat = take(a, np.arange(n, dtype=np.intp))  # a's values raveled, in a new array
    flat[ind] = _cycled(v, count, (count,))
    _write(a, reshape(flat, a.shape), "put", "a")
