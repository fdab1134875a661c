"""The user's own modules and objects as traced code sees them: views whose attributes are
read through the trace's rebinder (``gvmap.rebinding``), as a function's globals are.

Per-example code reaches much of what it reads through attributes: ``mylib.helper(x)``,
``self.rot(t)``, ``self.emb[tokens]``, ``cfg.W``. Python resolves those at run time, past
any rebinding of names, so a helper or method found that way ran with NumPy's own ``np``
(``np.array([c, -s])`` of traced values, a table indexed by a traced value, ``math.sqrt``
of one: all refused). A view answers each attribute read with the rebinder's version of
the value: a user function rebuilt, a NumPy array a known tracer, a module or object of the
user's a view again, and a bound method of the object a method of its view, so ``self``
stays a view down every call.

* ``ModuleView``: a module loaded from a file outside the interpreter's libraries
  (``sources.is_user_module``).
* ``ObjectView``: an instance of a class of the user's own (``is_user_instance``): its
  methods, properties and operators (``__call__``, ``__getitem__``, ``__add__``...) run
  rebuilt on the view; ``isinstance`` sees the real class; ``vars(obj)`` /
  ``obj.__dict__`` are the real namespace.
* ``ClassView``: such a class (``is_user_class``). Calling it makes a *local* view (the
  traced code's own object, which may hold traced values), its ``__init__`` rebuilt;
  gvmap's ``type`` of a view is the class's view, so ``type(q) is Quat`` holds.
* ``ListView`` / ``DictView`` / ``OrderedDictView`` / ``DefaultDictView`` /
  ``DequeView`` (and a new tuple or namedtuple): a container read by the traced code, its
  items rebound (``container_view``). A list, deque or dict is always viewed, so that its methods write the
  real container too and a traced value stored there is refused; a tuple only where an
  item changes. A namedtuple class the user's code gives methods is a subclass with them
  rebuilt, one per trace (``namedtuple_view_type``).
* ``types.SimpleNamespace`` and ``argparse.Namespace`` objects (attribute bags of
  configuration) are read as the user's objects are.

Nothing the views read is cached, so writes are read back as in the loop; what they read
of outside state is told to the trace (``note_read``), whose function then traces again
when it is rebound (``sources.Watch.add_reads``). Writes go to the real module or object;
a traced value stored in one that outlives the call is refused (``LeakedTracerError``): in
the loop each example's call stores its own in turn, which one batched program cannot
follow. A constant is stored as the loop stores it.

A traced value stored through a view is refused even inside a container stored there
(``self.last = (t, 1)``), whose known items are stored as the loop's values.

Not viewed: instances of classes that are not the user's (NumPy's, the standard
library's, installed packages'), of classes deriving from a builtin type other than
``object`` (dict, list, Exception...: their C-level behaviour has no Python attribute to
route; namedtuples are containers above), of classes with another metaclass (enums), and
of array-likes (``__array__``, ``__array_ufunc__``...), which NumPy must see as they are.
"""
from __future__ import annotations

import collections
import copy
import functools
import sys
import types
from typing import Any, Callable

from .errors import LeakedTracerError
from .sources import _is_user_code, is_user_module
from .tracing import Tracer, loop_value

__all__ = ["ClassView", "DefaultDictView", "DequeView", "DictView", "ListView", "ModuleView", "ObjectView",
           "OrderedDictView", "container_view", "is_container", "is_namedtuple_class",
           "is_user_class", "is_user_instance", "namedtuple_view_type", "note_read", "unview",
           "traced_super"]

_OWN_DICT = types.ModuleType.__dict__["__dict__"].__get__  # a module object's own namespace
_ARRAY_PROTOCOLS = ("__array__", "__array_ufunc__", "__array_function__", "__array_interface__",
                    "__cuda_array_interface__", "__dlpack__", "__array_priority__")


