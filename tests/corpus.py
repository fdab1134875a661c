"""The three tests every corpus file runs (tests/test_corpus_*.py), made once here.

A corpus is realistic per-example NumPy code, each function unmodified: ``CASES`` of
``(name, f, args, in_axes, out_axes)`` must match the loop oracle on every backend and plan
kind; ``REFUSED`` of ``(name, f, args, in_axes, error, message pattern, rewrite)`` must be
refused with that message, naming a rewrite that is itself a case (so it batches); and the
counts are pinned, so that a case that goes missing is noticed.
"""
from __future__ import annotations

from typing import Callable

import pytest

import gvmap
from oracle import assert_tree_close, oracle


def corpus_tests(cases: list, refused: list, counts: tuple[int, int]) -> tuple[Callable, ...]:
    """The function test, the refusal test and the size test of one corpus (assign them to
    ``test_...`` names in the corpus module, where pytest collects them)."""
    names = {c[0] for c in cases}

    @pytest.mark.parametrize("name,f,args,in_axes,out_axes", cases, ids=[c[0] for c in cases])
    def function(plan_kind, name, f, args, in_axes, out_axes):
        expected = oracle(f, in_axes, out_axes)(*args)
        assert_tree_close(gvmap.vmap(f, in_axes, out_axes)(*args), expected)

    @pytest.mark.parametrize("name,f,args,in_axes,error,message,rewrite", refused,
                             ids=[c[0] for c in refused])
    def refusal_and_its_rewrite(name, f, args, in_axes, error, message, rewrite):
        with pytest.raises(error, match=message):
            gvmap.vmap(f, in_axes)(*args)
        assert rewrite in names  # the rewrite batches: it is one of the cases

    def size():
        assert (len(cases), len(refused)) == counts
        assert len(names) == len(cases)  # every case by its own name

    return function, refusal_and_its_rewrite, size
