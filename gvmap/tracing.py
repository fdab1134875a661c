"""Tracing: run a user's function on ``Tracer``s and record the primitives it applies.

A ``Trace`` collects equations. Traces nest (an inner ``vmap``/``jit`` traces its function
while the outer one is being traced); the stack of active traces is thread-local, so
threads trace independently. ``bind`` records a primitive in the innermost active trace:

* a ``Tracer`` of an enclosing trace (a value the inner function closed over) is *lifted*
  into the inner trace as a constant whose value is that tracer; inlining the inner graph
  into its parent later turns it back into an ordinary operand;
* a NumPy/CuPy array becomes a graph constant, snapshotted at trace time (as in JAX);
* a NumPy scalar or 0-d array becomes an inline ``Literal``.

With no active trace ``bind`` runs the primitive at once on the current backend: that is
how ``gvmap.numpy`` functions work eagerly on concrete arrays.

The ``Tracer`` speaks NumPy: ``__array_ufunc__``/``__array_function__`` route NumPy calls
to ``gvmap.numpy`` (through the ``HANDLED_*`` tables that module fills), operators and
methods do the same, and every way of asking for a concrete value raises
``TracerConversionError`` (the message, saying what to write instead, is ``gvmap.concrete``'s).
What a write into a traced array changes, and which results are copies, scalars or views,
follows NumPy's aliasing rules, kept in ``gvmap.aliasing``.
"""
from __future__ import annotations

import operator
import sys
import contextlib
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import concrete
from .aliasing import (MAY_RETURN_ARGUMENT, WRITES_ARGUMENT, FlatIterator, Layout,
                       TracedArray, basic_key, call_leaves, check_ufunc_output, cut_view,
                       fresh, numpy_result, scalar_if_0d, scalar_key, static_key)
from . import primitives as P
from .backends import current_backend
from .errors import LeakedTracerError, TracerConversionError
from .graph import AbstractArray, Eqn, Graph, Literal, Var, live_eqns
from .implementations import make_impl
from .tree import flatten

__all__ = ["Trace", "Tracer", "Snapshots", "bind", "current_trace", "trace_function", "inline_graph",
           "HANDLED_FUNCTIONS", "HANDLED_UFUNCS", "is_array", "complex_error",
           "check_plain_ndarray", "note_untracked_view", "numpy_answers", "known_call",
           "as_known", "all_known"]

# Filled by gvmap.numpy: NumPy function (or ufunc name) -> gvmap.numpy implementation.
HANDLED_FUNCTIONS: dict[Callable, Callable] = {}  # keyed by the NumPy function
HANDLED_UFUNCS: dict[str, Callable] = {}

_state = threading.local()


def _stack() -> list["Trace"]:
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def current_trace() -> "Trace | None":
    stack = _stack()
    return stack[-1] if stack else None


def is_array(x: Any) -> bool:
    """NumPy or CuPy array (or a NumPy scalar), without importing CuPy."""
    return isinstance(x, (np.ndarray, np.generic)) or type(x).__module__.startswith("cupy")


def complex_error(what: str) -> TypeError:
    """The refusal for any complex value: gvmap's primitives, batching rules and kernels have
    real semantics only, and computing on a complex value as if it were real gives silently
    wrong answers (``abs(v + 1j)`` would be ``abs(v)``)."""
    return TypeError(
        f"{what}: gvmap does not support complex numbers (bool, integer and float arrays are "
        f"supported). Pass the real and imaginary parts as two float arrays and compute with "
        f"the pairs, e.g. (a + bj) * (c + dj) = (a*c - b*d) + (a*d + b*c)j and "
        f"|a + bj| = np.hypot(a, b)")


