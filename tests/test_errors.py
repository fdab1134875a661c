"""Every row of SPEC.md's "Errors users get" table: the exception type AND a message that names
the argument or operation at fault and says what to do."""

from __future__ import annotations

import math
import re
from math import erf

import numpy as np
import pytest

import gvmap
from conftest import cupy_unusable_reason
from oracle import assert_tree_close


def raises(exc_type, f, *args, **kwargs) -> str:
    with pytest.raises(exc_type) as info:
        f(*args, **kwargs)
    return str(info.value)


# --- batched arguments disagree on the batch size ----------------------------------------------

def test_mismatched_batch_sizes_lists_each_argument():
    f = gvmap.vmap(lambda a, b: a + b.sum(), in_axes=(0, 1))
    msg = raises(ValueError, f, np.ones((3, 2)), np.ones((2, 5)))
    assert re.search(r"\b3\b", msg) and re.search(r"\b5\b", msg), msg  # each size
    assert re.search(r"axis|axes", msg, re.I), msg
    assert re.search(r"arg", msg, re.I), msg  # names the arguments


def test_mismatched_batch_sizes_in_pytree():
    f = gvmap.vmap(lambda d: d["x"] * d["y"])
    msg = raises(ValueError, f, {"x": np.ones((4, 2)), "y": np.ones((6, 2))})
    assert re.search(r"\b4\b", msg) and re.search(r"\b6\b", msg), msg


def test_axis_size_disagrees_with_arguments():
    msg = raises(ValueError, gvmap.vmap(lambda a: a, axis_size=3), np.ones((4, 2)))
    assert "axis_size" in msg and re.search(r"\b4\b", msg), msg


# --- in_axes / out_axes wrong ------------------------------------------------------------------

@pytest.mark.parametrize("in_axes", [2, 3, -3])
def test_in_axes_out_of_range(in_axes):
    msg = raises(ValueError, gvmap.vmap(lambda a: a, in_axes=in_axes), np.ones((3, 2)))
    assert "in_axes" in msg, msg
    assert str(in_axes) in msg, msg  # says which axis


def test_in_axes_out_of_range_names_the_argument():
    f = gvmap.vmap(lambda a, b: a + b, in_axes=(0, 1))
    msg = raises(ValueError, f, np.ones((3, 2)), np.ones((3,)))
    assert "in_axes" in msg and re.search(r"arg|\b1\b", msg, re.I), msg


@pytest.mark.parametrize("in_axes,args", [
    ((0, 0), (np.ones((3, 2)),)),                          # two entries, one argument
    ((0,), (np.ones((3, 2)), np.ones((3, 2)))),            # one entry, two arguments
    (({"a": 0},), ({"b": np.ones((3, 2))},)),              # dict keys differ
    (([0, 0],), ([np.ones((3, 2))],)),                     # list lengths differ
    (({"a": 0},), (np.ones((3, 2)),)),                     # dict spec for an array
], ids=["too_many", "too_few", "dict_keys", "list_length", "dict_for_array"])
def test_in_axes_structure_mismatch(in_axes, args):
    msg = raises(ValueError, gvmap.vmap(lambda *a: a[0], in_axes=in_axes), *args)
    assert "in_axes" in msg, msg


@pytest.mark.parametrize("in_axes", [1.5, "0", [[0]]])
def test_in_axes_bad_leaf(in_axes):
    with pytest.raises((TypeError, ValueError), match="in_axes"):
        gvmap.vmap(lambda a: a, in_axes=in_axes)(np.ones((3, 2)))


@pytest.mark.parametrize("out_axes", [2, -3])
def test_out_axes_out_of_range(out_axes):
    f = gvmap.vmap(lambda a: a.sum(-1), out_axes=out_axes)  # batched output is 2-D
    msg = raises(ValueError, f, np.ones((3, 4, 5)))
    assert "out_axes" in msg and str(out_axes) in msg, msg


def test_out_axes_structure_mismatch():
    msg = raises(ValueError, gvmap.vmap(lambda a: a * 2, out_axes=(0, 0)), np.ones((3, 2)))
    assert "out_axes" in msg, msg
    msg = raises(ValueError, gvmap.vmap(lambda a: {"u": a}, out_axes={"v": 0}), np.ones((3, 2)))
    assert "out_axes" in msg, msg


