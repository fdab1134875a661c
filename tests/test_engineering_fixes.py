"""Regression tests for what the engineering corpus (tests/test_corpus_engineering.py) found:
each fails without its fix, each compared with the loop oracle on every backend."""
from __future__ import annotations

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, oracle

rng = np.random.RandomState(7)


# --- a list index holding a traced int: NumPy makes it an index array ---------------------
def pivot_rows_read(A):
    p = np.argmax(np.abs(A[:, 0]))
    return A[[0, p]], np.take(A, [p, 0], axis=0)


def pivot_rows_swap(A):
    A = A.copy()
    p = np.argmax(np.abs(A[:, 0]))
    A[[0, p]] = A[[p, 0]]
    return A


def counts_at_list(x):
    h = np.zeros(x.shape[1])
    np.add.at(h, [np.argmax(x[0]), np.argmin(x[0]), np.argmax(x[0])], 1.0)
    return h


@pytest.mark.parametrize("f", [pivot_rows_read, pivot_rows_swap, counts_at_list])
def test_list_index_with_a_traced_entry(backend, f):
    A = rng.randn(5, 4, 4)
    assert_tree_close(gvmap.vmap(f)(A), oracle(f)(A))


def test_list_index_with_a_traced_float_entry_is_numpys_index_error():
    with pytest.raises(IndexError, match="integer"):
        gvmap.vmap(lambda A: A[[0, A[0, 0]]])(rng.randn(3, 4, 4))


# --- np.copyto, np.putmask, np.put into a traced local array -----------------------------
def masked_copies(x):
    b = np.zeros_like(x)
    np.copyto(b, x, where=x > 0)
    c = x.copy()
    np.putmask(c, c < 0, [0.0, -1.0])   # values cycle by flat position, as NumPy's
    d = x.copy()
    np.put(d, [0, 2, -1, 0], [9.0, 8.0])   # a repeated index keeps its last value
    e = np.empty((2, 3))
    np.copyto(e, x[:3])                 # broadcast into the destination
    return b, c, d, e


def writes_through_views_and_traced_indices(x):
    i = np.argmax(x)
    d = np.zeros((2, 3))
    np.put(d, [i, 0], x[:2])
    e = np.zeros((2, 3), dtype=int)
    np.put(e, i + 4, 7, mode="wrap")
    g = np.zeros((2, 3))
    np.put(g, [i + 3, -1], 1.5, mode="clip")
    M = np.zeros((3, 4))
    row = M[1]
    np.copyto(row, x[1:5])              # a view: M changes too
    np.putmask(M[2], x[:4] > 0, x[:4])
    return d, e, g, M, row


@pytest.mark.parametrize("f", [masked_copies, writes_through_views_and_traced_indices])
def test_in_place_writers(backend, f):
    x = rng.randn(5, 6)
    assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


@pytest.mark.parametrize("call,error,message", [
    (lambda x: np.copyto(np.zeros(6, dtype=int), x), TypeError, "same_kind"),
    (lambda x: np.putmask(np.zeros(6), x[:3] > 0, 1.0), ValueError, "same size"),
    (lambda x: np.put(np.zeros(6), [7], x[0]), IndexError, "out of bounds"),
    (lambda x: np.copyto(x, 0.0), TypeError, "argument of the traced function"),
])
def test_in_place_writer_errors_are_numpys(call, error, message):
    def f(x):
        call(x)
        return x * 1.0
    with pytest.raises(error, match=message):
        gvmap.vmap(f)(rng.randn(3, 6))


def test_put_with_a_traced_index_out_of_bounds_is_the_gather_index_error():
    def f(x):
        d = np.zeros(6)
        np.put(d, np.argmax(x) + 6, x[0])
        return d
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(f)(rng.randn(3, 6))


@pytest.mark.parametrize("fill", [lambda W: np.fill_diagonal(W, 0.0),
                                  lambda W: np.copyto(W, 0.5, where=np.eye(4) > 0)],
                         ids=["fill_diagonal", "copyto"])
