"""The machinery ``vmap`` and ``jit`` share: signature, cache, trace, lower, run.

A call flattens its arguments, computes a signature (tree structure, shapes, dtypes, batch
axes, static values, backend) and, the first time, traces -> batches -> lowers -> prepares
an executable; later calls with the same signature only run the executable (a fast path
keyed on positional arrays skips even the flattening). Called on traced values (inside
another ``vmap``/``jit``/``make_graph``), a transformation instead inlines its graph into
the enclosing trace, so nesting yields one flat graph.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import struct
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .backends import current_backend, launch_describers, resolve
from .backends.executor import Executable, executable_for
from .cache import DEFAULT_CACHE_SIZE, CacheInfo, LRUCache
from .graph import AbstractArray, Graph
from .lowering import Lowered, lower_graph, lower_rows
from .sources import RandomnessCheck, Watch, describe, stored_names
from .rebinding import rebound
from .tracing import (Snapshots, Tracer, check_plain_ndarray, current_trace, inline_graph,
                      is_array, loop_value, trace_function)
from .tree import TreeDef, flatten, leaf_paths, unflatten

__all__ = ["Transformation", "Built", "CallInfo", "is_array_leaf"]

_SUPPORTED_KINDS = frozenset("biuf")  # bool, signed, unsigned, float: what every backend computes


def is_array_leaf(x: Any) -> bool:
    return isinstance(x, Tracer) or is_array(x)


@dataclass(frozen=True)
class Built:
    """What one signature traced to: the graph to run and how to read its outputs."""

    graph: Graph
    traced: tuple[int, ...]      # indices of the argument leaves that are graph inputs
    out_treedef: TreeDef
    out_axes: tuple              # per output leaf: int, or None (not batched); () for jit
    per_example: Graph | None = None   # vmap: the graph of one example (for row kernels)
    in_bdims: tuple = ()               # vmap: batch axis of each graph input, or None
    axis_size: int | None = None


@dataclass
class CallInfo:
    """One call's flattened arguments and what the signature needs of them."""

    leaves: list
    treedef: TreeDef
    axes: list                   # per leaf: normalized int batch axis, or None
    axis_size: int | None
    key: tuple


class _StateWrites:
    """State the traced call writes a traced value into: an attribute of the callable
    object (``model(x)``, ``model.step``: ``self.running = 0.9 * self.running + 0.1 * x``)
    or a global its code assigns (``global total``). In the loop each call updates it in
    turn, so example k reads what the examples before it wrote; one batched program cannot
    follow that, and computed every example from the state before the call (a silently
    wrong answer), leaving a dead tracer behind. The state is put back and the call
    refused, naming it and the rewrite."""

    def __init__(self, fun: Callable, watch: Watch):
        owner = getattr(fun, "__self__", None) if inspect.ismethod(fun) else \
            None if inspect.isfunction(fun) or isinstance(fun, functools.partial) else fun
        self.owner = owner if hasattr(owner, "__dict__") and not isinstance(owner, type) else None
        self.attrs = dict(vars(self.owner)) if self.owner is not None else {}
        # the globals any user function the call reaches assigns (``global total`` in it or
        # in a helper, of its module or of another), with their values before the call
        functions = list(watch.functions())
        self.home = functions[0].__globals__ if functions else None  # the function's module
        stores = {(id(f.__globals__), name): (f.__globals__, name) for f in functions
                  for name in stored_names(f.__code__, _GLOBAL_STORES)}
        self.global_values = [(g, name, g.get(name, _ABSENT)) for g, name in stores.values()]

    def verify(self, refuse: bool = True) -> None:
        written = []
        if self.owner is not None:
            for name, value in list(vars(self.owner).items()):
                if isinstance(value, Tracer) and value.known is not None:
                    setattr(self.owner, name, loop_value(value))  # what the loop stores
                elif isinstance(value, Tracer):
                    written.append(f"{type(self.owner).__name__}.{name}")
                    old = self.attrs.get(name, _ABSENT)
                    if old is _ABSENT:
                        delattr(self.owner, name)
                    else:
                        setattr(self.owner, name, old)
        for glob, name, old in self.global_values:
            value = glob.get(name)
            if isinstance(value, Tracer) and value.known is not None:
                glob[name] = loop_value(value)
            elif isinstance(value, Tracer):
                written.append(f"the global {name}" + (
                    f" of {glob.get('__name__')}" if glob is not self.home else ""))
                if old is _ABSENT:
                    del glob[name]
                else:
                    glob[name] = old
        if written and refuse:
            from .errors import LeakedTracerError
            raise LeakedTracerError.state_written(written)


_ABSENT = object()
_GLOBAL_STORES = frozenset({"STORE_GLOBAL"})


