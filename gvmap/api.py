"""The public transformations: ``vmap``, ``jit``, ``make_graph``, and their signature cache.

A call flattens its arguments, computes a signature (tree structure, shapes, dtypes, batch
axes, static values, backend) and, the first time, traces -> batches -> lowers -> prepares
an executable; later calls with the same signature only run the executable. Called on
traced values (inside another ``vmap``/``jit``/``make_graph``), the transformation instead
inlines its graph into the enclosing trace, so nesting yields one flat graph.
"""
from __future__ import annotations

import functools
import inspect
import operator
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .backends import current_backend, resolve
from .backends.executor import Executable, executable_for
from .batching import batch_graph
from .graph import AbstractArray, Graph
from .lowering import Lowered, lower_graph, lower_rows
from .tracing import Tracer, current_trace, inline_graph, is_array, trace_function
from .tree import TreeDef, broadcast_prefix, flatten, leaf_paths, unflatten

__all__ = ["vmap", "jit", "make_graph", "device_get", "device_put"]

_PY_SCALARS = (bool, int, float, complex)
_SUPPORTED_KINDS = frozenset("biuf")  # bool, signed, unsigned, float: what every backend computes


def _is_array_leaf(x: Any) -> bool:
    return isinstance(x, Tracer) or is_array(x)


@dataclass(frozen=True)
class _Built:
    """What one signature traced to: the graph to run and how to read its outputs."""

    graph: Graph
    traced: tuple[int, ...]      # indices of the argument leaves that are graph inputs
    out_treedef: TreeDef
    out_axes: tuple              # per output leaf: int, or None (not batched); () for jit
    per_example: Graph | None = None   # vmap: the graph of one example (for row kernels)
    in_bdims: tuple = ()               # vmap: batch axis of each graph input, or None
    axis_size: int | None = None


@dataclass
class _CallInfo:
    """One call's flattened arguments and what the signature needs of them."""

    leaves: list
    treedef: TreeDef
    axes: list                   # per leaf: normalized int batch axis, or None
    axis_size: int | None
    key: tuple


