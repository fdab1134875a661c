"""NumPy as people write it, with no rewrite (gvmap.rebinding): arrays built from traced
values, arrays made inside the function and written into, closed-over tables indexed by
traced values, and NumPy's concrete answers about constants. Each against the loop
oracle on every backend and plan kind; then where the rebinding stops, and that it never
changes the user's module."""
from __future__ import annotations

import abc
import argparse
import collections
import copy
import dataclasses
import functools
import math
import threading
import types
from typing import NamedTuple

import numpy as np
import numpy.linalg as la
import pytest
from numpy import array as np_array, zeros as np_zeros

import gvmap
import user_helpers
from gvmap.errors import LeakedTracerError, TracerConversionError
from oracle import assert_tree_close, check_vmap, library_object, oracle

RNG = np.random.RandomState(3)
T = RNG.uniform(-3, 3, size=7)
V3 = RNG.randn(7, 3)
EMB = RNG.randn(10, 4)
EMB32 = EMB.astype(np.float32)
TABLE = np.arange(12.0).reshape(3, 4)
TOK = np.array([1, 3, 9, 0, -1, 2, -10])
COUNTS = np.array([0, 1, 2, 3, 4, 5, 6])


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


# --- arrays built from traced values -----------------------------------------------------------

def rotation(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s], [s, c]])


def quaternion_product(v):
    q0, q1, q2 = v
    return np.array([q0 * q1, q1 - q2, q2, 1.0])   # a Python float among them: float64


def ode_rhs(v):
    x, dx = v[0], v[1]
    return np.array([dx, -x - 0.1 * dx], dtype=np.float32)


def nested_mixed(v):
    return np.array([v, [1.0, 2.0, 3.0], v * 2])   # a traced row, a constant row


def asarray_first_line(v):
    v = np.asarray(v, dtype=float)
    return v * 2


def array_ndmin(t):
    return np.array(t, ndmin=2) + np.asarray([t, t])


def full_of_traced(t):
    return np.full(4, t) + np.full((2, 4), t * 2, dtype=np.float32)


def imported_names(v):
    out = np_zeros(3)
    out[1] = v.sum()
    return out + np_array([v[0], v[1], 0.0])


BUILT = [rotation, quaternion_product, ode_rhs, nested_mixed, asarray_first_line,
         array_ndmin, full_of_traced, imported_names]


@pytest.mark.parametrize("f", BUILT, ids=lambda f: f.__name__)
def test_arrays_built_from_traced_values(plan_kind, f):
    arg = T if f in (rotation, array_ndmin, full_of_traced) else V3
    check(f, arg)
    check(f, arg.astype(np.float32))
    check(f, arg[:0])
    check(f, arg[:1])


def test_array_of_int_tracers_keeps_numpy_dtype(backend):
    f = lambda v: np.array([v[0], v[1] + 1])                 # int64 stays int64
    g = lambda v: np.array([v[0], True])                     # bool promotes like NumPy
    check(f, COUNTS.reshape(-1, 1).repeat(2, 1))
    check(g, COUNTS.reshape(-1, 1).astype(np.int32))


# --- arrays made inside and written into ----------------------------------------------------

def write_scalars(v):
    out = np.zeros(3)
    out[0] = v[0]
    out[2] = 2 * v[1]
    return out


def write_rows(v):
    w = np.zeros((2, 3))
    w[1] = v
    w[0, 1:] = v[:2]
    return w


def write_at_traced_index(v):
    w = np.zeros(3)
    w[np.argmax(v)] = 1.0
    return w


def empty_then_fill(v):
    out = np.empty(3)
    out.fill(0.5)
    for k in range(3):
        out[k] += v[k] * k
    return out


def view_sees_write(v):
    a = np.zeros(4)
    b = a[1:]
    a[1] = v[0]            # b is a view: it sees the write, as in NumPy
    b[2] = v[1]            # and writes through to a
    return a, b


def ones_int_then_add(v):
    w = np.ones(3, np.int64)
    w += (v > 0).astype(np.int64)
    return w


MADE = [write_scalars, write_rows, write_at_traced_index, empty_then_fill, view_sees_write,
        ones_int_then_add]


@pytest.mark.parametrize("f", MADE, ids=lambda f: f.__name__)
def test_arrays_made_inside_and_written(plan_kind, f):
    check(f, V3)
    check(f, V3.astype(np.float32))
    check(f, V3[:0])


# --- closed-over tables indexed by traced values ----------------------------------------------

def global_table(tok):
    return EMB[tok]


def take_from_global(tok):
    return np.take(EMB, tok, axis=0)   # NumPy's take dispatches on EMB only


def two_traced_indices(i, j):
    return TABLE[i, j]


def default_table(tok, table=EMB32):
    return table[tok] * 2


def _closure_table():
    weights = RNG.randn(10, 3)

    def lookup(tok):
        return weights[tok].sum()
    return lookup


closure_table = _closure_table()


def eye_row(label):
    return np.eye(10)[label]           # a table made inside the function


def table_math(tok):
    scaled = EMB / np.linalg.norm(EMB, axis=1, keepdims=True)   # on constants: computed now
    return scaled[tok] @ scaled[0]


def _helper_lookup(tok):
    return EMB[tok] + TABLE[0, :].sum()


def through_a_helper(tok):
    return _helper_lookup(tok) * 2     # the helper is rebound too


def via_linalg_alias(tok):
    return la.norm(EMB[tok])


@pytest.mark.parametrize("f", [global_table, take_from_global, default_table, closure_table,
                               eye_row, table_math, through_a_helper, via_linalg_alias],
                         ids=lambda f: getattr(f, "__name__", "f"))
def test_closed_over_tables(plan_kind, f):
    tok = TOK if f not in (eye_row,) else np.abs(TOK) % 10
    check(f, tok)
    check(f, tok.astype(np.int32))
    check(f, tok[:0])


def test_two_traced_indices_and_in_axes(plan_kind):
    i, j = np.array([0, 2, 1, -1]), np.array([3, 0, -4, 1])
    check(two_traced_indices, i, j)
    check(two_traced_indices, i, np.int64(2), in_axes=(0, None))


