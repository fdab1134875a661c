"""NumPy's per-element and per-slice loops, ``np.vectorize`` and ``np.apply_along_axis``,
as nested ``gvmap.vmap``: the Python function is traced once, on one element (or one
slice), and batched over the loop dims, as ``jax.numpy.vectorize`` does. In NumPy these
call the function once per element; here the function sees ONE traced 0-d value (or
slice), so a Python ``if`` on it meets gvmap's control-flow refusal, whose rewrite
(``np.where``) applies inside the function as well.

``np.vectorize`` (a class in NumPy) stays NumPy's on NumPy arrays; gvmap's ``vectorize`` is
a subclass whose call traces when a traced value is among its arguments.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from ._core import PY_SCALARS, as_operand, check_operand, convert, ndim_of, normalize_axis, shape_of
from ..aliasing import call_leaves
from ..errors import TracerConversionError
from ..tracing import Tracer
from .shape import expand_dims, moveaxis, squeeze, transpose

__all__ = ["vectorize", "apply_along_axis"]


def _vmap(fun: Callable, in_axes: Any) -> Callable:
    from ..api import vmap  # (gvmap.api imports gvmap.numpy)
    return vmap(fun, in_axes=in_axes)


def _traced_once(name: str, what: str, run: Callable) -> Any:
    """``run()``, a control-flow refusal inside the user's function told that it is traced
    once (on one traced element or slice), not called per value as NumPy's loop calls it."""
    try:
        return run()
    except TracerConversionError as exc:
        if "gvmap traces the function once" in str(exc):  # a nested loop said it already
            raise
        raise TracerConversionError(
            f"{exc} (inside numpy.{name}: gvmap traces the function once, on {what}, instead "
            f"of calling it per value, so its `if` on a value must become np.where)") from exc


def _has_tracer(tree: Any) -> bool:
    return any(isinstance(x, Tracer) for x in call_leaves(tree))


def _as_array(x: Any) -> Any:
    """An argument as the loop sees it: tracers as they are, anything else a NumPy array."""
    return x if isinstance(x, Tracer) else np.asarray(x)


def _result(x: Any) -> Any:
    """A function's result as an array (a Python number is NumPy's default dtype)."""
    return as_operand(x) if isinstance(x, PY_SCALARS) else x


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """'(m,n),(n)->(m)' as ([('m', 'n'), ('n',)], [('m',)]) (NumPy has validated it)."""
    def args(part: str) -> list[tuple[str, ...]]:
        return [tuple(re.findall(r"\w+", arg)) for arg in re.findall(r"\(([^)]*)\)", part)]
    ins, outs = re.sub(r"\s+", "", signature).split("->")
    return args(ins), args(outs)


def _update_dim_sizes(dim_sizes: dict, shape: tuple, core_dims: tuple) -> None:
    """NumPy's check of an argument's (or a result's) core dims, its messages."""
    if not core_dims:
        return
    if len(shape) < len(core_dims):
        raise ValueError(f"{len(shape)}-dimensional argument does not have enough dimensions "
                         f"for all core dimensions {core_dims!r}")
    for dim, size in zip(core_dims, shape[len(shape) - len(core_dims):]):
        if dim_sizes.setdefault(dim, size) != size:
            raise ValueError(f"inconsistent size for core dimension {dim!r}: {size!r} vs "
                             f"{dim_sizes[dim]!r}")


