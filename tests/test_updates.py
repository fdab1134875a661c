"""Index updates on local arrays, as NumPy users write them, against the loop oracle on
every backend and plan kind: ``y = x.copy(); y[i] = v``, ``y[idx] += v``, ``y[2:5] *= 2``,
``y[mask] = 0``, ``out = np.zeros_like(x); out[0] = ...``, traced and batched indices,
writes through views, and the refusals that keep NumPy's meaning (arguments, live views)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gvmap
from oracle import assert_tree_close, check_vmap, oracle


check = check_vmap  # vmap(f) against the loop (tests/oracle.py)


X = np.random.RandomState(0).randn(5, 6)
I = np.array([3, -1, 0, 5, -6])          # one index per example, negatives included


def set_one(x):
    y = x.copy()
    y[1] = 5.0
    y[-1] = y[0] * 2
    return y


def add_repeated(x):
    y = x.copy()
    y[[0, 2, 0]] += np.array([1.0, 2.0, 3.0])   # NumPy: once per distinct index, the last
    return y


def scale_slice(x):
    y = x.copy()
    y[2:5] *= 2
    y[::2] -= 1.0
    return y


def masked_fill(x):
    y = x.copy()
    y[np.array([True, False, True, False, False, True])] = 0
    return y


def build_from_zeros(x):
    out = np.zeros_like(x)
    out[0] = x.sum()
    out[1:] = x[:-1]
    return out


def fill_over_range(x):
    out = np.empty_like(x)
    for k in range(x.shape[0]):
        out[k] = x[k] * k
    return out


def copy_then_inplace(x):
    y = x * 2
    z = y.copy()
    z += 1
    w = x.copy()
    w += 5
    return y, z, w


@pytest.mark.parametrize("f", [set_one, add_repeated, scale_slice, masked_fill,
                               build_from_zeros, fill_over_range, copy_then_inplace],
                         ids=lambda f: f.__name__)
def test_static_updates(plan_kind, f):
    check(f, X)
    check(f, X.astype(np.float32))
    check(f, X[:0])


def test_int_and_bool_updates_cast_as_numpy(plan_kind):
    def f(x):
        y = (x * 10).astype(np.int32)
        y[0] = 7.9                         # NumPy casts unsafely: 7
        m = x > 0
        m[1] = True
        return y, m
    check(f, X)


def test_two_dimensional_keys(plan_kind):
    def f(x):
        y = x.reshape(2, 3).copy()
        y[:, 0] = x[:2]
        y[1, :] = 0.0
        y[..., -1] = y[..., 0]
        y[0, 1] += 10.0
        return y
    check(f, X)


def test_traced_index(plan_kind):
    def f(x, i):
        y = x.copy()
        y[i] = -1.0
        return y
    check(f, X, I)
    check(f, X, np.array([2]), in_axes=(0, None))


def test_traced_index_array_last_write_wins(plan_kind):
    def f(x, idx):
        y = x.copy()
        y[idx] = np.arange(3.0)            # repeated indices: the last write stays
        return y
    idx = np.array([[1, 1, 4], [0, 5, 0], [2, 3, 2], [5, 5, 5], [-1, 0, -6]])
    check(f, X, idx)


def test_traced_index_rows_of_a_matrix(plan_kind):
    def f(x, i):
        y = x.reshape(3, 2).copy()
        y[i] = y[0] + 1.0
        y[i, :] = y[i] * 2                 # read at a traced index, then write there
        return y
    check(f, X, np.array([0, 1, 2, -1, -3]))


def test_traced_index_out_of_range_raises_like_the_loop(backend):
    def f(x, i):
        y = x.copy()
        y[i] = 0.0
        return y
    bad = np.array([0, 1, 6, 2, 3])
    with pytest.raises(IndexError):
        oracle(f)(X, bad)
    with pytest.raises(IndexError):
        gvmap.vmap(f)(X, bad)


def test_writes_through_a_view(plan_kind):
    def f(x):
        y = x * 1.0
        v = y[1:]
        v += 1.0            # NumPy: y sees it
        v[0] = 9.0          # and this
        return y, v
    check(f, X)


def test_nested_vmap_updates(backend):
    def f(m):
        y = m.copy()
        y[0] = y[-1] + 1.0
        return y
    x = X.reshape(5, 2, 3)
    assert_tree_close(gvmap.vmap(gvmap.vmap(f))(x), oracle(oracle(f))(x))


def test_write_into_an_argument_is_refused_with_the_copy_rewrite(backend):
    def f(x):
        x[0] = 1.0
        return x
    with pytest.raises(TypeError, match=r"argument.*x = x\.copy\(\)"):
        gvmap.vmap(f)(X)


def test_live_views_see_writes_into_their_base(plan_kind):
    def f(x):
        y = x * 1.0
        v = y[1:]
        w = v[::2]          # a view of a view
        y[2] = 5.0          # NumPy: v[1] and w changes too
        y[1:4] *= 3.0
        c = y[1:]
        y[:-1] = c          # overlapping: NumPy buffers, then c shows the new y[1:]
        return y, v, w, c
    check(f, X)


def test_write_after_an_untracked_view_is_refused(backend):
    def f(x):
        y = (x * 1.0).reshape(2, 3)
        t = y.ravel()
        y[0] = 5.0          # NumPy: t would change (a contiguous y); gvmap follows no reshape
        return t
    with pytest.raises(TypeError, match="reshape, ravel"):
        gvmap.vmap(f)(X)


def test_a_temporary_view_does_not_block_later_writes(plan_kind):
    def f(x):
        y = x.copy()
        s = y[:3].sum()     # the view is gone after this line
        y[0] = s
        return y
    check(f, X)


def test_write_into_a_closed_over_array_is_refused(backend):
    table = np.zeros(6)

    def f(x):
        t = table
        t[0] = x[0]
        return t
    with pytest.raises(TypeError):
        gvmap.vmap(f)(X)


def accumulate_at(x):
    y = np.zeros_like(x)
    np.add.at(y, [0, 2, 0, 5], x[:4])                     # repeats accumulate
    z = x.copy()
    np.maximum.at(z, [1, 1, 3], np.array([10.0, -3.0, 7.0]))
    w = x.copy()
    np.minimum.at(w, np.array([4, 4]), np.array([-1.0, -2.0]))
    np.multiply.at(w, [0, 0], 2.0)
    return y, z, w


def test_ufunc_at_accumulates_repeats(plan_kind):
    check(accumulate_at, X)


def test_ufunc_at_with_traced_indices(plan_kind):
    def f(x, i):
        y = np.zeros_like(x)
        np.add.at(y, i, 1.0)                               # a histogram of i
        np.minimum.at(y, i, -x[:3])
        return y
    check(f, X, np.array([[0, 0, 1], [5, 5, 5], [2, 3, -1], [0, 1, 2], [4, -6, 4]]))


def test_ufunc_at_into_an_array_made_inside(backend):
    def f(x):
        y = np.zeros(6)  # a known array (gvmap.rebinding): writable, as in NumPy
        np.add.at(y, [0, 0, 2], x[:3])
        return y
    check(f, X)


def test_ufunc_at_into_a_numpy_array_is_refused(backend):
    def f(x):
        import numpy as np  # bound inside: a real NumPy array, which cannot hold x
        y = np.zeros(6)
        np.add.at(y, [0], x[:1])
        return y
    with pytest.raises(TypeError):
        gvmap.vmap(f)(X)


def full_slice_inplace(x):
    y = np.ones((2,) + x.shape)
    y[0:] += np.tanh(x)      # y[0:] is y itself: the update's own ravel is not a user's view
    z = x.copy()
    z[:] *= 2
    return y, z


def test_inplace_through_a_full_slice(plan_kind):
    """Found by the random programs: ``y[0:] += v`` was refused as a write after a
    reshape-like view, the update's internal ravel of y counted as the user's."""
    check(full_slice_inplace, X)


# --- x[mask] with a traced mask (gvmap/numpy/masked.py) ----------------------------------------

def clamp_negatives(x):
    y = x.copy()
    y[y < 0] = 0
    y[np.isnan(y)] = -1.0
    return y


def scale_selected(x):
    y = x.copy()
    y[y > 0.5] *= 2
    m = y < -0.5
    y[m] = np.sqrt(-y[m]) + 1     # elementwise work on the selection, written back
    y[~m] -= 0.25                 # ~m computed again below: the same mask
    y[~m] += 0.25
    return y


def rows_by_mask(x):
    x = x.reshape(2, -1)
    y = x.copy()
    y[x[:, 0] > 0] = x[-1]        # a row for every selected row
    return y


def masked_stats(x):
    return x[x > 0].sum(), x[x > 0].mean(), np.mean(x[x < 0]), (x[x > 0] ** 2).sum()


@pytest.mark.parametrize("f", [clamp_negatives, scale_selected, rows_by_mask, masked_stats],
                         ids=lambda f: f.__name__)
def test_traced_mask_updates_and_reductions(plan_kind, f):
    x = X.copy()
    x[1, 2] = np.nan
    check(f, x)
    check(f, x.astype(np.float32))
    check(f, x[:0])
    check(f, x.T, in_axes=1)


def scale_selected_by_traced_scalar(x):
    # a traced 0-d value on the LEFT of a selection: Tracer's operator defers to it, as
    # NumPy's arrays defer (was refused: "gvmap.numpy.multiply of x[mask]")
    k = x.max()
    y = x.copy()
    y[x > 0] = k * y[x > 0] - k
    y[x < 0] = k / (1.0 + y[x < 0] ** 2)
    pw = np.piecewise(x, [x < 0, x >= 0], [lambda v, k: -k * v, lambda v, k: k * v * v], k)
    return y, pw, (k - x[x > 0]).sum()


def test_traced_scalar_operator_selection(plan_kind):
    check(scale_selected_by_traced_scalar, X)
    check(scale_selected_by_traced_scalar, X.astype(np.float32))
    with pytest.raises(NotImplementedError, match="combining an array"):
        gvmap.vmap(lambda x: x[:3].sum() * x - x[x > 0])(X)   # an array still is refused


def test_traced_mask_on_integers(backend):
    xi = (X * 3).astype(np.int64)
    check(lambda v: (lambda y: (y.__setitem__(y < 0, 7), y)[1])(v.copy()), xi)
    check(lambda v: v[v > 0].mean(), xi)   # NumPy: float64


def interp_gaps(x):
    t = np.arange(len(x))
    good = ~np.isnan(x)
    return np.interp(t, t[good], x[good])


def interp_gaps_written_back(x):
    t = np.linspace(0.0, 1.0, len(x))
    ok = np.isfinite(x)
    out = x.copy()
    out[~ok] = np.interp(t[~ok], t[ok], x[ok], right=-7.0)
    return out, np.interp(t + 0.1, t[ok], x[ok], left=x[0] * 0 + 3.0)


def kept_spread(x):
    c = x[~np.isnan(x)]
    return c.std(), c.var(ddof=1), np.std(c, ddof=1), np.var(c)


@pytest.mark.parametrize("f", [interp_gaps, interp_gaps_written_back, kept_spread],
                         ids=lambda f: f.__name__)
def test_traced_mask_interp_and_spread(plan_kind, f):
    # np.interp of the kept points and x[mask].std()/.var() (were refused: "numpy.interp
    # of x[mask]", ".std of x[mask]"); gaps first and last, one point kept, every point kept
    x = X.copy()
    x[0, [0, 1, 4]] = x[1, [2, 3, 5]] = x[2, :5] = x[3, 1:] = np.nan
    x[4, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ddof=1 of one kept point: 0/0
        check(f, x)
        check(f, x.astype(np.float32))
        check(f, x.T, in_axes=1)


def test_traced_mask_interp_of_no_point_raises_naming_the_example(backend):
    # NumPy raises for an empty xp, and so does the loop at that example (it gave NaN)
    x = X[:3].copy()
    x[1] = np.nan
    with pytest.raises(ValueError, match="array of sample points is empty in example 1"):
        gvmap.vmap(interp_gaps)(x)


def test_traced_mask_order_statistic_names_the_nan_form():
    with pytest.raises(NotImplementedError, match=r"np\.nanmedian\(np\.where\(mask, x, np\.nan\)\)"):
        gvmap.vmap(lambda x: np.median(x[x > 0]))(X)


@pytest.mark.parametrize("f,what", [
    (lambda x: x[x > 0], "returning"),
    (lambda x: len(x[x > 0]) * x, "len"),
    (lambda x: x[x > 0][0], "indexing"),
    (lambda x: x[x > 0] + x, "combining an array"),
    (lambda x: np.concatenate([x[x > 0], x]), "concatenate"),
    (lambda x: x[x > 0].max(), r"\.max"),
    (lambda x: (lambda y: (y.__setitem__(y > 0, x[x < 0]), y)[1])(x.copy()), "another mask"),
    (lambda x: (lambda y: (y.__setitem__(y > 0, x[:3]), y)[1])(x.copy()), "one value per selected"),
], ids=["return", "len", "index", "plus_array", "concatenate", "max", "other_mask", "array_value"])
def test_traced_mask_uses_that_need_its_shape_are_refused(f, what):
    with pytest.raises(NotImplementedError, match=what) as info:
        gvmap.vmap(f)(X)
    assert "data-dependent shape" in str(info.value) and "np.where" in str(info.value)


# --- results NumPy always copies ---------------------------------------------------------------

def copies_that_change_nothing(x):
    """NumPy gives each of these a NEW array, though none changes a value; gvmap's
    implementations returned x itself, so the writes below changed x (or x's write them)."""
    a = x.copy()
    outs = [a.astype(a.dtype), np.concatenate([a]), +a, np.positive(a), np.conjugate(a),
            np.pad(a, 0), np.roll(a, 0), a.flatten()]
    for k, y in enumerate(outs):
        y[0] = 100.0 + k
    a[1] = -5.0
    n = x.astype(np.int64)
    ints = [np.round(n), n.round(), np.trunc(n)]
    for k, y in enumerate(ints):
        y[0] = 7 + k
    return a, outs, n, ints


def test_a_write_into_a_copy_does_not_reach_the_original(plan_kind):
    check(copies_that_change_nothing, X)


# --- writes into views: followed (transpose, flip, squeeze, new axes), refused (reshape) ----

def _write_via_reshape(x):
    a = x.copy()
    w = a.reshape(2, 3)
    w[0, 0] = -1.0          # NumPy: a[0] is -1 now
    return a


def _write_via_transpose_of_zeros(x):
    out = np.zeros((2, 3))
    out.T[0] = x[:2]        # NumPy: out[:, 0] is x[:2] now
    return out


def _write_via_squeezed_slice(x):
    a = x.copy()
    s = np.squeeze(a[None])
    s[2] = -3.0             # NumPy: a[2] is -3 now
    return a


def _write_after_a_slice_was_reshaped(x):
    p = x.reshape(2, 3).copy()
    r = p[0]
    w = r.reshape(3, 1)
    p[0, 1] = 7.0           # NumPy: r[1] and w[1, 0] are 7 now
    return w


def _write_after_a_view_of_an_expanded_slice(x):
    a = x * 1.0
    t = np.transpose(a[None])   # a view of the temporary a[None], itself a view of a
    a[1] = -2.0                 # NumPy: t[1, 0] is -2 now
    return t


def _write_after_the_transpose_of_a_new_axis(x):
    a = np.zeros(6)
    t = a[None].T
    a[1] = x[0]                 # NumPy: t[1, 0] is x[0] now
    return t


@pytest.mark.parametrize("f", [_write_via_reshape, _write_after_a_slice_was_reshaped])
def test_a_write_no_view_could_follow_is_refused(backend, f):
    """These writes were silently lost once: gvmap's reshape results did not write back
    into the array they view, as NumPy's do (when the layout allows a view)."""
    with pytest.raises(TypeError, match=r"reshape.*copy"):
        gvmap.vmap(f)(X)


def _writes_through_layout_views(x):
    """Transposes, flips, squeezes and new axes are views in NumPy whatever the layout;
    a write into one reaches its array, and a write into the array shows in the view."""
    a = np.zeros((2, 3))
    t = a.T
    t[0] = x[:2]                 # a[:, 0] changes
    a[1, 2] = x[2]               # t[2, 1] shows it
    f = np.flip(a, 1)
    f[0, 0] += 1.0               # a[0, 2]
    m = np.moveaxis(a[None], 0, 2)
    a[0, 1] = -x[3]              # m[0, 1, 0] shows it
    m[1, 1, 0] *= 3.0            # a[1, 1]
    s = np.squeeze(a[:1])
    s[1:] = x[4:]                # a[0, 1:]
    halves = np.split(a, 3, axis=1)
    halves[2][1] = 9.0           # a[1, 2]
    r = a.T[1]                   # a row of a transpose: a view of a's column
    r[0] = 42.0                  # a[0, 1]
    return a, t, f, m, s, halves, r


def test_writes_follow_transposes_flips_and_new_axes(plan_kind):
    for f in (_write_via_transpose_of_zeros, _write_via_squeezed_slice,
              _write_after_a_view_of_an_expanded_slice, _write_after_the_transpose_of_a_new_axis,
              _writes_through_layout_views):
        check(f, X)


def test_a_broadcast_view_is_read_only(backend):
    def f(x):
        y = x.copy()
        b = np.broadcast_to(y, (2, 6))
        y[0] = 5.0               # NumPy's b shows it: followed
        b2 = np.broadcast_to(y, (2, 6))
        b2[0, 0] = 1.0           # NumPy: assignment destination is read-only
        return b
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        gvmap.vmap(f)(X)
    check(lambda x: (lambda y: (np.broadcast_to(y, (2, 6)), y.__setitem__(0, 5.0))[0])(x.copy()), X)


def test_a_write_into_a_view_of_an_argument_names_the_copy(backend):
    def f(x):
        img = x.reshape(2, 3)
        img[0] = 0.0        # NumPy: the caller's array changes
        return img
    with pytest.raises(TypeError, match=r"argument.*\.copy\(\)"):
        gvmap.vmap(f)(X)


def test_a_view_of_a_slice_that_is_gone_does_not_block_writes(plan_kind):
    """A view of a basic-indexing view keeps that slice alive only while it lives itself:
    once both are gone nothing can see a later write, as in NumPy."""
    def f(x):
        a = x * 1.0
        s = a[None].T.sum() + np.transpose(a[1:])[0]
        a[1] = -2.0
        return s, a
    check(f, X)


def test_a_view_of_a_temporary_is_written_freely(plan_kind):
    def f(x):
        w = np.zeros(6).reshape(2, 3)
        w[0] = x[:3]
        img = x.copy().reshape(3, 2)
        img[:, 0] *= 2.0
        t = (x * 1.0).reshape(2, 3).T
        t[0] += 1.0
        return w, img, t
    check(f, X)


def test_an_array_filled_from_an_argument_stays_writable(plan_kind):
    """``buf[:] = x`` made buf stand for the argument's own value, so the next write into
    buf was refused as a write into the argument."""
    def f(x):
        buf = np.zeros(6)
        buf[:] = x
        buf[0] = 1.0
        v = buf[:]
        v[:] = x
        v[1] += 2.0
        return buf, x
    check(f, X)


# ---------------------------------------------------------------- scalars from integer indexing

def _old_value_kept(x):
    y = x * 1.0
    old = y[0]              # a NumPy scalar: a copy
    y[0] = 5.0              # does not change old
    m = (x * 2.0).reshape(2, 3)
    corner = m[1, 2]
    m[1] = -1.0             # nor corner
    return old, corner, y


def _accumulate_into_an_element(x):
    total = x[0]            # of an argument: a scalar, so += never writes into x
    for i in range(1, 4):
        total += x[i]
    flag = (x > 0)[0]
    flag += 1               # np.bool_ + 1 is an int64: a scalar rebinds, promoting
    return total, flag, x


@pytest.mark.parametrize("f", [_old_value_kept, _accumulate_into_an_element])
def test_an_element_read_by_integers_is_a_scalar(plan_kind, f):
    """``x[0]`` of a vector (one integer per axis) is a NumPy scalar: a copy that a later
    write into x does not change (gvmap answered with the new value), and ``s += v``
    rebinds s (gvmap refused it on an argument as a write into the argument's view)."""
    check(f, X)


def test_a_zero_d_view_is_still_a_view(plan_kind):
    """``x[0, ...]`` and ``x[()]`` are 0-d views in NumPy, not scalars: they see writes."""
    def f(x):
        y = x * 1.0
        v = y[0, ...]
        y[0] = 3.0
        return v
    check(f, X)


def test_an_element_read_at_a_traced_integer_is_a_scalar(plan_kind):
    """In the loop a traced 0-d index is a NumPy integer, so ``x[i]`` is a scalar there
    too: ``v[i] += 1`` of a bool v promotes the scalar and casts back on the write (the
    random programs found it refused), and ``old = w[i]`` keeps its value."""
    def f(x, i):
        v = np.ones(3, dtype=bool)
        v[np.clip(i, 0, 2)] += 2
        w = x * 1.0
        j = np.argmax(x)
        old = w[j]
        w[j] = -1.0
        return v, old, w
    check(f, X, np.array([0, 2, 1, 1, 0, 2])[:X.shape[0]])


def test_operation_results_of_zero_d_are_scalars(plan_kind):
    """A 0-d result of a ufunc, an operator or a reduction is a NumPy scalar: ``s += v``
    rebinds s (another name for the old value keeps it: gvmap changed both) and promotes
    (an int accumulator becomes float, where gvmap refused the cast); an array made 0-d
    (np.array(2.0)) still updates in place, for every name bound to it."""
    def f(x):
        s = x.sum()
        before = s
        s += 1.0
        acc = 0
        for i in range(3):
            acc += (x[i] > 0)      # bool scalars into an int
        acc += 0.5 * x[0]          # ... and a float: NumPy's scalar promotes
        a = np.array(2.0)
        b = a
        a += x[0]
        return s, before, acc, b
    check(f, X)


def _writers_on_known_locals(v):
    """NumPy's in-place writers on an array made from constants alone (a known value)."""
    W = np.ones((4, 4))
    np.fill_diagonal(W, 0.0)
    P = np.zeros((4, 4))
    np.put_along_axis(P, np.array([[1], [2], [3], [0]]), 1.0, axis=1)
    return W @ v, P @ v


def test_in_place_writers_on_known_local_arrays(backend):
    """np.fill_diagonal(W, 0) on W = np.ones(...) raised NumPy's raw 'read-only' error: a
    known-only call went to NumPy's own, which wrote into the graph's constant."""
    x = np.random.RandomState(3).randn(3, 4)
    assert_tree_close(gvmap.vmap(_writers_on_known_locals)(x), oracle(_writers_on_known_locals)(x))


def _divide_where(v):
    d = v - v[0]
    return np.divide(v, d, out=np.zeros_like(v), where=d != 0)   # the safe-division idiom


def _into_out(v):
    y = v.copy()
    np.multiply(y, 0.5, out=y)                 # in place into a local array
    r = np.sqrt(np.abs(y), out=y)              # NumPy returns out itself: r is y
    r[0] = 5.0
    q, m = np.empty(4), np.empty(4)
    np.divmod(v * 3, 2.0, out=(q, m))          # several outputs
    z = np.zeros((2, 4))
    wide = np.add(v, 1.0, out=z)               # inputs broadcast to out's shape
    w = v.copy()
    np.add(w, 1, out=w, where=v > 0)           # where= keeps out's values elsewhere
    s = np.zeros(())
    np.add.reduce(v, out=s)                    # a ufunc method's out=
    i = np.zeros(4, np.int64)
    np.floor_divide(i + 7, 2, out=i)
    c = v * 3
    c.clip(-1, 1, out=c)                       # np.clip is a ufunc: out= too
    d = np.clip(v, 0.0, None, out=np.ones((2, 4)))
    return y, q, m, wide, z, w, s, i, c, d


@pytest.mark.parametrize("f", [_divide_where, _into_out])
def test_ufunc_out_and_where_write_into_local_arrays(plan_kind, f):
    """np.divide(a, b, out=np.zeros_like(a), where=b != 0) and out= a local array were
    refused (a write in place); they are writes into the out array, as x[...] = r."""
    x = np.random.RandomState(4).randn(3, 4)
    x[:, 1] = x[:, 0]
    with np.errstate(all="ignore"):
        assert_tree_close(gvmap.vmap(f)(x), oracle(f)(x))


def _masked_domains(v):
    d = v - v[0]
    i = (v * 4).astype(np.int64)
    return (np.divide(v, d, out=np.zeros_like(v), where=d != 0),
            np.log(v, out=np.full_like(v, -1.0), where=v > 0),
            np.arctanh(v, out=np.zeros_like(v), where=np.abs(v) < 1),
            np.arccosh(v + 1, out=np.zeros_like(v), where=v >= 0),
            np.floor_divide(7, i, out=np.zeros_like(i), where=i != 0),
            np.power(v, -1.0, out=np.ones_like(v), where=v != 0),
            np.divide([1.0, 2.0, 3.0, 4.0], d, out=np.zeros(4), where=d != 0))  # a list


def test_where_warns_only_where_the_loop_computes(plan_kind):
    """NumPy computes np.divide(a, b, out=r, where=b != 0) only where the mask holds, so
    the loop warns of no division by zero; gvmap computes every element, with a harmless
    value where the mask is False, and warns as little (a warning is an error here)."""
    x = np.random.RandomState(4).randn(3, 4)
    x[:, 1] = x[:, 0]
    x[0, 2] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_tree_close(gvmap.vmap(_masked_domains)(x), oracle(_masked_domains)(x))
    with pytest.warns(RuntimeWarning, match="divide by zero"):  # where the loop warns too
        gvmap.vmap(lambda v: np.divide(v, v - v[0], out=np.zeros_like(v), where=v > 0))(
            np.abs(x) + 1)


@pytest.mark.parametrize("f,error,message", [
    (lambda v: np.add(v, 1, where=v > 0), NotImplementedError, r"without out=.*np\.zeros_like"),
    (lambda v: np.add(v, 1.5, out=np.zeros(4, np.int64)), TypeError,
     "Cannot cast ufunc 'add' output from dtype\\('float64'\\) to dtype\\('int64'\\)"),
    (lambda v: np.add(v, 1, out=np.zeros(3)), ValueError, "could not be broadcast"),
    (lambda v: np.add(v, 1, out=np.zeros(1)), ValueError, "non-broadcastable output operand"),
    (lambda v: np.clip(v, 0, 1, out=np.zeros(4, int)), TypeError,
     "Cannot cast ufunc 'clip' output from dtype\\('float64'\\) to dtype\\('int64'\\)"),
])
def test_ufunc_out_errors_are_numpys(f, error, message):
    with pytest.raises(error, match=message):
        gvmap.vmap(f)(np.random.RandomState(4).randn(3, 4))


def _writes_after_dead_views(v):
    """x.T, x.reshape(-1), x.ravel() used and gone, then x written: NumPy's views are gone
    too, so nothing else sees the write (these were refused as after an untracked view)."""
    B = v.copy()
    G = B.T @ B                            # Gram matrix of the columns
    B[0, 0] = 1.0
    s = B.reshape(-1).sum()
    B /= np.linalg.norm(B.ravel())
    for i in range(3):
        B[i] = B[i] / np.abs(B.T[i]).max()
    W = np.zeros((3, 3))
    t = W.T.sum()                          # a view of a known local array, gone
    W[0] = v[0]
    kept = B.T.reshape(9) * 1.0            # a copy of a view chain; the chain is gone
    B[1, 1] = 2.0
    return G, s, B, W, t, kept


def test_writes_after_views_that_are_gone(plan_kind):
    check(_writes_after_dead_views, np.random.RandomState(5).randn(4, 3, 3))


def test_write_after_a_live_view_chain_is_refused(backend):
    def f(v):
        B = v.copy()
        r = B.T.reshape(9)   # alive: NumPy's r would show the write below
        B[0, 0] = 1.0
        return r
    with pytest.raises(TypeError, match="view gvmap does not follow .* of one of its slices or transposes"):
        gvmap.vmap(f)(np.random.RandomState(5).randn(4, 3, 3))


def _writes_after_copies_made_of_views(v):
    """np.tile, np.stack([x]) and np.repeat copy in NumPy, though gvmap builds them from a
    view of x (broadcast, expand_dims, reshape): a later write into x was refused."""
    B = v.copy()
    T, S, R = np.tile(B, 2), np.stack([B]), np.repeat(B, 2, axis=0)
    B[0, 0] = 1.0
    return T, S, R, B


def test_writes_after_copies_made_of_views(plan_kind):
    check(_writes_after_copies_made_of_views, np.random.RandomState(6).randn(3, 3, 3))


_K = np.array([[True, False, True], [False, True, True]])


def _two_d_masks(x):
    m = np.array([[0.0, 1.0], [2.0, -1.0]]) * 3.0
    m[m > 0] *= 2.0                                   # a mask of the function's constants
    y = x[:, None, None] * np.ones((4, 2, 3))
    return m * x[0], y[:, _K], y[..., _K], y[1:3, _K][::-1], y[0][_K], y[np.ones((4, 2), bool)]


def test_constant_boolean_masks_of_several_dims_select_as_numpy(plan_kind):
    """A constant k-dim boolean mask indexes k dims (NumPy's np.nonzero arrays): x[mask2d],
    x[:, mask2d], x[..., mask2d]; it raised IndexError (only 1-d masks were read), which
    also refused m[m > 0] *= 2 on an array made from constants."""
    check(_two_d_masks, X[:, :4])
    with pytest.raises(IndexError, match="boolean index did not match indexed array along "
                                         "axis 2; size of axis is 3 but size of corresponding "
                                         "boolean axis is 2"):
        gvmap.vmap(lambda v: v[..., np.ones((2, 2), bool)])(np.ones((3, 4, 2, 3)))


def sieve_lookup(n, N=30):
    # a table written with constants only stays known: Python `if` may branch on it
    is_p = np.ones(N + 1, dtype=bool)
    is_p[:2] = False
    for p in range(2, int(N ** 0.5) + 1):
        if is_p[p]:
            is_p[p * p::p] = False
    weights = np.zeros(4)
    weights[[0, 2]] = 1.5
    if weights.sum() > 2:
        weights[3] = 7.0
    return is_p[n], weights * n


def test_writes_of_constants_into_a_known_array_keep_it_known(plan_kind):
    # was refused: the first constant write made the table traced ("Python `if` ...")
    check(sieve_lookup, np.array([0, 1, 2, 9, 17, 29, 30]))
