"""gvmap warns where the loop warns (``Eqn.errstate``): the function's own ``np.errstate``
blocks silence the equations traced inside them, and Python's number arithmetic and the
math module, which raise or give inf / nan but never warn, stay silent too; NumPy's
warnings outside them are the loop's. Each case with warnings turned into errors, on
every backend and plan kind, against the loop."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle


def silent(f, *args, **kw):
    """vmap(f) equals the loop, and neither warns (a warning is an error here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = oracle(f, **kw)(*args)
        got = gvmap.vmap(f, **kw)(*args)
    assert_tree_close(got, expected)


def _guarded_ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b                      # inf and nan where b is 0: silenced, as in the loop
        lg = np.log(b)
    return np.where(np.isfinite(r), r, 0.0), np.where(np.isfinite(lg), lg, -1.0)


def test_the_functions_own_errstate_silences_what_it_traced(plan_kind):
    a = np.arange(12.0).reshape(3, 4)
    b = np.array([[0.0, 1.0, 2.0, 0.0]] * 3)
    silent(_guarded_ratio, a, b)
    silent(_guarded_ratio, a, b, in_axes=(1, 1))
    silent(lambda r, s: gvmap.vmap(_guarded_ratio)(r, s), a.reshape(3, 2, 2), b.reshape(3, 2, 2))


def test_outside_the_block_the_loops_warnings_stay(backend):
    def f(a, b):
        with np.errstate(divide="ignore"):
            quiet = a / b
        return quiet, a / b            # this one warns in the loop too

    a, b = np.ones((2, 3)), np.zeros((2, 3))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        gvmap.vmap(f)(a, b)
    with np.errstate(divide="ignore"):  # the caller's own state still rules the rest
        silent(f, a, b)


def _python_numbers(v):
    big = float(v[0]) * 1e308 * 10.0   # Python floats overflow to inf without a warning
    nan = big - big
    return math.sqrt(abs(v[1])) + math.exp(float(v[2]) * 1000.0) * 0.0, big, nan, int(v[3])


def test_python_arithmetic_and_the_math_module_never_warn(plan_kind):
    silent(_python_numbers, np.array([[1.0, -4.0, -1.0, 2.5], [2.0, 9.0, -3.0, -1.5]]))


def test_a_math_error_raises_without_a_warning_first(backend):
    """math.sqrt(-1.0) raises in the loop; gvmap computed sqrt's NaN first, with NumPy's
    'invalid value' warning before the ValueError."""
    x = np.array([[4.0], [-1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="math domain error"):
            gvmap.vmap(lambda v: math.sqrt(v[0]))(x)
        with pytest.raises(ValueError, match="cannot convert float NaN to integer"):
            gvmap.vmap(lambda v: int(float(v[0]) * 0.0 + math.nan))(x)
