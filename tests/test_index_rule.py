"""One rule for gather indices on every backend and plan kind: NumPy's.

An index i of an axis of size n is valid when -n <= i < n (negative ones count from the
end); any other raises IndexError naming the operation, the axis size and the offending
indices: on numpy, numpy-fused, cupy batched plans and row kernels (emulated on
numpy-fused with GVMAP_ROW_KERNELS=1). Indices known when the plan is built are checked
then; traced ones by ONE ``check_indices`` step at the end of the plan.
"""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
import gvmap.numpy as gnp
from gvmap import primitives as P
from gvmap.codegen.rowkernel import render_row_kernel
from gvmap.graph import AbstractArray, Eqn, Graph, Var
from gvmap.implementations import index_error
from gvmap.lowering import lower_graph
from oracle import assert_tree_close, oracle

X = np.arange(12, dtype=np.float32).reshape(3, 4)


def _raises_like_the_loop(f, *args, in_axes=0, match=None):
    with pytest.raises(IndexError):
        oracle(f, in_axes=in_axes)(*args)
    with pytest.raises(IndexError, match=match) as info:
        gvmap.vmap(f, in_axes=in_axes)(*args)
    return str(info.value)


def test_per_example_indices_out_of_range_raise(plan_kind):
    idx = np.array([[0, 1], [4, 0], [-6, 2]])
    message = _raises_like_the_loop(lambda x, i: np.take(x, i) * 2, X, idx)
    assert message == str(index_error(4, -6, 4))
    assert "integer-array indexing" in message and "axis of size 4" in message
    assert "the lowest -6, the highest 4" in message and "np.clip(i, -4, 3)" in message


def test_shared_indices_out_of_range_raise(plan_kind):
    message = _raises_like_the_loop(lambda x, i: np.take(x, i), X, np.array([3, 9, 0]),
                                    in_axes=(0, None))
    assert message == str(index_error(4, 9, 9)) and "index 9 is out of bounds" in message


def test_indexing_a_shared_table_with_batched_indices_raises(plan_kind):
    table = np.arange(5.0)  # (np.take(table, i) does not dispatch on i: NumPy's own take runs)
    with pytest.raises(IndexError):
        oracle(lambda i: np.take(table, i))(np.array([[0, 1], [2, 5]]))
    with pytest.raises(IndexError) as info:
        gvmap.vmap(lambda i: gnp.take(table, i))(np.array([[0, 1], [2, 5]]))
    message = str(info.value)
    assert "axis of size 5" in message and "index 5" in message


def test_integer_array_indexing_past_the_end_raises(plan_kind):
    message = _raises_like_the_loop(lambda x, i: x[i], X, np.array([[0, 1], [4, 0], [2, 6]]))
    assert message == str(index_error(4, 4, 6))


def test_in_range_negative_indices_count_from_the_end(plan_kind):
    idx = np.array([[-4, 3], [-1, 0], [2, -2]])
    for f in (lambda x, i: np.take(x, i), lambda x, i: x[i]):
        assert_tree_close(gvmap.vmap(f)(X, idx), oracle(f)(X, idx))


def test_unsigned_and_narrow_indices(backend):
    f = lambda x, i: np.take(x, i)
    _raises_like_the_loop(f, X, np.array([[0, 200], [1, 2], [3, 3]], np.uint8), match="index 200")
    fine = np.array([[0, 3], [1, 2], [3, 3]], np.uint8)
    assert_tree_close(gvmap.vmap(f)(X, fine), oracle(f)(X, fine))


def test_an_empty_axis_has_no_valid_index(backend):
    empty = np.zeros((3, 0), np.float32)
    _raises_like_the_loop(lambda x, i: np.take(x, i), empty, np.zeros((3, 1), np.int64),
                          match="the axis is empty")


def test_jit_follows_the_rule(backend):
    f = gvmap.jit(lambda x, i: np.take(x, i))
    with pytest.raises(IndexError, match="axis of size 12"):
        f(X.ravel(), np.array([1, 12]))
    assert_tree_close(f(X.ravel(), np.array([1, -12])), X.ravel()[[1, -12]])


def test_the_first_failing_gather_is_named(backend):
    def two(x, i, j):
        return np.take(x, i), np.take(np.concatenate([x, x]), j)

    i, j = np.zeros((3, 2), np.int64), np.array([[0, 8], [1, 1], [9, 0]])
    message = _raises_like_the_loop(two, X, i, j)
    assert message == str(index_error(8, 8, 9))


def test_indexing_with_an_index_below_minus_n_raises(plan_kind):
    """-5 on an axis of 4 is an error, not element 3 (it was wrapped once before the take)."""
    message = _raises_like_the_loop(lambda x, i: x[i], X, np.array([[0], [-5], [1]]))
    assert message == str(index_error(4, -5, -5))