def _stored(where: str, value: Any, local: bool = False) -> Any:
    """What a write through a view stores: a constant as the loop's value; a traced value
    is refused, but for an object the traced code made (``local``), which is the
    example's own."""
    if local:
        return unview(value)
    if isinstance(value, Tracer):
        if value.known is None:
            raise LeakedTracerError.state_written([where])
        return loop_value(value)
    value = unview(value)
    if is_container(value):
        return _stored_items(where, value)  # ``self.last = (t, 1)``: the items too
    return value


def _stored_items(where: str, value: Any) -> Any:
    """A container stored through a view: itself where no item is traced, else a copy of
    it holding the loop's values (an unknown traced item is refused)."""
    is_dict = isinstance(value, dict)
    items = list(value.values() if is_dict else value)
    stored = [_stored(where, x) for x in items]
    if all(a is b for a, b in zip(stored, items)):
        return value
    if is_dict:
        out = copy.copy(value)
        out.update(zip(value.keys(), stored))
        return out
    if type(value) is collections.deque:
        return collections.deque(stored, value.maxlen)
    return type(value)(stored) if type(value) in (list, tuple) else type(value)._make(stored)


def unview(value: Any) -> Any:
    """The real module, class or object behind a view; anything else as it is."""
    if issubclass(type(value), ObjectView):
        return object.__getattribute__(value, "_obj")
    if type(value) is ClassView:
        return object.__getattribute__(value, "_cls")
    if type(value) in _VIEW_TYPES:
        return value._real
    if isinstance(value, tuple) and "gvmap_object_of" in vars(type(value)):
        return type(value).gvmap_object_of(value)  # a namedtuple of the trace's subclass
    if type(value) is ModuleView:
        return _OWN_DICT(value)["_module"]
    return value


def note_read(rebound: Callable[[Any], Any], holder: Any, key: Any = None) -> None:
    """Tell the trace whose rebinder ``rebound`` is (``rebinding._Rebinder.value``) that it
    read attribute ``key`` of ``holder`` (an object's or module's namespace, or a class),
    or the items of the container ``holder`` (``key`` None). ``sources.Watch.add_reads``
    watches them, so that rebinding ``model.W`` or ``params["W"]`` traces again."""
    reads = getattr(getattr(rebound, "__self__", None), "reads", None)
    if reads is not None:
        reads.append((holder, key))


def _defining_class(cls: type, name: str) -> type | None:
    for c in cls.__mro__:
        if name in vars(c):
            return c
    return None


class ModuleView(types.ModuleType):
    """A module of the user's own (``import mylib``) as traced code sees it (module
    docstring): ``mylib.helper(x)`` calls the rebuilt helper, ``mylib.TABLE[i]`` gathers
    from a known array, ``mylib.np`` is gvmap's traced NumPy."""

    def __init__(self, module: types.ModuleType, rebound: Callable[[Any], Any]):
        super().__init__(module.__name__, module.__doc__)
        own = _OWN_DICT(self)
        for name in ("__package__", "__loader__", "__spec__"):  # the module's own, read through
            del own[name]
        own.update(_module=module, _rebound=rebound)

    @property  # type: ignore[override]
    def __dict__(self) -> dict:
        return vars(_OWN_DICT(self)["_module"])

    def __getattr__(self, name: str) -> Any:
        own = _OWN_DICT(self)
        namespace = vars(own["_module"])
        if name in namespace:  # (read by name, sources watches it already: this is the rest,
            note_read(own["_rebound"], namespace, name)  # getattr(mylib, name) among them)
        return own["_rebound"](getattr(own["_module"], name))

    def __setattr__(self, name: str, value: Any) -> None:
        module = _OWN_DICT(self)["_module"]
        setattr(module, name, _stored(f"{module.__name__}.{name}", value))

    def __delattr__(self, name: str) -> None:
        delattr(_OWN_DICT(self)["_module"], name)

    def __dir__(self) -> list[str]:
        return dir(_OWN_DICT(self)["_module"])

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} as gvmap traces it>"


