"""What a traced function reads from outside its arguments, and whether that changed.

Tracing bakes in everything the function reads that is not an argument: closed-over arrays
become graph constants (a snapshot), closed-over Python numbers become literals, helper
functions are inlined. A compiled plan is therefore only valid while every NAME the traced
code read still refers to the same object. ``Watch`` records those names at trace time,
through the routes Python itself resolves them:

* default and keyword-default arguments of the function,
* its closure cells,
* the globals its code (and the code of lambdas/comprehensions nested in it) loads,

* the attributes of the user's own modules it reads by name (``mylib.SCALE``,
  ``mylib.helper``, ``pkg.sub.T``: a module's attributes are its globals),

and, recursively, the same for every user-defined function reached through those names
(helpers the function calls, the function inside a nested ``vmap``/``jit``, the pieces of a
``functools.partial``). A trace adds what it read through ``gvmap.views`` (``Watch.
add_reads``): the attributes of the user's objects and classes and of namespaces
(``model.W``, ``cfg.T``), and the lists and dicts it read, item by item (one of more than
``_WATCHED_ITEMS`` items by its length alone, a per-call cost). ``Watch.changed()``
is then one identity test per name, attribute and item: rebinding any of them
(``W = new_W``, ``T = 2.0``, ``helper = other_helper``, ``model.W = new_W``,
``params["W"] = ...``) makes the next call trace again. What is NOT watched, and stays a
snapshot as under ``jax.jit``: arrays mutated in place, the items of tuples and of
containers reached through a library's objects, and attributes of library modules
(``np.pi``).

Library code (NumPy, gvmap itself, anything installed under the interpreter's prefix) is
not walked: its globals are not the user's state.

The same walk finds the random generators a function closes over; ``RandomnessCheck``
compares their states (and NumPy's global state) before and after tracing, because a
draw made while tracing would be frozen into the plan.
"""
from __future__ import annotations

import dis
import functools
import operator
import os
import sysconfig
import types
from typing import Any, Callable, Iterator

import numpy as np

from .errors import TracedRandomnessError

__all__ = ["Watch", "RandomnessCheck", "attribute_or_none", "describe"]

_MISSING = object()
_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})
_MAX_FUNCTIONS = 200  # a bound on the walk: a function graph this large is not user state


def _library_roots() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.add(os.path.dirname(os.path.abspath(__file__)))  # gvmap itself (editable installs too)
    paths.add(os.path.dirname(os.path.abspath(np.__file__)))
    return tuple(sorted(os.path.join(os.path.abspath(p), "") for p in paths))


_LIBRARY_ROOTS = _library_roots()


def _is_user_code(code: types.CodeType) -> bool:
    return _is_user_file(code.co_filename)


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith(("<stdin", "<string", "<ipython")):
        return False  # frozen modules and the like
    path = os.path.abspath(filename)
    return not path.startswith(_LIBRARY_ROOTS)


def is_user_module(value: Any) -> bool:
    """Is ``value`` a module of the user's own (``import mylib``, ``from . import utils``):
    one loaded from a file outside the library roots? Its attributes are then read like
    globals (``mylib.helper(x)``, ``mylib.TABLE[i]``): watched here, rebound in
    ``gvmap.rebinding``."""
    if type(value) is not types.ModuleType:
        return False  # NumPy's traced modules and other module subclasses are not
    filename = getattr(value, "__file__", None)
    return isinstance(filename, str) and _is_user_file(filename)


@functools.lru_cache(maxsize=4096)
def stored_names(code: types.CodeType, opnames: frozenset) -> frozenset[str]:
    """The names ``code`` (and the code nested in it) stores with one of ``opnames``
    (``STORE_GLOBAL``: what its ``global`` statements assign)."""
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(ins.argval for ins in dis.get_instructions(c) if ins.opname in opnames)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return frozenset(names)


_ATTRIBUTE_OPS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
_ROOT_OPS = {"LOAD_GLOBAL": "global", "LOAD_NAME": "global", "LOAD_DEREF": "cell",
             "LOAD_CLASSDEREF": "cell"}


@functools.lru_cache(maxsize=4096)
def _attribute_chains(code: types.CodeType) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``(kind, name, attributes)`` for each ``name.a.b`` that ``code`` (and the code nested
    in it) reads, with ``name`` a global (kind "global") or a closed-over variable ("cell"):
    ``mylib.sub.helper(x)`` is ``("global", "mylib", ("sub", "helper"))``."""
    chains: dict[tuple, None] = {}
    stack = [code]
    while stack:
        c = stack.pop()
        root: tuple | None = None
        attrs: list[str] = []
        for ins in dis.get_instructions(c):
            if ins.opname in _ATTRIBUTE_OPS and root is not None:
                attrs.append(ins.argval)
                continue
            if root is not None and attrs:
                chains[(*root, tuple(attrs))] = None
            root = (_ROOT_OPS[ins.opname], ins.argval) if ins.opname in _ROOT_OPS else None
            attrs = []
        if root is not None and attrs:
            chains[(*root, tuple(attrs))] = None
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return tuple(chains)


@functools.lru_cache(maxsize=4096)
def _global_names(code: types.CodeType) -> tuple[str, ...]:
    """Names loaded as globals by ``code`` and by the code objects nested in it."""
    names: dict[str, None] = {}
    stack = [code]
    while stack:
        c = stack.pop()
        for ins in dis.get_instructions(c):
            if ins.opname in _GLOBAL_OPS:
                names[ins.argval] = None
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return tuple(names)


def attribute_or_none(value: Any, name: str) -> Any:
    """``getattr(value, name, None)`` for any object of the user's: a ``__getattr__``
    raising something other than AttributeError (``def __getattr__(self, k): return
    self[k]``, a KeyError) answers None too, instead of crashing gvmap's probing."""
    try:
        return getattr(value, name, None)
    except Exception:
        return None