def test_in_place_writer_on_a_known_local_array(fill):
    """Every argument known: NumPy's own function would write into the read-only known
    value; functions that write their first argument take gvmap's writes."""
    def adjacency_without_self_loops(x):
        W = np.ones((4, 4))
        fill(W)
        return W @ x
    x = rng.randn(3, 4)
    assert_tree_close(gvmap.vmap(adjacency_without_self_loops)(x),
                      oracle(adjacency_without_self_loops)(x))


# --- np.unravel_index / np.ravel_multi_index of traced indices ----------------------------
def peak_coordinates(img):
    r, c = np.unravel_index(np.argmax(img), img.shape)
    top = np.unravel_index(np.argsort(img.ravel())[-3:], img.shape, order="F")
    return (r, c, top, np.ravel_multi_index((r, c), img.shape),
            np.ravel_multi_index((top[0], top[1] + 7), img.shape, mode=("raise", "wrap")),
            np.ravel_multi_index([r + 9, c - 9], img.shape, mode="clip", order="F"))


@pytest.mark.parametrize("in_axes", [0, 1])
def test_unravel_and_ravel_multi_index(backend, in_axes):
    img = rng.randn(4, 5, 6)
    assert_tree_close(gvmap.vmap(peak_coordinates, in_axes)(img),
                      oracle(peak_coordinates, in_axes)(img))


@pytest.mark.parametrize("f", [lambda x: np.unravel_index(np.argmax(x) + 20, x.shape),
                               lambda x: np.unravel_index(np.argmax(x) - 30, x.shape),
                               lambda x: np.ravel_multi_index((np.argmax(x), 0), x.shape)],
                         ids=["past_the_end", "negative", "ravel_raise"])
def test_flat_index_out_of_range_raises(f):
    # NumPy raises ValueError; a traced program raises the gather's IndexError
    with pytest.raises(IndexError, match="out of bounds"):
        gvmap.vmap(f)(rng.randn(3, 4, 5))


# --- np.fmax.accumulate / np.fmin.accumulate: the running extremum that skips NaN ---------
def running_nan_ignoring(x, k):
    return (np.fmax.accumulate(x), np.fmin.accumulate(x, axis=1),
            np.fmax.accumulate(x, dtype=np.float32), np.fmax.accumulate(k), np.fmin.accumulate(k > 0))


def test_fmax_fmin_accumulate(backend):
    x = rng.randn(5, 4, 6)
    x[x > 0.8] = np.nan
    x[0, 0] = np.nan          # a leading NaN stays NaN until the first number
    x[1, :, 0] = np.nan       # an all-NaN column
    k = rng.randint(-5, 5, (5, 7))
    assert_tree_close(gvmap.vmap(running_nan_ignoring)(x, k), oracle(running_nan_ignoring)(x, k))


# --- np.fft: the transforms are refused with the real rewrite; the shifts are rolls -------
def test_fft_transform_refusal_names_the_real_rewrite():
    with pytest.raises(NotImplementedError, match=r"numpy\.fft\.rfft.*complex.*np\.hypot\(re, im\)"):
        gvmap.vmap(lambda x: np.abs(np.fft.rfft(x)))(rng.randn(3, 8))


def spectrum_by_dft_tables(x):
    n = x.shape[0]
    k = np.arange(n // 2 + 1)[:, None]
    re = np.cos(2 * np.pi * k * np.arange(n) / n) @ x
    im = -(np.sin(2 * np.pi * k * np.arange(n) / n) @ x)
    return np.hypot(re, im), np.fft.fftshift(np.hypot(re, im)), np.fft.ifftshift(x)


def test_the_fft_rewrite_is_the_magnitude_spectrum(backend):
    x = rng.randn(4, 10)
    got = gvmap.vmap(spectrum_by_dft_tables)(x)
    assert_tree_close(got, oracle(spectrum_by_dft_tables)(x))
    np.testing.assert_allclose(got[0], np.abs(np.fft.rfft(x)), atol=1e-12)
    assert_tree_close(gvmap.vmap(lambda m: np.fft.fftshift(m, axes=(1,)))(x.reshape(4, 2, 5)),
                      np.fft.fftshift(x.reshape(4, 2, 5), axes=(2,)))