@functools.lru_cache(maxsize=1024)
def _is_user_class(cls: type) -> bool:
    if type(cls) not in (type, _abc_meta()) or cls.__mro__[-1] is not object:
        return False
    for c in cls.__mro__[:-1]:
        if c.__flags__ & (1 << 9) == 0:  # not a heap type: a builtin base (tuple, dict...)
            return False
        if any(hasattr(c, p) for p in _ARRAY_PROTOCOLS):
            return False
    own = [c for c in cls.__mro__[:-1] if _defined_by_user(c)]
    return bool(own) and all(_defined_by_user(c) or c.__module__ in ("abc", "typing")
                             for c in cls.__mro__[:-1])


@functools.lru_cache(maxsize=None)
def _abc_meta() -> type:
    import abc
    return abc.ABCMeta


def _defined_by_user(c: type) -> bool:
    """A class written in the user's code: one of its functions is, or, where it has none
    (a class of constants), its module is."""
    functions = [f for f in (v.fget if isinstance(v, property) else getattr(v, "__func__", v)
                             for v in vars(c).values()) if isinstance(f, types.FunctionType)]
    if functions:
        return any(_is_user_code(f.__code__) for f in functions)
    module = sys.modules.get(c.__module__)
    return module is not None and (is_user_module(module) or c.__module__ == "__main__")


def _is_record(cls: type) -> bool:
    """A library's attribute bag, read as the user's objects are: ``types.SimpleNamespace``
    and ``argparse.Namespace`` (a configuration: ``cfg.table[i]``, ``args.scale``)."""
    return cls is types.SimpleNamespace or \
        cls.__name__ == "Namespace" and cls.__module__ == "argparse"


def is_user_instance(value: Any) -> bool:
    """Is ``value`` an instance of a class of the user's own (or a ``SimpleNamespace``),
    which traced code reads through an ``ObjectView``?"""
    cls = type(value)
    return isinstance(cls, type) and not isinstance(value, (type, types.ModuleType)) and \
        (_is_user_class(cls) or _is_record(cls))


def _class_attribute(cls: type, name: str) -> Any:
    owner = _defining_class(cls, name)
    return None if owner is None else vars(owner)[name]


class ObjectView:
    """An instance of a class of the user's own as traced code sees it (module docstring).
    Each class has its own subclass of this (``_view_type``), holding just the operators
    the class defines, so ``callable(view)``, ``len(view)`` and the ABCs answer as of the
    object."""

    __slots__ = ("_obj", "_rebound", "_local")

    def __init__(self, obj: Any, rebound: Callable[[Any], Any], local: bool = False):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_rebound", rebound)
        object.__setattr__(self, "_local", local)
        namespace = getattr(obj, "__dict__", None)
        if type(namespace) is dict:  # object.__setattr__(self, ...) (frozen dataclasses) lands
            object.__setattr__(self, "__dict__", namespace)  # in the object's own namespace

    @staticmethod
    def of(obj: Any, rebound: Callable[[Any], Any], local: bool = False) -> "ObjectView":
        """The view of ``obj``; ``local``: an object the traced code made (``ClassView``)."""
        return _view_type(type(obj))(obj, rebound, local)

    @staticmethod
    def gvmap_object_of(view: Any) -> Any:  # read off the type by gvmap.tree: outputs unviewed
        return object.__getattribute__(view, "_obj")

    def __getattribute__(self, name: str) -> Any:
        obj = object.__getattribute__(self, "_obj")
        if name == "__class__":
            return type(obj)
        if name == "__dict__":
            return obj.__dict__
        rebound = object.__getattribute__(self, "_rebound")
        owner = _defining_class(type(obj), name)  # (one walk of the MRO per read)
        namespace = getattr(obj, "__dict__", None)
        if type(namespace) is dict and name in namespace:
            if not object.__getattribute__(self, "_local"):  # (the trace's own objects die)
                note_read(rebound, namespace, name)
        elif owner is not None:
            note_read(rebound, owner, name)  # the class's: a method, a class constant
        static = None if owner is None else vars(owner)[name]
        if static is None and name in _VIEW_COPIES or name in _VIEW_WRITES:
            return object.__getattribute__(self, name)  # copy.copy(view), view.__setattr__
        if isinstance(static, property) and isinstance(static.fget, types.FunctionType) \
                and _is_user_code(static.fget.__code__):
            return rebound(static.fget)(self)  # the getter rebuilt, on the view
        return _on_view(getattr(obj, name), obj, self, rebound)

    def __setattr__(self, name: str, value: Any) -> None:
        obj = object.__getattribute__(self, "_obj")
        static = _class_attribute(type(obj), name)
        if isinstance(static, property) and static.fset is not None:
            static.fset(self, value)  # the setter on the view: its writes come back here
            return
        setattr(obj, name, _stored(f"{type(obj).__name__}.{name}", value,
                                   object.__getattribute__(self, "_local")))

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "_obj"), name)

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_obj"))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_obj"))

    def __str__(self) -> str:
        return str(object.__getattribute__(self, "_obj"))

    def __format__(self, spec: str) -> str:
        return format(object.__getattribute__(self, "_obj"), spec)

    def __eq__(self, other: Any) -> Any:  # the object's identity, where its class has no __eq__
        return True if unview(self) is unview(other) else NotImplemented

    def __ne__(self, other: Any) -> Any:
        return False if unview(self) is unview(other) else NotImplemented

    def __hash__(self) -> int:
        return hash(object.__getattribute__(self, "_obj"))

    def __copy__(self) -> Any:  # (where the class has its own, the view type forwards it)
        return ObjectView.of(copy.copy(object.__getattribute__(self, "_obj")),
                             object.__getattribute__(self, "_rebound"), local=True)

    def __deepcopy__(self, memo: dict) -> Any:
        return ObjectView.of(copy.deepcopy(object.__getattribute__(self, "_obj"), memo),
                             object.__getattribute__(self, "_rebound"), local=True)


