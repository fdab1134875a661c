"""Pytrees beyond tuples, lists and dicts: OrderedDict, namedtuple, dataclasses, None and
registered user classes, in arguments, in_axes/out_axes and outputs, against the loop."""
from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

Pair = collections.namedtuple("Pair", ["a", "b"])


@dataclasses.dataclass
class State:
    pos: object
    vel: object
    dt: float = 0.1


@dataclasses.dataclass(frozen=True)
class Frozen:
    w: object
    scale: float


def step(s):
    return State(s.pos + s.dt * s.vel, s.vel * 0.9, s.dt)


def test_ordered_dict_keeps_its_order(backend):
    f = lambda d: collections.OrderedDict([("z", d["z"] * 2), ("a", d["a"].sum())])
    d = collections.OrderedDict([("z", np.arange(6.0).reshape(3, 2)), ("a", np.ones((3, 4)))])
    got = gvmap.vmap(f)(d)
    assert type(got) is collections.OrderedDict and list(got) == ["z", "a"]
    assert_tree_close(got, oracle(f)(d))


def test_namedtuple_in_and_out_with_axes(backend):
    f = lambda p: Pair(p.a * p.b.sum(), p.b)
    p = Pair(np.arange(6.0).reshape(2, 3), np.ones((4, 2)))
    spec = Pair(0, 1)
    got = gvmap.vmap(f, in_axes=(spec,), out_axes=Pair(1, 0))(p)
    assert type(got) is Pair
    assert_tree_close(got, oracle(f, in_axes=(spec,), out_axes=Pair(1, 0))(p))


def test_dataclass_state_with_a_static_field(backend):
    s = State(np.arange(6.0).reshape(3, 2), np.ones((3, 2)), 0.5)
    got = gvmap.vmap(step, in_axes=(State(0, 0, None),))(s)
    assert type(got) is State
    assert_tree_close((got.pos, got.vel), (s.pos + 0.5 * s.vel, s.vel * 0.9))
    assert_tree_close(got.dt, np.full(3, 0.5))   # a number returned per example is batched


def test_frozen_dataclass_as_a_shared_parameter(backend):
    params = Frozen(np.arange(3.0), 2.0)
    f = lambda x, p: (x * p.w).sum() * p.scale
    x = np.ones((4, 3))
    assert_tree_close(gvmap.vmap(f, in_axes=(0, None))(x, params),
                      oracle(f, in_axes=(0, None))(x, params))


def test_none_in_arguments_and_outputs(backend):
    f = lambda x, nothing: (x * 2, None, {"k": None, "v": x.sum()})
    x = np.arange(6.0).reshape(3, 2)
    got = gvmap.vmap(f)(x, None)
    assert got[1] is None and got[2]["k"] is None
    assert_tree_close(got, oracle(f, in_axes=(0, None))(x, None))


class Box:
    """A user class registered as a pytree node: ``data`` is a child, ``label`` static."""

    def __init__(self, data, label):
        self.data, self.label = data, label


gvmap.register_pytree_node(Box, lambda b: ((b.data,), b.label), lambda label, c: Box(c[0], label))


def test_registered_class(backend):
    f = lambda b: Box(b.data * 3.0 if b.label == "triple" else b.data, b.label)
    x = np.arange(6.0).reshape(2, 3)
    got = gvmap.vmap(f)(Box(x, "triple"))
    assert type(got) is Box and got.label == "triple"
    assert_tree_close(got.data, x * 3.0)
    got = gvmap.vmap(f, in_axes=(Box(1, "ignored"),), out_axes=Box(1, None))(Box(x, "triple"))
    assert_tree_close(got.data, x * 3.0)


def test_register_pytree_node_refuses_twice():
    with pytest.raises(ValueError, match="already"):
        gvmap.register_pytree_node(Box, lambda b: ((), None), lambda a, c: None)
    with pytest.raises(ValueError, match="already"):
        gvmap.register_pytree_node(dict, lambda b: ((), None), lambda a, c: None)


def test_dict_in_axes_for_positional_arguments_says_what_is_wrong():
    with pytest.raises(ValueError, match=r"in_axes is a dict .*one entry per positional.*\(\{'a': 0\},\)"):
        gvmap.vmap(lambda a: a, in_axes={"a": 0})(np.ones(3))
    f = gvmap.vmap(lambda d: d["a"] * 2, in_axes=({"a": 0},))   # the rewrite it names
    assert_tree_close(f({"a": np.ones(3)}), np.full(3, 2.0))


def test_in_axes_for_a_list_argument_must_match_its_length():
    """As JAX: a prefix entry for a list argument has one entry per element."""
    f = gvmap.vmap(lambda xs: xs[0] + xs[1], in_axes=((0, 0),))
    assert_tree_close(f([np.ones((2, 3)), np.ones((2, 3))]), np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match=r"at \[0\] has 2 entries but the value there has 3"):
        f([np.ones((2, 3))] * 3)


def test_missing_positional_argument_is_named():
    def f(x, y):
        return x + y

    with pytest.raises(TypeError, match=r"missing the positional arguments 'x', 'y'"):
        gvmap.vmap(f)()
    with pytest.raises(TypeError, match=r"missing the positional argument 'y'"):
        gvmap.vmap(f, in_axes=None)(np.ones(3))
