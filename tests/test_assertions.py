"""``assert`` and ``if bad: raise E(...)`` on traced values (``gvmap.assertions``): where no
example fails, the function batches and matches the loop; where one does, gvmap raises
the loop's exception (the user's class and arguments) for the first failing example, with
a note naming it, on every backend and plan kind, under nesting, in_axes and chunks.

PYTEST_DONT_REWRITE: the functions here are traced, and their ``assert`` statements must be
Python's own, as in a user's module (pytest's rewriting turns them into other bytecode)."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap.errors import TracerConversionError
from oracle import assert_tree_close, oracle

RNG = np.random.RandomState(3)


class ShapeCheckError(Exception):
    pass


def normalise(p):
    assert np.all(p >= 0), "negative probabilities"
    if np.any(np.isnan(p)):
        raise ValueError("NaN in the input", 7)
    if not p.sum() > 0:
        raise ZeroDivisionError
    total = p.sum()
    assert total < 1e6                                   # no message
    if total > 1e5: raise ShapeCheckError("too large")   # noqa: E701  (a user's class)
    return p / total


def loop_error(f, *args, **kw):
    """The exception the loop raises (class and args), and at which example."""
    for i in range(len(args[0])):
        try:
            f(*[a[i] for a in args])
        except Exception as e:
            return type(e), e.args, i
    raise AssertionError("the loop raised nothing")


def check_raises(f, *args, example=None, **kw):
    cls, eargs, i = loop_error(f, *args)
    with np.errstate(all="ignore"):
        with pytest.raises(cls) as info:
            gvmap.vmap(f, **kw)(*args)
    assert type(info.value) is cls and info.value.args == eargs
    i = i if example is None else example
    assert info.value.__notes__ == [
        f"gvmap: raised for example {i} of the batch, as the loop over examples raises it there "
        f"(`{info.value.gvmap_raise.source}`)"]
    return info.value


def test_no_failing_example_batches_as_the_loop(plan_kind):
    x = np.abs(RNG.randn(7, 4)) + 0.1
    assert_tree_close(gvmap.vmap(normalise)(x), oracle(normalise)(x))
    assert gvmap.device_get(gvmap.vmap(normalise)(x[:0])).shape == (0, 4)  # no example raises


@pytest.mark.parametrize("spoil", [
    lambda x: x.__setitem__((3, 1), -1.0),         # the assert with a message
    lambda x: x.__setitem__((2, 0), np.nan),        # NaN fails the assert first, as in the loop
    lambda x: x.__setitem__(4, 0.0),                # raise ZeroDivisionError (a bare class)
    lambda x: x.__setitem__((5, 2), 5e6),           # the assert without a message
    lambda x: x.__setitem__((6, 2), 5e5),           # the user's own exception class
])
def test_the_first_failing_example_raises_the_loops_exception(plan_kind, spoil):
    x = np.abs(RNG.randn(7, 4)) + 0.1
    spoil(x)
    check_raises(normalise, x)


def test_the_first_of_several_failing_examples(plan_kind):
    x = np.abs(RNG.randn(9, 4)) + 0.1
    x[6, 0] = x[2, 3] = x[8, 1] = -1.0
    assert check_raises(normalise, x).gvmap_example == (2,)


def test_in_axes_nesting_and_chunks(backend):
    x = np.abs(RNG.randn(4, 6)) + 0.1
    x[1, 4] = -1.0                                         # example 4 along axis 1
    check_raises(normalise, x.T.copy(), example=4)
    with pytest.raises(AssertionError) as info:
        gvmap.vmap(normalise, in_axes=1)(x)
    assert info.value.gvmap_example == (4,)
    with pytest.raises(AssertionError) as info:
        gvmap.vmap(normalise, chunk_size=2)(x.T.copy())      # the chunk of examples 4 and 5
    assert info.value.gvmap_example == (4,) and "example 4 of the batch" in info.value.__notes__[0]
    m = np.abs(RNG.randn(3, 5, 4)) + 0.1
    m[2, 1, 0] = -1.0
    with pytest.raises(AssertionError) as info:
        gvmap.vmap(gvmap.vmap(normalise))(m)
    assert info.value.gvmap_example == (2, 1) and info.value.args == ("negative probabilities",)


def test_assert_on_scalars_and_python_numbers(plan_kind):
    import math

    def f(v):
        assert v[0] != 0
        assert math.sqrt(v[1] * v[1]) >= 0.0, "sqrt"
        assert v.max(), "a nonzero max: truthiness, NaN true"
        return v * 2

    x = RNG.randn(5, 3)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
    x[3, 0] = 0.0
    check_raises(f, x)
    check_raises(f, np.array([[1.0, 1.0, np.nan], [-1.0, 0.0, -2.0]]))  # NaN is true, 0 false


def test_what_is_still_control_flow():
    x = RNG.randn(4, 3)

    def branch(v):
        if v.sum() > 0:          # a branch that computes, not one that only raises
            return v
        return -v

    def computed_message(v):
        if v[0] > 9:
            raise ValueError(f"too large: {v[0]}")  # the message needs the value
        return v

    def and_chain(v):
        if v[0] > 9 and v[1] > 9:
            raise ValueError("both large")
        return v

    for f in (branch, computed_message, and_chain):
        with pytest.raises(TracerConversionError, match="np.where"):
            gvmap.vmap(f)(x)



def test_a_function_that_returns_nothing_still_checks(backend):
    """The check runs whatever reads it (Primitive.raises), so an assert in a function
    that returns nothing raises where the loop's does (it was refused: no output to
    thread the check through)."""
    def no_output(v):
        assert np.all(v > -10), "too small"

    x = np.zeros((4, 3))
    assert gvmap.vmap(no_output)(x) is None
    x[2, 1] = -11
    with pytest.raises(AssertionError, match="too small") as info:
        gvmap.vmap(no_output)(x)
    assert "example 2" in str(getattr(info.value, "__notes__", info.value.args))


def test_an_array_condition_raises_numpys_error():
    def f(v):
        assert v > 0      # several elements: no truth value, in the loop too
        return v

    with pytest.raises(ValueError, match="truth value of an array with more than one element"):
        gvmap.vmap(f)(RNG.randn(4, 3))


def test_and_chains_of_assert_and_or_chains_of_raise(plan_kind):
    """``assert a and b`` / ``if a or b: raise``: a check per condition, the same exception;
    ``assert a or b`` stays control flow (Python tests b only where a fails)."""
    def f(v):
        assert v[0] > -5 and v[1] > -5, "small"
        if v[2] > 5 or np.isnan(v[3]):
            raise OverflowError("large or NaN")
        return v + 1

    x = RNG.randn(6, 4)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
    for i, j, value in ((4, 1, -9.0), (2, 0, -9.0), (3, 2, 9.0), (1, 3, np.nan)):
        y = x.copy()
        y[i, j] = value
        check_raises(f, y)

    def either(v):
        assert v[0] > 0 or v[1] > 0
        return v

    with pytest.raises(TracerConversionError, match="not an `or`"):
        gvmap.vmap(either)(x)


def test_a_loop_before_a_raise_is_control_flow():
    """`while c: ...` followed by a raise: the loop's test jumps to the raise, but it is no
    guard of it (taking it for one would trace the loop forever)."""
    def f(v):
        while v.sum() > 1:
            v = v / 2
        raise ValueError("after the loop")

    with pytest.raises(TracerConversionError, match="np.where"):
        gvmap.vmap(f)(RNG.randn(3, 2))


def test_several_conditions_raise_the_loops_first_failure(plan_kind):
    """The second condition failing in an earlier example than the first: the loop raises
    the second's exception there (one coded check, not one check per condition)."""
    x = np.abs(RNG.randn(8, 4)) + 0.1
    x[5, 0] = -1.0        # fails the first assert, in example 5
    x[1, 2] = 5e6         # fails the second (total < 1e6), in example 1
    err = check_raises(normalise, x)
    assert type(err) is AssertionError and err.args == () and err.gvmap_example == (1,)


def test_a_single_assert(plan_kind):
    def f(v):
        assert v.min() > -2, "too small"
        return v * 2

    x = RNG.randn(6, 3) * 0.1
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))
    x[4, 1] = -3.0
    check_raises(f, x)
