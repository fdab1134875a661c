"""``x.view(dtype)``: an array's bits read as another dtype of the same itemsize.

Per-example code reinterprets floats as integers to read or set their bits: the fast
inverse square root (``i = y.view(np.int32); i = 0x5f3759df - (i >> 1); y =
i.view(np.float32)``), sign-bit tricks (``x.view(np.uint32) & 0x7fffffff``), ordering floats
as integers. One ``bitcast_convert_type`` primitive (lax's name) per view: elementwise, so it
fuses with the arithmetic around it, and bit for bit on every backend (NaN payloads, -0.0,
subnormals).

NumPy's view shares x's memory: a write into either shows in the other. gvmap's result is
a view no write follows, as ``x.reshape`` / ``x.T`` are: writing into it while x is still
in use, or into x while it lives, is refused with a message (``Tracer._assign``), so no
program gets another answer than the loop's. ``x.view()`` and a view as x's own dtype are x
itself, which every write reaches, as it does in NumPy.

Refused with a rewrite: a dtype of another itemsize (NumPy changes the last axis's length),
a view as bool (bytes other than 0 and 1 are not bools), a non-native byte order, and
``type=`` other than ``np.ndarray``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import primitives as P
from ..tracing import Tracer, bind, note_untracked_view

__all__ = ["view"]


def _new_dtype(x: Any, dtype: Any) -> np.dtype:
    try:
        new = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"x.view({dtype!r}): not a dtype; gvmap traces x.view(dtype) with a "
                        f"NumPy dtype of x's itemsize, e.g. x.view(np.int32) of float32") from None
    old = x.dtype
    if not new.isnative:
        raise NotImplementedError(
            f"x.view({new.str!r}): gvmap reads bits in the native byte order only; "
            f"view as {new.newbyteorder('=')} and swap the bytes with shifts and masks")
    if new.kind == "b" and old.kind != "b":
        raise NotImplementedError(
            f"x.view(bool) of {old}: a byte other than 0 or 1 is not a bool, and NumPy's view "
            f"keeps such bytes; write `x != 0` (or x.view(np.uint8) != 0 for the bytes)")
    if new.kind not in "biuf":
        raise TypeError(f"x.view({new}): gvmap supports bool, integer and float arrays")
    if new.itemsize != old.itemsize:
        raise NotImplementedError(
            f"x.view({new}) of {old}: a dtype of another itemsize ({new.itemsize} bytes for "
            f"{old.itemsize}) changes the length of x's last axis, which gvmap does not "
            f"trace; view as the same-size integer (x.view(np.uint{8 * old.itemsize})) and "
            f"take its bytes with shifts and masks: (u[..., None] >> (8 * np.arange("
            f"{old.itemsize}, dtype=u.dtype))) & 0xFF")
    return new


def _is_ndarray_type(t: Any) -> bool:
    """np.ndarray itself or as traced code sees it (rebinding's subclass of it)."""
    return t is np.ndarray or getattr(t, "stands_for", None) is np.ndarray


def view(x: Any, dtype: Any = None, type: Any = None) -> Any:
    """ndarray.view(dtype): x's bits as ``dtype`` (same itemsize), a view of x; ``x.view()``
    (or x's own dtype) is x itself."""
    if type is not None and not _is_ndarray_type(type):
        raise NotImplementedError(f"x.view(type={getattr(type, '__name__', type)}): gvmap "
                                  f"traces plain arrays only; drop type=")
    if _is_ndarray_type(dtype):  # x.view(np.ndarray): NumPy's type argument given first
        dtype = None
    if dtype is None:
        return x
    new = _new_dtype(x, dtype)
    if new == x.dtype:
        return x
    out = bind(P.bitcast_convert_type_p, x, new_dtype=new)
    if isinstance(x, Tracer) and isinstance(out, Tracer):
        # a view of x that no write follows, as bind marks a view primitive's result (a
        # bitcast is elementwise, not structural, so its primitive is no view primitive)
        note_untracked_view(out, x)
        out._scalar = x._scalar  # a NumPy scalar's view is a scalar, a 0-d array's an array
    return out

