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