def test_partial_and_bound_method(backend):
    class Model:
        def __init__(self, scale):
            self.scale = scale

        def __call__(self, tok):
            return EMB[tok] * self.scale        # EMB: a global of the class's module

        def embed(self, tok):
            return np.array([EMB[tok, 0], self.scale])

    m = Model(3.0)
    check(m, TOK)
    check(m.embed, TOK)
    check(functools.partial(lambda table, tok: table[tok], EMB), TOK)


def test_out_of_range_lookup_is_an_index_error(backend):
    with pytest.raises(IndexError):
        gvmap.vmap(global_table)(np.array([0, 10]))


# --- known values answer as NumPy would ------------------------------------------------------

def concrete_questions(x):
    if EMB.max() > 1 and len(EMB) == 10:              # bool() and len() of a constant
        x = x * float(EMB[0, 0]) + EMB.shape[0]
    n = int(np.sum(TABLE > 5))                         # computed now: 6
    rows = [x * r for r in TABLE[:, 0].tolist()]       # .tolist() of a constant
    k = np.argmax(TABLE[1])                            # a known index
    return np.stack(rows)[:, :n] + TABLE[1, k]


def numpy_function_gvmap_lacks(x):
    gaps = np.spacing(EMB[0])         # not traced by gvmap: NumPy's, on the known value
    return x[:4] + gaps


def printing_and_formatting(x):
    text = f"{EMB[0, 0]:.3f} {TABLE.sum()} {TABLE[0]!r}"   # as NumPy prints them
    return x * len(text)


@pytest.mark.parametrize("f", [concrete_questions, numpy_function_gvmap_lacks,
                               printing_and_formatting], ids=lambda f: f.__name__)
def test_known_values_are_concrete(plan_kind, f):
    x = RNG.randn(7, 8)
    check(f, x)
    check(f, x.astype(np.float32))


def test_constant_output_and_pytree(backend):
    f = lambda tok: {"row": EMB[tok], "table": TABLE, "scale": np.ones(2)}
    check(f, TOK)


def test_nested_vmap_with_tables(backend):
    inner = gvmap.vmap(lambda i: EMB[i] * np.array([1.0, 2.0, 3.0, 4.0]))
    f = lambda toks: inner(toks).sum(0)
    check(f, np.abs(TOK[:6]).reshape(3, 2) % 10)


# --- where the rebinding stops --------------------------------------------------------------

def test_writing_a_closed_over_array_is_refused(backend):
    def f(x):
        TABLE[0, 0] = x[0]            # NumPy would change the module's array
        return TABLE

    def g(x):
        row = EMB[0]                  # a view of the global
        row[1] = x[0]
        return row

    before = EMB.copy()
    for fn in (f, g):
        with pytest.raises(TypeError, match="closes over"):
            gvmap.vmap(fn)(V3)
    assert TABLE[0, 0] == 0.0
    np.testing.assert_array_equal(EMB, before)


def test_closed_over_array_is_unchanged_by_tracing(backend):
    before = EMB.copy()
    check(table_math, TOK)
    np.testing.assert_array_equal(EMB, before)


class _Config:
    table = EMB


CFG = _Config()


class _Embedder:
    def __init__(self):
        self.emb = EMB

    def __call__(self, tokens):
        return self.emb[tokens].mean(0)


def test_attribute_tables_of_the_users_objects_gather(plan_kind):
    """``cfg.table[i]``, ``self.emb[tokens]``: an object of the user's is read through a
    view (gvmap.views), so its arrays are known values and gather."""
    check(lambda tok: CFG.table[tok], TOK)
    check(_Embedder(), TOK)
    check(lambda tok: np.take(CFG.table, tok, axis=0), TOK)


TABLES = {"emb": EMB, "layers": [EMB, EMB32]}
LIBRARY_HOLDER = library_object(emb=EMB, tables=types.MappingProxyType({"emb": EMB}))


def test_container_tables_gather(plan_kind):
    """Lists, tuples and dicts the traced code reads have their items rebound: a table in
    one gathers."""
    check(lambda tok: TABLES["emb"][tok] + TABLES["layers"][1][tok], TOK)


def test_library_object_table_names_the_rewrite(backend):
    """``ns.emb[i]`` of a library object (and a mappingproxy's items) are not rebound;
    NumPy's indexing asks the tracer for an index, and the message names np.take, which
    works there (the traced index is an argument NumPy's rebound take sees)."""
    for f in (lambda tok: LIBRARY_HOLDER.emb[tok], lambda tok: LIBRARY_HOLDER.tables["emb"][tok]):
        with pytest.raises(TracerConversionError,
                           match=r"^`table\[i\]` with a traced index.*np\.take\(table, i, axis=0\)"):
            gvmap.vmap(f)(TOK)
    check(lambda tok: np.take(LIBRARY_HOLDER.emb, tok, axis=0), TOK)


def test_container_table_message_leads_with_the_indexing(backend):
    """A method indexing a container's table: the refusal says first that a NumPy table
    was indexed with a traced index and names np.take, not the np.asarray/np.where wording
    of a conversion the user never wrote."""
    class Lookup:
        def __init__(self):
            self.tables = types.MappingProxyType({"emb": EMB})

        def __call__(self, tokens):
            return self.tables["emb"][tokens].mean(0)

    with pytest.raises(TracerConversionError,
                       match=r"^`table\[i\]` with a traced index.*"
                             r"np\.take\(cfg\.W, tokens, axis=0\)"):
        gvmap.vmap(Lookup())(TOK)


# --- a module of the user's own (tests/user_helpers.py) ----------------------------------------

def module_rotation(t):
    return user_helpers.rotation(t) @ np.ones(2)


def module_lookup(i):
    return user_helpers.lookup(i) + user_helpers.TABLE[i]


def module_roots(t):
    return user_helpers.smallest_root(np.abs(t) + 0.1)


def module_chain(v):
    return user_helpers.inner.padded(v) + user_helpers.through_inner(v)


def module_numpy(t):
    return user_helpers.np.array([t, 2 * t])          # the module's np is rebound too


def _module_in_a_closure():
    import user_helpers as helpers                    # a closure cell holds the module

    def module_in_a_closure(t):
        return helpers.rotation(t).sum(0)
    return module_in_a_closure


