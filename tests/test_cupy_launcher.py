"""The CuPy backend's launchers, driven without a GPU: a stand-in array module records what
a launch passes (NumPy arrays in place of device arrays), so the argument order of the
row-kernel calling convention and the reading of its error buffer are checked here."""
from __future__ import annotations

import types

import numpy as np
import pytest

from gvmap import primitives as P
from gvmap.backends.cupy_backend import CupyBackend
from gvmap.codegen.rowkernel import render_row_kernel
from gvmap.graph import AbstractArray, Eqn, Graph, Var


class _HostArray(np.ndarray):
    def get(self):
        return np.asarray(self)


def _fake_cupy(on_launch):
    class RawKernel:
        def __init__(self, source, name):
            self.name = name

        def __call__(self, grid, block, args):
            on_launch(args)

    def asarray(x):
        return np.array(x).view(_HostArray)

    compiler = types.SimpleNamespace(CompileException=type("CompileException", (Exception,), {}))
    return types.SimpleNamespace(RawKernel=RawKernel, asarray=asarray, empty=np.empty,
                                 ascontiguousarray=np.ascontiguousarray,
                                 cuda=types.SimpleNamespace(compiler=compiler))


def _backend(on_launch) -> CupyBackend:
    backend = CupyBackend.__new__(CupyBackend)  # no device needed: CuPy is never touched
    backend._cupy = backend.xp = _fake_cupy(on_launch)
    backend._kernels = {}
    return backend


def _gather_graph(size: int = 4) -> Graph:
    x, i = Var(AbstractArray((size,), np.float32)), Var(AbstractArray((), np.int64))
    out = Var(AbstractArray((), np.float32))
    return Graph((), (x, i), (Eqn(P.take_p, (x, i), (out,), {"axis": 0}),), (out,))


def test_row_launch_passes_the_error_buffer_and_raises_what_it_holds():
    kernel = render_row_kernel(_gather_graph())
    assert kernel.index_checks == (4,)
    seen = []

    def on_launch(args):
        seen.append(args)
        error = args[-2]                      # ..., outputs, error, n
        error[:] = [7, 9]                     # a thread met indices 7 and 9

    launch = _backend(on_launch).build_row_kernel(kernel, [])
    x, i = np.zeros((3, 4), np.float32), np.array([1, 7, 9])
    with pytest.raises(IndexError, match=r"size 4"):
        launch([(x, 4), (i, 1)], 3)
    (args,) = seen
    assert len(args) == 2 * 2 + 1 + 1 + 1    # (x, stride) x2, y0, error, n
    assert args[-1] == 3 and args[-2].dtype == np.int64 and args[-3].shape == (3,)


def test_row_launch_with_good_indices_returns_outputs():
    kernel = render_row_kernel(_gather_graph())
    launch = _backend(lambda args: None).build_row_kernel(kernel, [])
    (out,) = launch([(np.zeros((2, 4), np.float32), 4), (np.array([0, 3]), 1)], 2)
    assert out.shape == (2,)


def test_row_launch_without_gathers_has_no_error_argument():
    x = Var(AbstractArray((3,), np.float32))
    y = Var(AbstractArray((3,), np.float32))
    graph = Graph((), (x,), (Eqn(P.neg_p, (x,), (y,), {}),), (y,))
    seen = []
    launch = _backend(seen.append).build_row_kernel(render_row_kernel(graph), [])
    launch([(np.zeros((5, 3), np.float32), 3)], 5)
    assert len(seen[0]) == 2 + 1 + 1          # (x, stride), y0, n
