"""Trace a user's function as if it had been written against ``gvmap.numpy``.

NumPy hands a call to a traced value only where the value is an argument NumPy inspects.
Three habits of ordinary per-example code escape that:

* ``np.array([[c, -s], [s, c]])``, ``np.full(n, v)``: NumPy builds an object array, or
  asks ``float(v)``;
* ``out = np.zeros(3); out[0] = v``: a NumPy array's ``__setitem__`` asks ``float(v)``;
* ``EMB[tokens]``, ``np.take(EMB, tokens)`` with ``EMB`` a closed-over NumPy array:
  NumPy's own indexing (and ``take``, which dispatches on ``EMB`` only) never sees
  ``tokens``.

JAX users fix these by writing ``jnp`` for ``np``. gvmap does that rewrite for the user,
while tracing, without touching their source: the function (and, recursively, the
user-defined functions it reaches by name) is traced as a COPY whose NumPy names are
rebound, wherever Python itself looks them up:

* globals the code reads, closure cells, default and keyword-default arguments;
* the ``numpy`` module becomes ``TRACED_NUMPY`` (``numpy.linalg``, ``TRACED_LINALG``);
  NumPy functions imported by name (``from numpy import zeros``) become theirs too;
* closed-over NumPy arrays become *known* tracers (``Tracer.known``): they act as the
  arrays they are (``float``, ``len``, ``.tolist()``, ``if W.max() > 1:`` and every
  computation on constants alone happen at once, with NumPy), and become graph constants
  where they meet traced values, so ``EMB[tokens]`` gathers;
* a module, class or object of the user's own (``import mylib``, ``Quat``, ``self``)
  becomes a view (``gvmap.views``), whose attributes are read as globals are
  (``mylib.helper(x)``, ``self.rotation(t)``, ``self.emb[tokens]``, ``Quat(*v).unit()``).

In ``TRACED_NUMPY`` a function with a traced value among its arguments runs gvmap's
implementation; otherwise NumPy's own runs, and the arrays it returns are known tracers,
which the function may write into (``out[0] = v``) as into any array it made.

The items of lists, tuples, namedtuples, deques and dicts (OrderedDicts, defaultdicts) read
there are rebound too (``views.container_view``), and a namedtuple class's own methods
(``views.namedtuple_view_type``).

Where it stops (documented in README): objects of library classes (but
``SimpleNamespace`` / ``argparse.Namespace``), of classes deriving from a builtin type, and
other containers (sets, mappingproxies) are not rebound;
library code (anything installed, NumPy, gvmap) is never rewritten; a function that assigns globals
(``global``) or writes a closed-over variable (``nonlocal``) keeps those names as they
are; ``import numpy`` inside the function body binds the real module. In those places a
NumPy array indexed by a traced value is refused with a message naming the rewrite
(``gvmap.numpy.take(table, i, axis=0)``).

``isinstance`` answers of a traced value as the loop would of its value: ``np.ndarray`` and
NumPy's scalar types are rebound (``_ScalarTypeMeta``), and so is the builtin ``isinstance``
itself (``_traced_isinstance``), since ``isinstance(x[0], float)`` is True in the loop for
a float64 x (``np.float64`` subclasses Python's float); ``type`` and ``hasattr`` likewise
(``type(x) is np.ndarray``, ``hasattr(x[0], "__len__")``). ``x.__class__`` still names
gvmap's tracer.
"""
from __future__ import annotations

import functools
import math
import types
from typing import Any, Callable

import numpy as np

from .pybuiltins import BUILTINS as FOLDING_BUILTINS, NUMBER_TYPES, StandInMeta
from .pyscalars import MATH_FUNCTIONS, numpy_scalar
from .sources import _global_names, _is_user_code, is_user_module, stored_names
from .views import (ClassView, ModuleView, ObjectView, container_view, is_container,
                    is_namedtuple_class, is_user_class, is_user_instance, namedtuple_view_type,
                    traced_super, unview)
from .aliasing import call_leaves, numpy_result
from .tracing import (HANDLED_FUNCTIONS, Tracer, as_known, current_trace, known_call,
                      numpy_answers)

__all__ = ["rebound", "TRACED_NUMPY", "TRACED_LINALG"]