_VIEW_COPIES = ("__copy__", "__deepcopy__")  # what copy reads off an object, made views
_VIEW_WRITES = ("__setattr__", "__delattr__")  # spelled out, they write through the view


def _on_view(value: Any, obj: Any, view: Any, rebound: Callable[[Any], Any]) -> Any:
    """An attribute read through ``view``: a method bound to ``obj`` becomes the rebuilt
    method bound to the view, so ``self`` stays a view down the call."""
    if isinstance(value, types.MethodType) and value.__self__ is obj:
        func = value.__func__
        if isinstance(func, types.FunctionType) and _is_user_code(func.__code__):
            return types.MethodType(rebound(func), view)
        return value  # a library's function (a decorator's): on the object itself
    return rebound(value)


# the operators and protocols a view forwards where the class defines them
_FORWARDED = ["__call__", "__len__", "__iter__", "__reversed__", "__next__", "__contains__",
              "__getitem__", "__setitem__", "__delitem__", "__lt__", "__le__", "__gt__",
              "__ge__", "__neg__", "__pos__", "__abs__", "__invert__", "__int__", "__float__",
              "__index__", "__round__", "__bool__", "__enter__", "__exit__", "__eq__",
              "__ne__", "__copy__", "__deepcopy__"]
for _op in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "and", "or",
            "xor", "lshift", "rshift"):
    _FORWARDED += [f"__{_op}__", f"__r{_op}__", f"__i{_op}__"]
_FORWARDED += ["__divmod__", "__rdivmod__"]


def _forwarding(name: str) -> Callable:
    def method(self: ObjectView, *args: Any) -> Any:
        # the class's own method, rebuilt, bound to the view
        return ObjectView.__getattribute__(self, name)(*args)
    method.__name__ = method.__qualname__ = name
    return method


@functools.lru_cache(maxsize=1024)
def _view_type(cls: type) -> type:
    """The view class for instances of ``cls``: ``ObjectView`` with the operators ``cls``
    defines (and its dataclass fields, which ``dataclasses.fields`` reads off the type)."""
    namespace: dict[str, Any] = {}  # (instances have a __dict__: the object's, ``ObjectView``)
    for name in _FORWARDED:
        if _class_attribute(cls, name) not in (None, getattr(object, name, None)):
            namespace[name] = _forwarding(name)
    if _class_attribute(cls, "__hash__") is None and "__hash__" in _own_names(cls):
        namespace["__hash__"] = None  # a class defining __eq__ alone: unhashable, as it is
    for name in ("__dataclass_fields__", "__dataclass_params__", "__match_args__"):
        if hasattr(cls, name):
            namespace[name] = getattr(cls, name)
    return type(f"{cls.__name__}View", (ObjectView,), namespace)


