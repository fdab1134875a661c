"""The row kernels' sorting networks (gvmap/codegen/sortnet.py) sort: every input of 0s and
1s for small n (the 0-1 principle: a comparator network that sorts all 2**n of them sorts
every input), random permutations with ties for every n up to the row kernels' limit."""
from __future__ import annotations

import numpy as np
import pytest

from gvmap.codegen.sortnet import batcher_count, comparators


def _sorts_every_zero_one_input(n: int, steps=None) -> bool:
    """All 2**n inputs at once: wire i is a bitset over the inputs (bit m is input m's
    value at i); a step keeps (min, max) = (and, or)."""
    count = 1 << n
    wires = []
    for i in range(n):
        block = ((1 << (1 << i)) - 1) << (1 << i)  # input m has a 1 at i iff (m >> i) & 1
        wires.append(block * ((1 << count) - 1) // ((1 << (2 << i)) - 1))
    for a, b in comparators(n) if steps is None else steps:
        wires[a], wires[b] = wires[a] & wires[b], wires[a] | wires[b]
    return all(wires[i] & ~wires[i + 1] == 0 for i in range(n - 1))


@pytest.mark.parametrize("n", range(0, 19))
def test_zero_one_principle(n):
    assert _sorts_every_zero_one_input(n)


@pytest.mark.parametrize("n", [5, 8])
def test_a_network_missing_any_step_fails_the_check(n):
    """The check can fail: no step of Batcher's network is redundant."""
    full = comparators(n)
    for k in range(len(full)):
        assert not _sorts_every_zero_one_input(n, full[:k] + full[k + 1:]), (n, k)


@pytest.mark.parametrize("n", range(19, 65))
def test_random_inputs_with_ties(n):
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.permutation(np.tile(np.arange(n), (1000, 1)).T).T,
                        rng.integers(0, 3, (1000, n))])
    expected = np.sort(x, axis=1)
    for a, b in comparators(n):
        x[:, a], x[:, b] = np.minimum(x[:, a], x[:, b]), np.maximum(x[:, a], x[:, b])
    np.testing.assert_array_equal(x, expected)


def test_steps_are_ordered_pairs_inside_the_lane():
    for n in range(1, 65):
        assert all(0 <= a < b < n for a, b in comparators(n)), n


@pytest.mark.parametrize("k", range(0, 8))
def test_power_of_two_counts_are_batchers_formula(k):
    assert len(comparators(1 << k)) == batcher_count(k)
    assert all(len(comparators(n)) <= batcher_count(k) for n in range(1, (1 << k) + 1))


# ---------------------------------------------------------------- the row kernels' networks
# The generated C, run on the host with nvcc against NumPy's stable sort, bit for bit: ties,
# NaNs of both signs (and payloads), -0.0 / 0.0, infinities, subnormals, integer extremes.
# One kernel per (dtype, n): gcc's time grows faster than the code in one function. Lane
# lengths: every n to 17, then the powers of two and their neighbours (the networks of
# other n are checked above for every n); float64 and int32 (the float and the integer
# code path) at all of them, the other dtypes at a few. np.sort's default kind and the
# median (a sort of its own) ride along where noted.

DENSE = [*range(1, 18), 31, 32, 33, 63, 64]
SPARSE = [1, 2, 3, 5, 8, 9, 16, 17]
WITH_MEDIAN = {1, 2, 3, 4, 5, 8, 9, 16, 17}
HOST_CASES = [(np.dtype(d), n) for d, ns in [(np.float64, DENSE), (np.int32, DENSE),
                                             (np.float32, SPARSE), (np.int64, SPARSE),
                                             (np.uint8, SPARSE), (np.bool_, SPARSE)]
              for n in ns]
HOST_EXAMPLES = 120
LONGEST = 64


def _sorts(n: int):
    if n in WITH_MEDIAN:
        return lambda x: (np.sort(x, kind="stable"), np.argsort(x), np.sort(x), np.median(x))
    return lambda x: (np.sort(x, kind="stable"), np.argsort(x))


