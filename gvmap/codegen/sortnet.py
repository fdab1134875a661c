"""Sorting networks for the per-thread sorts of row kernels.

A row kernel sorts each example's lane inside one thread. A loop that indexes the lane at
run time (an insertion sort's ``lane[j]``) puts the lane in local memory; a sorting network
is a fixed list of compare-exchange steps on fixed positions, so, fully unrolled, every
position is a named register and the sort is branch-free straight-line code.
"""
from __future__ import annotations

from functools import lru_cache

__all__ = ["comparators", "batcher_count"]


@lru_cache(maxsize=None)
def comparators(n: int) -> tuple[tuple[int, int], ...]:
    """The compare-exchange steps ``(i, j)``, ``i < j``, of Batcher's odd-even merge sort
    of ``n`` values: after each step position ``i`` holds the one of the two that sorts
    first. For ``n`` not a power of two this is the network of the next power of two with
    every step touching a position >= n left out: think of those positions as holding +inf
    padding; a step ``(i, j)`` with ``j >= n`` then keeps the padding at ``j`` and changes
    nothing, so leaving it out sorts the first ``n`` the same.

    Batcher's network over a power of two ``2**k`` has ``batcher_count(k)`` steps
    ((k*k - k + 4) * 2**(k - 2) - 1: 63 for 16 values, 191 for 32, 543 for 64); the pruned
    one for other ``n`` has fewer, never more than for the next power of two. Steps are in
    the network's layer order (independent steps next to each other: instruction-level
    parallelism for one thread)."""
    if n < 2:
        return ()
    size = 1 << (n - 1).bit_length()
    steps = []
    p = 1
    while p < size:           # merge sorted runs of p into runs of 2p
        k = p
        while k >= 1:         # the merge's compare distance, halving
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    a, b = i + j, i + j + k
                    if a // (2 * p) == b // (2 * p) and b < n:  # same run of 2p, no padding
                        steps.append((a, b))
            k //= 2
        p *= 2
    return tuple(steps)


def batcher_count(k: int) -> int:
    """Compare-exchange steps of Batcher's odd-even merge sort of ``2**k`` values."""
    if k == 0:
        return 0
    return (k * k - k + 4) * (1 << k) // 4 - 1