_MAX_FUNCTIONS = 500  # a bound on one trace's rebuilt functions
_GLOBAL_WRITES = frozenset({"STORE_GLOBAL", "DELETE_GLOBAL"})
_CELL_WRITES = frozenset({"STORE_DEREF", "DELETE_DEREF"})


def _has_tracer(tree: Any) -> bool:
    return any(isinstance(x, Tracer) for x in call_leaves(tree))


def _dual(numpy_fn: Callable, traced_fn: Callable) -> Callable:
    """``numpy_fn`` as the traced code sees it: gvmap's ``traced_fn`` where a traced value
    is among the arguments, NumPy's own (with known-tracer results) where none is."""
    @functools.wraps(numpy_fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not _has_tracer((args, kwargs)):
            return as_known(numpy_fn(*args, **kwargs), (args, kwargs))
        if numpy_answers(numpy_fn, True, (args, kwargs)):
            return known_call(numpy_fn, args, kwargs)  # constants alone: NumPy's answer now
        return numpy_result(numpy_fn, traced_fn(*args, **kwargs), (args, kwargs))
    return call


@functools.lru_cache(maxsize=None)
def _constructors() -> dict[Any, Callable]:
    """NumPy functions that never dispatch to a traced argument, and gvmap's versions."""
    from .numpy import construction as c

    return {np.array: c.array, np.asarray: c.asarray, np.asanyarray: c.asanyarray,
            np.ascontiguousarray: c.ascontiguousarray, np.full: c.full, np.isscalar: _isscalar}


@functools.lru_cache(maxsize=None)
def _iterating() -> dict[Any, Callable]:
    """NumPy's functions and classes that iterate (over an iterable, whose traced items no
    argument shows, or over an array, through NumPy's asarray), and gvmap's versions, which
    take every call."""
    from .numpy import construction as c

    return {np.fromiter: c.fromiter, np.ndenumerate: c.ndenumerate, np.nditer: c.nditer}


def _isscalar(element: Any) -> bool:
    """numpy.isscalar: a traced NumPy scalar (``x[0]``, ``x.sum()``) is one, as in the loop."""
    return element._scalar if isinstance(element, Tracer) else np.isscalar(element)


def _traced_isinstance(obj: Any, classinfo: Any) -> bool:
    """The builtin ``isinstance`` as traced code sees it: of a tracer, what the loop answers
    of the value it stands for, an ``np.ndarray`` or, for a NumPy scalar (``x[0]``,
    ``x.sum()``), its scalar type, which for float64 (complex128) is a Python float
    (complex): ``isinstance(x[0], float)``, ``isinstance(s, (int, float))``,
    ``isinstance(v, numbers.Real)`` branch as they do in the loop."""
    if isinstance(obj, Tracer):
        return isinstance(obj, classinfo) or issubclass(_loop_type(obj), classinfo)
    return isinstance(obj, classinfo)


def _loop_type(x: Tracer) -> type:
    """The type of the value a tracer stands for in the loop: an array, for a NumPy scalar
    (``x[0]``, ``x.sum()``) its scalar type, for a Python number (``math.sqrt(s)``) its
    Python type."""
    return x._python or (x.dtype.type if x._scalar else np.ndarray)


def _traced_hasattr(obj: Any, name: str) -> bool:
    """The builtin ``hasattr`` as traced code sees it: of a tracer, whether the loop's value
    has the attribute (``hasattr(x[0], "__len__")`` is False, as of a NumPy scalar)."""
    return hasattr(_loop_type(obj), name) if isinstance(obj, Tracer) else hasattr(obj, name)


class _BuiltinTypeMeta(type):
    """Makes ``_TracedBuiltinType`` answer ``isinstance(c, type)`` as the builtin does."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and isinstance(args[0], Tracer):
            x = args[0]  # a Python number's type is Python's own (as traced code sees it)
            return NUMBER_TYPES.get(x._python, x._python) or _traced_type(_loop_type(x))
        out = type(*args, **kwargs)
        real = getattr(out, "gvmap_real_type", None) if len(args) == 1 else None
        if real is not None:  # a container read with its items rebound: its own type
            return real
        if len(args) == 1 and issubclass(out, ObjectView):  # an object of the user's: its
            return object.__getattribute__(args[0], "_rebound")(type(unview(args[0])))  # class
        return NUMBER_TYPES.get(out, out) if len(args) == 1 else out

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, type)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, type)


class _TracedBuiltinType(type, metaclass=_BuiltinTypeMeta):
    """The builtin ``type`` as traced code sees it: of a tracer, the (rebound) type of the
    loop's value, so ``type(x) is np.ndarray`` and ``type(x[0]) == np.float64`` branch as
    in the loop and ``type(x[0])(0.5)`` makes a NumPy scalar; anything else, the builtin."""


# builtins that traced code reads in gvmap's version (a rebuilt function's globals hold them)
_BUILTINS = {"isinstance": _traced_isinstance, "hasattr": _traced_hasattr,
             "type": _TracedBuiltinType, "super": traced_super, **FOLDING_BUILTINS}


class _ScalarTypeMeta(StandInMeta):
    """A traced type (``np.ndarray``, ``np.float64``, ``np.floating``...) compares, hashes
    and answers ``issubclass`` as the NumPy type it stands for (``x.dtype == np.float64``,
    ``{np.float32: ...}`` lookups, ``np.issubdtype(x.dtype, np.floating)`` keep working;
    only ``is`` tells them apart). ``isinstance`` of a tracer answers as the loop would of
    the value it stands for: an array is an ``np.ndarray``, a NumPy scalar (``x[0]``,
    ``x.sum()``) an instance of its scalar type and of the abstract ones above it."""

    def __instancecheck__(cls, obj: Any) -> bool:
        if isinstance(obj, Tracer):
            if obj._python is not None:  # a Python number is no NumPy type's instance
                return False
            if cls.stands_for is np.ndarray:
                return not obj._scalar
            return obj._scalar and issubclass(obj.dtype.type, cls.stands_for)
        return isinstance(obj, cls.stands_for)


@functools.lru_cache(maxsize=None)
def _traced_type(numpy_type: type) -> type:
    """``np.float64`` (any bool, integer, float or complex scalar type) as traced code sees it:
    called on a traced value it converts as NumPy's constructor does an array, which is
    ``np.asarray(x, dtype=np.float64)``: x itself where it has that dtype (NumPy returns the
    same array), else a converted new one (``np.float64(x.sum())``; np.int32 of floats
    truncates). On anything else it is NumPy's own constructor. A subclass of the NumPy
    type, so ``dtype=np.float64``, ``np.dtype(...)``, ``np.finfo(...)`` and
    ``np.issubdtype`` see the NumPy type. ``np.ndarray`` and the abstract scalar types
    (``np.floating``, ``np.generic``...) are NumPy's own when called, and answer
    ``isinstance`` of a tracer (``_ScalarTypeMeta``)."""
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Tracer) and numpy_type in _SCALAR_TYPES:
            from .numpy import astype
            x = args[0]
            if x.dtype != numpy_type:
                return astype(x, numpy_type)
            return x if x._python is None else numpy_scalar(x)  # np.float64(math.sqrt(s))
        if numpy_answers(numpy_type, False, (args, kwargs)):  # np.ndarray(3, buffer=table)
            return known_call(numpy_type, args, kwargs)
        return numpy_type(*args, **kwargs)

    return _ScalarTypeMeta(numpy_type.__name__, (numpy_type,),
                           {"stands_for": numpy_type, "__new__": __new__,
                            "__module__": numpy_type.__module__,
                            "__doc__": numpy_type.__doc__})


def replacement(value: Any) -> Any:
    """What the traced code sees in place of a NumPy module or function ``value``."""
    if value is np:
        return TRACED_NUMPY
    if value is np.linalg:
        return TRACED_LINALG
    if value is math:
        return TRACED_MATH
    if isinstance(value, types.BuiltinFunctionType) and value in MATH_FUNCTIONS:
        return MATH_FUNCTIONS[value]  # from math import sqrt
    if isinstance(value, type) and (value in _SCALAR_TYPES or value in _ABSTRACT_TYPES) and \
            not isinstance(value, _ScalarTypeMeta):  # (one compares equal to its NumPy type)
        return _traced_type(value)
    if value is np.r_ or value is np.c_:  # index syntax, not a call: np.r_[a, 0.0]
        from .numpy import concatenators
        return concatenators.r_ if value is np.r_ else concatenators.c_
    if value is np.vectorize or type(value) is np.vectorize:
        # a class (gvmap's subclass, NumPy's own on NumPy arrays), or one made at import
        # (@np.vectorize, vf = np.vectorize(f)): gvmap's of the same function
        from .numpy.mapped import vectorize
        return vectorize if value is np.vectorize else vectorize.of(value)
    if value is np.fromiter or value is np.ndenumerate or value is np.nditer:
        return _iterating()[value]
    if isinstance(value, np.ufunc) or not callable(value) or isinstance(value, type):
        return value  # ufuncs dispatch to tracers themselves; dtypes and classes stay
    try:
        traced = _constructors().get(value) or HANDLED_FUNCTIONS.get(value)
    except TypeError:  # unhashable
        return value
    if traced is None:
        module = getattr(value, "__module__", None) or ""
        if module.split(".")[0] == "numpy" and not module.startswith("numpy.random"):
            # the rest of NumPy (zeros, ones, eye, arange...): NumPy's own function, with
            # known-tracer results (np.random's draws are refused while tracing anyway)
            return _known_results(value)
        return value
    return _dual(value, traced)


def _known_results(numpy_fn: Callable) -> Callable:
    @functools.wraps(numpy_fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return as_known(numpy_fn(*args, **kwargs), (args, kwargs))
    return call


class TracedModule(types.ModuleType):
    """A NumPy module as traced code sees it: every attribute NumPy's, but its functions
    through ``replacement`` (computed once per name)."""

    def __init__(self, module: types.ModuleType):
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_module"] = module

    def __getattr__(self, name: str) -> Any:
        from . import numpy as _gnp  # noqa: F401  (fills HANDLED_FUNCTIONS)

        value = replacement(getattr(self.__dict__["_module"], name))
        self.__dict__[name] = value
        return value

    def __dir__(self) -> list[str]:
        return dir(self.__dict__["_module"])

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} as gvmap traces it>"


# NumPy's bool, integer, float and complex scalar types (np.float64, np.int32, np.bool_,
# np.double...); on a traced value a complex one meets astype's complex refusal
_SCALAR_TYPES = frozenset(t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in "biufc")
# the types above them that ``isinstance`` is asked of (``isinstance(x, np.ndarray)``)
_ABSTRACT_TYPES = frozenset({np.ndarray, np.generic, np.number, np.integer, np.signedinteger,
                             np.unsignedinteger, np.inexact, np.floating, np.complexfloating})

TRACED_NUMPY = TracedModule(np)
TRACED_LINALG = TracedModule(np.linalg)
TRACED_MATH = TracedModule(math)  # its functions of traced values: gvmap.pyscalars


# Values that are never rebound, tested by exact type first: a closed-over list or dict of
# 1e5 floats or strings is mostly these, and was 3.5 us an item through the tests below.
_PLAIN = frozenset({int, float, complex, bool, str, bytes, type(None), type(Ellipsis)})


class _Rebinder:
    """One trace's rebuilt functions: each user function once, one copy of each module's
    globals shared by its functions (so they call each other's copies), one known tracer
    per closed-over array."""

    def __init__(self, reads: list | None = None) -> None:
        self.reads = reads  # (namespace, name) / (container, None) the views read
        self.functions: dict[int, Any] = {}
        self.globals: dict[int, dict] = {}
        self.arrays: dict[int, Any] = {}
        self.views: dict[int, Any] = {}  # one view per module or object of the user's
        self.keep: list[Any] = []  # ids above must stay unique while we trace

    def value(self, v: Any) -> Any:
        if type(v) in _PLAIN:  # most items of a big table: nothing to rebind, said at once
            return v
        if type(v) is np.ndarray:
            if v.ndim == 0 or v.dtype.kind not in "biuf":
                return v  # 0-d arrays are literals already; others are refused where used
            known = self.arrays.get(id(v))
            if known is None:
                trace = current_trace()
                known = self.arrays[id(v)] = trace.constant(v, owned=False, snapshot=True)
                self.keep.append(v)
            return known
        if isinstance(v, types.FunctionType):
            return self.function(v) if _is_user_code(v.__code__) else replacement(v)
        if v is np.r_ or v is np.c_:  # ``from numpy import r_``: not callable, rebound too
            return replacement(v)
        if is_user_module(v) or is_user_instance(v) or is_user_class(v):
            return self.view(v)
        if is_container(v):
            return self.container(v)
        if is_namedtuple_class(v):
            return self.namedtuple_class(v)
        if isinstance(v, types.ModuleType) or callable(v):
            if isinstance(v, functools.partial):
                return functools.partial(self.value(v.func), *map(self.value, v.args),
                                         **{k: self.value(a) for k, a in v.keywords.items()})
            if isinstance(v, types.MethodType) and isinstance(v.__func__, types.FunctionType):
                func, owner = self.value(v.__func__), self.value(v.__self__)
                return v if func is v.__func__ and owner is v.__self__ else \
                    types.MethodType(func, owner)
            return replacement(v)
        return v

    def container(self, v: Any) -> Any:
        """A list, tuple or dict with its items rebound (``views.container_view``), one per
        container; one holding itself is left as it is."""
        done = self.views.get(id(v))
        if done is None:
            self.views[id(v)] = v  # while its items are rebound: a cycle reads it as it is
            self.keep.append(v)
            done = self.views[id(v)] = container_view(v, self.value)
            if self.reads is not None and not isinstance(v, tuple):
                self.reads.append((v, None))  # a list or dict: its items are watched
        return done

    def namedtuple_class(self, cls: type) -> type:
        """A namedtuple class with its methods rebuilt (``views.namedtuple_view_type``),
        one per class."""
        done = self.views.get(id(cls))
        if done is None:
            self.keep.append(cls)
            done = self.views[id(cls)] = namedtuple_view_type(
                cls, self.value, lambda sub: self.views.__setitem__(id(cls), sub))
        return done

    def view(self, v: Any) -> Any:
        """The view of a module, class or object of the user's (``gvmap.views``), one per
        object."""
        view = self.views.get(id(v))
        if view is None:
            view = self.views[id(v)] = ModuleView(v, self.value) if is_user_module(v) else \
                ClassView(v, self.value) if isinstance(v, type) else ObjectView.of(v, self.value)
            self.keep.append(v)
        return view

    def callable(self, fun: Any) -> Any:
        """``fun`` rebuilt; a callable object's user-defined ``__call__`` too."""
        out = self.value(fun)
        if out is fun and not isinstance(fun, (types.FunctionType, types.MethodType,
                                               functools.partial, type)):
            call = getattr(type(fun), "__call__", None)
            if isinstance(call, types.FunctionType) and _is_user_code(call.__code__):
                rebuilt = self.function(call)
                if rebuilt is not call:
                    return types.MethodType(rebuilt, fun)
        return out

    def function(self, f: types.FunctionType) -> types.FunctionType:
        done = self.functions.get(id(f))
        if done is not None:
            return done
        code = f.__code__
        if len(self.functions) >= _MAX_FUNCTIONS or stored_names(code, _GLOBAL_WRITES) \
                or "globals" in _global_names(code) and "globals" not in f.__globals__:
            self.functions[id(f)] = f
            return f
        written = stored_names(code, _CELL_WRITES)
        originals = f.__closure__ or ()
        cells = tuple(cell if name in written else types.CellType()
                      for name, cell in zip(code.co_freevars, originals))
        glob = self._globals_of(f)
        new = types.FunctionType(code, glob, f.__name__, None, cells or None)
        self.functions[id(f)] = new
        self.keep.append(f)
        new.__qualname__, new.__module__ = f.__qualname__, f.__module__
        new.__dict__.update(f.__dict__)
        new.__defaults__ = tuple(map(self.value, f.__defaults__)) if f.__defaults__ else None
        if f.__kwdefaults__:
            new.__kwdefaults__ = {k: self.value(v) for k, v in f.__kwdefaults__.items()}
        for cell, original in zip(cells, originals):
            if cell is not original:
                try:
                    cell.cell_contents = self.value(original.cell_contents)
                except ValueError:
                    pass  # an empty cell stays empty (the name is unbound there)
        source = f.__globals__
        for name in _global_names(code):
            if name in source:
                glob[name] = self.value(source[name])
            elif name in _BUILTINS:
                glob[name] = _BUILTINS[name]
        return new

    def _globals_of(self, f: types.FunctionType) -> dict:
        source = f.__globals__
        copy = self.globals.get(id(source))
        if copy is None:
            copy = self.globals[id(source)] = dict(source)
        return copy


def rebound(fun: Callable, reads: list | None = None) -> Callable:
    """``fun`` as the active trace runs it: its NumPy names rebound (module docstring).
    Callables that are not user code come back unchanged. ``reads`` collects what the
    views read of outside state (``views.note_read``), for ``sources.Watch.add_reads``."""
    return _Rebinder(reads).callable(fun)
