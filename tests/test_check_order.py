"""The order of run-time checks (``checks.raise_first``, ``Trace.raises``): the loop raises
at its first failing example, the error of the first statement failing there, and it
raises even where nothing reads the failing value. gvmap defers each trace's checks and
binds them as one, in program order, before the next equation that may raise and at the
end (``Primitive.raises`` also keeps such equations from dead-code elimination), so
checks from different functions and statements raise the loop's error. Each case against
the loop's own exception, on every backend and plan kind.

PYTEST_DONT_REWRITE: user code's ``assert`` must stay Python's (pytest rewrites a test
module's asserts into code gvmap does not recognise)."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import gvmap
from gvmap.errors import ExampleError, LinAlgError


def loop_error(f, *args):
    """The exception the per-example loop raises first, and the example it raises at."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(len(args[0])):
            try:
                f(*(a[i] for a in args))
            except Exception as e:  # noqa: BLE001 (whatever the loop raises)
                return type(e), i
    raise AssertionError("the loop raised nothing")


def check_raises_as_the_loop(f, *args):
    cls, example = loop_error(f, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(cls) as info:
            gvmap.vmap(f)(*args)
    e = info.value
    named = e.example if isinstance(e, (ExampleError, LinAlgError)) else \
        getattr(e, "gvmap_example", None)
    assert named == (example,), f"{type(e).__name__} names {named}, the loop raises at {example}: {e}"
    return e


def _sqrt_then_log(a, b):
    return math.sqrt(a[0]) + math.log(b[0])


def test_checks_of_different_functions_raise_the_loops_first_failure(plan_kind):
    """sqrt fails at example 3, log at example 1: the loop stops at example 1 (log), where
    checked one after the other the sqrt check named example 3."""
    a, b = np.ones((5, 2)), np.ones((5, 2))
    a[3, 0], b[1, 0] = -1.0, 0.0
    e = check_raises_as_the_loop(_sqrt_then_log, a, b)
    assert e.function == "math.log"
    a[0, 0] = -4.0  # now sqrt fails first, at example 0
    assert check_raises_as_the_loop(_sqrt_then_log, a, b).function == "math.sqrt"


def test_an_assert_and_a_numpy_error_in_program_order(plan_kind):
    def f(v):
        assert v[0] < 5, "too large"
        return np.nanargmax(v[1:])

    x = np.ones((5, 4))
    x[3, 0] = 9.0          # the assert fails at example 3
    x[1, 1:] = np.nan      # nanargmax's all-NaN slice at example 1
    check_raises_as_the_loop(f, x)
    x[0, 0] = 7.0          # the assert at example 0 comes first
    check_raises_as_the_loop(f, x)


def test_a_check_whose_value_nothing_reads_still_raises(backend):
    """The loop raises at math.sqrt(-1.0) even where the result is thrown away, and at
    np.linalg.inv of a singular matrix; both were dropped as dead code."""
    def sqrt_unused(v):
        math.sqrt(v[0])
        return v * 2

    def inv_unused(m):
        np.linalg.inv(m)
        return m.sum()

    x = np.ones((4, 3))
    x[2, 0] = -1.0
    check_raises_as_the_loop(sqrt_unused, x)
    m = np.stack([np.eye(2)] * 4)
    m[1] = [[1.0, 2.0], [2.0, 4.0]]
    check_raises_as_the_loop(inv_unused, m)


def test_a_gather_comes_after_the_checks_before_it(backend):
    """int(x[0]) of a NaN raises ValueError in the loop before v[i] could raise IndexError:
    the deferred checks run before the gather that reads the converted index."""
    def f(v, x):
        i = int(x[0])
        return v[i] * 2

    v, x = np.ones((4, 3)), np.zeros((4, 1))
    x[1, 0] = np.nan
    check_raises_as_the_loop(f, v, x)


def test_many_checks_are_one_with_a_wider_code(backend):
    """Over 127 conditions need an int16 code; the loop's first failure is still named."""
    def f(v):
        total = 0.0
        for k in range(200):
            total += math.log(v[k]) if k == 150 else math.sqrt(v[k])
        return total

    x = np.ones((4, 200))
    x[2, 150] = 0.0    # log fails at example 2
    x[1, 199] = -1.0   # the last sqrt fails at example 1: the loop's first failure
    e = check_raises_as_the_loop(f, x)
    assert e.function == "math.sqrt"
    graph = str(gvmap.make_graph(f)(x[0]))
    assert graph.count(" check[") == 1 and "i16[] = select" in graph


def test_one_check_per_function_without_gathers():
    """Each check used to be its own step (on CuPy a device-to-host copy each)."""
    def f(v):
        return (math.sqrt(v[0]) + math.log(v[1]) + math.acos(v[2]) + np.nanargmax(v)
                + int(v[3]))

    graph = str(gvmap.make_graph(f)(np.ones(4)))
    assert len(re.findall(r" check\[", graph)) == 1


def test_nested_vmap_keeps_the_order_of_outer_and_inner_checks(backend):
    def f(v):
        s = math.sqrt(v[0, 0])
        return s + gvmap.vmap(lambda r: math.log(r[1]))(v)

    x = np.ones((4, 3, 2))
    x[1, 0, 0] = -1.0      # the outer sqrt fails at example 1
    x[2, 2, 1] = 0.0       # an inner log at example 2
    with pytest.raises(ValueError) as info:
        gvmap.vmap(f)(x)
    assert info.value.function == "math.sqrt" and info.value.example == (1,)
    x[1, 0, 0] = 1.0
    with pytest.raises(ValueError) as info:
        gvmap.vmap(f)(x)
    assert info.value.function == "math.log" and info.value.example == (2, 2)


def test_checks_leave_an_unbatched_output_unbatched(backend):
    """A check on batched values runs as an equation of its own: threaded through the first
    output, it made an unbatched one batched (out_axes=None refused it)."""
    def f(x, c):
        assert x[0] > -10, "too small"
        math.sqrt(x[1])
        return c * 2.0, x

    x, c = np.ones((4, 2)), np.float64(3.0)
    got = gvmap.vmap(f, in_axes=(0, None), out_axes=(None, 0))(x, c)
    assert float(gvmap.device_get(got[0])) == 6.0
    x[2, 0] = -20.0
    with pytest.raises(AssertionError, match="too small"):
        gvmap.vmap(f, in_axes=(0, None), out_axes=(None, 0))(x, c)
