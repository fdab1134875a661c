"""Dask arrays as ``vmap`` arguments: the call becomes Dask blocks, one task per batch chunk.

``Transformation.__call__`` hands a call here when an argument leaf is a Dask object (this
module, and Dask with it, is imported only then). The result is lazy: each task calls the
vmapped function on one chunk (a NumPy or CuPy block), which runs the compiled plan of that
chunk's signature, so chunks of one size share one plan. Output dtype, shape and meta come
from tracing one chunk's signature, never from running ``f`` on a dummy. gvmap adds no
scheduler: the threaded and process schedulers, ``dask.distributed`` and dask-cuda all run
the same graph.

Graph shape: ONE blockwise task per batch chunk returns the tuple of that chunk's output
leaves, and each output is a blockwise ``getitem`` of it (Dask fuses the two, and the layers
around them, into one task per chunk), so ``f`` runs once per chunk however many outputs it
has. An output with ``out_axes=None`` does not depend on the batch: it is read from the
first chunk's tuple.

Shipping the function: the graph holds the vmapped function once, as a data key
(``_Shipped``), so a distributed worker receives it once, not with every task. It pickles as
the cloudpickle of the vmapped function (its function, axes and options: no caches, locks or
device arrays) and the hash of those bytes; unpickling looks the hash up in a table of this
process first, so every task a worker process runs, in this graph and in later ones, calls
one object, which traces and compiles once per signature. Rebinding a global the function
reads changes the bytes and so the hash: workers then build a fresh copy.
"""
from __future__ import annotations

import hashlib
import math
import operator
import threading
from contextlib import nullcontext
from typing import Any

import cloudpickle
import dask
import dask.array as da
import numpy as np
from dask.array.utils import meta_from_array
from dask.base import tokenize
from dask.utils import funcname

from . import backends
from .api import BatchedFunction
from .backends import current_backend
from .cache import DEFAULT_CACHE_SIZE, LRUCache
from .errors import shifted_error
from .tracing import Tracer, current_trace
from .transform import Transformation, is_array_leaf
from .tree import TreeDef, flatten, unflatten

__all__ = ["call_on_dask_arrays"]

BATCH = "batch"  # the blockwise index of the batch axis, shared by every batched argument


def call_on_dask_arrays(transformation: Transformation, leaves: list, treedef: TreeDef) -> Any:
    """``vmap(f)(...)`` with Dask array arguments: the outputs as Dask arrays, lazily.

    - One task per chunk along the batch axis; each output's chunks along its ``out_axes``
      are those batch chunks, and its other axes are one chunk each.
    - Batched Dask arguments: non-batch axes split into several chunks are rechunked to one
      (a task needs whole examples). When several are batched, the batch chunks of the
      first one are used and the others are rechunked to match.
    - NumPy/CuPy batched arguments beside them are chunked the same way (``from_array``);
      with no batched Dask argument at all the batch is a single chunk.
    - Unbatched arguments (``in_axes=None``, keyword arguments) are shared by every task;
      an unbatched Dask array is computed once, as one array.
    - ``chunk_size`` and the out-of-memory halving apply inside each chunk.
    - Backend: a ``with gvmap.backend(name):`` around the call makes every task run on
      ``name``; without one each task runs on the default of the process that runs it
      (``GVMAP_BACKEND``, else ``auto``: CuPy on the worker's current GPU where it has one).
      Output meta is CuPy when that chosen backend is CuPy, or, with none chosen, when a Dask
      argument has CuPy chunks or this process's backend is CuPy; else NumPy.

    ``jit`` refuses Dask arrays: it has no batch axis along which to split the work. Use
    ``vmap`` for a per-example function, or ``x.map_blocks(gvmap.jit(f), ...)`` to run a
    jitted blockwise function on each block.
    """
    _check_call(transformation, leaves, treedef)
    whole = transformation._info_flat([_stand_in(x) for x in leaves], treedef)
    axes = whole.axes
    chunks = _batch_chunks(leaves, axes, whole.axis_size)
    first = transformation._info_flat([_stand_in(x, ax, chunks[0]) for x, ax in zip(leaves, axes)],
                                      treedef, axis_size=chunks[0])
    built = transformation._get_built(first)

    positions, args = [], []
    for i, (x, ax) in enumerate(zip(leaves, axes)):
        if isinstance(x, da.Array) or is_array_leaf(x):
            positions.append(i)
            args += [x, None] if ax is None else [_chunked(x, ax, chunks), _index(i, x.ndim, ax)]
    arrays = set(positions)
    template = tuple(None if i in arrays else x for i, x in enumerate(leaves))
    task = _ChunkTask(treedef, template, tuple(positions), tuple(axes), whole.axis_size,
                      _chosen_backend())
    name = funcname(transformation.fun)
    shipped = _Shipped.of(transformation)
    function_key = dask.delayed(shipped, name=f"vmap-function-{name}-{shipped.token}")
    batched = any(ax is not None for ax in axes)
    if batched:  # each task's first example, so that an error names it in the whole batch
        starts = np.cumsum((0,) + tuple(chunks[:-1]))
        args += [da.from_array(starts, chunks=1, name=False), (BATCH,)]
    per_chunk = da.blockwise(task, (BATCH,), function_key, None, *args, token=f"vmap-{name}",
                             new_axes={} if batched else {BATCH: chunks}, concatenate=None,
                             align_arrays=False, meta=np.empty((0,), object), dtype=object)

    like = _meta_like(leaves)
    outs = [_output(per_chunk, j, var.aval.shape, var.aval.dtype, out_axis, like, name)
            for j, (var, out_axis) in enumerate(zip(built.graph.outvars, built.out_axes))]
    return unflatten(built.out_treedef, outs)