MODULE_USES = [(module_rotation, T), (module_lookup, TOK), (module_roots, T),
               (module_chain, V3), (module_numpy, T), (_module_in_a_closure(), T)]


@pytest.mark.parametrize("f, arg", MODULE_USES, ids=[f.__name__ for f, _ in MODULE_USES])
def test_helpers_of_a_user_module(plan_kind, f, arg):
    """``mylib.helper(x)``, ``mylib.TABLE[i]``, ``mylib.sub.f(x)``: a module of the user's
    own is read as globals are, rebound (np.array of traced values, table lookups, math,
    sorted and made arrays written with traced values all trace), and left untouched."""
    check(f, arg)
    assert user_helpers.np is np and type(user_helpers.TABLE) is np.ndarray
    assert user_helpers.inner.padded.__globals__["np"] is np


def test_a_user_module_namespace_is_the_real_one(backend):
    seen = {}

    def f(t):
        seen["vars"] = vars(user_helpers)
        seen["dict"] = user_helpers.__dict__
        seen["spec"] = user_helpers.__spec__
        return t * user_helpers.SCALE

    check(f, T)
    assert seen["vars"] is seen["dict"] is vars(user_helpers)
    assert seen["spec"] is user_helpers.__spec__


def test_rebinding_a_module_attribute_retraces(backend):
    """A user module's attributes are watched as globals are: ``mylib.SCALE = 3.0`` or a
    new ``mylib.lookup`` traces again at the next call."""
    f = gvmap.vmap(lambda i: user_helpers.TABLE[i] * user_helpers.SCALE + user_helpers.lookup(i))
    saved = user_helpers.SCALE, user_helpers.lookup
    i = np.array([1, 2, 3])
    try:
        assert_tree_close(f(i), np.array([1.0, 4.0, 9.0]) * 4)
        user_helpers.SCALE = 3.0
        assert_tree_close(f(i), np.array([1.0, 4.0, 9.0]) * 6)
        user_helpers.lookup = lambda k: -user_helpers.TABLE[k]
        assert_tree_close(f(i), np.array([1.0, 4.0, 9.0]) * 2)
    finally:
        user_helpers.SCALE, user_helpers.lookup = saved


def test_a_module_attribute_read_by_getattr_is_watched(backend):
    name = "SCALE"
    f = gvmap.vmap(lambda t: t * getattr(user_helpers, name))
    try:
        assert_tree_close(f(T), T * 2.0)
        user_helpers.SCALE = 5.0
        assert_tree_close(f(T), T * 5.0)
    finally:
        user_helpers.SCALE = 2.0


def _store_in_module(t):
    user_helpers.LAST = t
    return t


def test_a_traced_value_stored_in_a_user_module_is_refused(backend):
    """In the loop each call stores its own example's value in turn; the write is refused
    (through the module, ``mylib.last = t``, and by a helper's ``global`` statement), and
    the module keeps its value. A constant is stored as the loop stores it."""
    with pytest.raises(LeakedTracerError, match=r"user_helpers\.LAST"):
        gvmap.vmap(_store_in_module)(T)
    with pytest.raises(LeakedTracerError, match=r"the global LAST of user_helpers"):
        gvmap.vmap(lambda t: user_helpers.remember(t) * 2)(T)
    assert user_helpers.LAST is None
    try:
        check(lambda t: _store_in_module(np.float64(0.5)) + t, T)
        assert user_helpers.LAST == 0.5 and type(user_helpers.LAST) is np.float64
    finally:
        user_helpers.LAST = None


LATEST = None


def _remember_latest(t):
    global LATEST
    LATEST = t
    return t + 1


def test_a_helper_assigning_a_global_with_a_traced_value_is_refused(backend):
    """A helper's ``global`` write (not the traced function's own) is state too: it was a
    tracer left in the module, silently."""
    with pytest.raises(LeakedTracerError, match=r"the global LATEST\b"):
        gvmap.vmap(lambda t: _remember_latest(t) * 2)(T)
    assert LATEST is None


# --- objects of the user's own (gvmap.views) -------------------------------------------------

class Arm:
    """A planar two-link arm: methods calling methods, each a habit that needs rebinding."""

    def __init__(self):
        self.lengths = np.array([1.0, 0.5])
        self.offsets = np.arange(5.0)

    def rotation(self, t):
        c, s = np.cos(t), np.sin(t)
        return np.array([[c, -s], [s, c]])

    @property
    def reach(self):
        return math.fsum(self.lengths.tolist())

    def tip(self, t):
        return self.rotation(t) @ self.lengths / self.reach

    def __call__(self, t):
        k = int(abs(t) * 1.5)                       # a traced Python int
        return self.tip(t) + self.offsets[k]        # an attribute table, a traced index


class DampedArm(Arm):
    def __call__(self, t):
        return 0.5 * super().__call__(t) + math.exp(-abs(t))


class Rotation:
    """A value type with operators, closed over by the traced code."""

    def __init__(self, angle):
        self.angle = angle

    def __matmul__(self, v):
        c, s = math.cos(self.angle), math.sin(self.angle)
        return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])

    def __rmul__(self, k):
        return Rotation(self.angle * k)


class Lookup:
    """A container class of the user's: ``lut[i]``, ``len(lut)``, iteration."""

    def __init__(self, values):
        self.values = values

    def __getitem__(self, i):
        return self.values[i]

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        return iter(self.values.tolist())


@dataclasses.dataclass(frozen=True)
class Params:
    W: np.ndarray
    scale: float = 2.0

    def apply(self, v):
        return self.W[:, :3] @ v * self.scale


ROT = Rotation(0.3)
LUT = Lookup(np.array([0.5, -1.0, 2.0, 4.0, 8.0, 16.0, -2.0, 1.0, 3.0, 5.0]))
PARAMS = Params(EMB.T)


def rotate_closed_over(v):
    return ROT @ v[:2] + (2 * ROT) @ v[1:]


def container_class(i):
    total = sum(LUT) / len(LUT)                      # the object's own protocols
    return LUT[i] * total + LUT[(i + 1) % len(LUT)]


def dataclass_object(v):
    names = [f.name for f in dataclasses.fields(PARAMS)]
    assert isinstance(PARAMS, Params) and type(PARAMS) is Params and names == ["W", "scale"]
    return PARAMS.apply(v) + dataclasses.replace(PARAMS, scale=1.0).apply(v)


