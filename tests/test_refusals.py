"""Inputs gvmap cannot give NumPy's meaning to are refused with the fix in the message,
never silently reinterpreted: random draws made while tracing (frozen into the plan),
masked arrays (the mask would be dropped) and ``np.matrix`` (other operator meanings)."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from gvmap.errors import TracedRandomnessError
from oracle import assert_tree_close, library_object, oracle


def test_global_random_state_drawn_while_tracing_is_refused(backend):
    def noisy(v):
        return v + np.random.rand(*v.shape)

    with pytest.raises(TracedRandomnessError, match="batched argument") as info:
        gvmap.vmap(noisy)(np.zeros((4, 3)))
    assert "np.random" in str(info.value) and "noisy" in str(info.value)


def test_legacy_seed_call_while_tracing_is_refused():
    def reseeds(v):
        np.random.seed(0)
        return v

    state = np.random.get_state()
    try:
        with pytest.raises(TracedRandomnessError):
            gvmap.jit(reseeds)(np.zeros(3))
    finally:
        np.random.set_state(state)


def test_closed_over_generator_drawn_while_tracing_is_refused(backend):
    rng = np.random.default_rng(0)

    def noisy(v):
        return v + rng.standard_normal(v.shape)

    with pytest.raises(TracedRandomnessError, match="Generator"):
        gvmap.vmap(noisy)(np.zeros((4, 3)))


_GLOBAL_RS = np.random.RandomState(1)


def _noisy_helper(v):
    return v * _GLOBAL_RS.rand()


def test_generator_reached_through_a_helper_is_refused(backend):
    with pytest.raises(TracedRandomnessError, match="RandomState"):
        gvmap.vmap(lambda v: _noisy_helper(v) + 1.0)(np.zeros((2, 3)))


def test_random_draws_passed_in_batch_as_the_message_says(backend):
    """The rewrite the message names works and matches the loop."""
    rng = np.random.default_rng(0)
    x = np.zeros((4, 3))
    noise = rng.standard_normal((4, 3))
    f = lambda v, eps: v + eps
    assert_tree_close(gvmap.vmap(f)(x, noise), oracle(f)(x, noise))


def test_generator_not_used_is_fine(backend):
    rng = np.random.default_rng(0)
    g = gvmap.vmap(lambda v, k=rng: v * 2.0)
    assert_tree_close(g(np.ones((2, 2))), np.full((2, 2), 2.0))


def test_masked_array_argument_is_refused(backend):
    x = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[0, 1], [0, 0]])
    with pytest.raises(TypeError, match=r"masked array.*filled"):
        gvmap.vmap(lambda v: v.sum())(x)
    # the rewrite the message names works: data and mask as two arguments
    f = lambda v, m: np.where(m, 0.0, v).sum()
    got = gvmap.vmap(f)(x.filled(0.0), np.ma.getmaskarray(x))
    assert_tree_close(got, np.array([1.0, 7.0]))


def test_matrix_argument_is_refused(backend):
    x = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match=r"numpy.matrix.*np.asarray"):
        gvmap.vmap(lambda v: v @ v.T)(x)
    f = lambda v: v @ v.T
    assert_tree_close(gvmap.vmap(f)(np.asarray(x)), oracle(f)(np.asarray(x)))


def test_plain_ndarray_subclasses_still_work(backend):
    class Tagged(np.ndarray):
        pass

    x = np.arange(6.0).reshape(2, 3).view(Tagged)
    assert_tree_close(gvmap.vmap(lambda v: v * 2)(x), np.asarray(x) * 2)


def test_closed_over_masked_array_is_refused(backend):
    M = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    with pytest.raises(TypeError, match=r"closes over is a masked array"):
        gvmap.vmap(lambda v: np.add(v, M).sum())(np.ones((2, 3)))


def test_escaped_traced_value_says_it_escaped(backend):
    from gvmap.errors import LeakedTracerError

    # a list the function reads refuses the traced value at once; one reached through a
    # library's object takes it, and its uses after the trace say it escaped
    holder = library_object(kept=[])
    kept = holder.kept

    def f(v):
        holder.kept.append(v * 2)
        return v

    with pytest.raises(LeakedTracerError, match="a list the function reads"):
        gvmap.vmap(lambda v: kept.append(v * 2) or v)(np.ones((2, 3)))
    assert kept == []
    gvmap.vmap(f)(np.ones((2, 3)))

    for use in (lambda t: t + 1, lambda t: np.tanh(t), lambda t: float(t), lambda t: np.asarray(t),
                lambda t: bool(t)):
        with pytest.raises(LeakedTracerError, match="escaped"):
            use(kept[0])
    with pytest.raises(LeakedTracerError, match="escaped"):
        gvmap.vmap(lambda v: v + kept[0])(np.ones((2, 3)))


def _local_ascontiguousarray(v):
    import numpy  # bound inside the function: the real module (gvmap.rebinding)
    return numpy.ascontiguousarray(v) * 2


def test_asarray_of_a_traced_array_names_copy(backend):
    with pytest.raises(TypeError, match=r"x\.copy\(\)"):
        gvmap.vmap(_local_ascontiguousarray)(np.ones((2, 3)))
    g = lambda v: np.ascontiguousarray(v) * 2                         # the module's np works
    assert_tree_close(gvmap.vmap(g)(np.ones((2, 3))), oracle(g)(np.ones((2, 3))))
    f = lambda v: v.copy() * 2                                        # the rewrite it names
    assert_tree_close(gvmap.vmap(f)(np.ones((2, 3))), oracle(f)(np.ones((2, 3))))


def test_imported_global_draw_function_is_refused(backend):
    from numpy.random import rand  # a bound method of NumPy's global RandomState

    def noisy(v):
        return v + rand()

    with pytest.raises(TracedRandomnessError, match="global random state"):
        gvmap.vmap(noisy)(np.zeros((2, 3)))


def test_closed_over_bound_draw_method_is_refused(backend):
    draw = np.random.default_rng(0).standard_normal  # the generator is reached through it

    def noisy(v):
        return v + draw(v.shape)

    with pytest.raises(TracedRandomnessError, match="Generator"):
        gvmap.vmap(noisy)(np.zeros((2, 3)))