class vectorize(np.vectorize):
    """numpy.vectorize: on NumPy arrays NumPy's own; with a traced argument, ``pyfunc``
    traced on one element (one core slice with ``signature``) and mapped with nested
    ``gvmap.vmap`` over the broadcast loop dims (dims of size 1 are not mapped but
    broadcast). ``otypes`` casts the outputs; ``excluded`` arguments (positions or keyword
    names) pass to ``pyfunc`` unchanged; other keyword arguments are mapped, as NumPy's."""

    @classmethod
    def of(cls, v: np.vectorize) -> "vectorize":
        """gvmap's version of a NumPy vectorize object (``@np.vectorize`` made at import)."""
        return cls(v.pyfunc, otypes=v.otypes or None, doc=v.__doc__, excluded=v.excluded,
                   cache=v.cache, signature=v.signature)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.pyfunc is np._NoValue or not _has_tracer((args, kwargs)):
            return super().__call__(*args, **kwargs)  # NumPy's (and its decorator form)
        func, vargs = self._split_excluded(args, kwargs)
        if self.signature is not None:
            ins, outs = _parse_signature(self.signature)
            if len(vargs) != len(ins):
                raise TypeError(f"wrong number of positional arguments: expected {len(ins)!r}, "
                                f"got {len(vargs)!r}")
        else:
            ins, outs = [()] * len(vargs), None
        arrays = [_as_array(check_operand(a, "vectorize")) for a in vargs]
        if outs is None and not self.otypes and any(a.size == 0 for a in arrays):
            raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
        if not arrays:
            return self._cast(_result(func()))
        dim_sizes: dict = {}
        for a, core in zip(arrays, ins):
            _update_dim_sizes(dim_sizes, shape_of(a), core)
        loop_shapes = [shape_of(a)[:ndim_of(a) - len(core)] for a, core in zip(arrays, ins)]
        loop_shape = np.broadcast_shapes(*loop_shapes)
        mapped = self._checked(func, outs, dim_sizes)
        squeezed, filled = [], []
        for a, shape in zip(arrays, loop_shapes):
            ones = tuple(i for i, d in enumerate(shape) if d == 1)
            squeezed.append(squeeze(a, ones) if ones else a)
            filled.append((1,) * (len(loop_shape) - len(shape)) + shape)
        unmapped = []
        for dim in range(len(loop_shape) - 1, -1, -1):  # innermost loop dim first
            in_axes = tuple(None if s[dim] == 1 else 0 for s in filled)
            if all(ax is None for ax in in_axes):
                unmapped.append(dim)
            else:
                mapped = _vmap(mapped, in_axes)
        result = _traced_once("vectorize", "one traced element",
                              lambda: mapped(*squeezed))
        if unmapped:
            dims = tuple(sorted(unmapped))
            result = (tuple(expand_dims(r, dims) for r in result) if isinstance(result, tuple)
                      else expand_dims(result, dims))
        return result

    def _split_excluded(self, args: tuple, kwargs: dict) -> tuple[Callable, list]:
        """NumPy's: a function of the mapped arguments only, the excluded ones bound."""
        excluded = self.excluded
        if not kwargs and not excluded:
            return self.pyfunc, list(args)
        inds = [i for i in range(len(args)) if i not in excluded]
        names = [n for n in kwargs if n not in excluded]
        fixed = {n: v for n, v in kwargs.items() if n in excluded}

        def func(*vargs: Any) -> Any:
            the_args = list(args)
            for k, i in enumerate(inds):
                the_args[i] = vargs[k]
            return self.pyfunc(*the_args, **fixed, **dict(zip(names, vargs[len(inds):])))
        return func, [args[i] for i in inds] + [kwargs[n] for n in names]

    def _checked(self, func: Callable, outs: Any, dim_sizes: dict) -> Callable:
        """func on one element (core slice): results as arrays, NumPy's output checks, the
        casts of ``otypes``."""
        def one(*xs: Any) -> Any:
            result = func(*(x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x
                            for x in xs))
            if outs is not None:
                results = result if isinstance(result, tuple) else (result,)
                if len(results) != len(outs):
                    raise ValueError(f"wrong number of outputs from pyfunc: expected "
                                     f"{len(outs)!r}, got {len(results)!r}")
                sizes = dict(dim_sizes)
                for r, core in zip(results, outs):
                    shape = shape_of(_result(r))
                    _update_dim_sizes(sizes, shape, core)
                    if len(shape) > len(core):  # NumPy's assignment into its output fails
                        raise ValueError("setting an array element with a sequence." if not core
                                         else f"could not broadcast input array from shape "
                                         f"{shape} into shape {shape[len(shape) - len(core):]}")
            return self._cast(result)
        return one

    def _cast(self, result: Any) -> Any:
        if isinstance(result, tuple):
            if self.otypes and len(self.otypes) != len(result):
                raise ValueError(f"vectorize: pyfunc returned {len(result)} outputs, but "
                                 f"otypes names {len(self.otypes)}")
            return tuple(self._cast_one(r, k) for k, r in enumerate(result))
        return self._cast_one(result, 0)

    def _cast_one(self, r: Any, k: int) -> Any:
        r = _result(r)
        return convert(r, self.otypes[k]) if self.otypes else r


def apply_along_axis(func1d: Callable, axis: int, arr: Any, *args: Any, **kwargs: Any) -> Any:
    """numpy.apply_along_axis: ``func1d`` traced on one 1-D slice along ``axis`` and mapped
    with nested ``gvmap.vmap`` over the other dims; the result's dims take the place of
    ``axis``, as NumPy's. ``args``/``kwargs`` pass to every call unchanged."""
    arr = as_operand(check_operand(arr, "apply_along_axis"))
    nd = ndim_of(arr)
    axis = normalize_axis(axis, nd)
    moved = moveaxis(arr, axis, -1) if axis != nd - 1 else arr
    outer = shape_of(moved)[:-1]
    if any(d == 0 for d in outer):
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")

    def one(row: Any) -> Any:
        r = func1d(row, *args, **kwargs)  # a tuple or list becomes one array, as NumPy's
        return _as_array(check_operand(r, "apply_along_axis")) if isinstance(r, (tuple, list)) \
            else _result(r)

    mapped = one
    for _ in outer:
        mapped = _vmap(mapped, 0)
    result = _traced_once("apply_along_axis", "one traced 1-D slice", lambda: mapped(moved))
    res_nd = ndim_of(result) - len(outer)
    if res_nd == 0 or axis == len(outer):
        return result
    dims = list(range(ndim_of(result)))
    return transpose(result, dims[:axis] + dims[len(outer):] + dims[axis:len(outer)])