def _lanes(dtype: np.dtype, rng) -> np.ndarray:
    """HOST_EXAMPLES lanes of LONGEST values: mostly drawn from a few special values (many
    ties), some distinct, two constant, two sorted backwards (a case takes each lane's
    first n)."""
    if dtype.kind == "f":
        info = np.finfo(dtype)
        payload = (np.array(np.nan, dtype).view(f"u{dtype.itemsize}") | 1).view(dtype)
        pool = np.array([np.nan, -np.nan, payload, -payload, 0.0, -0.0, np.inf, -np.inf, 1.0,
                         -1.0, 2.5, info.smallest_subnormal, -info.smallest_subnormal,
                         info.max, info.min], dtype)
        assert np.signbit(pool[1]) and not np.signbit(pool[0])  # -NaN as x86's 0.0 / 0.0
        distinct = rng.standard_normal((HOST_EXAMPLES // 4, LONGEST)).astype(dtype)
    elif dtype.kind == "b":
        pool = np.array([False, True])
        distinct = rng.random((HOST_EXAMPLES // 4, LONGEST)) < 0.5
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.min + 1, -1 if info.min else 2, 0, 1, info.max - 1,
                         info.max], dtype)
        distinct = rng.integers(info.min, info.max, (HOST_EXAMPLES // 4, LONGEST),
                                dtype=dtype, endpoint=True)
    ties = rng.choice(pool, (HOST_EXAMPLES - len(distinct) - 4, LONGEST))
    constant = np.repeat(pool[rng.integers(len(pool), size=2)][:, None], LONGEST, axis=1)
    backwards = np.sort(ties[:2], axis=1, kind="stable")[:, ::-1]
    return np.concatenate([ties, distinct, constant, backwards]).astype(dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a


def _median(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # the mean of the middle two of [max, max]: inf
        return np.median(x, axis=1)


def _case_name(dtype: np.dtype, n: int) -> str:
    return f"{dtype.name}_{n}"


@pytest.fixture(scope="module")
def host_sorts(tmp_path_factory):
    from types import SimpleNamespace

    from host_build import nvcc_or_skip
    from test_rowkernel import HOST_HEADER, _host_runner, run_on_host

    import gvmap
    from gvmap.codegen.rowkernel import render_row_kernel

    nvcc = nvcc_or_skip("host semantics of the sorting networks")
    tmp = tmp_path_factory.mktemp("sortnet")
    parts, cases, rendered, inputs = [HOST_HEADER], [], {}, {}
    lanes = {d: _lanes(d, np.random.default_rng(j)) for j, d in enumerate(dict.fromkeys(
        d for d, _ in HOST_CASES))}
    for c, (dtype, n) in enumerate(HOST_CASES):
        name, x = _case_name(dtype, n), np.ascontiguousarray(lanes[dtype][:, :n])
        k = render_row_kernel(gvmap.make_graph(_sorts(n))(x[0]))
        assert "gvmap_exchange" in k.source or n == 1, name
        x.tofile(tmp / f"case{c}_x0.bin")
        (tmp / f"case{c}_x0.stride").write_text(str(n))
        # the row function only: the host needs no device code (nvcc would build it too)
        parts += [k.source[:k.source.index('extern "C" __global__')], _host_runner(k, c)]
        cases.append(SimpleNamespace(name=name))
        rendered[name], inputs[name] = k, [x]
    return run_on_host(nvcc, tmp, "sortnet", parts, cases, rendered, inputs,
                       examples=HOST_EXAMPLES)


@pytest.mark.parametrize("dtype, n", HOST_CASES, ids=[_case_name(*c) for c in HOST_CASES])
def test_networks_sort_as_numpys_stable_sort(host_sorts, dtype, n):
    (x,), got, _ = host_sorts[_case_name(dtype, n)]
    expected = np.sort(x, axis=1, kind="stable")
    np.testing.assert_array_equal(_bits(got[0]), _bits(expected))
    np.testing.assert_array_equal(got[1], np.argsort(x, axis=1, kind="stable"))
    if n in WITH_MEDIAN:
        # np.sort's default kind: the network sorts (value, index) pairs of floats, so the
        # order of -0.0 / 0.0 and of NaNs is the stable one here too
        np.testing.assert_array_equal(_bits(got[2]), _bits(expected))
        # the median's NaN is NumPy's own (not the data's, nor its sign); zeros keep theirs
        median = _median(x).astype(got[3].dtype)
        np.testing.assert_array_equal(got[3], median)
        numbers = ~np.isnan(median)
        np.testing.assert_array_equal(np.signbit(got[3][numbers]), np.signbit(median[numbers]))


# ---------------------------------------------------------------- registers, not local memory

@pytest.mark.parametrize("n", [2, 3, 5, 8, 32, 64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32],
                         ids=lambda d: np.dtype(d).name)
def test_sorted_lanes_stay_in_registers(dtype, n):
    """Every step of a network names its two scalars, so no lane is indexed at run time:
    no local memory in the PTX (nor spills: ptxas for sm_90 keeps float64 argsort of 64
    in 210 of 255 registers)."""
    from gvmap.codegen import compile_cuda, nvrtc_unavailable_reason
    from gvmap.codegen.rowkernel import render_row_kernel

    import gvmap

    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC not available, register check skipped: {reason}")
    f = lambda x: (np.sort(x, kind="stable"), np.argsort(x), np.median(x))
    k = render_row_kernel(gvmap.make_graph(f)(np.zeros(n, dtype)))
    ptx = compile_cuda(k.source, name=f"{k.name}.cu")
    assert ".local" not in ptx, f"the {np.dtype(dtype)} sorts of {n} use local memory"


# ---------------------------------------------------------------- cost and choice of sort

def _sort_eqn(shape, axis=-1):
    import gvmap
    graph = gvmap.make_graph(lambda x: np.argsort(x, axis=axis))(np.zeros(shape))
    (eqn,) = [e for e in graph.eqns if e.primitive.name == "argsort"]
    return graph, eqn


@pytest.mark.parametrize("shape, axis, expected", [
    ((64,), -1, 64 + 543),           # Batcher's (k*k - k + 4) * 2**(k - 2) - 1 for k = 6
    ((3, 8), -1, 24 + 3 * 19),       # per lane
    ((8, 3), 0, 24 + 3 * 19),
    ((5,), -1, 5 + 9),               # pruned from 8
    ((1,), -1, 1),
    ((65,), -1, 65 + 65 * 64 // 2),  # past the limit: the insertion sort's worst case
])
def test_row_work_counts_the_networks_steps(shape, axis, expected):
    from gvmap.codegen.rowkernel_rules import row_work
    assert row_work(_sort_eqn(shape, axis)[1]) == expected


@pytest.mark.parametrize("n, network", [(64, True), (65, False)])
def test_lanes_past_the_limit_keep_the_insertion_sort(n, network):
    from gvmap.codegen.rowkernel import render_row_kernel
    source = render_row_kernel(_sort_eqn((n,))[0]).source
    assert ("gvmap_exchange(" in source) == network
    assert ("while (j >= 0" in source) != network
