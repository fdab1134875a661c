"""The public transformations: ``vmap`` (and its batching), ``jit``, ``make_graph``, and
``device_get``/``device_put``. What they share (signature cache, tracing, lowering,
running, inlining under an outer trace) is in ``transform.py``.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Sequence

import numpy as np

from .backends import current_backend
from .batching import batch_graph
from .errors import shifted_error
from .graph import AbstractArray, Graph
from .tracing import Tracer, is_array
from .transform import Built, CallInfo, Transformation, is_array_leaf
from .tree import TreeDef, broadcast_prefix, flatten, unflatten

__all__ = ["vmap", "jit", "make_graph", "device_get", "device_put"]


# ---------------------------------------------------------------------------- vmap

class BatchedFunction(Transformation):
    """``vmap(fun, ...)``: call it like ``fun``, with a batch axis on the batched arguments."""

    def __init__(self, fun: Callable, in_axes: Any = 0, out_axes: Any = 0, *,
                 axis_size: int | None = None, chunk_size: int | None = None):
        super().__init__(fun)
        _check_axes_spec(in_axes, "in_axes")
        _check_axes_spec(out_axes, "out_axes")
        if isinstance(in_axes, list):
            in_axes = tuple(in_axes)
        if axis_size is not None and (not isinstance(axis_size, (int, np.integer)) or axis_size < 0):
            raise ValueError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")
        if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1):
            raise ValueError(f"vmap: chunk_size must be a positive int or None, got {chunk_size!r}")
        self.in_axes, self.out_axes = in_axes, out_axes
        self.axis_size = None if axis_size is None else int(axis_size)
        self.chunk_size = None if chunk_size is None else int(chunk_size)
        self._axes_cache: dict[TreeDef, list] = {}

    def _leaf_axes(self, treedef: TreeDef) -> list:
        axes = self._axes_cache.get(treedef)
        if axes is None:
            args_td, kwargs_td = treedef.children
            in_axes = self.in_axes
            if isinstance(in_axes, dict):
                raise ValueError(
                    f"vmap: in_axes is a dict ({in_axes!r}), but in_axes describes the "
                    f"positional arguments, a tuple: give one entry per positional argument, "
                    f"e.g. in_axes=({in_axes!r},) when the first argument is a dict with those "
                    f"keys (keyword arguments are never batched; pass a batched value "
                    f"positionally)")
            if isinstance(in_axes, tuple) and len(in_axes) != len(args_td.children):
                raise ValueError(
                    f"vmap: in_axes has {len(in_axes)} entries but the function was called with "
                    f"{len(args_td.children)} positional arguments; give one entry per "
                    f"positional argument (keyword arguments are never batched), or a single "
                    f"int/None for all")
            axes = broadcast_prefix(in_axes, args_td, "vmap in_axes") + [None] * kwargs_td.num_leaves
            self._axes_cache[treedef] = axes
        return list(axes)

    def _axis_size(self, treedef: TreeDef, sizes: list, requested: int | None) -> int:
        requested = self.axis_size if requested is None else requested
        distinct = {s for _, _, s in sizes}
        if requested is not None:
            distinct.add(requested)
        if len(distinct) > 1:
            lines = [f"  {self._describe(treedef, i)}: axis {ax} has size {s}" for i, ax, s in sizes]
            if requested is not None:
                lines.append(f"  axis_size={requested}")
            raise ValueError("vmap got batched arguments of different sizes along their in_axes:\n"
                             + "\n".join(lines) + "\nevery batched argument needs the same size "
                             "along its batch axis")
        if not distinct:
            missing = self._missing_arguments(treedef)
            if missing:
                raise TypeError(
                    f"vmap: {getattr(self.fun, '__name__', 'the function')}() is missing the "
                    f"positional argument{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(m) for m in missing)}: pass the batched value(s), e.g. "
                    f"vmap(f)({', '.join(missing)})")
            raise ValueError("vmap: no argument is batched (in_axes is None for every array "
                             "argument) and axis_size was not given; batch an argument or pass "
                             "axis_size=N")
        return distinct.pop()

    def _build(self, info: CallInfo) -> Built:
        def per_example(i: int, x: Any) -> AbstractArray:
            shape, ax = tuple(x.shape), info.axes[i]
            if ax is not None:
                shape = shape[:ax] + shape[ax + 1:]
            return AbstractArray(shape, x.dtype)

        graph, traced, out_treedef = self._trace(info, per_example)
        out_axes = broadcast_prefix(self.out_axes, out_treedef, "vmap out_axes")
        out_axes = [_normalize_out_axis(ax, v.aval.ndim, j) for j, (ax, v)
                    in enumerate(zip(out_axes, graph.outvars))]
        in_bdims = [info.axes[i] for i in traced]
        _check_unbatched_outputs(graph, in_bdims, out_axes)
        batched = batch_graph(graph, in_bdims, info.axis_size, out_axes)
        return Built(batched, traced, out_treedef, tuple(out_axes), graph, tuple(in_bdims),
                      info.axis_size)

    def _fast_allowed(self, info: CallInfo) -> bool:
        return self.chunk_size is None or info.axis_size <= self.chunk_size

    def _call(self, info: CallInfo) -> Any:
        outs, built = self._run_batch(info, info.axis_size, self.chunk_size)
        return unflatten(built.out_treedef, outs)

    def _run_batch(self, info: CallInfo, n: int, chunk: int | None) -> tuple[list, Built]:
        if chunk is None or n <= chunk:
            backend = current_backend()
            try:
                return self._run(info)
            except Exception as e:
                if self.chunk_size is not None or not backend.is_out_of_memory(e):
                    raise
                if n <= 1:
                    raise MemoryError(
                        f"vmap: a single example does not fit in {backend.name} memory (argument "
                        f"shapes {[tuple(x.shape) for x in info.leaves if is_array_leaf(x)]}); "
                        f"the per-example computation itself is too large") from e
            # Retry only now that the handler has ended: the exception's traceback held the
            # failed attempt's frames, and with them every intermediate it had computed.
            backend.release_memory()
            return self._run_batch(info, n, -(-n // 2))
        pieces = []
        built = None
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            sub = self._slice(info, start, stop)
            try:
                outs, built = self._run_batch(sub, stop - start, None)
            except Exception as e:  # it names the example within the chunk
                moved = shifted_error(e, start)
                if moved is None:
                    raise
                raise moved from None
            pieces.append(outs)
        xp = current_backend().xp
        outs = [pieces[0][j] if ax is None else xp.concatenate([p[j] for p in pieces], axis=ax)
                for j, ax in enumerate(built.out_axes)]
        return outs, built

    def _slice(self, info: CallInfo, start: int, stop: int) -> CallInfo:
        leaves = list(info.leaves)
        for i, ax in enumerate(info.axes):
            if ax is not None:
                leaves[i] = leaves[i][(slice(None),) * ax + (slice(start, stop),)]
        args, kwargs = unflatten(info.treedef, leaves)
        return self._info(args, kwargs, axis_size=stop - start if self.axis_size is not None else None)

    def _missing_arguments(self, treedef: TreeDef) -> list[str]:
        """Required positional parameters the call (``treedef`` of (args, kwargs)) did not
        supply; empty where the signature cannot be read."""
        args_td, kwargs_td = treedef.children
        given = set(kwargs_td.data or ())
        return [p.name for p in self._positional[len(args_td.children):]
                if p.default is p.empty and p.name not in given]

    def __reduce__(self) -> tuple:
        return _restore_vmap, (self.fun, self.in_axes, self.out_axes, self.axis_size,
                               self.chunk_size)


def _restore_vmap(fun: Callable, in_axes: Any, out_axes: Any, axis_size: int | None,
                  chunk_size: int | None) -> "BatchedFunction":
    return BatchedFunction(fun, in_axes, out_axes, axis_size=axis_size, chunk_size=chunk_size)


def _check_axes_spec(spec: Any, what: str) -> None:
    leaves, _ = flatten(spec)
    for leaf in leaves:
        if leaf is not None and (isinstance(leaf, bool) or not isinstance(leaf, (int, np.integer))):
            raise ValueError(f"vmap {what} must be an int, None, or a tuple/list/dict of those; "
                             f"got {spec!r}")


def _normalize_out_axis(ax: Any, per_example_ndim: int, j: int) -> int | None:
    if ax is None:
        return None
    rank = per_example_ndim + 1
    if not -rank <= ax < rank:
        raise ValueError(f"vmap: out_axes={ax} is out of range for output {j}, which has rank "
                         f"{rank} once batched: it must lie in [{-rank}, {rank})")
    return operator.index(ax) % rank


def _check_unbatched_outputs(graph: Graph, in_bdims: Sequence, out_axes: Sequence) -> None:
    """out_axes=None promises an output that does not depend on any batched input."""
    if all(ax is not None for ax in out_axes):
        return
    batched = {v for v, b in zip(graph.invars, in_bdims) if b is not None}
    for eqn in graph.eqns:
        if any(a in batched for a in eqn.invars):
            batched.update(eqn.outvars)
    for j, (v, ax) in enumerate(zip(graph.outvars, out_axes)):
        if ax is None and v in batched:
            raise ValueError(f"vmap: out_axes is None for output {j}, but that output depends on "
                             f"a batched argument; give it an int out axis")


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0, *, axis_size: int | None = None,
         chunk_size: int | None = None) -> BatchedFunction:
    """The batched version of ``fun``, a function written for ONE example.

    in_axes: where each positional argument carries the batch: an int (negative counts from
        the end), None (not batched: shared by every example), or a tuple/list with one
        entry per positional argument, each entry itself a pytree prefix (dicts by key).
        Keyword arguments are never batched.
    out_axes: where each output gets the batch axis (same forms; None for an output that
        does not depend on a batched argument).
    axis_size: the batch size, needed only when no argument is batched.
    chunk_size: run at most this many examples at a time (bounded memory); by default a
        batch that runs out of device memory is retried in halves.

    The first call with a new signature (argument structure, shapes, dtypes, axes, static
    values, backend) traces, batches, fuses and compiles; later calls only launch. Called
    inside another vmap/jit trace, the batched graph is inlined into the outer one.
    ``vmap(fun).lower(*args, backend="cupy")`` shows the plan without running anything.

    >>> import numpy as np, gvmap
    >>> W = np.ones((3, 5), np.float32)
    >>> gvmap.vmap(lambda v: np.tanh(W @ v + 1.0).sum())(np.zeros((4, 5), np.float32)).shape
    (4,)
    """
    return BatchedFunction(fun, in_axes, out_axes, axis_size=axis_size, chunk_size=chunk_size)


# ---------------------------------------------------------------------------- jit

class JittedFunction(Transformation):
    """``jit(fun)``: ``fun`` traced once per signature and run as a compiled plan."""

    def _leaf_axes(self, treedef: TreeDef) -> list:
        return [None] * treedef.num_leaves

    def _build(self, info: CallInfo) -> Built:
        graph, traced, out_treedef = self._trace(
            info, lambda i, x: AbstractArray(tuple(x.shape), x.dtype))
        return Built(graph, traced, out_treedef, ())

    def __reduce__(self) -> tuple:
        return jit, (self.fun,)


def jit(fun: Callable) -> JittedFunction:
    """``fun`` traced, fused and compiled once per signature (no batching); later calls with
    the same signature only launch. ``jit(fun).lower(*args)`` returns the plan."""
    return JittedFunction(fun)


# ---------------------------------------------------------------------------- make_graph

def make_graph(fun: Callable) -> Callable[..., Graph]:
    """``make_graph(f)(*args)``: the Graph ``f`` traces to at these arguments (every array
    argument an input; other values static)."""
    def make(*args: Any, **kwargs: Any) -> Graph:
        jitted = JittedFunction(fun)
        return jitted._build(jitted._info(args, kwargs)).graph.check()
    return make


# ---------------------------------------------------------------------------- devices

def device_get(tree: Any) -> Any:
    """Every array leaf of ``tree`` as a NumPy array."""
    leaves, td = flatten(tree)
    return unflatten(td, [_to_numpy(x) for x in leaves])


def _to_numpy(x: Any) -> Any:
    if type(x).__module__.startswith("cupy"):
        return x.get()
    if isinstance(x, Tracer):
        raise TypeError("device_get of a traced array: return it from the function instead")
    return np.asarray(x) if isinstance(x, (np.ndarray, np.generic)) else x


def device_put(tree: Any) -> Any:
    """Every array leaf of ``tree`` on the current backend (NumPy arrays uploaded to the GPU
    when the backend is CuPy)."""
    backend = current_backend()
    leaves, td = flatten(tree)
    return unflatten(td, [backend.asarray(x) if is_array(x) else x for x in leaves])