class Transformation:
    """Shared machinery of ``vmap`` and ``jit`` (``jit`` is the case with no batch axes).

    State per object: the bounded caches of traced (``_built``) and compiled
    (``_compiled``) signatures, the fast-path index into the compiled ones, and the
    ``Watch`` of the names the traced code read. Nothing on a call path is mutated but
    these caches, so one object serves many threads. It pickles as its function and
    options (``__reduce__``): caches, locks and device arrays stay behind, and the copy
    traces again where it is used (a Dask worker, another process).
    """

    def __init__(self, fun: Callable):
        if not callable(fun):
            raise TypeError(f"expected a function to transform, got a {type(fun).__name__}")
        self.fun = fun
        for name in functools.WRAPPER_ASSIGNMENTS:  # functools.update_wrapper, but for a
            try:                                   # __getattr__ raising a KeyError
                setattr(self, name, getattr(fun, name))
            except Exception:
                pass
        self.__wrapped__ = fun
        self._lock = threading.Lock()
        self._positional = _positional_parameters(fun)
        self._fast: dict[tuple, tuple] = {}
        self._built = LRUCache(DEFAULT_CACHE_SIZE)
        self._compiled = LRUCache(DEFAULT_CACHE_SIZE, on_evict=self._drop_fast)
        self._watch: Watch | None = None         # the names the traced code read
        self._snapshots = Snapshots()              # copies of the arrays among them

    @property
    def cache_size(self) -> int:
        """How many signatures this function keeps compiled (least recently used ones are
        evicted). Default ``GVMAP_CACHE_SIZE`` or 128."""
        return self._compiled.maxsize

    @cache_size.setter
    def cache_size(self, n: int) -> None:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"cache_size must be a positive int, got {n!r}")
        self._built.maxsize = self._compiled.maxsize = int(n)

    def cache_info(self) -> CacheInfo:
        """Compiled-signature cache statistics, as ``functools.lru_cache``'s (hits, misses,
        evictions, maxsize, currsize); cached calls that take the fast path count as hits
        only when they miss it."""
        return self._compiled.info()

    def _drop_fast(self, key: tuple, value: Any) -> None:
        """An evicted compiled signature leaves the fast-path index too (its memory goes)."""
        for fkey, entry in list(self._fast.items()):
            if entry[0] is value[1]:
                self._fast.pop(fkey, None)

    def _forget_if_rebound(self) -> None:
        """Drop every traced signature when a name the traced code read was rebound."""
        watch = self._watch
        if watch is None or not watch.changed():
            return
        with self._lock:
            self._built.clear()
            self._compiled.clear()
            self._fast = {}
            self._watch = None
            self._snapshots = Snapshots()

    def __reduce__(self) -> tuple:
        raise NotImplementedError  # each transformation says how it is rebuilt

    # -- to be provided by subclasses
    def _leaf_axes(self, treedef: TreeDef) -> list:
        raise NotImplementedError

    def _build(self, info: CallInfo) -> Built:
        raise NotImplementedError

    # -- signature
    def _info(self, args: tuple, kwargs: dict, axis_size: int | None = None) -> CallInfo:
        """The call's signature. ``axis_size`` overrides the transformation's own (a chunk
        of a batch with no batched argument); nothing on ``self`` changes, so threads
        sharing one transformation never see each other's chunks."""
        return self._info_flat(*flatten((args, kwargs)), axis_size)

    def _info_flat(self, leaves: list, treedef: TreeDef, axis_size: int | None = None) -> CallInfo:
        axes = self._leaf_axes(treedef)
        sig = []
        sizes = []
        for i, (x, ax) in enumerate(zip(leaves, axes)):
            if is_array_leaf(x):
                shape = tuple(x.shape)
                if type(x) is not np.ndarray and isinstance(x, np.ndarray):
                    check_plain_ndarray(x, self._describe(treedef, i))
                if x.dtype.kind not in _SUPPORTED_KINDS:
                    raise TypeError(
                        f"{self._describe(treedef, i)} has dtype {x.dtype}, which gvmap does not "
                        f"support (bool, integer and float arrays are); pass e.g. the real and "
                        f"imaginary parts as two float arrays")
                if ax is not None:
                    if not shape:
                        raise ValueError(
                            f"vmap: in_axes asks to batch {self._describe(treedef, i)} along "
                            f"axis {ax}, but it is a 0-d array (a scalar); give it in_axes=None")
                    if not -len(shape) <= ax < len(shape):
                        raise ValueError(
                            f"vmap: in_axes={ax} is out of range for {self._describe(treedef, i)} "
                            f"of shape {shape}: it must lie in [{-len(shape)}, {len(shape)})")
                    ax %= len(shape)
                    axes[i] = ax
                    sizes.append((i, ax, shape[ax]))
                sig.append((shape, x.dtype.str, ax))
            elif ax is not None:
                raise ValueError(
                    f"vmap: in_axes asks to batch {self._describe(treedef, i)}, but it is a "
                    f"{type(x).__name__}, not an array; pass an array, or give it in_axes=None "
                    f"to pass it through unbatched")
            else:
                try:
                    hash(x)
                except TypeError:
                    raise TypeError(
                        f"{self._describe(treedef, i)} is a {type(x).__name__}, which is neither "
                        f"an array nor a hashable static value; pass arrays (or tuples/lists/"
                        f"dicts of arrays)") from None
                sig.append(("static", *_static_key(x)))
        axis_size = self._axis_size(treedef, sizes, axis_size)
        return CallInfo(leaves, treedef, axes, axis_size, (treedef, tuple(sig), axis_size))

    def _axis_size(self, treedef: TreeDef, sizes: list, requested: int | None) -> int | None:
        return None

    def _describe(self, treedef: TreeDef, i: int) -> str:
        """'argument 1 ('x') at ['w']' or 'keyword argument ['k']', for error messages."""
        path = leaf_paths(treedef)[i]  # "[0][pos]..." for positional, "[1]['k']..." for keyword
        if path.startswith("[1]"):
            return f"keyword argument {path[3:]}"
        pos_text, rest = path[4:].split("]", 1)
        pos = int(pos_text)
        name = self._positional[pos].name if pos < len(self._positional) else None
        label = f"argument {pos}" + (f" ('{name}')" if name else "")
        return label + (f" at {rest}" if rest else "")

    # -- building and caching
    def _get_built(self, info: CallInfo) -> Built:
        built = self._built.get(info.key)
        if built is None:
            if self._watch is None:
                self._watch = Watch(self.fun)
                self._snapshots = Snapshots(v for v in self._watch.values()
                                            if is_array(v) and not isinstance(v, np.generic))
            built = self._build(info)
            if not any(isinstance(c, Tracer) for c in built.graph.consts):
                self._built.put(info.key, built)
        return built

    def _trace(self, info: CallInfo, avals_of: Callable[[int, Any], AbstractArray]):
        traced = tuple(i for i, x in enumerate(info.leaves) if is_array_leaf(x))
        leaves, treedef, fun = info.leaves, info.treedef, self.fun

        def flat_fun(*values):
            full = list(leaves)
            for i, v in zip(traced, values):
                full[i] = v
            args, kwargs = unflatten(treedef, full)
            return rebound(fun, reads)(*args, **kwargs)  # its NumPy names rebound, in this trace

        reads: list = []  # what the views read of objects and containers (sources.Watch)

        avals = [avals_of(i, leaves[i]) for i in traced]
        randomness = RandomnessCheck(self._watch or Watch(fun))
        names = [self._describe(treedef, i) for i in traced]
        scalars = [k for k, i in enumerate(traced) if info.axes[i] is None and not avals[k].shape]
        state = _StateWrites(fun, self._watch or Watch(fun))
        token = _TRACE_READS.set(reads)
        try:
            graph, out_treedef = trace_function(flat_fun, avals, self._snapshots, names, scalars)
        except BaseException:
            state.verify(refuse=False)  # put the state back; the trace's own error stands
            raise
        finally:
            _TRACE_READS.reset(token)
        state.verify()
        randomness.verify(describe(fun))
        if self._watch is not None:
            self._watch.add_reads(reads)  # as they are after the trace (its own writes too)
        return graph, traced, out_treedef

    def _compiled_for(self, info: CallInfo, backend: Any) -> tuple[Built, Executable]:
        key = (backend.name, backend.device_id(), info.key)
        hit = self._compiled.get(key)
        if hit is None:
            with self._lock:
                hit = self._compiled.peek(key)
                if hit is None:
                    built = self._get_built(info)
                    plan = _lower(built, backend.name, backend.fuses)
                    upload = functools.partial(self._snapshots.upload, backend)
                    hit = (built, executable_for(plan, backend, upload))
                    self._compiled.put(key, hit)
        return hit

    def _run(self, info: CallInfo) -> tuple[list, Built]:
        backend = current_backend()
        built, executable = self._compiled_for(info, backend)
        asarray = backend.asarray
        return executable([asarray(info.leaves[i]) for i in built.traced]), built

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._forget_if_rebound()
        if not kwargs and current_trace() is None:
            # Fast path: positional NumPy/CuPy arrays whose signature ran before. The key
            # holds each argument's type, so tracers and Python values never match it, and
            # the device, so a plan (and its uploaded constants) never runs on another GPU.
            backend = current_backend()
            try:
                fast = self._fast.get((backend, backend.device_id(),
                                       *[(type(a), a.shape, a.dtype) for a in args]))
            except AttributeError:
                fast = None
            if fast is not None:
                _, executable, single, out_treedef = fast
                try:
                    outs = executable(args)
                except Exception as e:
                    if not backend.is_out_of_memory(e):
                        raise
                    # out of memory: the full path (below, outside this handler, so the
                    # failed attempt's buffers are already released) retries in halves
                else:
                    return outs[0] if single else unflatten(out_treedef, outs)
        leaves, treedef = flatten((args, kwargs))
        if any(type(x).__module__.startswith("dask.") for x in leaves):
            from .dask_arrays import call_on_dask_arrays  # Dask is imported only here

            return call_on_dask_arrays(self, leaves, treedef)
        info = self._info_flat(leaves, treedef)
        if current_trace() is not None:  # inside another trace: its graph joins that one
            built = self._get_built(info)
            enclosing = _TRACE_READS.get()
            if enclosing is not None and self._watch is not None:
                enclosing.extend(self._watch.reads())  # that plan depends on them too
            outs = inline_graph(built.graph, [info.leaves[i] for i in built.traced])
            return unflatten(built.out_treedef, outs)
        out = self._call(info)
        self._remember_fast(args, kwargs, info)
        return out

    def _remember_fast(self, args: tuple, kwargs: dict, info: CallInfo) -> None:
        """Record this signature for the fast path when it is a plain array call."""
        if kwargs or not self._fast_allowed(info):
            return
        if not all(type(a) is np.ndarray or type(a).__module__.startswith("cupy") for a in args):
            return
        backend = current_backend()
        built, executable = self._compiled_for(info, backend)
        if built.traced != tuple(range(len(args))):
            return
        native = backend.takes_as_is(args)
        fast_exec = executable if native else _converting(executable, backend.asarray)
        single = built.out_treedef.kind == "leaf"
        key = (backend, backend.device_id(), *[(type(a), a.shape, a.dtype) for a in args])
        self._fast[key] = (executable, fast_exec, single, built.out_treedef)

    def _fast_allowed(self, info: CallInfo) -> bool:
        return True

    def _call(self, info: CallInfo) -> Any:
        outs, built = self._run(info)
        return unflatten(built.out_treedef, outs)

    def lower(self, *args: Any, backend: str | None = None, **kwargs: Any) -> Lowered:
        """The plan for these arguments on ``backend`` (default: the current one), built
        without running anything."""
        self._forget_if_rebound()
        info = self._info(args, kwargs)
        name = current_backend().name if backend is None else _backend_name(backend)
        return Lowered(_lower(self._get_built(info), name, name != "numpy"),
                       launch_describers(name))