def test_out_axes_none_for_a_batched_output():
    msg = raises(ValueError, gvmap.vmap(lambda a: a * 2, out_axes=None), np.ones((3, 2)))
    assert "out_axes" in msg, msg


# --- no batched argument and no axis_size ------------------------------------------------------

def test_no_batched_argument():
    msg = raises(ValueError, gvmap.vmap(lambda a: a * 2, in_axes=None), np.ones(3))
    assert "axis_size" in msg, msg  # says what to do


def test_no_arguments_at_all():
    msg = raises(ValueError, gvmap.vmap(lambda: np.ones(3)))
    assert "axis_size" in msg, msg


def test_only_keyword_arguments():
    msg = raises(ValueError, gvmap.vmap(lambda a=None: a * 2), a=np.ones((3, 2)))
    assert "axis_size" in msg or "positional" in msg, msg


# --- Python control flow on a traced value -----------------------------------------------------

def _if(x):
    if x.sum() > 0:
        return x
    return -x


def _while(x):
    while x.max() > 10:
        x = x / 2
    return x


CONTROL_FLOW = {
    "if": _if,
    "while": _while,
    "bool": lambda x: x * bool(x[0]),
    # float(x[0]) / int(x[0]) give traced Python numbers (tests/test_pybuiltins.py)
    "index": lambda x: x * [1, 2, 3][x.argmax()],
    # np.asarray(x)/np.array(x) work (gvmap.rebinding); where NumPy itself is reached they
    # are refused: test_misuse.py::test_control_flow_on_tracer
    # x.item() / x.tolist() give traced Python numbers too (tests/test_pybuiltins.py)
    "complex": lambda x: x * complex(x.sum()).real,
    "and": lambda x: (x[0] > 0 and x[1] > 0) * x,
}


@pytest.mark.parametrize("name", list(CONTROL_FLOW))
def test_control_flow_on_traced_value(name):
    with pytest.raises(TypeError, match=r"np\.where"):
        gvmap.vmap(CONTROL_FLOW[name])(np.ones((4, 3)))


# compiled from source: pytest rewrites the assert statements of test modules (into code
# that is no longer Python's assert), and user code is not rewritten
_USER_CODE: dict = {"np": np}
exec("def _assert_finite(x):\n"
     "    assert np.all(np.isfinite(x)) or x.sum() > -1e9, 'non-finite input'\n"
     "    return x * 2\n"
     "def _assert_one(x):\n"
     "    assert np.all(np.isfinite(x)) | (x.sum() > -1e9), 'non-finite input'\n"
     "    return x * 2\n", _USER_CODE)
_assert_finite, _assert_one = _USER_CODE["_assert_finite"], _USER_CODE["_assert_one"]


def test_assert_on_traced_value_says_where_to_check():
    """``assert a or b`` of traced conditions: named as an assert, with the rewrites (one
    condition, which gvmap checks: tests/test_assertions.py; or the check moved to the
    batched result, or the condition returned as an output)."""
    with pytest.raises(TypeError, match=r"Python `assert` on a traced array.*ONE traced condition"
                                        r".*not an `or`.*batched result after the call"):
        gvmap.vmap(_assert_finite)(np.ones((4, 3)))
    np.testing.assert_array_equal(gvmap.vmap(_assert_one)(np.ones((4, 3))), np.full((4, 3), 2.0))
    with pytest.raises(TypeError, match=r"Python `if`") as info:
        gvmap.vmap(_if)(np.ones((4, 3)))
    assert "assert" not in str(info.value)


def test_control_flow_names_the_arguments_the_value_comes_from():
    """`if n > 0` with n an (unbatched) array argument: the message says which arguments
    the traced value is computed from, as the signature and pytree name them."""
    def f(x, n, state):
        p, v = state
        if n * p.sum() > 0:
            return x
        return v

    msg = raises(TypeError, gvmap.vmap(f, in_axes=(0, None, 0)), np.ones((2, 3)), np.array(2),
                 (np.ones((2, 3)), np.ones((2, 3))))
    assert "(computed from argument 1 ('n'), argument 2 ('state') at [0])" in msg, msg
    assert "argument 0" not in msg and "at [1]" not in msg, msg