def identity_and_hashing(v):
    seen = {LUT: 1.0, ROT: 2.0, Rotation: 3.0}       # the objects and a class as keys
    assert ROT == ROT and ROT != LUT and not callable(ROT) and callable(Arm())
    with pytest.raises(TypeError, match="unhashable"):
        hash(PARAMS)                                 # a frozen dataclass of an array field
    return v * seen[LUT] + seen[ROT] + seen[type(ROT)] + (ROT in [LUT, ROT])


OBJECT_USES = [(Arm(), T), (DampedArm(), T), (Arm().tip, T), (rotate_closed_over, V3),
               (container_class, TOK), (dataclass_object, V3), (identity_and_hashing, V3)]


@pytest.mark.parametrize("f, arg", OBJECT_USES,
                         ids=[getattr(f, "__name__", type(f).__name__) for f, _ in OBJECT_USES])
def test_methods_and_attributes_of_the_users_objects(plan_kind, f, arg):
    """``self.rotation(t)``, ``self.emb[tokens]``, ``super().__call__(t)``, properties,
    operators and protocols of the user's classes run rebuilt on a view of the object
    (gvmap.views), against the loop; the objects themselves are untouched."""
    check(f, arg)
    assert type(ROT) is Rotation and type(PARAMS.W) is np.ndarray


class Quat:
    """A value type the traced code makes: operators returning new instances, math on
    traced numbers, a classmethod constructor, ``type(self)(...)``."""

    def __init__(self, w, x, y, z):
        self.v = np.array([w, x, y, z])              # traced numbers, built in __init__

    @classmethod
    def about_z(cls, angle):
        return cls(math.cos(angle / 2), 0.0, 0.0, math.sin(angle / 2))

    def __mul__(self, o):
        w1, x1, y1, z1 = self.v
        w2, x2, y2, z2 = o.v
        return type(self)(w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                          w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2)

    @property
    def norm(self):
        return math.sqrt(float(self.v @ self.v))

    def unit(self):
        return Quat(*(self.v / self.norm))


class UnitQuat(Quat):
    def __init__(self, w, x, y, z):
        super().__init__(w, x, y, z)
        self.v = self.v / np.sqrt(self.v @ self.v)


@dataclasses.dataclass(frozen=True)
class Stats:
    mean: np.ndarray
    spread: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "scale", self.spread * 2.0)    # the frozen idiom

    def z(self, v):
        return (v - self.mean) / self.scale


def quaternions_made_inside(v):
    q = Quat(*v[:4]).unit() * Quat.about_z(float(v[0]))
    u = UnitQuat(v[0], v[1], 1.0, 2.0)
    assert isinstance(q, Quat) and type(q) is Quat and isinstance(u, Quat)
    assert issubclass(type(u), Quat) and not isinstance(q, UnitQuat)
    return q.v + u.v + q.norm


def dataclass_made_and_returned(v):
    s = Stats(v.mean(), v.std() + 1.0)
    return Stats(s.z(v), dataclasses.replace(s, mean=0.0).z(v))          # a pytree output


MADE_INSIDE = [quaternions_made_inside, dataclass_made_and_returned]


@pytest.mark.parametrize("f", MADE_INSIDE, ids=lambda f: f.__name__)
def test_objects_the_traced_code_makes_of_the_users_classes(plan_kind, f):
    """``Quat(*v).unit() * Quat.about_z(t)``: a class of the user's, called in the traced
    code, makes a view whose ``__init__`` and methods run rebuilt; a dataclass made there
    may hold traced values and is an output (a pytree)."""
    check(f, RNG.uniform(0.5, 2.0, size=(7, 5)))


class Shape(abc.ABC):
    WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])        # a class attribute, read through self

    @abc.abstractmethod
    def corners(self, v): ...

    def weighted(self, v):
        return self.corners(v) * self.WEIGHTS[int(v[0])]


class Square(Shape):
    def corners(self, v):
        return np.array([math.sqrt(v[0]), v[1]])


class ScaledSquare(Square):
    def corners(self, v):
        return super(ScaledSquare, self).corners(v) * 2      # the two-argument form


class Slotted:
    __slots__ = ("w",)

    def __init__(self):
        self.w = np.arange(4.0)

    def __call__(self, v):
        return np.array([self.w[int(v[0])], v[1]])


class Cached:
    @functools.cached_property
    def table(self):
        return np.linspace(0, 1, 5)

    def __call__(self, v):
        return self.table[int(v[0])] + v


def copied_object(v):
    made = copy.copy(PARAMS)                          # a copy is a view too
    deep = copy.deepcopy(Quat(v[0], v[1], v[2], v[3]))
    return made.apply(v[:3]) + deep.unit().v[:1]


def class_in_the_function(v):
    class Pair:
        def __init__(self, a):
            self.a = a

        def both(self):
            return np.array([self.a, math.sin(self.a)])
    return Pair(v[0]).both()


MORE_OBJECTS = [Square().weighted, ScaledSquare().weighted, Slotted(), Cached(),
                copied_object, class_in_the_function]


@pytest.mark.parametrize("f", MORE_OBJECTS,
                         ids=["abc", "super_two_args", "slots", "cached_property", "copy",
                              "local_class"])
def test_more_habits_of_classes(plan_kind, f):
    check(f, RNG.uniform(0.5, 2.0, size=(7, 4)))


class Tanh:
    def __call__(self, x):
        return np.array([math.tanh(x[0]), x[1], x[2]])


class Layers:
    """An MLP-like stack: its layers in a list, a dict and a tuple."""

    def __init__(self):
        self.layers = [Tanh(), Tanh()]
        self.named = {"first": Tanh(), "scale": np.array([2.0, 1.0, 0.5])}
        self.pair = (Tanh(), np.arange(3.0))

    def __call__(self, v):
        for layer in self.layers:
            v = layer(v)
        first, table = self.pair
        return self.named["first"](v) * self.named["scale"] + first(v) + table[int(v[0] > 0)]


def test_objects_and_tables_in_containers(plan_kind):
    """``for layer in self.layers``, ``self.named["scale"]``, a tuple unpacked: the items of
    lists, dicts and tuples the traced code reads are rebound too."""
    check(Layers(), V3)