def _lower(built: Built, backend: str, fused: bool) -> Any:
    """A row kernel where the cost model picks one (fused backends only), else the plan of
    the batched graph."""
    if fused and built.per_example is not None:
        row = lower_rows(built.per_example, built.graph, built.in_bdims, built.out_axes,
                         built.axis_size, backend)
        if row is not None:
            return row
    return lower_graph(built.graph, backend, fused)


def _converting(executable: Executable, asarray: Callable) -> Callable[[Sequence[Any]], list]:
    """``executable`` after moving its arguments to the backend (``asarray``: a no-op for
    arrays already there)."""
    return lambda args: executable([asarray(a) for a in args])


def _backend_name(name: str) -> str:
    """``"cupy"`` and ``"numpy"`` lower anywhere (lowering needs no device); ``"auto"``
    resolves to what would run here."""
    if name in ("numpy", "numpy-fused", "cupy"):
        return name
    return resolve(name).name


# what the views read in the trace now running in this thread (``Transformation._trace``):
# a nested vmap / jit adds its own reads there, so the enclosing plan, which inlines its
# graph, is watched for them too
_TRACE_READS: contextvars.ContextVar[list | None] = contextvars.ContextVar("gvmap_trace_reads",
                                                                            default=None)


def _positional_parameters(fun: Callable) -> list[inspect.Parameter]:
    """``fun``'s positional parameters (for messages naming an argument); empty where its
    signature cannot be read."""
    try:
        params = inspect.signature(fun).parameters.values()
    except Exception:  # (TypeError, ValueError; a __getattr__'s KeyError for __wrapped__)
        return []
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _static_key(x: Any) -> tuple:
    """How a static value enters the signature: by type and, for floats, by bits, so that
    0.0 and -0.0 are different signatures (they give different results: 1/x) and a NaN
    equals itself (one cache entry, not one per call)."""
    if isinstance(x, float):
        return type(x), struct.pack("<d", x)
    if isinstance(x, complex):
        return type(x), struct.pack("<dd", x.real, x.imag)
    return type(x), x