def check_plain_ndarray(x: np.ndarray, what: str) -> None:
    """ndarray subclasses whose meaning is not an ndarray's are refused, never reinterpreted."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{what} is a masked array (numpy.ma): gvmap computes on plain arrays and would "
            f"drop its mask. Pass x.filled(fill_value) for the data, and, where the mask "
            f"matters, np.ma.getmaskarray(x) as another argument to use with np.where")
    if isinstance(x, np.matrix):
        raise TypeError(
            f"{what} is a numpy.matrix, whose `*` and `@` and indexing differ from an "
            f"ndarray's; pass np.asarray(x) (and use `@` for matrix products)")


class Snapshots:
    """The copies of a function's closed-over arrays, taken once per function (the first
    time a trace uses each) and shared by every trace of it: ten batch shapes of a
    function closing over a 32 MB ``W`` hold one 32 MB copy, not ten. Arrays not listed
    (temporaries made while tracing, arrays reached through containers or attributes) are
    copied per trace, as before."""

    def __init__(self, arrays: Any = ()):
        self._entries: dict[int, list] = {id(a): [a, None] for a in arrays}
        self._copies: dict[int, Any] = {}
        self._on_device: dict[tuple, Any] = {}

    def copy_of(self, value: Any) -> Any:
        entry = self._entries.get(id(value))
        if entry is None or entry[0] is not value:
            return value.copy()
        if entry[1] is None:
            entry[1] = value.copy()
            self._copies[id(entry[1])] = entry[1]
        return entry[1]

    def upload(self, backend: Any, const: Any) -> Any:
        """``const`` on ``backend``'s current device: a shared snapshot is uploaded once
        per device and reused by every plan; other constants once per plan."""
        if self._copies.get(id(const)) is not const:
            return backend.asarray(const)
        key = (backend.name, backend.device_id(), id(const))
        on_device = self._on_device.get(key)
        if on_device is None:
            on_device = self._on_device[key] = backend.asarray(const)
        return on_device


_NO_SNAPSHOTS = Snapshots()


class Trace:
    """One level of tracing: its inputs, constants and equations, in order."""

    def __init__(self, snapshots: Snapshots = _NO_SNAPSHOTS) -> None:
        self.snapshots = snapshots
        self.invars: list[Var] = []
        self.constvars: list[Var] = []
        self.consts: list[Any] = []
        self.eqns: list[Eqn] = []
        self.computed: set[Var] = set()       # outputs of eqns (not inputs or constants)
        # values views were taken of (reshape, slice...): per value, a weak reference to
        # each view the user holds (x[1:]), or an UntrackedView for one no write follows
        # (x.T), which blocks writes into the value while it lives
        self.views: dict[Var, list] = {}
        # constants the function may write into (``out = np.zeros(3); out[0] = v``): arrays
        # it made itself, where closed-over arrays are not (NumPy would change the caller's)
        self.owned: set[Var] = set()
        self._const_values: dict[Var, Any] = {}
        self._const_index: dict[int, Var] = {}
        self._keepalive: list[Any] = []  # ids in _const_index must not be reused while we trace
        # the checks deferred so far, in program order: (bad, errors.LoopRaise) of each
        # assert / `if bad: raise` on a traced value (gvmap.assertions), (bad, error,
        # function, reason, hint) of each NumPy / math error (numpy.checks.raise_first);
        # bound as one check before the next equation that may raise, and at the end
        self.raises: list[tuple] = []
        # the refusal of a per-example error the user's try / except would catch, raised
        # again when the function returns in case that except swallowed it (gvmap.trycatch)
        self.caught_refusal: Exception | None = None
        # NumPy's floating-point error handling when tracing began: an equation bound
        # under another (the code's own np.errstate) keeps that one (``Eqn.errstate``)
        self.ambient = np.geterr()
        # what the user calls each input ("argument 0 ('cam') at [1]"), where the caller
        # knows it, so that a refused write into one names it
        self.input_names: dict[Var, str] = {}
        # inputs that are one number for the whole call (0-d, not batched): a Python number
        # passed there instead would be static, which is what `range(n)` / `if n > 0` need
        self.unbatched_scalars: set[Var] = set()

    def __enter__(self) -> "Trace":
        _stack().append(self)
        return self

    def __exit__(self, *exc) -> None:
        popped = _stack().pop()
        assert popped is self, "trace stack corrupted"

    def new_input(self, aval: AbstractArray) -> "Tracer":
        v = Var(aval)
        self.invars.append(v)
        return Tracer(self, v)

    def constant(self, value: np.ndarray, *, owned: bool, snapshot: bool = False) -> "Tracer":
        """A tracer whose value is known now (``Tracer.known``): an array the function
        closes over (``snapshot=True``: taken through the function's ``Snapshots``) or one
        it made from constants. ``owned``: the function may write into it."""
        var = self._const(value, AbstractArray(value.shape, value.dtype), copy=snapshot)
        if owned:
            self.owned.add(var)
        known = self._const_values[var].view()
        known.flags.writeable = False  # the graph's constant: library code must not write it
        return Tracer(self, var, known)

    def atom(self, x: Any, copy: bool = True) -> Any:
        """The Var or Literal standing for operand ``x`` in this trace. An array becomes a
        constant holding a snapshot of it, unless ``copy=False`` says it already is one
        (the constants of a graph being inlined)."""
        if isinstance(x, Tracer):
            if x._value is not None and (x.ndim == 0 or x._trace is not self):
                # a known value: 0-d ones inline as literals (as NumPy scalars do); those of
                # another trace (an enclosing or finished one) are plain constants here
                if x.ndim == 0:
                    return self._literal(x._value[()])
                return self._const(x._value, x.aval, copy=False)
            if x._trace is self:
                return x._var
            if x._trace not in _stack():
                raise leaked_error()
            return self._const(x, x._var.aval, copy=False)
        if isinstance(x, np.generic):
            return self._literal(x)
        if isinstance(x, np.ndarray):
            if type(x) is not np.ndarray:
                check_plain_ndarray(x, "an array the function closes over")
            if x.ndim == 0:
                return self._literal(x[()])
            return self._const(x, AbstractArray(x.shape, x.dtype), copy=copy)
        if is_array(x):  # a CuPy array closed over: kept on its device
            return self._const(x, AbstractArray(x.shape, x.dtype), copy=copy)
        raise TypeError(f"gvmap cannot use a {type(x).__name__} as an array operand")

    @staticmethod
    def _literal(value: np.generic) -> Literal:
        if value.dtype.kind == "c":
            raise complex_error(f"the complex constant {value!r}")
        return Literal(value)

    def _const(self, value: Any, aval: AbstractArray, copy: bool) -> Var:
        if aval.dtype.kind == "c":
            raise complex_error(f"a {aval.dtype} constant of shape {aval.shape}")
        if aval.dtype.kind not in "biuf":
            raise TypeError(f"gvmap does not support {aval.dtype} arrays (a constant of shape "
                            f"{aval.shape} here); bool, integer and float arrays are supported")
        var = self._const_index.get(id(value))
        if var is None:
            var = self._const_index[id(value)] = Var(aval)
            self._keepalive.append(value)
            self.constvars.append(var)
            self.consts.append(self.snapshots.copy_of(value) if copy else value)
            self._const_values[var] = self.consts[-1]
        return var

    def record(self, eqn: Eqn) -> None:
        """Append ``eqn``, noting what ``x op= y`` must know without scanning the equations.
        An equation that may raise (``Primitive.raises``) comes after the checks deferred
        before it, as in the loop."""
        _check_rank(eqn)
        if eqn.primitive.raises and self.raises:
            self.flush_raises()
        self.eqns.append(eqn)
        self.computed.update(eqn.outvars)

    def flush_raises(self) -> None:
        """Bind the deferred checks (``raises``) as one ``check`` equation, which runs even
        where nothing reads it (``Primitive.raises``)."""
        from .numpy.checks import bind_check

        if not self.raises:
            return
        pending, self.raises = self.raises, []
        assert current_trace() is self, "deferred checks bound outside their trace"
        bind_check(pending[0][0], pending)

    def note_untracked_view(self, var: Var, view: "Tracer") -> None:
        """``view`` is a view of ``var`` that no write follows (``x.T``; NumPy's
        ``sliding_window_view(x, 3)``, which gvmap computes as a copy): while it lives, a
        write into ``var`` is refused, as it could not reach that view."""
        self.views.setdefault(var, []).append(UntrackedView(view))

    def writable(self, var: Var) -> bool:
        """May the function write into the value ``var``? Not into arguments and closed-over
        arrays (NumPy would change the caller's array); into what it computed or made."""
        return var in self.computed or var in self.owned

    def input_sources(self, var: Var) -> list[str]:
        """The named inputs ``var``'s value depends on, in argument order, for messages
        (walked back through the equations only when a message asks)."""
        if not self.input_names:
            return []
        needed = {var}
        for eqn in reversed(self.eqns):
            if any(v in needed for v in eqn.outvars):
                needed.update(a for a in eqn.invars if isinstance(a, Var))
        return [name for v, name in self.input_names.items() if v in needed]

    def unwritable_text(self, var: Var) -> str:
        """What a refused write goes into, for its message: "an argument of the traced
        function, argument 0 ('cam') at [1]" where the input's name is known, "an array
        the traced function closes over" for a constant, and both possibilities else."""
        if var in self.input_names:
            return f"an argument of the traced function, {self.input_names[var]}"
        if var in self._const_values or var in self.constvars:
            return "an array the traced function closes over"
        return "an argument of the traced function (or an array it closes over)"

    @contextlib.contextmanager
    def internal_views(self, var: Var):
        """Views of ``var`` taken inside the block are gvmap's own temporaries (an update
        computed from x's raveled values): they do not count as views the user holds."""
        count = len(self.views.get(var, ()))
        try:
            yield
        finally:
            refs = self.views.get(var)
            if refs is not None:
                del refs[count:]

    def has_untracked_views(self, var: Var) -> bool:
        """Is a view of ``var`` alive that no write follows (``t = x.T``, ``x.reshape``)? A
        write into ``var`` could not reach it, so the write is refused. A dead one
        (``x.T @ x``, computed and gone) blocks nothing."""
        return any(isinstance(e, UntrackedView) and e.alive() for e in self.views.get(var, ()))

    def to_graph(self, outputs: Sequence[Any]) -> Graph:
        outvars = tuple(self.atom(x) for x in outputs)
        eqns = live_eqns(self.eqns, outvars)
        used = {a for e in eqns for a in e.invars if isinstance(a, Var)} | set(outvars)
        kept = [(v, c) for v, c in zip(self.constvars, self.consts) if v in used]
        return Graph(constvars=tuple(v for v, _ in kept), invars=tuple(self.invars),
                     eqns=tuple(eqns), outvars=outvars, consts=tuple(c for _, c in kept))


# NumPy's (and so the loop oracle's) limit on an array's dimensions (NPY_MAXDIMS)
MAX_DIMS = 64


def _check_rank(eqn: Eqn) -> None:
    """Refuse, while tracing, an array NumPy could not hold (the plan would fail deep
    inside NumPy at run time). Batching traces again, so a vmap level's added dimension is
    checked too."""
    for v in eqn.outvars:
        if v.aval.ndim > MAX_DIMS:
            raise ValueError(
                f"{eqn.primitive} would make an array of {v.aval.ndim} dimensions ({v.aval}); "
                f"NumPy arrays have at most {MAX_DIMS}, and each gvmap.vmap level adds one to "
                f"the per-example arrays. Keep fewer dimensions: drop size-1 axes with "
                f"np.squeeze, merge axes with reshape, or vmap over fewer levels")


def bind(prim: P.Primitive, *operands: Any, **params: Any) -> Any:
    """Apply ``prim``: record it in the innermost trace, or run it now if none is active.
    A primitive with several results (``Primitive.results``) returns a list of them."""
    trace = current_trace()
    if trace is None:
        return _eager(prim, operands, params)
    atoms = tuple(trace.atom(x) for x in operands)
    avals = P.abstract_eval(prim, [a.aval for a in atoms], params)
    for aval in avals:
        if aval.dtype.kind == "c":  # the front end refuses complex values first; the net
            raise complex_error(f"the primitive {prim} (giving {aval.dtype})")
    folded = _fold(prim, operands, atoms, avals, params)
    if folded is not None:
        tracers = [trace.constant(v, owned=True) for v in folded]
    else:
        outs = tuple(Var(aval) for aval in avals)
        state = np.geterr()  # the traced code's own error handling, where it set one
        trace.record(Eqn(prim, atoms, outs, params,
                         None if state == trace.ambient else tuple(sorted(state.items()))))
        tracers = [Tracer(trace, v) for v in outs]
    if prim.view:
        source = operands[0]
        ours = isinstance(source, Tracer) and source._trace is trace
        for t in tracers:
            if ours and prim.view in ("always", "read-only"):
                # NumPy's result is a view whatever the memory layout: writes follow it
                t._base = (source, Layout(prim, params, source.shape))
                trace.views.setdefault(source._var, []).append(weakref.ref(t))
                continue
            if ours:
                _mark_untracked_view(t, source)
            _note_viewed(trace, [a for a in atoms if isinstance(a, Var)], t, source)
    return tracers if prim.multiple_results else tracers[0]


class UntrackedView:
    """An entry of ``Trace.views`` for a view no write follows, held weakly: the view of
    ``x.T @ x`` is gone once the product is taken, and then blocks no write into x."""

    __slots__ = ("ref",)

    def __init__(self, view: "Tracer"):
        self.ref = weakref.ref(view)

    def __call__(self) -> None:
        return None  # not a view that a write into its array takes again

    def alive(self) -> bool:
        """The view still exists and still is one: an operation NumPy gives a new array
        for (``np.tile``, ``np.stack([x])``) may return a view primitive's result, which
        ``aliasing.fresh`` then marks as no view (``_viewed`` emptied)."""
        view = self.ref()
        return view is not None and bool(view._viewed)


def _note_viewed(trace: Trace, vars: Sequence[Var], view: "Tracer", source: Any) -> None:
    """``view`` views ``vars`` and what ``source`` is an untracked view of
    (``x.T.reshape(9)`` views x although the x.T between them is gone). What a
    basic-indexing source indexes is not among them: a write into it reaches that view,
    whose own views are checked then (``Tracer._refresh_views``)."""
    through = source._viewed if isinstance(source, Tracer) else ()
    for var in dict.fromkeys([*vars, *(v for _, v in through)]):
        trace.note_untracked_view(var, view)


def _mark_untracked_view(view: "Tracer", source: "Tracer") -> None:
    """``view`` is a view of ``source`` that no write follows (a view primitive's result):
    a write into it, or into what it views while it lives, is refused."""
    view._viewed = _viewed_through(source)
    # a view of a basic-indexing view (np.transpose(x[None])) keeps that view alive: while
    # this one lives, a write into x meets it (a live view of x that has an untracked view)
    # and is refused; it would not show in this one
    view._holds = source if source._base is not None else None


def note_untracked_view(view: Any, source: Any) -> None:
    """``view``, which a gvmap function computed as a copy, is a view of ``source`` in
    NumPy (``sliding_window_view``): writes NumPy would show through it are refused."""
    if isinstance(source, Tracer) and isinstance(view, Tracer) and source._trace is current_trace():
        _mark_untracked_view(view, source)
        _note_viewed(source._trace, [source._var], view, source)


def _viewed_through(source: "Tracer") -> tuple:
    """The arrays a view of ``source`` views: ``source`` itself, what it is an untracked
    view of, and (a basic-indexing view, x[None]) what it indexes, with theirs: in
    ``np.squeeze(x[None])`` the temporary x[None] is gone, x is not."""
    viewed = ((weakref.ref(source), source._var),) + source._viewed
    if source._base is not None:
        viewed += _viewed_through(source._base[0])
    return viewed


def _fold(prim: P.Primitive, operands: Sequence[Any], atoms: Sequence[Any],
          avals: Sequence[AbstractArray], params: dict) -> list[np.ndarray] | None:
    """The results of ``prim`` computed now with NumPy, where an operand is a known value
    (``Tracer.known``) and none is unknown: constant folding, so that what the function
    computes from its closed-over tables and the arrays it builds stays concrete, as it
    is in NumPy (``if table.max() > 1:`` works). None where it does not apply."""
    if not any(isinstance(x, Tracer) and x._value is not None for x in operands):
        return None
    values = []
    for x, a in zip(operands, atoms):
        if isinstance(x, Tracer):
            if x._value is None:
                return None
            values.append(x._value)
        elif isinstance(a, Literal):
            values.append(a.value)
        elif isinstance(x, np.ndarray):
            values.append(x)
        else:
            return None  # a CuPy array: computed where it lives, in the plan

    in_avals = [AbstractArray(np.shape(v), np.asarray(v).dtype) for v in values]
    out = make_impl(prim, np, in_avals, params)(*values)
    results = [np.asarray(o) for o in (out if prim.multiple_results else [out])]
    if any(r.shape != a.shape or r.dtype != a.dtype for r, a in zip(results, avals)):
        return None  # NumPy's kernel would give another dtype: keep the equation instead
    return results


def leaked_error() -> LeakedTracerError:
    return LeakedTracerError(
        "a traced value leaked out of the function being traced: it escaped (kept in a "
        "global, a closure or an object, or returned inside something that is not a "
        "container) and was used after tracing ended, where it stands for no array. Return it from the function as an "
        "output instead, and use the output")


def _eager(prim: P.Primitive, operands: Sequence[Any], params: dict) -> Any:
    operands = [x._value if isinstance(x, Tracer) and x._value is not None else x
                for x in operands]  # a known value kept past its trace is just an array
    if any(isinstance(x, Tracer) for x in operands):
        raise leaked_error()  # no trace is active, so no tracer can be a live one
    backend = current_backend()
    arrays = [x if isinstance(x, np.generic) else backend.asarray(x) for x in operands]
    avals = [AbstractArray(np.shape(a), a.dtype) for a in arrays]
    P.abstract_eval(prim, avals, params)  # the same checks as under tracing
    out = make_impl(prim, backend.xp, avals, params)(*arrays)
    outs = [backend.xp.asarray(o) for o in (out if prim.multiple_results else [out])]
    return outs if prim.multiple_results else outs[0]


def trace_function(fun: Callable, avals: Sequence[AbstractArray],
                   snapshots: Snapshots = _NO_SNAPSHOTS,
                   names: Sequence[str] | None = None,
                   unbatched_scalars: Sequence[int] = ()) -> tuple[Graph, Any]:
    """Trace ``fun(*tracers)``, one Tracer input per aval. Returns ``(graph, out_treedef)``.

    Output leaves may be tracers, arrays or Python numbers (which become constants of
    NumPy's default dtype, as ``np.stack`` of them would give). Closed-over arrays listed
    in ``snapshots`` share one copy across every trace of the function. ``names``: what
    the user calls each input, for messages ("argument 0 ('cam') at [1]");
    ``unbatched_scalars``: the positions of inputs that are one 0-d value per call."""
    with Trace(snapshots) as trace:
        try:
            inputs = [trace.new_input(a) for a in avals]
            trace.input_names.update(zip((t._var for t in inputs), names or ()))
            trace.unbatched_scalars.update(inputs[k]._var for k in unbatched_scalars
                                           if inputs[k]._var in trace.input_names)
            out = fun(*inputs)
            if trace.caught_refusal is not None:
                raise trace.caught_refusal
        except ValueError as e:
            # `a[i] = v` into a NumPy float array: NumPy replaces the error of float(v) with
            # "setting an array element with a sequence" (a Tracer is a sequence); ours says
            # what happened and what to write instead
            if isinstance(e.__cause__, TracerConversionError):
                raise e.__cause__ from None
            raise
        leaves, treedef = flatten(out)
        for i, leaf in enumerate(leaves):
            refusal = getattr(type(leaf), "gvmap_output_refusal", None)
            if refusal is not None:  # x[mask] (gvmap.numpy.masked): its shape is the data's
                raise refusal()
            if not (isinstance(leaf, (Tracer, int, float, bool, complex)) or is_array(leaf)):
                raise TypeError(
                    f"the function returned a {type(leaf).__name__} as output {i}; outputs must "
                    f"be arrays or numbers, or tuples/lists/dicts of them")
        leaves = [np.asarray(x)[()] if isinstance(x, (int, float, bool, complex)) else x
                  for x in leaves]
        # the last deferred checks: an equation of their own, which runs as it may raise
        # (threaded through an output, they would make an unbatched one batched)
        trace.flush_raises()
        graph = trace.to_graph(leaves)
    return graph, treedef


def inline_graph(graph: Graph, args: Sequence[Any]) -> list[Any]:
    """Replay ``graph`` into the current trace on operands ``args``; return its outputs.

    Constants are re-bound as operands (NumPy arrays become constants of the current trace,
    tracers of enclosing traces are used directly), so nesting yields ONE flat graph.
    """
    trace = current_trace()
    assert trace is not None
    env: dict[Var, Any] = {}
    for v, x in zip(graph.constvars, graph.consts):
        env[v] = trace.atom(x, copy=False)  # already snapshots, owned by the inner function
    for v, x in zip(graph.invars, args):
        env[v] = trace.atom(x)
    read = lambda a: env[a] if isinstance(a, Var) else a
    for eqn in graph.eqns:
        outvars = tuple(Var(v.aval) for v in eqn.outvars)
        trace.record(Eqn(eqn.primitive, tuple(read(a) for a in eqn.invars), outvars, eqn.params,
                         eqn.errstate))
        env.update(zip(eqn.outvars, outvars))
    outs = [read(a) for a in graph.outvars]
    return [a.value if isinstance(a, Literal) else Tracer(trace, a) for a in outs]


def _gnp() -> Any:
    from . import numpy as gnp
    return gnp


def _with_out(ufunc: np.ufunc, method: str, name: str, inputs: tuple, kwargs: dict,
              out: Any) -> Any:
    """``np.divide(a, b, out=r, where=b != 0)``: the ufunc's result written into ``out``
    (a write into an array the function made, as ``r[...] = result``), where ``where``
    holds for a call; NumPy's same_kind casting and output-shape rules, and its return
    value (``out`` itself). ``where=`` without ``out=`` leaves NumPy's elements
    uninitialised where it is False: refused."""
    outs = out if isinstance(out, tuple) else (out,)
    where = kwargs.pop("where", True) if method == "__call__" else True
    if out is None:
        raise NotImplementedError(
            f"numpy.{name}(..., where=...) without out= leaves the elements where the "
            f"condition is False uninitialised; pass an initialised out= "
            f"(np.{name}(..., out=np.zeros_like(a), where=mask)) or write "
            f"np.where(mask, np.{name}(...), 0)")
    if where is not True:
        inputs = _masked_inputs(ufunc, inputs, where)
    results = getattr(ufunc, method)(*inputs, **kwargs)  # traced, without out=
    results = results if isinstance(results, tuple) else (results,)
    given = [r if o is None else write_out(name, r, o, where) for o, r in zip(outs, results)]
    return given[0] if len(given) == 1 else tuple(given)


_HARMLESS = (1, 0.5, 2, 0)  # tried in turn: the first the ufunc takes without a warning


def _masked_inputs(ufunc: np.ufunc, inputs: tuple, where: Any) -> tuple:
    """The array inputs of ``np.divide(a, b, out=r, where=b != 0)`` with a harmless value
    where ``where`` is False: NumPy never computes there, so the loop warns of no division
    by zero; gvmap computes every element and keeps ``out``'s there, and with the inputs
    as they are would warn where NumPy does not. The value is the first of ``_HARMLESS``
    that the ufunc takes, in these dtypes, without a floating-point error."""
    inputs = tuple(np.asarray(x) if isinstance(x, list | tuple) else x for x in inputs)
    arrays = [isinstance(x, Tracer | np.ndarray) for x in inputs]
    if not any(arrays):
        return inputs
    dtypes = [x.dtype if is_array else np.result_type(x) for x, is_array in zip(inputs, arrays)]
    for value in _HARMLESS:
        try:
            with np.errstate(all="raise"):
                ufunc(*(np.asarray(value).astype(dt) for dt in dtypes))
        except (FloatingPointError, TypeError, ValueError):
            continue
        gnp = _gnp()
        return tuple(gnp.where(where, x, np.asarray(value).astype(x.dtype)[()]) if is_array
                     else x for x, is_array in zip(inputs, arrays))
    return inputs


def write_out(name: str, result: Any, out: Any, where: Any = True) -> Any:
    """``result`` of ``np.<name>(..., out=out, where=where)`` written into ``out``, which is
    returned: an array the function made, NumPy's same_kind cast and output shape."""
    if not isinstance(out, Tracer):
        raise TypeError(
            f"numpy.{name}(..., out=...) into a {type(out).__name__} the traced function did "
            f"not make: NumPy would write into the caller's array, which gvmap never does. "
            f"Use the returned value: `y = np.{name}(...)`")
    check_ufunc_output(name.split(".")[0], result, out)
    value = result if where is True else _gnp().where(where, result, out)
    out._write(Ellipsis, value, f"`np.{name}(..., out=x)`", f"Write `x = np.{name}(...)`")
    return out


def _concrete(convert: Callable, what: str, hint: str = "") -> Callable:
    """A request for a concrete value (``bool(x)``, ``x.item()``...): a known tracer
    answers it from its value, any other refuses it, saying why and what to write."""
    def method(self, *args):
        if self._value is not None:
            return convert(self._value, *args)
        raise self._concrete_value_error(what, hint)  # (its frame 2 is this method's caller)
    return method


class Tracer(TracedArray):
    """A traced array: shape and dtype known, contents not. Behaves like a NumPy array.

    A tracer may also be *known*: it stands for an array whose value is known while
    tracing (a table the function closes over, ``np.zeros(3)`` made inside it, anything
    computed from those alone; see ``gvmap.rebinding``). A known tracer answers every
    request for a concrete value (``bool``, ``float``, ``.tolist()``, ``np.asarray``) as
    NumPy would, and operations on known values alone are computed at once (``bind``
    folds them). Meeting a traced value, it becomes a graph constant, which is how
    ``TABLE[i]`` with a traced ``i`` works although NumPy's own indexing cannot see ``i``.

    Writes into it (``x[k] = v``, ``x += v``, ``x.sort()``) are its base class's,
    ``gvmap.aliasing.TracedArray``.
    """

    __slots__ = ("_trace", "_var", "_base", "_value", "_viewed", "_holds", "_scalar",
                 "_python", "__weakref__")
    __array_priority__ = 1000  # NumPy arrays defer their binary operators to us

    def __init__(self, trace: Trace, var: Var, value: np.ndarray | None = None):
        self._trace = trace
        self._var = var
        self._base: tuple | None = None  # (tracer, key): a basic-indexing view of it
        self._value = value  # the array it stands for, when known (read-only)
        # (weak reference, var) of each array this one is a view of that no write follows
        # (x.reshape, x.T, np.flip(x)): a write into this tracer cannot reach them
        self._viewed: tuple = ()
        self._holds: Tracer | None = None  # the basic-indexing view this one is a view of
        self._scalar = False  # stands for a NumPy scalar (x[0] of a vector): immutable
        # stands for a Python number (float, int or bool: math.sqrt's result), which
        # promotes weakly and computes by Python's rules (gvmap.pyscalars); else None
        self._python: type | None = None

    @property
    def known(self) -> np.ndarray | None:
        """The value this tracer stands for, where it is known at trace time; else None."""
        return self._value

    # ---- metadata
    @property
    def aval(self) -> AbstractArray:
        return self._var.aval

    @property
    def shape(self) -> tuple[int, ...]:
        return self._var.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self._var.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self._var.aval.shape)

    @property
    def size(self) -> int:
        return self._var.aval.size

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a traced 0-d array)")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __copy__(self) -> "Tracer":
        """``copy.copy`` / ``copy.deepcopy``: a new array as ``x.copy()`` (the caller's
        array stays unwritten); a NumPy scalar is immutable, itself, as in NumPy."""
        return self if self._scalar else self.copy()

    def __deepcopy__(self, memo: dict) -> "Tracer":
        return self.__copy__()

    def __repr__(self) -> str:
        if self._value is not None:
            return repr(self._value)
        return f"Tracer<{self.aval}>"

    def __str__(self) -> str:
        return str(self._value) if self._value is not None else repr(self)

    def __format__(self, spec: str) -> str:
        """A known value formatted as NumPy's; a traced one without a format spec (``print(
        f"{s}")`` while debugging) is its repr, shape and dtype, printed once, when traced;
        with a spec (``f"{s:.3f}"``) it needs the number, which differs per example."""
        if self._value is not None:
            return format(self._value, spec)
        if not spec:
            return str(self)
        raise self._concrete_value_error(
            f"format(x, {spec!r}) (an f-string `{{x:{spec}}}`, str.format) on a traced array",
            " Each example has its own value: return it from the function and format the "
            "result after the call (`{x}` without a format spec prints the traced shape and "
            "dtype, once, when the function is traced).")

    def __hash__(self) -> int:
        """As NumPy hashes: a NumPy scalar by its value (``set(x)``, a dict key,
        ``Counter(x)``), an array not at all. A known tracer hashes as its value; a traced
        scalar's value is not known, so hashing it is refused (hashed by identity, as it
        was, ``len(set(x))`` counted every element as distinct: a wrong answer)."""
        if self._value is not None:
            return hash(self._value[()] if self._scalar else self._value)
        if not self._scalar:
            raise TypeError("unhashable type: 'numpy.ndarray'")
        raise self._concrete_value_error(
            "hash() of a traced NumPy scalar (an element of set(x), a dict key, "
            "collections.Counter(x))", concrete.HASH_HINT)

    # ---- NumPy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _gnp()
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        out = kwargs.pop("out", None)
        if out is not None or method == "__call__" and "where" in kwargs:
            return _with_out(ufunc, method, name, inputs, kwargs, out)
        impl = HANDLED_UFUNCS.get(name)
        if impl is None and all_known((inputs, kwargs)):
            # a ufunc gvmap does not trace (scipy.special's, say) on known values: NumPy's
            return known_call(getattr(ufunc, method), inputs, kwargs)
        if impl is None:
            if ufunc.__name__.endswith(" (vectorized)"):  # np.frompyfunc's
                raise NotImplementedError(
                    f"gvmap cannot trace the ufunc np.frompyfunc made of "
                    f"{ufunc.__name__[:-13]}: it calls the Python function once per element, "
                    f"on concrete values. Write np.vectorize(f, otypes=[float]) instead (gvmap "
                    f"traces f once, on a traced element), or call f on the arrays")
            label = (f"numpy.{name}" if getattr(np, ufunc.__name__, None) is ufunc else
                     f"the ufunc {name} (not NumPy's)")  # scipy.special's name no module
            raise NotImplementedError(
                f"gvmap cannot trace {label}; rewrite it with supported NumPy functions "
                f"(see gvmap.numpy) or compute it outside the vmapped function")
        return scalar_if_0d(fresh(impl(*inputs, **kwargs), inputs))  # a new array (or scalar)

    def __array_function__(self, func, types, args, kwargs):
        _gnp()
        impl = HANDLED_FUNCTIONS.get(func)
        if numpy_answers(func, impl is not None, (args, kwargs)):
            return known_call(func, args, kwargs)  # NumPy's own function, on known values
        if impl is None:
            module = getattr(func, "__module__", "numpy") or "numpy"
            module = "numpy" if module.startswith("numpy._core") else module
            raise NotImplementedError(
                f"gvmap cannot trace {module}.{func.__name__}; rewrite it with supported NumPy "
                f"functions (see gvmap.numpy) or compute it outside the vmapped function")
        return numpy_result(func, impl(*args, **kwargs), (args, kwargs))

    def _concrete_value_error(self, what: str, hint: str = "") -> Exception:
        if self._trace not in _stack():
            return leaked_error()
        trace = self._trace
        sources = trace.input_sources(self._var)
        # which arguments make it traced: `if n > 0` with n passed as an array
        source = f" (computed from {', '.join(sources)})" if sources else ""
        scalars = [name for v, name in trace.input_names.items()  # (in argument order)
                   if v in trace.unbatched_scalars and name in sources]
        if sources and len(scalars) == len(sources):  # one number per call: make it static
            hint += concrete.static_number_hint(scalars)
        return concrete.refusal(sys._getframe(2), what, hint, source)  # 2: the dunder's caller

    def __array__(self, dtype=None, copy=None):
        if self._value is not None:
            if copy or (dtype is not None and np.dtype(dtype) != self.dtype):
                return np.array(self._value, dtype=dtype)
            return self._value
        if self._trace in _stack() and concrete.in_subscript(sys._getframe(1)):
            raise concrete.table_index_error()
        raise self._concrete_value_error(
            "np.asarray()/np.array()/np.ascontiguousarray() on a traced array"
            + (concrete.library_caller_hint(sys._getframe(1))
               or concrete.numpy_caller_hint(sys._getframe(1))),
            " The traced value is already an array: use it as it is, x.astype(dtype) for "
            "another dtype, or x.copy() for a copy. To build an array from traced values "
            "(np.array([c, -s])), write np.stack([c, -s]) (np.stack([np.stack([c, -s]), "
            "np.stack([s, c])]) for a matrix)." + concrete.INDEX_HINT)

    # ---- concrete-value requests: control flow (a known tracer answers them)
    def __bool__(self) -> bool:
        """A known value's truth; at an ``assert`` or ``if bad: raise E(...)``, the branch
        that goes on, the raise deferred to a check (``gvmap.assertions``); else refused."""
        if self._value is not None:
            return bool(self._value)
        if self._trace in _stack():
            from .assertions import defer, raise_site
            site = raise_site(sys._getframe(1))
            if site is not None:
                return defer(self, site)
        raise self._concrete_value_error(  # (its frame 2 is this method's caller)
            "Python `if`/`while`/`and`/`or`/bool() on a traced array")
    __float__ = _concrete(float, "float() on a traced array", concrete.NUMBER_HINT % "float64")
    __int__ = _concrete(int, "int() on a traced array", concrete.NUMBER_HINT % "int64")
    __complex__ = _concrete(complex, "complex() on a traced array", concrete.COMPLEX_HINT)
    __index__ = _concrete(operator.index, "using a traced array as a Python index or size",
                          concrete.INDEX_HINT)
    def item(self, *args):
        """ndarray.item: the element as a Python number, traced like ``float(x[0])``
        (``gvmap.pyscalars``): a float, int or bool of the element's exact value. A known
        array answers with NumPy's; a uint64 element (a Python int past int64) is refused."""
        if self._value is not None:
            return self._value.item(*args)
        x = self
        if len(args) == 1 and isinstance(args[0], tuple):
            args = args[0]
        if len(args) == 1 and isinstance(args[0], (int, np.integer)) and self.ndim != 1:
            if not -self.size <= args[0] < self.size:
                raise IndexError(f"index {args[0]} is out of bounds for size {self.size}")
            x = _gnp().ravel(x)[args[0]]
        elif args:
            x = x[args]
        elif self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        else:
            x = _gnp().reshape(x, ())
        kind = {"b": bool, "i": int, "u": int, "f": float}.get(self.dtype.kind)
        if kind is None or self.dtype == np.uint64:
            raise self._concrete_value_error(".item() on a traced array")
        return pyscalars.as_python(x, kind)

    def tolist(self):
        """ndarray.tolist: nested lists of the elements as Python numbers (``item``), so
        ``sum(x.tolist())`` and ``max(x.tolist())`` batch as the loop computes them."""
        if self._value is not None:
            return self._value.tolist()
        if self.ndim == 0:
            return self.item()
        if self.dtype.kind not in "biuf" or self.dtype == np.uint64:
            raise self._concrete_value_error(".tolist() on a traced array")
        return [self[i].tolist() if self.ndim > 1 else self[i].item() for i in range(self.shape[0])]
    as_integer_ratio = _concrete(
        lambda v: v[()].as_integer_ratio(),
        "x.as_integer_ratio() (which the statistics and fractions modules call) on a traced "
        "value", " For statistics.mean / median / stdev / variance of a traced array write "
        "np.mean(x) / np.median(x) / np.std(x, ddof=1) / np.var(x, ddof=1).")

    def __round__(self, ndigits: int | None = None):
        """round(s, n) of a NumPy scalar is np.round(s, n); round(s) a Python int (traced:
        ``gvmap.pyscalars``); an array has no round() in NumPy."""
        if not self._scalar:
            raise TypeError("type numpy.ndarray doesn't define __round__ method (as NumPy "
                            "says for an array): write np.round(x, decimals)")
        if self.dtype == np.bool_ and self._python is None:
            raise TypeError("type numpy.bool doesn't define __round__ method")
        if ndigits is None:  # a Python int: half to even, as np.rint
            if self._value is not None:
                return round(self._value[()])
            return pyscalars.to_int(self, "rint", "builtins.round")
        if self._python is not None:  # round(t, n) of a Python number: Python's rounding
            if self._value is not None:
                return round(self._value[()].item(), ndigits)
            return pyscalars.python_round(self, ndigits)
        return scalar_if_0d(_gnp().round(self, ndigits))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def flat(self) -> FlatIterator:
        return FlatIterator(self)

    # ---- indexing and methods: gvmap.numpy does the work
    def __getitem__(self, key):
        key = static_key(key)
        if isinstance(key, Tracer) and key.dtype == np.bool_:
            from .numpy.masked import select
            return select(self, key)  # x[mask]: usable where its shape never shows
        trace = self._trace
        before = len(trace.views.get(self._var, ()))
        scalar = scalar_key(key, self.ndim)
        if basic_key(key) and not scalar:
            out = _gnp().getitem(self, key)
        else:  # NumPy copies (x[np.array(0)], x[1:, idx]) or gives a scalar (x[0, 1]): the
            # slices taken on the way are gvmap's, no view of x the user holds
            with trace.internal_views(self._var):
                out = _gnp().getitem(self, key)
        if isinstance(out, Tracer) and out is not self and scalar:
            out = _gnp().copy(out) if out._viewed or out._base is not None else out
            out._viewed, out._scalar = (), True
        elif isinstance(out, Tracer) and out is not self and basic_key(key) \
                and trace is current_trace():
            # the views this indexing took of x are the tracer it returns: tracked weakly,
            # so a temporary (x[1:].sum()) does not block later writes into x
            refs = trace.views.get(self._var, [])
            refs[before:] = [weakref.ref(out)] * (len(refs) - before)
            out._base = (self, key)
            out._viewed = ()  # a write into it reaches x through _base (and x checks its own)
        elif isinstance(out, Tracer) and out is not self:
            cut_view(out)  # NumPy copies: the views gvmap took on the way are its own
        return out

    def conj(self):
        """ndarray.conj of a real array is the array itself (np.conj(bool) is int8, this is not)."""
        return self

    conjugate = conj

    @property
    def real(self):
        return _gnp().real(self)

    @property
    def imag(self):
        return _gnp().imag(self)

    @property
    def T(self):
        return _gnp().transpose(self)

    @property
    def mT(self):
        return _gnp().swapaxes(self, -1, -2)

    def astype(self, dtype, copy=True):
        out = _gnp().astype(self, dtype)
        return fresh(out, self) if copy else out

    def flatten(self, order="C"):
        """ndarray.flatten: always a copy (ravel is a view), so neither a write into the
        result nor one into x reaches the other, and no view of x is left behind."""
        with self._trace.internal_views(self._var):
            flat = _gnp().ravel(self, order=order)
        return _gnp().copy(flat)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _gnp().reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _gnp().transpose(self, axes or None)

    def __getattr__(self, name):
        # Methods that are plain NumPy functions of the array: x.sum(axis=1) == np.sum(x, axis=1).
        if name in _METHODS:
            fn = getattr(_gnp(), name)
            if name in _VIEW_METHODS:
                return lambda *a, **k: fn(self, *a, **k)
            def method(*a, **k):
                if all_known((self, a, k)) and hasattr(np.ndarray, name):
                    return known_call(getattr(np.ndarray, name), (self, *a), k)  # NumPy's own
                out = fresh(fn(self, *a, **k), (self, a, k))
                return out if name == "copy" else scalar_if_0d(out)  # copy: a 0-d array
            return method
        if name in _KNOWN_ATTRIBUTES and self._value is not None:
            return getattr(self._value, name)
        method = pyscalars.number_method(self, name)  # t.is_integer(), k.bit_length()
        if method is not None:
            return method
        raise AttributeError(f"traced arrays have no attribute '{name}'")