LOG = []
MEMO = {}


def test_writes_into_a_read_container_reach_the_real_one(backend):
    """A list or dict read with its items rebound is written through to the real one, as
    in the loop (here with constants; traced values there are state, as before)."""
    def f(v):
        LOG.append(np.ones(2))                       # a list holding an array: rebound
        LOG.extend([v.shape[0]])
        MEMO.setdefault("basis", np.eye(3))
        MEMO["table"] = TABLE
        LOG.sort(key=lambda x: 0 if isinstance(x, int) else 1)
        return v @ MEMO["basis"] + LOG[-1][0]

    LOG[:] = [np.zeros(2)]
    MEMO.clear()
    MEMO["emb"] = EMB
    try:
        got = gvmap.vmap(f)(V3)
        assert type(LOG[0]) is int and LOG[0] == 3 and type(LOG[1]) is np.ndarray
        assert len(LOG) == 3 and set(MEMO) == {"emb", "basis", "table"}
        assert all(type(x) is np.ndarray for x in MEMO.values())
        assert np.array_equal(MEMO["table"], TABLE)         # (a copy of it: a snapshot)
        assert_tree_close(got, V3 + 1.0)
    finally:
        LOG.clear()
        MEMO.clear()


# --- namedtuples, namespaces, OrderedDicts and defaultdicts ----------------------------------

EmbParams = collections.namedtuple("EmbParams", "emb scale")


class Pose(NamedTuple):
    """A value class written as a typing.NamedTuple, its methods building arrays of traced
    values and new poses (``self.rot()``, ``Pose(...)``, ``_replace``)."""
    angle: float
    shift: float = 0.0

    def rot(self):
        c, s = np.cos(self.angle), np.sin(self.angle)
        return np.array([[c, -s], [s, c]])

    def then(self, other):
        return Pose(self.angle + other.angle, self.shift + other.shift)

    @property
    def offset(self):
        return np.array([self.shift, -self.shift])

    def apply(self, v):
        return self.rot() @ v + self.offset


class Layer(collections.namedtuple("Layer", "w b")):
    def __call__(self, v):
        return np.maximum(v @ self.w + self.b, np.zeros(self.b.shape))


PARAMS_NT = EmbParams(EMB, 2.0)
POSE = Pose(0.3, 1.0)
LAYERS_NT = [Layer(EMB[:3], EMB[3]), Layer(EMB[4:8], EMB[8])]
CONFIG_NS = types.SimpleNamespace(emb=EMB, scale=3.0, helper=rotation)
ARGS_NS = argparse.Namespace(emb=EMB32, scale=0.5)
ORDERED = collections.OrderedDict(emb=EMB, scale=2.0)
DEFAULTED = collections.defaultdict(lambda: EMB32, emb=EMB)
WINDOW = collections.deque([EMB, EMB32], maxlen=2)


@pytest.mark.parametrize("f,arg", [
    (lambda tok: PARAMS_NT.emb[tok] * PARAMS_NT.scale + PARAMS_NT[0][tok], TOK),
    (lambda tok: CONFIG_NS.emb[tok] * CONFIG_NS.scale, TOK),
    (lambda t: CONFIG_NS.helper(t) @ np.ones(2), T),
    (lambda tok: ARGS_NS.emb[tok] * ARGS_NS.scale + vars(ARGS_NS)["scale"], TOK),
    (lambda tok: ORDERED["emb"][tok] * ORDERED["scale"] + sum(1 for _ in ORDERED), TOK),
    (lambda tok: DEFAULTED["emb"][tok] + DEFAULTED["other"][tok], TOK),
    (lambda t: POSE.apply(np.array([t, 1.0])), T),
    (lambda t: POSE.then(Pose(t, t)).apply(np.ones(2)) + POSE._replace(shift=t).offset, T),
    (lambda t: (type(POSE.then(Pose(t))) is Pose) + isinstance(Pose(t), Pose) * t, T),
    (lambda v: functools.reduce(lambda h, layer: layer(h), LAYERS_NT, v), V3),
    (lambda tok: WINDOW[0][tok] + WINDOW[-1][tok] * len(WINDOW), TOK),
], ids=["namedtuple", "simplenamespace", "namespace_function", "argparse", "ordereddict",
        "defaultdict", "namedtuple_methods", "namedtuple_made", "namedtuple_type",
        "namedtuple_layers", "deque"])
def test_namedtuples_namespaces_and_dict_kinds(plan_kind, f, arg):
    """The items of namedtuples, ``SimpleNamespace`` / ``argparse.Namespace`` attributes
    and the items of OrderedDicts and defaultdicts are rebound: tables gather, and a
    namedtuple's own methods run rebuilt (np.array of traced values)."""
    check(f, arg)


def test_a_namedtuple_output_is_of_its_own_class(backend):
    out = gvmap.vmap(lambda t: Pose(t, 2 * t).then(POSE))(T)
    assert type(out) is Pose and type(gvmap.vmap(lambda t: POSE)(T)) is Pose
    assert_tree_close(out, oracle(lambda t: Pose(t, 2 * t).then(POSE))(T))


def test_a_read_list_or_dict_is_an_output(backend):
    """A list or dict the function reads, returned, is a pytree of its items (session 8's
    views made it an unknown leaf)."""
    TABLES["scale"] = 2.0
    try:
        for f in (lambda t: TABLES, lambda t: (t, ORDERED), lambda t: TABLES["layers"],
                  lambda t: copy.copy(TABLES), lambda t: copy.deepcopy(TABLES["layers"])):
            out = gvmap.vmap(f, out_axes=0)(T)
            assert_tree_close(out, oracle(f)(T))
        assert type(gvmap.vmap(lambda t: (t, ORDERED))(T)[1]) is collections.OrderedDict
    finally:
        del TABLES["scale"]