def _own_names(cls: type) -> set[str]:
    return {n for c in cls.__mro__[:-1] for n in vars(c)}


def traced_super(*args: Any) -> Any:
    """The builtin ``super`` as rebuilt methods see it: of a view, the base classes'
    methods rebuilt and bound to the view (``super().__call__(x)`` in a subclass)."""
    if not args:  # the zero-argument form: the calling method's class and first argument
        frame = sys._getframe(1)
        try:
            cls = frame.f_locals["__class__"]
            obj = frame.f_locals[frame.f_code.co_varnames[0]]
        except (KeyError, IndexError):
            raise RuntimeError("super(): no arguments") from None
        args = (cls, obj)
    args = (unview(args[0]), *args[1:])  # a class view (a rebuilt method's __class__ cell)
    if len(args) == 2 and issubclass(type(args[1]), ObjectView):
        return _SuperView(args[0], args[1])
    if len(args) == 2 and type(args[1]) is ClassView:  # super() in a classmethod
        return super(args[0], unview(args[1]))
    return super(*args)


class _SuperView:
    """``super(cls, view)``: attributes as ``super(cls, obj)`` finds them, read as through
    the view."""

    __slots__ = ("_cls", "_view")

    def __init__(self, cls: type, view: ObjectView):
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_view", view)

    def __getattribute__(self, name: str) -> Any:
        cls, view = object.__getattribute__(self, "_cls"), object.__getattribute__(self, "_view")
        obj, rebound = unview(view), object.__getattribute__(view, "_rebound")
        static = None
        for c in type(obj).__mro__[type(obj).__mro__.index(cls) + 1:]:
            if name in vars(c):
                static = vars(c)[name]
                break
        if isinstance(static, property) and static.fget is not None:
            return rebound(static.fget)(view)
        return _on_view(getattr(super(cls, obj), name), obj, view, rebound)


class ClassView:
    """A class of the user's own as traced code sees it (``Rotation(angle)``,
    ``Quat.identity()``, ``isinstance(q, Quat)``, ``cls(...)`` in a classmethod): the
    objects it makes are views (local ones: they may hold traced values), built by the
    class's ``__init__`` rebuilt on the view; its attributes are read through the
    rebinder (a classmethod is bound to the view). It compares and hashes as the class,
    answers ``isinstance`` / ``issubclass`` as it, is what gvmap's ``type`` gives of the
    class's views, and is a base class as the class (``__mro_entries__``)."""

    __slots__ = ("_cls", "_rebound")

    def __init__(self, cls: type, rebound: Callable[[Any], Any]):
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_rebound", rebound)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        cls = object.__getattribute__(self, "_cls")
        rebound = object.__getattribute__(self, "_rebound")
        if _class_attribute(cls, "__new__") is object.__new__:
            obj = object.__new__(cls)
        else:  # a __new__ of the class's (rebuilt), which may return anything
            obj = rebound(cls.__new__)(cls, *args, **kwargs)
            if not isinstance(obj, cls):
                return obj
        view = ObjectView.of(obj, rebound, local=True)
        if _class_attribute(cls, "__init__") is not object.__init__:
            ObjectView.__getattribute__(view, "__init__")(*args, **kwargs)
        elif args or kwargs:
            raise TypeError(f"{cls.__name__}() takes no arguments")
        return view

    def __getattribute__(self, name: str) -> Any:
        cls = object.__getattribute__(self, "_cls")
        if name == "__class__":
            return type(cls)
        if name == "__mro_entries__":  # ``class Local(Quat):`` in the traced code
            return object.__getattribute__(self, name)
        if name == "__dict__":
            return cls.__dict__
        value = getattr(cls, name)
        rebound = object.__getattribute__(self, "_rebound")
        owner = _defining_class(cls, name)
        if owner is not None:
            note_read(rebound, owner, name)
        if isinstance(value, types.MethodType) and value.__self__ is cls:
            return types.MethodType(rebound(value.__func__), self)  # a classmethod: cls a view
        return rebound(value)

    def __setattr__(self, name: str, value: Any) -> None:
        cls = object.__getattribute__(self, "_cls")
        setattr(cls, name, _stored(f"{cls.__name__}.{name}", value))

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "_cls"), name)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(unview(obj), object.__getattribute__(self, "_cls"))

    def __subclasscheck__(self, sub: Any) -> bool:
        return issubclass(unview(sub), object.__getattribute__(self, "_cls"))

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (object.__getattribute__(self, "_cls"),)

    def __eq__(self, other: Any) -> bool:
        return object.__getattribute__(self, "_cls") is unview(other)

    def __ne__(self, other: Any) -> bool:
        return object.__getattribute__(self, "_cls") is not unview(other)

    def __hash__(self) -> int:
        return hash(object.__getattribute__(self, "_cls"))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_cls"))

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_cls"))