# what a known tracer answers from its value (read-only facts and copies out)
_KNOWN_ATTRIBUTES = {"strides", "tobytes", "flags", "data"}
_METHODS = {"sum", "mean", "prod", "max", "min", "argmax", "argmin", "var", "std", "cumsum", "cumprod",
            "ravel", "squeeze", "swapaxes", "dot", "take", "clip", "all", "any",
            "copy", "round"}
_VIEW_METHODS = {"ravel", "squeeze", "swapaxes"}  # NumPy's return views; the rest, new arrays


def all_known(tree: Any) -> bool:
    """There is a tracer in ``tree`` (call arguments), and every one is known."""
    tracers = [x for x in call_leaves(tree) if isinstance(x, Tracer)]
    return bool(tracers) and all(t._value is not None for t in tracers)


def numpy_answers(func: Callable, traced_by_gvmap: bool, args: Any) -> bool:
    """Is NumPy's own ``func`` on the values the answer to the call with ``args`` (call
    arguments)? Where every tracer among them is known, and gvmap does not trace ``func``
    or ``func`` gives a new array: one that may return its argument or a view of it
    (``MAY_RETURN_ARGUMENT``) goes through gvmap's own function, whose views are tracked,
    and one that writes into its argument (``WRITES_ARGUMENT``) through gvmap's writes."""
    if traced_by_gvmap and (func in MAY_RETURN_ARGUMENT or func in WRITES_ARGUMENT):
        return False
    return all_known(args)