def _output(per_chunk: da.Array, j: int, shape: tuple, dtype: np.dtype, out_axis: int | None,
            like: Any, name: str) -> da.Array:
    """Output leaf ``j``: item ``j`` of every chunk's tuple, its batch axis at ``out_axis``;
    an unbatched one (``out_axis`` None) is the same in every chunk: read from the first."""
    meta = meta_from_array(like, ndim=len(shape), dtype=dtype)
    if out_axis is None:
        chunk0 = per_chunk.to_delayed(optimize_graph=False).ravel()[0]
        value = dask.delayed(operator.getitem, pure=True)(chunk0, j)
        return da.from_delayed(value, shape, dtype=dtype, meta=meta,
                               name=f"vmap-{name}-out{j}-{tokenize(value.key)}")
    index = tuple(BATCH if d == out_axis else f"out{j}_{d}" for d in range(len(shape)))
    sizes = {index[d]: shape[d] for d in range(len(shape)) if d != out_axis}
    return da.blockwise(operator.getitem, index, per_chunk, (BATCH,), j, None, new_axes=sizes,
                        concatenate=None, meta=meta, dtype=dtype, token=f"vmap-{name}-out{j}")


def _check_call(transformation: Transformation, leaves: list, treedef: TreeDef) -> None:
    """The refusals, each naming the argument and a rewrite that works."""
    dask_leaves = [i for i, x in enumerate(leaves) if type(x).__module__.startswith("dask.")]
    what = transformation._describe(treedef, dask_leaves[0])
    if not isinstance(transformation, BatchedFunction):
        raise TypeError(
            f"jit: {what} is a Dask array; jit has no batch axis along which to split the work "
            f"into tasks. Use gvmap.vmap(f) for a function of one example (one task per chunk), "
            f"or x.map_blocks(gvmap.jit(f), dtype=..., meta=...) to run the jitted f on each block")
    if current_trace() is not None or any(isinstance(x, Tracer) for x in leaves):
        raise TypeError(
            f"vmap: {what} is a Dask array inside a traced function (vmap/jit/make_graph); "
            f"Dask arrays can only be arguments of the outermost call: pass it to the outer "
            f"vmap, or .compute() it first")
    for i in dask_leaves:
        x, what = leaves[i], transformation._describe(treedef, i)
        if not isinstance(x, da.Array):
            raise TypeError(
                f"vmap: {what} is a {type(x).__module__}.{type(x).__name__}, not a "
                f"dask.array.Array; make it one (da.from_delayed(x, shape, dtype) for a Delayed, "
                f"df.to_dask_array(lengths=True) for a DataFrame) or compute it first")
        if any(math.isnan(s) for s in x.shape):
            raise ValueError(
                f"vmap: {what} is a Dask array of unknown chunk sizes (shape {x.shape}), so "
                f"neither the chunks' signatures nor the outputs' shapes are known; call "
                f"x.compute_chunk_sizes() first (e.g. x = x[mask].compute_chunk_sizes())")


def _stand_in(x: Any, axis: int | None = None, size: int | None = None) -> Any:
    """What the signature sees of a leaf: a zero-strided NumPy array of the (chunk's) shape
    and dtype for a Dask array or a batched array; any other leaf as it is."""
    if not isinstance(x, da.Array) and (axis is None or not is_array_leaf(x)):
        return x
    shape = list(x.shape)
    if axis is not None:
        shape[axis] = size
    return np.broadcast_to(np.empty((), x.dtype), tuple(shape))


def _batch_chunks(leaves: list, axes: list, n: int) -> tuple:
    for x, ax in zip(leaves, axes):
        if ax is not None and isinstance(x, da.Array):
            return x.chunks[ax]
    return (n,)