def is_user_class(value: Any) -> bool:
    """Is ``value`` a class of the user's own, which traced code reads as a ``ClassView``?"""
    return type(value) in (type, _abc_meta()) and _is_user_class(value)


# ---------------------------------------------------------------------------- containers

_LIST, _DICT = "a list the function reads", "a dict the function reads"


def _real_items(items: Any, where: str) -> list:
    return [_stored(where, x) for x in items]


class _ViewCopies:
    """A container view's copies: new containers of the traced code's, of the real type
    (``gvmap_object_of``: a deque keeps its ``maxlen``, a defaultdict its factory)."""

    __slots__ = ()

    def copy(self) -> Any:
        return type(self).gvmap_object_of(self)

    __copy__ = copy

    def __deepcopy__(self, memo: dict) -> Any:
        return copy.deepcopy(type(self).gvmap_object_of(self), memo)


class _SequenceWrites(_ViewCopies):
    """The methods a list view and a deque view share that write: each writes the real
    container too (a traced value stored there refused by ``_stored``, naming ``_where``),
    then the view's own type (``super()``) as it does."""

    __slots__ = ()
    _where = ""

    def append(self, x: Any) -> None:
        self._real.append(_stored(self._where, x))
        super().append(x)

    def extend(self, items: Any) -> None:
        items = list(items)
        self._real.extend(_real_items(items, self._where))
        super().extend(items)

    def __iadd__(self, items: Any) -> Any:
        self.extend(items)
        return self

    def insert(self, i: Any, x: Any) -> None:
        self._real.insert(i, _stored(self._where, x))
        super().insert(i, x)

    def __setitem__(self, i: Any, x: Any) -> None:
        if isinstance(i, slice):  # (a list's; a deque's real one refuses it as the loop's)
            x = list(x)
            self._real[i] = _real_items(x, self._where)
        else:
            self._real[i] = _stored(self._where, x)
        super().__setitem__(i, x)

    def __delitem__(self, i: Any) -> None:
        del self._real[i]
        super().__delitem__(i)

    def pop(self, *i: Any) -> Any:  # (a list's takes an index, a deque's none)
        self._real.pop(*i)
        return super().pop(*i)

    def remove(self, x: Any) -> None:
        del self[self.index(x)]

    def reverse(self) -> None:
        self._real.reverse()
        super().reverse()

    def clear(self) -> None:
        self._real.clear()
        super().clear()


class ListView(_SequenceWrites, list):
    """A list the traced code reads (``self.layers``, a closed-over list of tables): its
    items rebound (``for layer in self.layers: x = layer(x)`` runs each layer's methods
    rebuilt; ``TABLES[k][i]`` gathers). Its methods write the real list too, as the loop
    does (``sort`` in one order for both, the one the items seen here decide); a traced
    value stored there is refused (``history.append(t)``: each example's call would
    append its own), a constant is stored as the loop's value."""

    __slots__ = ("_real",)
    _where = _LIST
    gvmap_real_type = list
    gvmap_object_of = staticmethod(list)  # read by gvmap.tree: an output is a plain list

    def __imul__(self, n: Any) -> "ListView":
        self._real *= n
        list.__imul__(self, n)
        return self

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        order = sorted(range(len(self)), key=lambda i: key(self[i]) if key else self[i],
                       reverse=reverse)
        self._real[:] = [self._real[i] for i in order]
        list.__setitem__(self, slice(None), [list.__getitem__(self, i) for i in order])