def known_call(fn: Callable, args: Sequence[Any], kwargs: dict) -> Any:
    """``fn`` (a NumPy function or ufunc method) on the values of the known tracers among
    its arguments; array results are known tracers again. Used where every traced
    argument is known and ``fn`` gives a new array (not one of ``MAY_RETURN_ARGUMENT``,
    whose views gvmap's own functions track) or gvmap does not trace ``fn``: NumPy's
    answer exactly, data-dependent shapes included (``np.nonzero(np.array([1, 0, 1]))``)."""
    def values(x: Any) -> Any:
        if isinstance(x, Tracer):
            return x._value
        if isinstance(x, (tuple, list)):
            return type(x)(values(e) for e in x)
        if isinstance(x, dict):
            return {k: values(v) for k, v in x.items()}
        return x

    out = fn(*values(tuple(args)), **values(kwargs))
    return as_known(out, (args, kwargs))


def loop_value(x: "Tracer") -> Any:
    """A known tracer as the loop's value: an array (a copy, writable), a NumPy scalar, or a
    Python number (what the loop stores where traced code stores it in outside state)."""
    if x._python is not None:
        return x._python(x.known[()])
    return x.known[()] if x._scalar else np.array(x.known)


def as_known(out: Any, inputs: Any) -> Any:
    """NumPy's result ``out`` as the trace sees it: each numeric ndarray in it (or in a
    tuple/list of results) a known tracer, which the function may write into unless it
    shares memory with one of ``inputs`` (a view or ``np.asarray`` of the caller's array)."""
    trace = current_trace()
    if trace is None:
        return out
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a named result (slogdet's)
        return type(out)(*(as_known(o, inputs) for o in out))
    if isinstance(out, (tuple, list)):
        return type(out)(as_known(o, inputs) for o in out)
    if type(out) is not np.ndarray or out.dtype.kind not in "biuf":
        return out
    shared = _shares_memory(out, inputs)  # the caller's memory: a snapshot, not writable
    return trace.constant(out, owned=not shared, snapshot=shared)


def _shares_memory(out: np.ndarray, inputs: Any) -> bool:
    arrays = (x._value if isinstance(x, Tracer) else x for x in call_leaves(inputs))
    return any(isinstance(x, np.ndarray) and np.shares_memory(out, x) for x in arrays)


def _binop(name: str, reflected: bool = False):
    def op(self, other, modulo=None):
        if modulo is not None:  # pow(a, b, m): Python ints only, as in the loop
            if reflected:
                return NotImplemented  # (three-argument pow calls no __rpow__)
            if self._python is None:
                raise TypeError(f"unsupported operand type(s) for ** or pow(): "
                                f"'numpy.{self.dtype.type.__name__}', "
                                f"'{type(other).__name__}', '{type(modulo).__name__}'")
            return pyscalars.modular_pow(self, other, modulo)
        if getattr(other, "__array_priority__", 0) > Tracer.__array_priority__ and \
                not isinstance(other, Tracer):
            return NotImplemented  # as NumPy's arrays defer: k * x[mask] is the selection's
        a, b = (other, self) if reflected else (self, other)
        if self._python is not None and pyscalars.python_operands(a, b):
            return pyscalars.binary(name, a, b)  # Python numbers: Python's rules
        return scalar_if_0d(fresh(getattr(_gnp(), name)(a, b), (self, other)))
    return op


for _dunder, _fn in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                     ("truediv", "true_divide"), ("floordiv", "floor_divide"),
                     ("mod", "remainder"), ("divmod", "divmod"), ("pow", "power"),
                     ("matmul", "matmul"), ("and", "bitwise_and"), ("or", "bitwise_or"),
                     ("xor", "bitwise_xor"), ("lshift", "left_shift"),
                     ("rshift", "right_shift")]:
    setattr(Tracer, f"__{_dunder}__", _binop(_fn))
    setattr(Tracer, f"__r{_dunder}__", _binop(_fn, reflected=True))