class _Transformed:
    """Shared machinery of ``vmap`` and ``jit`` (``jit`` is the case with no batch axes)."""

    def __init__(self, fun: Callable):
        if not callable(fun):
            raise TypeError(f"expected a function to transform, got a {type(fun).__name__}")
        self.fun = fun
        functools.update_wrapper(self, fun, updated=())
        self._built: dict[tuple, _Built] = {}
        self._compiled: dict[tuple, tuple[_Built, Executable]] = {}
        self._lock = threading.Lock()
        self._arg_names = _positional_names(fun)
        self._fast: dict[tuple, tuple] = {}
        self._sources: list[tuple[Callable[[], Any], Any]] = []  # see _array_sources

    def _rebound(self) -> bool:
        """Has a closed-over array been replaced by another object since tracing?"""
        for get, obj in self._sources:
            try:
                if get() is not obj:
                    return True
            except (KeyError, IndexError, ValueError, AttributeError):
                return True
        return False

    def _forget(self) -> None:
        """Drop every traced signature: the function's closed-over arrays were rebound."""
        with self._lock:
            self._built, self._compiled, self._fast = {}, {}, {}
            self._sources = []

    # -- to be provided by subclasses
    def _leaf_axes(self, treedef: TreeDef) -> list:
        raise NotImplementedError

    def _build(self, info: _CallInfo) -> _Built:
        raise NotImplementedError

    # -- signature
    def _info(self, args: tuple, kwargs: dict) -> _CallInfo:
        leaves, treedef = flatten((args, kwargs))
        axes = self._leaf_axes(treedef)
        sig = []
        sizes = []
        for i, (x, ax) in enumerate(zip(leaves, axes)):
            if _is_array_leaf(x):
                shape = tuple(x.shape)
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
                sig.append(("static", type(x), x))
        axis_size = self._axis_size(treedef, sizes)
        return _CallInfo(leaves, treedef, axes, axis_size, (treedef, tuple(sig), axis_size))

    def _axis_size(self, treedef: TreeDef, sizes: list) -> int | None:
        return None

    def _describe(self, treedef: TreeDef, i: int) -> str:
        """'argument 1 ('x') at ['w']' or 'keyword argument ['k']', for error messages."""
        path = leaf_paths(treedef)[i]  # "[0][pos]..." for positional, "[1]['k']..." for keyword
        if path.startswith("[1]"):
            return f"keyword argument {path[3:]}"
        pos_text, rest = path[4:].split("]", 1)
        pos = int(pos_text)
        name = self._arg_names[pos] if pos < len(self._arg_names) else None
        label = f"argument {pos}" + (f" ('{name}')" if name else "")
        return label + (f" at {rest}" if rest else "")

    # -- building and caching
    def _get_built(self, info: _CallInfo) -> _Built:
        built = self._built.get(info.key)
        if built is None:
            if not self._built:
                self._sources = _array_sources(self.fun)
            built = self._build(info)
            if not any(isinstance(c, Tracer) for c in built.graph.consts):
                self._built[info.key] = built
        return built

    def _trace(self, info: _CallInfo, avals_of: Callable[[int, Any], AbstractArray]):
        traced = tuple(i for i, x in enumerate(info.leaves) if _is_array_leaf(x))
        leaves, treedef, fun = info.leaves, info.treedef, self.fun

        def flat_fun(*values):
            full = list(leaves)
            for i, v in zip(traced, values):
                full[i] = v
            args, kwargs = unflatten(treedef, full)
            return fun(*args, **kwargs)

        avals = [avals_of(i, leaves[i]) for i in traced]
        graph, out_treedef = trace_function(flat_fun, avals)
        return graph, traced, out_treedef

    def _compiled_for(self, info: _CallInfo, backend: Any) -> tuple[_Built, Executable]:
        key = (backend.name, info.key)
        hit = self._compiled.get(key)
        if hit is None:
            with self._lock:
                hit = self._compiled.get(key)
                if hit is None:
                    built = self._get_built(info)
                    plan = _lower(built, backend.name, backend.fuses)
                    hit = (built, executable_for(plan, backend))
                    self._compiled[key] = hit
        return hit

    def _run(self, info: _CallInfo) -> tuple[list, _Built]:
        backend = current_backend()
        built, executable = self._compiled_for(info, backend)
        asarray = backend.asarray
        return executable([asarray(info.leaves[i]) for i in built.traced]), built

    def _inline(self, info: _CallInfo) -> Any:
        built = self._get_built(info)
        outs = inline_graph(built.graph, [info.leaves[i] for i in built.traced])
        return unflatten(built.out_treedef, outs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._sources and self._rebound():
            self._forget()
        if not kwargs and current_trace() is None:
            # Fast path: positional NumPy/CuPy arrays whose signature ran before. The key
            # holds each argument's type, so tracers and Python values never match it.
            try:
                fast = self._fast.get((current_backend(), *[(type(a), a.shape, a.dtype) for a in args]))
            except AttributeError:
                fast = None
            if fast is not None:
                executable, single, out_treedef = fast
                try:
                    outs = executable(args)
                except Exception:  # out of memory and friends: the full path handles them
                    pass
                else:
                    return outs[0] if single else unflatten(out_treedef, outs)
        info = self._info(args, kwargs)
        if current_trace() is not None:
            return self._inline(info)
        out = self._call(info)
        self._remember_fast(args, kwargs, info)
        return out

    def _remember_fast(self, args: tuple, kwargs: dict, info: _CallInfo) -> None:
        """Record this signature for the fast path when it is a plain array call."""
        if kwargs or not self._fast_allowed(info):
            return
        if not all(type(a) is np.ndarray or type(a).__module__.startswith("cupy") for a in args):
            return
        backend = current_backend()
        built, executable = self._compiled_for(info, backend)
        if built.traced != tuple(range(len(args))):
            return
        native = all(type(a) is type(backend.xp.empty(0)) for a in args)
        fast_exec = executable if native else _ConvertingExecutable(executable, backend)
        single = built.out_treedef.kind == "leaf"
        key = (backend, *[(type(a), a.shape, a.dtype) for a in args])
        self._fast[key] = (fast_exec, single, built.out_treedef)

    def _fast_allowed(self, info: _CallInfo) -> bool:
        return True

    def _call(self, info: _CallInfo) -> Any:
        outs, built = self._run(info)
        return unflatten(built.out_treedef, outs)

    def lower(self, *args: Any, backend: str | None = None, **kwargs: Any) -> Lowered:
        """The plan for these arguments on ``backend`` (default: the current one), built
        without running anything."""
        info = self._info(args, kwargs)
        name = current_backend().name if backend is None else _backend_name(backend)
        return Lowered(_lower(self._get_built(info), name, name != "numpy"))


def _lower(built: _Built, backend: str, fused: bool) -> Any:
    """A row kernel where the cost model picks one (fused backends only), else the plan of
    the batched graph."""
    if fused and built.per_example is not None:
        row = lower_rows(built.per_example, built.graph, built.in_bdims, built.out_axes,
                         built.axis_size, backend)
        if row is not None:
            return row
    return lower_graph(built.graph, backend, fused)


def _array_sources(fun: Any) -> list[tuple[Callable[[], Any], Any]]:
    """Where ``fun`` finds the arrays it closes over, as (read the current value, the value
    at trace time) pairs: default arguments, closure cells, and globals its code names.

    Constants are snapshots taken at trace time (as in JAX), so mutating such an array in
    place does not change a traced function; but rebinding the name to a NEW array (``W =
    new_W``) is visible here and makes the next call trace again. Arrays reached only
    through other functions or objects are not tracked: pass them as arguments instead.
    """
    while isinstance(fun, (_Transformed, functools.partial)):
        fun = fun.fun if isinstance(fun, _Transformed) else fun.func
    sources: list = []
    code = getattr(fun, "__code__", None)
    if code is None:
        return sources
    for i, value in enumerate(getattr(fun, "__defaults__", None) or ()):
        if is_array(value):
            sources.append(((lambda i=i: fun.__defaults__[i]), value))
    for name, value in (getattr(fun, "__kwdefaults__", None) or {}).items():
        if is_array(value):
            sources.append(((lambda name=name: fun.__kwdefaults__[name]), value))
    for cell in getattr(fun, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if is_array(value):
            sources.append(((lambda cell=cell: cell.cell_contents), value))
    glob = getattr(fun, "__globals__", {})
    for name in code.co_names:
        value = glob.get(name)
        if is_array(value):
            sources.append(((lambda name=name: glob[name]), value))
    return sources


class _ConvertingExecutable:
    """An Executable that first moves its arguments to the backend (a no-op for arrays
    already there)."""

    __slots__ = ("_run", "_asarray")

    def __init__(self, executable: Executable, backend: Any):
        self._run = executable
        self._asarray = backend.asarray

    def __call__(self, args: Sequence[Any]) -> list:
        asarray = self._asarray
        return self._run([asarray(a) for a in args])


def _backend_name(name: str) -> str:
    """``"cupy"`` and ``"numpy"`` lower anywhere (lowering needs no device); ``"auto"``
    resolves to what would run here."""
    if name in ("numpy", "numpy-fused", "cupy"):
        return name
    return resolve(name).name


def _positional_names(fun: Callable) -> list[str]:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


# ---------------------------------------------------------------------------- vmap

class BatchedFunction(_Transformed):
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
            if isinstance(in_axes, tuple) and len(in_axes) != len(args_td.children):
                raise ValueError(
                    f"vmap: in_axes has {len(in_axes)} entries but the function was called with "
                    f"{len(args_td.children)} positional arguments; give one entry per "
                    f"positional argument (keyword arguments are never batched), or a single "
                    f"int/None for all")
            axes = broadcast_prefix(in_axes, args_td, "vmap in_axes") + [None] * kwargs_td.num_leaves
            self._axes_cache[treedef] = axes
        return list(axes)

    def _axis_size(self, treedef: TreeDef, sizes: list) -> int:
        distinct = {s for _, _, s in sizes}
        if self.axis_size is not None:
            distinct.add(self.axis_size)
        if len(distinct) > 1:
            lines = [f"  {self._describe(treedef, i)}: axis {ax} has size {s}" for i, ax, s in sizes]
            if self.axis_size is not None:
                lines.append(f"  axis_size={self.axis_size}")
            raise ValueError("vmap got batched arguments of different sizes along their in_axes:\n"
                             + "\n".join(lines) + "\nevery batched argument needs the same size "
                             "along its batch axis")
        if not distinct:
            raise ValueError("vmap: no argument is batched (in_axes is None for every array "
                             "argument) and axis_size was not given; batch an argument or pass "
                             "axis_size=N")
        return distinct.pop()

    def _build(self, info: _CallInfo) -> _Built:
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
        return _Built(batched, traced, out_treedef, tuple(out_axes), graph, tuple(in_bdims),
                      info.axis_size)

    def _fast_allowed(self, info: _CallInfo) -> bool:
        return self.chunk_size is None or info.axis_size <= self.chunk_size

    def _call(self, info: _CallInfo) -> Any:
        n, chunk = info.axis_size, self.chunk_size
        outs, built = self._run_batch(info, n, chunk)
        return unflatten(built.out_treedef, outs)

    def _run_batch(self, info: _CallInfo, n: int, chunk: int | None) -> tuple[list, _Built]:
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
                        f"shapes {[tuple(x.shape) for x in info.leaves if _is_array_leaf(x)]}); "
                        f"the per-example computation itself is too large") from e
                return self._run_batch(info, n, -(-n // 2))
        pieces = []
        built = None
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            sub = self._slice(info, start, stop)
            outs, built = self._run_batch(sub, stop - start, None)
            pieces.append(outs)
        xp = current_backend().xp
        outs = [pieces[0][j] if ax is None else xp.concatenate([p[j] for p in pieces], axis=ax)
                for j, ax in enumerate(built.out_axes)]
        return outs, built

    def _slice(self, info: _CallInfo, start: int, stop: int) -> _CallInfo:
        leaves = list(info.leaves)
        for i, ax in enumerate(info.axes):
            if ax is not None:
                leaves[i] = leaves[i][(slice(None),) * ax + (slice(start, stop),)]
        args, kwargs = unflatten(info.treedef, leaves)
        saved, self.axis_size = self.axis_size, (stop - start if self.axis_size is not None else None)
        try:
            return self._info(args, kwargs)
        finally:
            self.axis_size = saved


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

class JittedFunction(_Transformed):
    """``jit(fun)``: ``fun`` traced once per signature and run as a compiled plan."""

    def _leaf_axes(self, treedef: TreeDef) -> list:
        return [None] * treedef.num_leaves

    def _build(self, info: _CallInfo) -> _Built:
        graph, traced, out_treedef = self._trace(
            info, lambda i, x: AbstractArray(tuple(x.shape), x.dtype))
        return _Built(graph, traced, out_treedef, ())


def jit(fun: Callable) -> JittedFunction:
    """``fun`` traced, fused and compiled once per signature (no batching); later calls with
    the same signature only launch. ``jit(fun).lower(*args)`` returns the plan."""
    return JittedFunction(fun)


# ---------------------------------------------------------------------------- make_graph

def make_graph(fun: Callable) -> Callable[..., Graph]:
    """``make_graph(f)(*args)``: the Graph ``f`` traces to at these arguments (every array
    argument an input; other values static)."""
    def make(*args: Any, **kwargs: Any) -> Graph:
        info = JittedFunction(fun)._info(args, kwargs)
        return JittedFunction(fun)._build(info).graph.check()
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