@pytest.mark.parametrize("j", [3, -4, 7], ids=["past the end", "below -n", "past the merged axis"])
def test_one_bad_component_of_a_multi_array_index_raises(plan_kind, j):
    """x[i, j] is one take of the linear index i * 3 + j: a j out of its own axis must not
    land on a valid element of the merged axis (x[0, 3] is not x[1, 0])."""
    f = lambda a, p, q: a[p, q]
    x = np.arange(18.0).reshape(3, 2, 3)
    _raises_like_the_loop(f, x, np.array([[0], [0], [1]]), np.array([[0], [j], [1]]))
    i, fine = np.array([[-2], [1], [-1]]), np.array([[0], [-3], [2]])  # in range: no error
    assert_tree_close(gvmap.vmap(f)(x, i, fine), oracle(f)(x, i, fine))


# ---------------------------------------------------------------- what the plan holds

def test_the_cupy_plan_checks_traced_indices_once_at_the_end():
    def two(x, i, j):
        return np.take(x, i) + np.take(x, j)

    i = np.zeros((3, 2), np.int64)
    lowered = gvmap.vmap(two).lower(X, i, i, backend="cupy")
    lines = lowered.as_text().splitlines()[1:-1]
    checks = [line for line in lines if "check_indices" in line]
    assert len(checks) == 1 and lines[-1] == checks[0], lowered.as_text()
    assert "sizes=(4, 4)" in checks[0] and "one device-to-host copy" in checks[0]
    flags = [line for line in lines if "reduce_or" in line]
    assert len(flags) == 2 and all("cupy.ReductionKernel" in line for line in flags)


def test_constant_indices_need_no_run_time_check():
    const = np.array([0, 3, -4])
    text = gvmap.vmap(lambda x: x[const]).lower(X, backend="cupy").as_text()
    assert "take" in text and "check_indices" not in text, text


def test_a_dtype_that_cannot_leave_the_axis_needs_no_check():
    x = np.zeros((3, 256), np.float32)
    i = np.zeros((3, 2), np.uint8)
    text = gvmap.vmap(lambda x, i: np.take(x, i)).lower(x, i, backend="cupy").as_text()
    assert "check_indices" not in text, text


def test_constant_indices_out_of_range_fail_when_traced():
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(lambda x: np.take(x, np.array([0, 4]))).lower(X, backend="cupy")


def _take_of_constant(idx: np.ndarray) -> Graph:
    """``take(x, CONST)`` built by hand: the front end would refuse CONST already."""
    x = Var(AbstractArray((4,), np.float32))
    c = Var(AbstractArray(idx.shape, idx.dtype))
    out = Var(AbstractArray(idx.shape, np.float32))
    return Graph((c,), (x,), (Eqn(P.take_p, (x, c), (out,), {"axis": 0}),), (out,), (idx,)).check()


@pytest.mark.parametrize("backend_name", ["numpy", "numpy-fused", "cupy"])
def test_a_constant_index_out_of_range_fails_at_lowering(backend_name):
    with pytest.raises(IndexError, match=r"the lowest -5, the highest 4"):
        lower_graph(_take_of_constant(np.array([1, 4, -5])), backend_name)


def test_a_row_kernel_checks_constant_indices_when_rendered():
    with pytest.raises(IndexError, match="index 7 is out of bounds for an axis of size 4"):
        render_row_kernel(_take_of_constant(np.array([0, 7])))
    assert not render_row_kernel(_take_of_constant(np.array([0, -4]))).index_checks


class _WrappingNumpy:
    """NumPy whose take wraps out-of-range indices as CuPy's does (i % n) instead of
    raising: the CuPy plan run on it must raise from its own ``check_indices`` step."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def take(a, indices, axis=None):
        return np.take(a, indices, axis=axis, mode="wrap")


def test_the_cupy_plan_raises_from_its_check_when_gathers_wrap():
    from types import SimpleNamespace

    from gvmap.backends.executor import Executable

    wrapping = SimpleNamespace(name="cupy", xp=_WrappingNumpy(), asarray=np.asarray, fuses=True)
    f = lambda x, i: (np.take(x, i) * 2, np.take(x, i[::-1]).sum())
    graph = gvmap.make_graph(gvmap.vmap(f, in_axes=(0, None)))(X, np.zeros(3, np.int64))
    run = Executable(lower_graph(graph, "cupy"), wrapping)
    good = np.array([3, -4, 1])
    assert_tree_close(tuple(run([X, good])), oracle(f, in_axes=(0, None))(X, good), backend="numpy")
    with pytest.raises(IndexError) as info:
        run([X, np.array([1, -9, 7])])
    assert str(info.value) == str(index_error(4, -9, 7))


def test_the_index_flag_kernels_compile_in_cupys_own_templates():
    from test_cupy_codegen import assert_compiles, cupy_sources, plan_kernels

    sources = []
    for dtype in (np.int64, np.int32, np.uint8, np.int8):
        f = gvmap.vmap(lambda x, i, j: np.take(x, i) + np.take(x, j))
        i = np.zeros((3, 2), dtype)
        for ks in plan_kernels(f.lower(X, i, i, backend="cupy")):
            sources += cupy_sources(ks, f"index flags of {np.dtype(dtype)}")
    assert_compiles(sources)
