"""The machinery ``vmap`` and ``jit`` share: signature, cache, trace, lower, run.

A call flattens its arguments, computes a signature (tree structure, shapes, dtypes, batch
axes, static values, backend) and, the first time, traces -> batches -> lowers -> prepares
an executable; later calls with the same signature only run the executable (a fast path
keyed on positional arrays skips even the flattening). Called on traced values (inside
another ``vmap``/``jit``/``make_graph``), a transformation instead inlines its graph into
the enclosing trace, so nesting yields one flat graph.
"""
from __future__ import annotations

import functools
import inspect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .backends import current_backend, resolve
from .backends.executor import Executable, executable_for
from .graph import AbstractArray, Graph
from .lowering import Lowered, lower_graph, lower_rows
from .tracing import Tracer, current_trace, inline_graph, is_array, trace_function
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


class Transformation:
    """Shared machinery of ``vmap`` and ``jit`` (``jit`` is the case with no batch axes)."""

    def __init__(self, fun: Callable):
        if not callable(fun):
            raise TypeError(f"expected a function to transform, got a {type(fun).__name__}")
        self.fun = fun
        functools.update_wrapper(self, fun, updated=())
        self._built: dict[tuple, Built] = {}
        self._compiled: dict[tuple, tuple[Built, Executable]] = {}
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

    def _build(self, info: CallInfo) -> Built:
        raise NotImplementedError

    # -- signature
    def _info(self, args: tuple, kwargs: dict) -> CallInfo:
        leaves, treedef = flatten((args, kwargs))
        axes = self._leaf_axes(treedef)
        sig = []
        sizes = []
        for i, (x, ax) in enumerate(zip(leaves, axes)):
            if is_array_leaf(x):
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
        return CallInfo(leaves, treedef, axes, axis_size, (treedef, tuple(sig), axis_size))

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
    def _get_built(self, info: CallInfo) -> Built:
        built = self._built.get(info.key)
        if built is None:
            if not self._built:
                self._sources = _array_sources(self.fun)
            built = self._build(info)
            if not any(isinstance(c, Tracer) for c in built.graph.consts):
                self._built[info.key] = built
        return built

    def _trace(self, info: CallInfo, avals_of: Callable[[int, Any], AbstractArray]):
        traced = tuple(i for i, x in enumerate(info.leaves) if is_array_leaf(x))
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

    def _compiled_for(self, info: CallInfo, backend: Any) -> tuple[Built, Executable]:
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

    def _run(self, info: CallInfo) -> tuple[list, Built]:
        backend = current_backend()
        built, executable = self._compiled_for(info, backend)
        asarray = backend.asarray
        return executable([asarray(info.leaves[i]) for i in built.traced]), built

    def _inline(self, info: CallInfo) -> Any:
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
        native = all(type(a) is type(backend.xp.empty(0)) for a in args)
        fast_exec = executable if native else _ConvertingExecutable(executable, backend)
        single = built.out_treedef.kind == "leaf"
        key = (backend, *[(type(a), a.shape, a.dtype) for a in args])
        self._fast[key] = (fast_exec, single, built.out_treedef)

    def _fast_allowed(self, info: CallInfo) -> bool:
        return True

    def _call(self, info: CallInfo) -> Any:
        outs, built = self._run(info)
        return unflatten(built.out_treedef, outs)

    def lower(self, *args: Any, backend: str | None = None, **kwargs: Any) -> Lowered:
        """The plan for these arguments on ``backend`` (default: the current one), built
        without running anything."""
        info = self._info(args, kwargs)
        name = current_backend().name if backend is None else _backend_name(backend)
        return Lowered(_lower(self._get_built(info), name, name != "numpy"))


def _lower(built: Built, backend: str, fused: bool) -> Any:
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
    while isinstance(fun, (Transformation, functools.partial)):
        fun = fun.fun if isinstance(fun, Transformation) else fun.func
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