def test_writes_into_ordered_and_default_dicts_reach_the_real_ones(backend):
    ordered = collections.OrderedDict(a=np.ones(2), b=2.0)
    counts = collections.defaultdict(int, seen=EMB)

    def f(t):
        ordered.move_to_end("a")
        ordered["c"] = 3.0
        counts["calls"] += 1
        return t * ordered["b"] + counts["seen"][0, 0]

    got = gvmap.vmap(f)(T)
    assert list(ordered) == ["b", "a", "c"] and counts["calls"] == 1
    window = collections.deque([1.0, 2.0], maxlen=2)

    def g(t):
        window.append(3.0)
        window.rotate(1)
        return t * window[0] + len(window)

    assert_tree_close(gvmap.vmap(g)(T), T * 3.0 + 2)
    assert list(window) == [3.0, 2.0] and window.maxlen == 2
    assert_tree_close(got, T * 2.0 + EMB[0, 0])



def _list_writes(c):
    c.append(4.0)
    c.extend([5.0, 6.0])
    c += [7.0]
    c.insert(1, 8.0)
    c[0] = 9.0
    c[2:4] = [1.5]
    del c[-1]
    c.pop()
    c.pop(0)
    c.remove(1.5)
    c.reverse()
    c *= 2
    c.sort(reverse=True)
    return c.copy()


def _deque_writes(c):
    c.append(4.0)
    c.appendleft(0.5)
    c.extend([5.0, 6.0])
    c.extendleft([7.0])
    c += [8.0]                 # (at maxlen: the left end drops, as in the loop)
    c.pop()
    c.insert(1, 9.0)
    c[0] = 1.5
    del c[-1]
    c.popleft()
    c.remove(9.0)
    c.rotate(2)
    c.reverse()
    return c.copy()


@pytest.mark.parametrize("make,writes", [(lambda: [1.0, 2.0, 3.0], _list_writes),
                                         (lambda: collections.deque([1.0, 2.0, 3.0], maxlen=6),
                                          _deque_writes)], ids=["list", "deque"])
def test_every_write_of_a_read_sequence_reaches_the_real_one(make, writes):
    """Each of a list's / deque's writing methods, run on a closed-over one while tracing,
    leaves the real container as one call of the function leaves it (the trace is that one
    call), and the traced code reads what it wrote."""
    seen, expected = make(), make()
    snapshot = writes(expected)

    def f(t):
        mine = writes(seen)
        return t * mine[0] + sum(mine) + len(seen)

    got = gvmap.vmap(f)(T)
    assert type(seen) is type(expected) and list(seen) == list(expected)
    assert getattr(seen, "maxlen", None) == getattr(expected, "maxlen", None)
    assert_tree_close(got, T * snapshot[0] + sum(snapshot) + len(expected))


@pytest.mark.parametrize("write", [
    lambda c, t: c.appendleft(t), lambda c, t: c.extendleft([t]), lambda c, t: c.insert(0, t),
    lambda c, t: c.__setitem__(0, t), lambda c, t: c.__iadd__([1.0, t])],
    ids=["appendleft", "extendleft", "insert", "setitem", "iadd"])
def test_a_traced_value_written_into_a_read_deque_is_refused(write):
    window = collections.deque([1.0, 2.0], maxlen=3)
    with pytest.raises(LeakedTracerError, match="a deque the function reads"):
        gvmap.vmap(lambda t: write(window, t) or t)(T)
    assert list(window) == [1.0, 2.0]


HISTORY_LIST = []
FLOATS = [0.0]


class Holder:
    def __init__(self):
        self.last = None


@pytest.mark.parametrize("store,where", [
    (lambda t: HISTORY_LIST.append(t), "a list the function reads"),
    (lambda t: FLOATS.append(t), "a list the function reads"),
    (lambda t: FLOATS.extend([t, 1.0]), "a list the function reads"),
    (lambda t: HOLDER.__setattr__("last", (t, 1)), r"Holder\.last"),
    (lambda t: HOLDER.__setattr__("last", {"t": [t]}), r"Holder\.last"),
    (lambda t: ORDERED.__setitem__("t", t), "a dict the function reads"),
    (lambda t: CONFIG_NS.__setattr__("t", t), r"SimpleNamespace\.t"),
    (lambda t: WINDOW.append(t), "a deque the function reads"),
    (lambda t: HOLDER.__setattr__("last", collections.deque([t])), r"Holder\.last"),
])
def test_a_traced_value_stored_in_outside_state_is_refused(backend, store, where):
    """Where it is stored, even inside a container stored there, and into an empty list or
    a list of numbers (which used to take the tracer, refused only where used later)."""
    def f(t):
        store(t)
        return t

    with pytest.raises(LeakedTracerError, match=where):
        gvmap.vmap(f)(T)
    assert HISTORY_LIST == [] and FLOATS == [0.0] and HOLDER.last is None
    assert "t" not in ORDERED and not hasattr(CONFIG_NS, "t") and WINDOW[1] is EMB32


HOLDER = Holder()


def test_a_constant_container_stored_in_outside_state_is_the_loops_value(backend):
    holder = Holder()

    def f(t):
        holder.last = (TABLE, [1.0, EMB[0]])  # known values: stored as the loop's arrays
        return t

    gvmap.vmap(f)(T)
    first, (one, row) = holder.last
    gvmap.vmap(lambda t: holder.__setattr__("pose", Pose(1.0)) or t)(T)
    assert type(holder.pose) is Pose                  # not the trace's subclass of it
    assert type(first) is np.ndarray and type(row) is np.ndarray and one == 1.0
    np.testing.assert_array_equal(first, TABLE)
    np.testing.assert_array_equal(row, EMB[0])


class Counter:
    def __init__(self):
        self.calls = 0
        self.basis = None
        self.last = None

    def __call__(self, t):
        self.calls += 1                              # a Python int: once, while tracing
        self.basis = np.eye(2)                       # a constant: stored as the loop stores it
        return t * self.basis[0, 0]


class Recorder:
    def __init__(self):
        self.last = None

    def __call__(self, t):
        HISTORY.last = t                             # another object of the user's
        return t


HISTORY = Recorder()


def test_writes_through_an_object_view_reach_the_object(backend):
    counter = Counter()
    check(counter, T)
    assert counter.calls == 1 + len(T)               # the trace, then the oracle's loop
    assert type(counter.basis) is np.ndarray
    with pytest.raises(LeakedTracerError, match=r"stored a traced value in Recorder\.last"):
        gvmap.vmap(Recorder())(T)
    assert HISTORY.last is None