def _unwrap(fun: Any) -> Iterator[Any]:
    """The Python functions (and other values) a callable stands for: itself, the function
    a ``vmap``/``jit`` object or a ``functools.wraps`` decorator wraps (``__wrapped__``),
    the pieces of a ``functools.partial``, the function of a bound method."""
    if isinstance(fun, types.FunctionType):
        yield fun
    wrapped = attribute_or_none(fun, "__wrapped__") if not isinstance(fun, type) else None
    if wrapped is not None:
        yield wrapped
    if isinstance(fun, functools.partial):
        yield fun.func
        yield from fun.args
        yield from fun.keywords.values()
    elif isinstance(fun, types.MethodType):
        yield fun.__func__


def _walk(fun: Any) -> tuple[list, list, list]:
    """What the user functions reachable from ``fun`` read: ``(globals, cells, functions)``
    as ``[(dict, name, value)]``, ``[(cell, value)]`` and ``[(function, defaults,
    kwdefaults items)]``. Names missing at trace time (builtins, empty cells) were not
    read by the traced path, so they are not watched."""
    globals_: list = []
    cells: list = []
    functions: list = []
    seen: set[int] = set()
    pending = list(_unwrap(fun))
    while pending and len(functions) < _MAX_FUNCTIONS:
        f = pending.pop(0)
        if not isinstance(f, types.FunctionType) or id(f) in seen:
            continue
        seen.add(id(f))
        if not _is_user_code(f.__code__):
            continue
        values: list = list(f.__defaults__ or ())
        kwdefaults = tuple((f.__kwdefaults__ or {}).items())
        values += [v for _, v in kwdefaults]
        functions.append((f, f.__defaults__, kwdefaults))
        for cell in f.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            cells.append((cell, value))
            values.append(value)
        glob = f.__globals__
        for name in _global_names(f.__code__):
            value = glob.get(name, _MISSING)
            if value is _MISSING:
                continue  # a builtin, or a name the traced path never read
            globals_.append((glob, name, value))
            values.append(value)
        _module_attributes(f, globals_, values)
        for value in values:
            pending.extend(_unwrap(value))
    return globals_, cells, functions


def _module_attributes(f: types.FunctionType, globals_: list, values: list) -> None:
    """The attributes of user modules that ``f`` reads (``mylib.helper``, ``pkg.sub.T``),
    as ``(module dict, name, value)`` entries of ``globals_``: a module's attributes are
    its globals, and the traced code reads them rebound (``gvmap.rebinding``)."""
    cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
    for kind, name, attrs in _attribute_chains(f.__code__):
        if kind == "global":
            value = f.__globals__.get(name, _MISSING)
        else:
            try:
                value = cells[name].cell_contents if name in cells else _MISSING
            except ValueError:  # an empty cell
                value = _MISSING
        for attr in attrs:
            if not is_user_module(value):
                break
            d = vars(value)
            value = d.get(attr, _MISSING)
            if value is _MISSING:
                break  # a module's __getattr__, or never read on the traced path
            globals_.append((d, attr, value))
            values.append(value)


_WATCHED_ITEMS = 256  # a longer list or dict is watched by its length alone: a per-call cost


def _watched_items(items: Any) -> tuple[int, tuple]:
    """A container's length, and its items where there are at most ``_WATCHED_ITEMS``."""
    size = len(items)
    return size, tuple(items) if size <= _WATCHED_ITEMS else ()