def test_range_of_an_unbatched_0d_argument_says_to_pass_a_python_number():
    """`range(steps)` with steps=np.int64(5) (in_axes None, or under jit): the message says
    a Python number there is static; a batched or a computed-from-data value gets no such
    hint (a Python number would not be its meaning)."""
    def f(x, steps):
        for _ in range(steps):
            x = x * 2
        return x

    for call in (lambda: gvmap.vmap(f, in_axes=(0, None))(np.ones((2, 3)), np.int64(3)),
                 lambda: gvmap.jit(f)(np.ones(3), np.int64(3))):
        with pytest.raises(TypeError, match=r"argument 1 \('steps'\) is a 0-d array.*pass a Python number"):
            call()
    msg = raises(TypeError, gvmap.vmap(f), np.ones((2, 3)), np.array([3, 3]))
    assert "pass a Python number" not in msg, msg
    assert_tree_close(gvmap.vmap(f, in_axes=(0, None))(np.ones((2, 3)), 3), np.full((2, 3), 8.0))


def test_control_flow_under_jit():
    with pytest.raises(TypeError, match=r"np\.where"):
        gvmap.jit(_if)(np.ones(3))


MATH_ON_TRACED = {  # the math module's function named, and NumPy's function for it
    # (the functions gvmap.pyscalars computes on traced values are tested there)
    "imported erf": (lambda x: erf(x[0]), r"math\.erf\(\).*NumPy has no erf.*0\.3275911"),
    "math.gamma": (lambda x: math.gamma(x[0]) * x, r"math\.gamma\(\)"),
    "in a comprehension": (lambda x: [math.lgamma(v) for v in x], r"math\.lgamma\(\)"),
    "math.fsum": (lambda x: math.fsum(x), r"math\.fsum\(\).*np\.sum\(x\)"),
}


@pytest.mark.parametrize("name", list(MATH_ON_TRACED))
def test_math_function_on_traced_value_names_numpys(name):
    f, message = MATH_ON_TRACED[name]
    with pytest.raises(TypeError, match=message):
        gvmap.vmap(f)(np.ones((4, 3)))


UFUNC_OF_A_LIST = {  # NumPy makes the array of the list in C: the message names np.stack
    "maximum.reduce": (lambda x: np.maximum.reduce([x[0], x[1], x[2]]),
                       r"numpy\.maximum\.reduce\(\) of a list.*np\.maximum\.reduce\(np\.stack\(\[a, b, c\]\)\)"),
    "logical_or.reduce": (lambda x: np.logical_or.reduce((x > 0, x < -1)),
                          r"numpy\.logical_or\.reduce\(\) of a list"),
    "add": (lambda x: np.add([x[0], x[1]], 1.0), r"numpy\.add\(\) of a list.*np\.add\(np\.stack"),
}


@pytest.mark.parametrize("name", list(UFUNC_OF_A_LIST))
def test_ufunc_of_a_list_of_traced_values_names_np_stack(name):
    f, message = UFUNC_OF_A_LIST[name]
    with pytest.raises(TypeError, match=message):
        gvmap.vmap(f)(np.ones((4, 3, 2)))


@pytest.mark.parametrize("name", list(UFUNC_OF_A_LIST) + list(MATH_ON_TRACED))
def test_call_refusals_name_the_callee_after_the_loop_warmed_the_code(name):
    # The loop (the oracle, a first unbatched try) runs the same code first, and Python
    # 3.11 then specializes a C method's PRECALL to make the call itself: the call site is
    # read at the PRECALL, not the CALL (np.minimum.reduce([...]) said np.asarray() before)
    f, message = {**UFUNC_OF_A_LIST, **MATH_ON_TRACED}[name]
    x = np.ones((4, 3, 2)) if name in UFUNC_OF_A_LIST else np.ones((4, 3))
    for _ in range(20):
        try:
            f(x[0])
        except Exception:
            pass
    with pytest.raises(TypeError, match=message):
        gvmap.vmap(f)(x)


def test_control_flow_error_is_the_gvmap_class():
    from gvmap.errors import TracerConversionError

    assert issubclass(TracerConversionError, TypeError)
    with pytest.raises(TracerConversionError):
        gvmap.vmap(_if)(np.ones((4, 3)))