def _chunked(x: Any, axis: int, chunks: tuple) -> da.Array:
    """A batched argument as a Dask array of whole examples: ``chunks`` along ``axis``, one
    chunk along every other axis."""
    if isinstance(x, da.Array):
        return x.rechunk({d: chunks if d == axis else -1 for d in range(x.ndim)})
    blocks = tuple(chunks if d == axis else s for d, s in enumerate(x.shape))
    return da.from_array(x, chunks=blocks, name=False)


def _index(i: int, ndim: int, axis: int) -> tuple:
    """Leaf ``i``'s blockwise index: ``BATCH`` on its batch axis and names of its own on the
    others (single chunks, so the task receives one block, wrapped in a list per such axis)."""
    return tuple(BATCH if d == axis else f"in{i}_{d}" for d in range(ndim))


def _chosen_backend() -> str | None:
    """The backend a ``with gvmap.backend(name):`` in this thread names, if any. The tasks
    run under it; a process-wide default (``set_backend``) is not carried to other
    processes, whose own defaults apply there."""
    return backends.chosen_backend()


def _meta_like(leaves: list) -> Any:
    """An array of the type the outputs' chunks will have (see ``call_on_dask_arrays``)."""
    if _chosen_backend() is None:
        for x in leaves:
            if isinstance(x, da.Array) and type(x._meta).__module__.startswith("cupy"):
                return x._meta
    return current_backend().xp.empty((0,))


def _only_block(x: Any) -> Any:
    """blockwise hands over a block whose non-batch axes it contracted (each one chunk)
    inside one singleton list per such axis."""
    while isinstance(x, list):
        (x,) = x
    return x


class _ChunkTask:
    """The function of every per-chunk task: put the blocks among the call's other leaves,
    call the vmapped function on them, return the output leaves as a tuple. Small: the
    function itself comes as the task's first argument (a ``_Shipped``)."""

    def __init__(self, treedef: TreeDef, template: tuple, positions: tuple, axes: tuple,
                 axis_size: int, backend_name: str | None):
        self.treedef, self.template, self.positions = treedef, template, positions
        self.axes, self.axis_size, self.backend_name = axes, axis_size, backend_name

    def __call__(self, shipped: "_Shipped", *blocks: Any) -> tuple:
        start = 0
        if len(blocks) > len(self.positions):  # the chunk's first example (batched calls)
            *blocks, first = blocks
            start = int(_only_block(first)[0])
        try:
            return self._run(shipped, blocks)
        except Exception as e:  # it names the example within the chunk
            moved = shifted_error(e, start)
            if moved is None:
                raise
            raise moved from None

    def _run(self, shipped: "_Shipped", blocks: Any) -> tuple:
        leaves = list(self.template)
        n = self.axis_size  # the whole batch: the case with no batched argument
        for i, block in zip(self.positions, blocks):
            leaves[i] = block = _only_block(block)
            if self.axes[i] is not None:
                n = block.shape[self.axes[i]]
        fn = shipped.transformation
        fn._forget_if_rebound()  # as a direct call: a rebound name retraces
        chosen = backends.backend(self.backend_name) if self.backend_name else nullcontext()
        with chosen:
            out = fn._call(fn._info_flat(leaves, self.treedef, axis_size=n))
        return tuple(flatten(out)[0])

    def __dask_tokenize__(self) -> tuple:
        return (type(self).__name__, hash(self.treedef), self.template, self.positions,
                self.axes, self.axis_size, self.backend_name)


class _Shipped:
    """A vmapped function as it travels in a graph: pickles as (hash, cloudpickle bytes)
    and unpickles to the one copy this process already holds for that hash, if any."""

    __slots__ = ("transformation", "payload", "token")

    def __init__(self, transformation: Transformation, payload: bytes, token: str):
        self.transformation, self.payload, self.token = transformation, payload, token

    @classmethod
    def of(cls, transformation: Transformation) -> "_Shipped":
        payload = cloudpickle.dumps(transformation)
        return cls(transformation, payload, hashlib.sha1(payload).hexdigest())

    def __reduce__(self) -> tuple:
        return _arrive, (self.token, self.payload)


_arrived = LRUCache(DEFAULT_CACHE_SIZE)  # token -> _Shipped unpickled in this process
_arrived_lock = threading.Lock()


def _arrive(token: str, payload: bytes) -> _Shipped:
    shipped = _arrived.get(token)
    if shipped is None:
        with _arrived_lock:
            shipped = _arrived.peek(token)
            if shipped is None:
                shipped = _Shipped(cloudpickle.loads(payload), payload, token)
                _arrived.put(token, shipped)
    return shipped