class _DictWrites(_ViewCopies):
    """The methods of a dict view that write: each writes the real dict too. ``super()``
    reaches the view's own dict type (dict, OrderedDict, defaultdict), whose bookkeeping
    (an OrderedDict's order, a defaultdict's ``__missing__``) runs as it does."""

    __slots__ = ()

    def __setitem__(self, k: Any, v: Any) -> None:
        self._real[k] = _stored(_DICT, v)
        super().__setitem__(k, v)

    def __delitem__(self, k: Any) -> None:
        del self._real[k]
        super().__delitem__(k)

    def setdefault(self, k: Any, v: Any = None) -> Any:
        if k not in self:
            self[k] = v
        return self[k]

    def update(self, *other: Any, **kwargs: Any) -> None:
        for k, v in dict(*other, **kwargs).items():
            self[k] = v

    def __ior__(self, other: Any) -> Any:
        self.update(other)
        return self

    def pop(self, k: Any, *default: Any) -> Any:
        self._real.pop(k, *default)
        return super().pop(k, *default)

    def popitem(self, *last: Any) -> tuple:  # (OrderedDict's takes ``last``)
        self._real.popitem(*last)
        return super().popitem(*last)

    def move_to_end(self, k: Any, last: bool = True) -> None:  # OrderedDict's
        self._real.move_to_end(k, last)
        super().move_to_end(k, last)

    def clear(self) -> None:
        self._real.clear()
        super().clear()


class DictView(_DictWrites, dict):
    """A dict the traced code reads (``params["emb"][tokens]``), its values rebound; its
    methods write the real dict too. Returned, it is a dict of its items."""

    __slots__ = ("_real",)
    gvmap_real_type = dict
    gvmap_object_of = staticmethod(dict)  # read by gvmap.tree: an output is a plain dict


class OrderedDictView(_DictWrites, collections.OrderedDict):
    """An ``OrderedDict`` the traced code reads, as ``DictView``."""

    gvmap_real_type = collections.OrderedDict
    gvmap_object_of = staticmethod(collections.OrderedDict)


class DefaultDictView(_DictWrites, collections.defaultdict):
    """A ``defaultdict`` the traced code reads, as ``DictView``: a missing key's default is
    made, and stored in the real dict too, as in the loop."""

    __slots__ = ("_real",)
    gvmap_real_type = collections.defaultdict

    @staticmethod
    def gvmap_object_of(view: Any) -> Any:
        return collections.defaultdict(view.default_factory, view)


class DequeView(_SequenceWrites, collections.deque):
    """A ``deque`` the traced code reads (``self.history``), its items rebound; its methods
    write the real deque too (``maxlen`` as it has it), a traced value there refused."""

    __slots__ = ("_real",)
    _where = "a deque the function reads"
    gvmap_real_type = collections.deque

    @staticmethod
    def gvmap_object_of(view: Any) -> collections.deque:
        return collections.deque(view, view.maxlen)

    def appendleft(self, x: Any) -> None:
        self._real.appendleft(_stored(self._where, x))
        super().appendleft(x)

    def extendleft(self, items: Any) -> None:
        items = list(items)
        self._real.extendleft(_real_items(items, self._where))
        super().extendleft(items)

    def popleft(self) -> Any:
        self._real.popleft()
        return super().popleft()

    def rotate(self, n: int = 1) -> None:
        self._real.rotate(n)
        super().rotate(n)


_DICT_VIEWS = {dict: DictView, collections.OrderedDict: OrderedDictView,
               collections.defaultdict: DefaultDictView}
