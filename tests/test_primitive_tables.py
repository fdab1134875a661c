"""Every primitive is complete: each stage has what it needs for it, and the facts stated
once on the primitive (primitives.py) agree with NumPy. The checklist in primitives.py's
docstring, enforced."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from gvmap import primitives as P
from gvmap.batching import batch_rules
from gvmap.codegen.cuda import c_expressions
from gvmap.codegen.rowkernel_rules import ROW_KERNEL_UNSUPPORTED, emit_rules
from gvmap.fusion import KERNEL_DTYPES
from gvmap.implementations import CUPY_AUDIT, impl_rules

ALL = sorted(P.ALL, key=str)
GROUPS = {"ELEMENTWISE": P.ELEMENTWISE, "REDUCTIONS": P.REDUCTIONS,
          "CONTRACTIONS": P.CONTRACTIONS, "STRUCTURAL": P.STRUCTURAL}


def test_names_are_unique_and_groups_partition_the_set():
    assert len({p.name for p in P.ALL}) == len(P.ALL)
    for prim in P.ALL:
        homes = [g for g, members in GROUPS.items() if prim in members]
        assert len(homes) == 1, f"{prim} is in {homes}"
    assert set().union(*GROUPS.values()) == set(P.ALL)
    assert P.UNARY | P.BINARY | P.COMPARISONS | {P.select_p} == P.ELEMENTWISE


@pytest.mark.parametrize("prim", ALL, ids=str)
def test_every_stage_has_a_rule(prim):
    assert prim in P.abstract_eval_rules, f"{prim}: no abstract-eval rule (primitives.py)"
    assert prim in batch_rules, f"{prim}: no batching rule (batching.py)"
    assert prim in impl_rules, f"{prim}: no implementation (implementations.py)"
    assert prim in CUPY_AUDIT, f"{prim}: no CuPy verdict (implementations.CUPY_AUDIT)"
    has_rule, has_reason = prim in emit_rules, prim in ROW_KERNEL_UNSUPPORTED
    assert has_rule != has_reason, (
        f"{prim}: needs a row-kernel rule or a stated reason (rowkernel_rules.py), not "
        f"{'both' if has_rule else 'neither'}")


def _numpy_dtypes(prim: P.Primitive) -> list[np.dtype]:
    """The kernel dtypes NumPy's ufunc computes ``prim`` in without changing dtype (the
    dtypes a fused kernel can meet it in), bool results for bool-output primitives."""
    ufunc = getattr(np, prim.ufunc)
    found = []
    for dtype in sorted(KERNEL_DTYPES, key=str):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = ufunc(*[np.zeros(1, dtype)] * ufunc.nin)
        except TypeError:
            continue
        outs = out if ufunc.nout > 1 else (out,)
        want = np.dtype(np.bool_) if prim.bool_output else dtype
        if all(o.dtype == want for o in outs):
            found.append(dtype)
    return found


ELEMENTWISE_UFUNCS = sorted((p for p in P.ELEMENTWISE if p.ufunc), key=str)


@pytest.mark.parametrize("prim", ELEMENTWISE_UFUNCS, ids=str)
def test_elementwise_facts_agree_with_numpy_and_every_numpy_loop_has_c(prim):
    ufunc = getattr(np, prim.ufunc, None)
    assert isinstance(ufunc, np.ufunc), f"{prim}: ufunc={prim.ufunc!r} is not a NumPy ufunc"
    assert ufunc.nout == prim.results, f"{prim}: {prim.results} results, np.{prim.ufunc} has {ufunc.nout}"
    assert ufunc.nin == (1 if prim in P.UNARY else 2)
    if prim in P.MIXED_DTYPES:  # its loops mix dtypes: checked loop by loop below
        assert _numpy_loops(prim) and not _numpy_dtypes(prim), prim
        return
    dtypes = _numpy_dtypes(prim)
    assert dtypes, f"{prim}: NumPy has no same-dtype loop in any kernel dtype"
    for dtype in dtypes:
        out = np.dtype(np.bool_) if prim.bool_output else dtype
        exprs = c_expressions(prim, [dtype] * ufunc.nin, [out] * prim.results,
                              ["a", "b"][:ufunc.nin])
        assert len(exprs) == prim.results


def _numpy_loops(prim: P.Primitive) -> list[tuple[list[np.dtype], list[np.dtype]]]:
    """NumPy's loops for ``prim``'s ufunc (``ufunc.types``) whose dtypes are all kernel
    dtypes, as (operand dtypes, result dtypes)."""
    ufunc, loops = getattr(np, prim.ufunc), []
    for types in ufunc.types:
        ins, outs = types.split("->")
        dtypes = [np.dtype(c) for c in ins + outs if c != "O"]
        if len(dtypes) == len(ins + outs) and all(d in KERNEL_DTYPES for d in dtypes):
            loops.append((dtypes[:len(ins)], dtypes[len(ins):]))
    return loops


@pytest.mark.parametrize("prim", sorted(P.MIXED_DTYPES, key=str), ids=str)
def test_mixed_dtype_primitives_follow_every_numpy_loop(prim):
    """frexp and ldexp: each NumPy loop in kernel dtypes (``f->fi``, ``fl->f``...) is
    accepted by the abstract-eval rule with NumPy's result dtypes, and has C; a float
    exponent, or an integer x, is refused as NumPy has no such loop."""
    for ins, outs in _numpy_loops(prim):
        avals = P.abstract_eval(prim, [P.AbstractArray((2,), d) for d in ins], {})
        assert [a.dtype for a in avals] == outs, (prim, ins)
        assert len(c_expressions(prim, ins, outs, ["a", "b"][:len(ins)])) == prim.results
    wrong = [np.dtype(np.int32)] if prim in P.UNARY else [np.dtype(np.float64)] * 2
    with pytest.raises(TypeError):
        P.abstract_eval(prim, [P.AbstractArray((2,), d) for d in wrong], {})


def test_select_and_convert_have_c_for_every_kernel_dtype():
    for dtype in KERNEL_DTYPES:
        c_expressions(P.select_p, [np.bool_, dtype, dtype], [dtype], ["p", "a", "b"])
        for new in KERNEL_DTYPES:
            c_expressions(P.convert_element_type_p, [dtype], [new], ["a"], {"new_dtype": new})


@pytest.mark.parametrize("prim", P.MONOID_REDUCTIONS, ids=str)
def test_monoids_are_consistent(prim):
    m = prim.monoid
    assert m.combine in P.BINARY and not m.combine.multiple_results
    reduce = getattr(np, m.ufunc).reduce
    for dtype in ([np.dtype(np.bool_)] if prim in (P.reduce_and_p, P.reduce_or_p)
                  else [np.dtype(t) for t in (np.float32, np.int32, np.uint8)]):
        identity = np.array(m.identity(dtype)).astype(dtype)
        x = np.array([identity]).astype(dtype)
        # folding the identity into itself gives the identity: NumPy agrees it is neutral
        assert reduce(x).astype(dtype) == identity, (prim, dtype)
        assert np.array(getattr(np, m.function)(x)).astype(dtype) == identity


def test_views_are_structural_and_single_valued():
    for prim in P.ALL:
        if prim.view:
            assert prim in P.STRUCTURAL and not prim.multiple_results, prim


# --- linear algebra ---------------------------------------------------------------------------
GROUPS["LINALG"] = P.LINALG


def test_linalg_primitives_are_stack_calls_not_fused():
    """np.linalg primitives are library calls on the stack: never in a fused kernel; in a
    row kernel only through a per-thread routine for tiny matrices (codegen/rowlinalg.py),
    the others with a stated reason; every CuPy verdict says what was read."""
    from gvmap.codegen.rowlinalg import LINALG_ROW_RULES
    from gvmap.fusion import FUSIBLE_REDUCTIONS

    for prim in P.LINALG:
        assert prim not in P.ELEMENTWISE and prim not in FUSIBLE_REDUCTIONS
        if prim in LINALG_ROW_RULES:
            assert prim in emit_rules and prim not in ROW_KERNEL_UNSUPPORTED
        else:
            assert "batched" in ROW_KERNEL_UNSUPPORTED[prim]
        assert CUPY_AUDIT[prim].kind in ("same", "checked"), prim


def test_the_primitives_that_may_raise_are_the_ones_whose_runs_raise():
    """``Primitive.raises`` (kept from dead-code elimination, the deferred checks bound
    before it): the check, the gathers and scatters of traced indices, and the np.linalg
    routines that raise LinAlgError (linalg_impl.FAILURES, and the SVDs of non-finite
    matrices); nothing elementwise, nothing that only moves data."""
    from gvmap.implementations import check_indices_p
    from gvmap.linalg_impl import FAILURES

    raising = {p for p in P.ALL if p.raises}
    assert raising == {P.check_p, P.take_p, P.batched_take_p, P.scatter_p, P.linalg_solve_p,
                       P.linalg_inv_p, P.linalg_cholesky_p, P.linalg_svd_p, P.linalg_svdvals_p}
    assert set(FAILURES) <= raising and check_indices_p.raises
    assert not raising & (P.ELEMENTWISE | P.REDUCTIONS)