def test_which_objects_are_viewed():
    from gvmap.views import is_user_instance

    class Tuple2(tuple):
        pass

    class Plain:
        pass

    assert is_user_instance(Plain()) and is_user_instance(ROT) and is_user_instance(PARAMS)
    assert not is_user_instance(Tuple2((1, 2)))             # a builtin base
    assert not is_user_instance(np.random.default_rng(0))   # a library class
    assert not is_user_instance(Rotation) and not is_user_instance(user_helpers)
    assert not is_user_instance(threading.Lock())


COUNTER = 0


def _writes_a_global(t):
    global COUNTER
    COUNTER += 1
    c, s = np.cos(t), np.sin(t)
    return np.array([c, -s])


def test_function_assigning_globals_is_not_rebuilt(backend):
    """A function with ``global`` keeps its real globals (a copy would swallow the write):
    its np is NumPy's, and the message names np.stack."""
    before = COUNTER
    with pytest.raises(TracerConversionError, match=r"np\.stack\(\[c, -s\]\)"):
        gvmap.vmap(_writes_a_global)(T)
    assert COUNTER == before + 1
    rewritten = lambda t: np.stack([np.cos(t), -np.sin(t)])
    check(rewritten, T)


def test_nonlocal_writes_reach_the_enclosing_scope(backend):
    calls = 0

    def f(t):
        nonlocal calls
        calls += 1
        return np.array([t, EMB[0, 0]])

    check(f, T)
    assert calls == 1 + len(T)  # one trace, and the oracle's loop


def test_module_globals_are_never_touched(backend):
    import sys

    module = sys.modules[__name__]
    seen = {}

    def f(tok):
        seen["np"] = module.__dict__["np"]          # the module's own dict: unchanged
        return EMB[tok]

    gvmap.vmap(f)(TOK)
    assert seen["np"] is np and global_table.__globals__["np"] is np
    assert type(EMB) is np.ndarray


def test_threads_trace_independently(backend):
    results, errors = [], []

    def work(k):
        try:
            f = lambda t: np.array([t * k, EMB[k, 0] + t])
            results.append((k, gvmap.vmap(f)(T)))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, got in results:
        np.testing.assert_allclose(got, np.stack([T * k, EMB[k, 0] + T], axis=1))


def test_asarray_of_an_attribute_array_is_a_snapshot(backend):
    """np.asarray(cfg.t) returns the caller's array itself; as a known value it is copied
    (a snapshot, as every closed-over array) and refuses writes (NumPy would write into
    the caller's array)."""
    holder = _Config()
    holder.t = np.arange(5.0)
    f = gvmap.vmap(lambda i: np.asarray(holder.t)[i] * 1.0)
    assert_tree_close(f(np.array([1, 2])), np.array([1.0, 2.0]))
    holder.t[:] = 100.0                     # in place: the plan keeps its snapshot
    assert_tree_close(f(np.array([1, 2])), np.array([1.0, 2.0]))

    def write(x):
        view = np.asarray(holder.t)
        view[0] = x
        return view
    with pytest.raises(TypeError, match="closes over"):
        gvmap.vmap(write)(np.ones(3))
    assert holder.t[0] == 100.0


def _full_with_local_numpy(t):
    import numpy  # bound inside the function: the real module
    return numpy.full(3, t)


def test_numpy_full_where_not_rebound_names_the_call_and_rewrite(backend):
    with pytest.raises(TracerConversionError, match=r"numpy\.full.*np\.broadcast_to\(v, shape\)"):
        gvmap.vmap(_full_with_local_numpy)(T)
    check(lambda t: np.broadcast_to(t, (3,)).copy(), T)                # the rewrite it names


# ---------------------------------------------------------------- NumPy's scalar types

from numpy import float32 as np_float32  # noqa: E402  (imported by name: rebound too)

_SCALAR_CASTS = {
    np.float32: 2.0,  # a dict keyed by NumPy types, looked up with a traced dtype's type
}


def _scalar_casts(v):
    total = np.float64(v.sum())                   # a traced 0-d value: its astype
    halves = np_float32(v * 2.5)                  # an array: NumPy's constructor gives one too
    counts = np.int32(v * 10)                     # floats to int32 truncate, as astype
    flags = np.bool_(v > 0.5)
    zeros = np.zeros(3, dtype=np.float64)         # still a dtype
    facts = (isinstance(np.float64(1.0), np.float64) and np.float64 == np.float64
             and v.dtype == np.float32 and np.finfo(np.float32).eps > 0
             and np.issubdtype(np.int32, np.integer))
    return (total * 2, halves, counts, flags, zeros + _SCALAR_CASTS[v.dtype.type] + facts,
            np.float64(3) * v, np.float16(1.5) + v.astype(np.float16))


def test_numpy_scalar_types_convert_traced_values(plan_kind):
    """np.float64(x) of a traced x is what NumPy's constructor gives for an array, x's
    astype (a new array), while np.float64 still works as a dtype, in isinstance and in
    comparisons; on plain numbers it is NumPy's own."""
    x = RNG.rand(6, 4).astype(np.float32)
    assert_tree_close(gvmap.vmap(_scalar_casts)(x), oracle(_scalar_casts)(x))