for _dunder, _fn in [("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"),
                     ("gt", "greater"), ("ge", "greater_equal")]:
    setattr(Tracer, f"__{_dunder}__", _binop(_fn))
for _dunder, _fn in [("neg", "negative"), ("pos", "positive"), ("abs", "absolute"),
                     ("invert", "invert")]:
    setattr(Tracer, f"__{_dunder}__",
            (lambda f: lambda self: pyscalars.unary(f, self) if self._python is not None
             else scalar_if_0d(fresh(getattr(_gnp(), f)(self), self)))(_fn))


# --- sorting and searching ---
# x.argsort(), x.searchsorted(v) and x.nonzero() (refused: a data-dependent shape) are the
# NumPy functions of x; x.sort() and x.partition(kth) sort x in place, which a tracer does
# as ``x[key] = v`` does: x stands for the sorted value from then on (refused where x is an
# argument or a closed-over array, whose caller would see the write).
_METHODS |= {"argsort", "argpartition", "searchsorted", "nonzero"}




# --- small NumPy habits ---
# x.diagonal() is NumPy's (read-only) view of x, as np.diagonal's; x.trace(), x.repeat(k) and
# x.compress(condition) (a known condition) are new arrays.
_METHODS |= {"diagonal", "trace", "repeat"}
_VIEW_METHODS |= {"diagonal"}


def _compress(self, condition, axis=None, out=None):
    """ndarray.compress: np.compress(condition, x, axis) (its condition comes first)."""
    if all_known((self, condition)):
        return known_call(np.ndarray.compress, (self, condition, axis), {"out": out})
    return fresh(_gnp().compress(condition, self, axis, out), self)


Tracer.compress = _compress


# --- bit views, choose and put ---
# x.view(dtype): x's bits as a dtype of the same itemsize (gvmap/numpy/bits.py), a view no
# write follows; x.view() is x itself. x.choose(choices) is np.choose(x, choices); x.put(ind,
# v) writes into x as np.put(x, ind, v) does (not NumPy's method on a known read-only value).
_METHODS |= {"choose"}


def _view(self, dtype=None, type=None):
    """ndarray.view: see gvmap.numpy.bits.view."""
    from .numpy.bits import view
    return view(self, dtype, type)


def _put(self, ind, v, mode="raise") -> None:
    """ndarray.put: np.put(x, ind, v, mode), a write into x."""
    _gnp().put(self, ind, v, mode)


Tracer.view = _view
Tracer.put = _put


from . import pyscalars  # noqa: E402  (Python numbers' rules; it imports Tracer)