class Watch:
    """The names a traced function read, with the objects they held at trace time."""

    __slots__ = ("_globals", "_cells", "_functions", "_reads", "_attributes", "_lists",
                 "_dicts")

    def __init__(self, fun: Any):
        self._globals, self._cells, self._functions = _walk(fun)
        self._reads: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self._attributes: list[tuple[Any, Any, Any]] = []  # (namespace, name, value)
        self._lists: list[tuple[list, tuple]] = []         # (list, its items)
        self._dicts: list[tuple[dict, tuple]] = []         # (dict, its items)

    def add_reads(self, reads: list[tuple[Any, Any]]) -> None:
        """Watch what a trace read through views of the user's objects, classes and
        containers (``gvmap.views.note_read``): ``(namespace or class, name)`` by the
        identity of the value it holds, as a global is, and ``(container, None)`` by the
        identity of each item (and each key, for a dict). Every such read is taken as it is now,
        after the trace: the trace's own writes (``log.append(...)``, ``self.calls += 1``)
        must not make the next call trace again, and a change made outside since the last
        call was seen by ``changed()`` before this trace began."""
        for holder, key in reads:
            self._reads[(id(holder), key)] = (holder, key)
        namespaces = [(vars(h) if isinstance(h, type) else h, k)  # (a class: its namespace)
                      for h, k in self._reads.values() if k is not None]
        self._attributes = [(d, k, d.get(k, _MISSING)) for d, k in namespaces]
        containers = [h for h, k in self._reads.values() if k is None]
        self._lists = [(h, _watched_items(h)) for h in containers if not isinstance(h, dict)]
        self._dicts = [(h, _watched_items(h.items())) for h in containers if isinstance(h, dict)]

    def reads(self) -> list[tuple[Any, Any]]:
        """The ``(holder, key)`` reads ``add_reads`` took (for an enclosing trace's own)."""
        return list(self._reads.values())

    def changed(self) -> bool:
        """Has any watched name been rebound since? An identity test per name: this runs
        on every call, cached ones included."""
        for d, name, value in self._globals:
            if d.get(name, _MISSING) is not value:
                return True
        try:
            for cell, value in self._cells:
                if cell.cell_contents is not value:
                    return True
        except ValueError:  # a cell was emptied (``del name`` in the enclosing scope)
            return True
        for f, defaults, kwdefaults in self._functions:
            if f.__defaults__ is not defaults:
                return True
            if kwdefaults:
                current = f.__kwdefaults__ or {}
                if any(current.get(k, _MISSING) is not v for k, v in kwdefaults):
                    return True
        for namespace, name, value in self._attributes:
            if namespace.get(name, _MISSING) is not value:
                return True
        for items, (size, seen) in self._lists:
            if len(items) != size or not all(map(operator.is_, items, seen)):
                return True
        for items, (size, seen) in self._dicts:
            if len(items) != size or any(items.get(k, _MISSING) is not v for k, v in seen):
                return True
        return False

    def functions(self) -> Iterator[types.FunctionType]:
        """The user functions the walk reached, the traced one first."""
        yield from (f for f, _, _ in self._functions)

    def values(self) -> Iterator[Any]:
        """Every object a watched name held at trace time."""
        yield from (v for _, _, v in self._globals)
        yield from (v for _, v in self._cells)
        for _, defaults, kwdefaults in self._functions:
            yield from defaults or ()
            yield from (v for _, v in kwdefaults)


# ---------------------------------------------------------------------------- randomness

def _generators(values: Iterator[Any]) -> list[tuple[str, Any]]:
    """The generators among ``values``, and those whose bound methods are among them
    (``draw = rng.standard_normal`` closed over reaches ``rng``)."""
    found: dict[int, tuple[str, Any]] = {}
    kinds = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)
    for v in values:
        owner = v if isinstance(v, kinds) else attribute_or_none(v, "__self__")
        if isinstance(owner, kinds):
            found[id(owner)] = (f"the closed-over {type(owner).__name__}", owner)
    return list(found.values())


def _state(gen: Any) -> Any:
    if isinstance(gen, np.random.RandomState):
        return gen.get_state(legacy=False)
    if isinstance(gen, np.random.Generator):
        return gen.bit_generator.state
    return gen.state


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and bool(np.array_equal(a, b))
    return a == b


class RandomnessCheck:
    """Refuse random draws made while tracing (``torch.func.vmap``'s randomness="error").

    Under ``vmap``/``jit`` the function body runs once, at trace time: ``np.random.rand()``
    there would give every example, and every later call, the same numbers. NumPy's global
    generator and the generators the function closes over (``Watch``'s routes) are compared
    before and after tracing; any change raises ``TracedRandomnessError``.
    """

    def __init__(self, watch: Watch):
        # NumPy's global generator always: library code the function calls (not walked)
        # may draw from it too. (A draw by another thread during the trace is refused as
        # well; traces are short and happen once per signature.)
        self._gens = [("NumPy's global random state (np.random.*)", np.random.mtrand._rand)]
        self._gens += [g for g in _generators(watch.values()) if g[1] is not self._gens[0][1]]
        self._before = [_state(g) for _, g in self._gens]

    def verify(self, fun_name: str) -> None:
        for (what, gen), before in zip(self._gens, self._before):
            if not _same(_state(gen), before):
                raise TracedRandomnessError(
                    f"{fun_name} drew random numbers from {what} while it was being traced. "
                    f"Under gvmap.vmap/jit the function body runs once, at trace time, so "
                    f"every example and every later call would get the same numbers. Draw "
                    f"them outside and pass them in as a batched argument, e.g. "
                    f"`noise = rng.standard_normal((n, *shape)); gvmap.vmap(f)(x, noise)` "
                    f"with `def f(x, noise): ...`")


def describe(fun: Callable) -> str:
    name = attribute_or_none(fun, "__qualname__") or attribute_or_none(fun, "__name__")
    return f"the function {name!r}" if name else "the traced function"