def test_numpy_scalar_type_of_a_traced_value_is_numpys_asarray(backend):
    """np.float64(a) of a float64 array is the array itself in NumPy (a write into the
    result changes a), of another dtype a new array (it does not)."""
    def f(v):
        a, b = v * 2, v * 3
        same, other = np.float64(a), np.float32(b)
        same[0], other[0] = 0.0, 0.0
        return a, same, b, other
    x = RNG.rand(3, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


from numpy import ndarray as np_ndarray  # noqa: E402  (imported by name: rebound too)


def _type_questions(v):
    """isinstance / np.isscalar branches, as code that normalises its inputs writes them."""
    s, first, table = v.sum(), v[0], np.zeros(3)
    picks = [v * 2 if isinstance(v, np.ndarray) else v,          # an example: an array
             v * 3 if isinstance(v, np_ndarray) else v,
             s * 2 if isinstance(s, np.ndarray) else s,          # a reduction: a scalar
             s * 2 if isinstance(s, np.floating) else s,
             s * 2 if isinstance(s, (np.float64, list)) else s,
             s * 2 if isinstance(s, np.integer) else s,
             s * 2 if isinstance(first, np.generic) else s,      # x[0]: a scalar
             s * 2 if isinstance(v[:1], np.generic) else s,      # x[:1]: an array
             s * 2 if np.isscalar(s) else s,
             s * 2 if np.isscalar(v) else s,
             s * 2 if isinstance(table, np.ndarray) else s,      # a known array
             s * 2 if isinstance(1.5, np.floating) else s,       # a Python float is not
             s * 2 if issubclass(np.float64, np.floating) else s,
             v * 2 if np.issubdtype(v.dtype, np.floating) else v]
    return [np.asarray(p, dtype=np.float64) for p in picks]


def test_isinstance_of_traced_values_answers_as_the_loop(plan_kind):
    """isinstance(x, np.ndarray) of a traced array is True and isinstance(s, np.floating)
    of a traced scalar too (both were False: a silently different branch); np.isscalar
    likewise. np.ndarray(...) and np.floating still are NumPy's own."""
    x = RNG.rand(5, 4)
    assert_tree_close(gvmap.vmap(_type_questions)(x), oracle(_type_questions)(x))
    made = gvmap.vmap(lambda v: v + np.ndarray((4,), buffer=np.ones(4)).sum())(x)
    np.testing.assert_allclose(made, x + 4)


def _builtin_type_questions(v):
    """The builtin isinstance, as code that accepts "a number or an array" writes it."""
    import numbers
    s, first = v.sum(), v[0]
    picks = [s * 2 if isinstance(first, float) else s,         # np.float64 is a float
             s * 3 if isinstance(s, (int, float)) else s,
             s * 2 if isinstance(s, int | float) else s,
             s * 2 if isinstance(first, numbers.Real) else s,  # NumPy registers its scalars
             s * 2 if isinstance(first, complex) else s,
             s * 2 if isinstance(v, (float, np.ndarray)) else s,
             s * 2 if isinstance(v, float) else s,             # an array is no float
             s * 2 if isinstance(v, numbers.Number) else s,
             s * 2 if isinstance(v, (list, tuple)) else s,
             s * 2 if all(isinstance(t, float) for t in v) else s,  # nested code too
             s * 2 if isinstance(2.0, float) else s,
             s * 2 if isinstance(int, type) else s,            # type is still a type
             s * 2 if type(v) is np.ndarray else s,
             s * 2 if type(first) == np.float64 else s,
             s * 2 if type(first) is float else s,
             s * 2 if type(first).__name__ == "float32" else s,
             type(first)(0.5) * s,                             # NumPy's scalar type
             s * 2 if type(3) is int and type("a", (), {})().__class__.__name__ == "a" else s,
             s * 2 if hasattr(first, "__len__") else s,        # a NumPy scalar has no len
             s * 2 if hasattr(v, "__len__") and hasattr(v, "shape") else s,
             s * 2 if hasattr(v, "no_such_attribute") else s]
    return [np.asarray(p, dtype=np.float64) for p in picks]


def test_copy_module_of_traced_values_copies():
    """copy.copy / copy.deepcopy of an argument is a new array the function may write (it
    was refused as a write into the argument, and deepcopy raised LeakedTracerError)."""
    import copy

    def f(v):
        a, b, s = copy.copy(v), copy.deepcopy(v), copy.copy(v[0])
        a[0], b[-1] = 5.0, s
        return v, a, b
    x = RNG.rand(5, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_builtin_isinstance_of_traced_values_answers_as_the_loop(plan_kind, dtype):
    """isinstance(x[0], float) is True in the loop for float64 x (np.float64 subclasses
    Python's float) and False for float32 / int64: a traced value answers the same (it
    was always False, a silently different branch for float64). ``type(x)`` and
    ``hasattr`` answer as in the loop too (they named gvmap's tracer and its methods)."""
    x = (RNG.rand(5, 4) * 4).astype(dtype)
    got, want = gvmap.vmap(_builtin_type_questions)(x), oracle(_builtin_type_questions)(x)
    assert_tree_close(got, want)


def test_complex_scalar_type_of_a_traced_value_is_the_complex_refusal(backend):
    with pytest.raises(TypeError, match="complex numbers"):
        gvmap.vmap(lambda v: np.complex128(v))(RNG.rand(2, 3))


def _constants_alone(v):
    mask = np.array([1, 0, 1, 1])                 # made from constants: known values
    idx = np.nonzero(mask)[0]                     # data-dependent shapes, known now
    cats = np.unique(np.array([3, 1, 3, 2]))
    counts = np.bincount(np.array([0, 2, 2]))
    order = np.argsort(np.array([2, 1, 2, 1]))    # NumPy's own order of ties
    return (v[idx] * cats.sum(), np.flatnonzero(mask), v[:3] @ counts.astype(v.dtype),
            np.argwhere(mask > 0).ravel(), v[order], np.median(np.array([4.0, 1.0, 2.0])) * v)


def test_functions_of_constants_alone_are_numpys_answer(plan_kind):
    """Where every traced argument is known (arrays the function made from constants),
    NumPy's own function computes the result at trace time, as in the loop: data-dependent
    shapes (nonzero, unique, bincount, argwhere) and NumPy's own tie order included."""
    x = RNG.rand(5, 4)
    assert_tree_close(gvmap.vmap(_constants_alone)(x), oracle(_constants_alone)(x))


def _view_of_made_array(view):
    def f(v):
        a = np.zeros(4)
        y = view(a)
        a[1] = v[0]
        return y
    return f


@pytest.mark.parametrize("view", [lambda a: np.transpose(a[None]), lambda a: np.flip(a)],
                         ids=["transpose", "flip"])
def test_view_functions_of_made_arrays_stay_views(backend, view):
    """Not for functions that may return a view (np.transpose, np.flip...): gvmap's own
    track the view, so a later write into the array shows in it, as in NumPy's, never
    answered from a stale copy of the constants."""
    f = _view_of_made_array(view)
    x = RNG.rand(3, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def test_reshape_of_a_made_array_blocks_writes_while_it_lives(backend):
    with pytest.raises(TypeError, match="after a view of .* was taken by reshape, ravel"):
        gvmap.vmap(_view_of_made_array(lambda a: np.reshape(a, (2, 2))))(RNG.rand(3, 4))