# --- NumPy functions gvmap cannot trace --------------------------------------------------------

UNSUPPORTED = {
    "eigvals": lambda x: np.linalg.eigvals(x).real,
    "fft": lambda x: np.fft.fft(x).real,
    "unique": lambda x: np.unique(x),
    "nonzero": lambda x: np.nonzero(x)[0],
    "roots": lambda x: np.roots(x[0]),
    "trim_zeros": lambda x: np.trim_zeros(x[0, 0]),
}


@pytest.mark.parametrize("name", list(UNSUPPORTED))
def test_unsupported_numpy_function(name):
    x = np.random.RandomState(0).randn(4, 3, 3)
    with pytest.raises(NotImplementedError, match=name):
        gvmap.vmap(UNSUPPORTED[name])(x)


def test_foreign_ufunc_is_not_called_numpys():
    special = pytest.importorskip("scipy.special")
    with pytest.raises(NotImplementedError, match=r"the ufunc erf \(not NumPy's\)") as info:
        gvmap.vmap(lambda x: special.erf(x))(np.ones((4, 3)))
    assert "numpy.erf" not in str(info.value)


# --- the cupy backend asked for where it cannot run --------------------------------------------

def test_cupy_backend_unusable():
    reason = cupy_unusable_reason()
    if reason is None:
        pytest.skip("CuPy is usable here, so asking for it must succeed")
    start = gvmap.get_backend()
    with pytest.raises(RuntimeError, match=r"(?i)cupy") as info:
        gvmap.set_backend("cupy")
    assert re.search(r"(?i)not installed|import|no .*device|cuda", str(info.value)), str(info.value)
    assert gvmap.get_backend() == start  # a failed switch changes nothing
    with pytest.raises(RuntimeError, match=r"(?i)cupy"):
        with gvmap.backend("cupy"):
            pass
    assert gvmap.get_backend() == start


def test_unknown_backend_name():
    with pytest.raises((ValueError, RuntimeError), match=r"tensorflow"):
        gvmap.set_backend("tensorflow")


# --- arguments that cannot be batched ----------------------------------------------------------

def test_string_argument_cannot_be_batched():
    with pytest.raises((TypeError, ValueError)) as info:
        gvmap.vmap(lambda a, s: a, in_axes=(0, 0))(np.ones((3, 2)), "abc")
    msg = str(info.value)
    assert re.search(r"arg", msg, re.I) and re.search(r"str|in_axes", msg), msg


def test_python_scalar_with_int_in_axes():
    with pytest.raises((TypeError, ValueError)) as info:
        gvmap.vmap(lambda a, k: a * k)(np.ones((3, 2)), 3)
    msg = str(info.value)
    assert re.search(r"arg", msg, re.I) and re.search(r"in_axes|None", msg), msg


def test_zero_dimensional_array_cannot_be_batched():
    with pytest.raises(ValueError, match="in_axes"):
        gvmap.vmap(lambda a, b: a * b)(np.ones((3, 2)), np.float32(2.0) * np.ones(()))


# --- writing into a traced array ---------------------------------------------------------------

def test_assignment_into_traced_array():
    """Into an argument: refused (NumPy would write into the caller's array), naming the
    copy that makes it work (tests/test_updates.py runs the rewrite)."""
    def f(x):
        x[0] = 1.0
        return x

    with pytest.raises(TypeError) as info:
        gvmap.vmap(f)(np.ones((4, 3)))
    assert re.search(r"argument.*caller's array.*x = x\.copy\(\)", str(info.value)), str(info.value)