_VIEW_TYPES = frozenset({ListView, DequeView, *_DICT_VIEWS.values()})


def _is_namedtuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields") and hasattr(cls, "_make")


def _namedtuple_methods(cls: type) -> dict[str, Any]:
    """The functions, properties, static- and classmethods the user's code gives a
    namedtuple class (``class Layer(NamedTuple): ... def __call__(self, x)``), by name, as
    the class resolves them (the generated ``__new__`` / ``__repr__`` are not the user's)."""
    found: dict[str, Any] = {}
    for c in reversed(cls.__mro__[:cls.__mro__.index(tuple)]):
        for name, v in vars(c).items():
            f = v.fget if isinstance(v, property) else getattr(v, "__func__", v)
            if isinstance(f, types.FunctionType) and _is_user_code(f.__code__) and \
                    not f.__globals__.get("__name__", "").startswith("namedtuple_"):
                found[name] = v
            elif name in found:
                del found[name]
    return found


def namedtuple_view_type(cls: type, rebound: Callable[[Any], Any],
                         made: Callable[[type], None]) -> type:
    """A namedtuple class of the user's as one trace sees it: where the user's code gives
    it methods, a subclass of it with them rebuilt (``self.rot(t)`` building
    ``np.array([[c, -s], [s, c]])``), which the trace's ``Layer(w, b)``, ``_make`` and
    ``_replace`` make; returned, its objects are the class's own. ``cls`` itself where
    it has none. ``made(subclass)`` is called before the methods are rebuilt, so that
    those naming the class (``return Layer(...)``) find the subclass."""
    methods = _namedtuple_methods(cls)
    if not methods:
        return cls
    sub = type(cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__,
                                      "__qualname__": cls.__qualname__,
                                      "gvmap_object_of": staticmethod(cls._make)})
    made(sub)
    for name, v in methods.items():
        if isinstance(v, property):
            v = property(*(f and rebound(f) for f in (v.fget, v.fset, v.fdel)), v.__doc__)
        elif isinstance(v, (staticmethod, classmethod)):
            v = type(v)(rebound(v.__func__))
        else:
            v = rebound(v)
        setattr(sub, name, v)
    return sub


def is_namedtuple_class(value: Any) -> bool:
    return isinstance(value, type) and _is_namedtuple(value)


def is_container(value: Any) -> bool:
    """Is ``value`` a container whose items traced code reads rebound (``container_view``):
    a list, tuple, namedtuple, dict, OrderedDict, defaultdict or deque?"""
    cls = type(value)
    return cls is list or cls is tuple or cls in _DICT_VIEWS or cls is collections.deque or \
        _is_namedtuple(cls)


def container_view(value: Any, rebound: Callable[[Any], Any]) -> Any:
    """``value`` (``is_container``) with its items rebound, or ``value`` itself where no
    item changes (a list of floats, a dict of strings). A tuple or namedtuple becomes a new
    one of its type, a list or dict a view that writes the real one too."""
    cls = type(value)
    if cls in _DICT_VIEWS:  # (viewed even where no item changes: its writes are checked)
        items = {k: rebound(v) for k, v in value.items()}
        view: Any = _DICT_VIEWS[cls].__new__(_DICT_VIEWS[cls])
        view._real = value
        if cls is collections.defaultdict:
            view.default_factory = value.default_factory
        for k, v in items.items():  # (the base type's own __setitem__: no write-through)
            cls.__setitem__(view, k, v)
        return view
    items = [rebound(v) for v in value]
    seen = cls if cls in (list, tuple, collections.deque) else rebound(cls)  # (a namedtuple's)
    immutable = cls is not list and cls is not collections.deque  # a tuple or namedtuple
    if immutable and seen is cls and all(a is b for a, b in zip(items, value)):
        return value
    if cls is tuple:
        return tuple(items)
    if cls is collections.deque:
        view = DequeView(items, value.maxlen)
        view._real = value
        return view
    if cls is not list:  # a namedtuple: of its class as the trace sees it, items rebound
        return seen._make(items)
    view = ListView(items)
    view._real = value
    return view