def _write_scalar(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros(3)
    w[1] = v[0]           # NumPy said only "setting an array element with a sequence"
    return w


def _write_row(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros((2, 3))
    w[1] = v
    return w


def _write_slice(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros(4)
    w[1:] = v
    return w


def _write_int(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros(3, np.int64)
    w[0] = v.astype(np.int64)[0]
    return w


def _write_bool(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros(3, bool)
    w[2] = v[0] > 0
    return w


def _write_at_traced_index(v):
    import numpy as np  # bound inside: not rebound (gvmap.rebinding)
    w = np.zeros(3)
    w[v.astype(np.int64)[0]] = 1.0
    return w


@pytest.mark.parametrize("f", [_write_scalar, _write_row, _write_slice, _write_int, _write_bool,
                               _write_at_traced_index], ids=lambda f: f.__name__[1:])
def test_traced_value_written_into_a_numpy_array(f):
    """``w[i] = v`` into a concrete NumPy array (one gvmap's rebinding does not reach:
    numpy imported inside the function): NumPy asks the tracer for float(v) or
    np.asarray(v), which has no answer; the message names the assignment and the rewrite
    (np.stack / np.concatenate, or np.where), not control flow in general. With the
    module-level ``np`` the same code batches (tests/test_rebinding.py)."""
    msg = raises(TypeError, gvmap.vmap(f), np.ones((2, 3)))
    assert "`a[i] = v`" in msg and "NumPy array" in msg, msg
    assert "np.stack" in msg and "np.concatenate" in msg and "np.where" in msg, msg


def test_concrete_value_messages_outside_assignments_are_unchanged():
    """complex(v[0]) in an assignment's right-hand side is not the write (float(v[0]) and
    v[0].item() there are traced Python numbers, written as any value:
    tests/test_pybuiltins.py)."""
    def f(v):
        w = np.zeros(3)
        w[1] = complex(v[0]).real
        return w

    msg = raises(TypeError, gvmap.vmap(f), np.ones((2, 3)))
    assert "complex()" in msg and "`a[i] = v`" not in msg, msg


# --- arrays of many dimensions -----------------------------------------------------------------

def _expand(k):
    def f(v):
        for _ in range(k):
            v = np.expand_dims(v, 0)
        return (v * 2.0 + v).sum(axis=0), np.where(v > 0, v, 0.0).reshape(-1)
    return f


@pytest.mark.parametrize("depth", [1, 2])
def test_arrays_beyond_32_dimensions_trace_as_numpy_computes_them(backend, depth):
    """NumPy computes on arrays of up to 64 dimensions, but its np.broadcast_shapes stops at
    32: gvmap's broadcasting used it and failed 17 frames deep inside NumPy."""
    from oracle import assert_tree_close, oracle

    f, g = _expand(38), _expand(38)
    x = np.arange(12.0).reshape((2,) * depth + (6 // depth, 1))[..., 0]
    for _ in range(depth):
        f, g = gvmap.vmap(f), oracle(g)
    assert_tree_close(f(x), g(x))


def test_more_than_64_dimensions_is_refused_at_trace_time():
    """NumPy arrays have at most 64 dimensions (the plan failed when it ran, deep inside
    NumPy); a vmap level adds one to the per-example arrays."""
    msg = raises(ValueError, gvmap.vmap(_expand(70)), np.ones((2, 3)))
    assert "expand_dims" in msg and "65 dimensions" in msg and "at most 64" in msg, msg
    assert "squeeze" in msg and "reshape" in msg and "vmap level" in msg, msg
    f = lambda v: v.reshape((1,) * 63 + (3,)).sum()   # 64 per example: 65 once batched
    msg = raises(ValueError, gvmap.vmap(f), np.ones((2, 3)))
    assert "65 dimensions" in msg and "vmap level" in msg, msg


def test_inplace_operator_on_traced_array_is_not_silent():
    """``x += 1`` on a traced value either rebinds (fine) or raises; it must not corrupt inputs."""
    x = np.ones((4, 3))

    def f(a):
        a += 1.0
        return a

    try:
        out = gvmap.device_get(gvmap.vmap(f)(x))
    except TypeError:
        return
    np.testing.assert_array_equal(out, np.full((4, 3), 2.0))
    np.testing.assert_array_equal(x, np.ones((4, 3)))


def test_library_code_converting_a_traced_array_is_named():
    # scipy converts its argument with np.asarray: the message named only np.asarray
    signal = pytest.importorskip("scipy.signal")

    def life(b):
        n = signal.convolve2d(b, np.ones((3, 3)), mode="same") - b
        return (n == 3) | (b & (n == 2))

    with pytest.raises(TypeError, match=r"inside scipy\.signal\.\S*convolve2d, library code.*"
                                        r"write the computation with NumPy"):
        gvmap.vmap(life)(np.ones((2, 4, 4), int))
