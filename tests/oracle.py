"""The loop oracle: what ``vmap`` means, computed one example at a time with plain NumPy.

``oracle(f, in_axes, out_axes, axis_size)(*args, **kwargs)`` moves each batched axis to the
front, calls ``f`` on every slice (NumPy arrays only, never gvmap), stacks every output leaf
with ``np.stack`` and moves the stacked axis to ``out_axes``. It knows nothing of gvmap, so a
wrong gvmap cannot make it agree.

``assert_tree_close(actual, expected)`` is the one comparison every test uses: same pytree
structure, and for each leaf the same dtype, the same shape and the same values (exactly for
bool/int, within a dtype-dependent tolerance for floats).
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Callable

import numpy as np

# Tolerances by result dtype: loose enough for a different summation order (BLAS, fused
# reductions, CUDA math), tight enough that a wrong axis or a lost term is caught.
TOLERANCES = {
    np.dtype(np.float16): dict(rtol=1e-2, atol=1e-2),
    np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5),
    np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12),
}


def is_node(x: Any) -> bool:
    """Pytree nodes are tuples (namedtuples too), lists, dicts (OrderedDicts too),
    dataclass instances and None (no children); everything else is a leaf."""
    return (x is None or isinstance(x, (tuple, list, dict))
            or (dataclasses.is_dataclass(x) and not isinstance(x, type)))


def _children(x: Any) -> list[tuple[Any, Any]]:
    if x is None:
        return []
    if isinstance(x, dict):
        keys = list(x) if type(x) is not dict else sorted(x)
        return [(k, x[k]) for k in keys]
    if dataclasses.is_dataclass(x):
        return [(f.name, getattr(x, f.name)) for f in dataclasses.fields(x)]
    return list(enumerate(x))


def _rebuild(node: Any, values: list[Any]) -> Any:
    if node is None:
        return None
    if isinstance(node, dict):
        return type(node)(zip([k for k, _ in _children(node)], values))
    if dataclasses.is_dataclass(node):
        return dataclasses.replace(node, **{k: v for (k, _), v in zip(_children(node), values)})
    if hasattr(type(node), "_fields"):
        return type(node)(*values)
    return type(node)(values)


def tree_leaves(tree: Any) -> list[Any]:
    if not is_node(tree):
        return [tree]
    return [leaf for _, child in _children(tree) for leaf in tree_leaves(child)]


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Map ``fn`` over the leaves of ``tree`` and of trees with the same structure."""
    if not is_node(tree):
        return fn(tree, *rest)
    rest_kids = [[child for _, child in _children(r)] for r in rest]
    return _rebuild(tree, [tree_map(fn, child, *(kids[i] for kids in rest_kids))
                           for i, (_, child) in enumerate(_children(tree))])


def broadcast_prefix(prefix: Any, tree: Any, what: str) -> Any:
    """Expand an axis spec that is a pytree prefix of ``tree`` to one axis per leaf
    (``None`` in the spec is a leaf: not batched)."""
    if prefix is None or not is_node(prefix):
        return tree_map(lambda _: prefix, tree)
    sequences = isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list))
    if type(prefix) is not type(tree) and not sequences and not (
            isinstance(prefix, dict) and isinstance(tree, dict)):
        raise ValueError(f"oracle: {what} {prefix!r} does not match {type(tree).__name__}")
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            raise ValueError(f"oracle: {what} keys {sorted(prefix)} != {sorted(tree)}")
        return _rebuild(tree, [broadcast_prefix(prefix[k], t, what) for k, t in _children(tree)])
    pairs = list(zip(_children(prefix), _children(tree)))
    if len(_children(prefix)) != len(_children(tree)):
        raise ValueError(f"oracle: {what} has {len(_children(prefix))} entries for "
                         f"{len(_children(tree))}")
    return _rebuild(tree, [broadcast_prefix(p, t, what) for (_, p), (_, t) in pairs])


def to_numpy(x: Any) -> Any:
    """A CuPy array as NumPy (the oracle runs NumPy only); anything else unchanged."""
    if type(x).__module__.split(".")[0] == "cupy":
        return x.get()
    return x


def oracle(f: Callable, in_axes: Any = 0, out_axes: Any = 0,
           axis_size: int | None = None) -> Callable:
    """The batched version of ``f``, computed by a Python loop over the examples."""

    def batched(*args: Any, **kwargs: Any) -> Any:
        args = tuple(tree_map(to_numpy, a) for a in args)
        kwargs = {k: tree_map(to_numpy, v) for k, v in kwargs.items()}
        spec = in_axes
        if isinstance(spec, list):
            spec = tuple(spec)
        axes = broadcast_prefix(spec, args, "in_axes")

        sizes = []

        def front(leaf: Any, axis: Any) -> Any:
            if axis is None:
                return leaf
            leaf = np.asarray(leaf)
            moved = np.moveaxis(leaf, axis, 0)
            sizes.append(moved.shape[0])
            return moved

        moved = tree_map(front, args, axes)
        if axis_size is not None:
            sizes.append(axis_size)
        if not sizes:
            raise ValueError("oracle: no batched argument and no axis_size")
        if len(set(sizes)) != 1:
            raise ValueError(f"oracle: batch sizes disagree: {sizes}")
        n = sizes[0]

        def example(i: int) -> tuple:
            return tree_map(lambda leaf, axis: leaf if axis is None else np.asarray(leaf[i]),
                            moved, axes)

        if n == 0:
            # No example to run: run a zero-filled one for the output shapes and dtypes,
            # and stack nothing.
            zeros = tree_map(lambda leaf, axis: leaf if axis is None
                             else np.zeros(leaf.shape[1:], leaf.dtype), moved, axes)
            with np.errstate(all="ignore"):
                outs = [f(*zeros, **kwargs)]
        else:
            outs = [f(*example(i), **kwargs) for i in range(n)]
        out_spec = broadcast_prefix(out_axes, outs[0], "out_axes")

        def stack(axis: Any, *leaves: Any) -> np.ndarray:
            if axis is None:
                return np.asarray(leaves[0])
            stacked = np.stack([np.asarray(leaf) for leaf in leaves])
            if n == 0:
                stacked = stacked[:0]
            return np.moveaxis(stacked, 0, axis)

        # walk the outputs' structure (None there is an empty subtree; in out_spec, a leaf)
        return tree_map(lambda first, axis, *rest: stack(axis, first, *rest),
                        outs[0], out_spec, *outs[1:])

    return batched


def _check_structure(actual: Any, expected: Any, path: str) -> None:
    if not is_node(expected):
        assert not is_node(actual), f"{path}: got a {type(actual).__name__}, expected a leaf"
        return
    assert type(actual) is type(expected), (
        f"{path}: got {type(actual).__name__}, expected {type(expected).__name__}")
    if isinstance(expected, dict):
        assert list(actual) == list(expected) or (
            type(expected) is dict and sorted(actual) == sorted(expected)), (
            f"{path}: keys {list(actual)} != {list(expected)}")
    elif expected is not None and not dataclasses.is_dataclass(expected):
        assert len(actual) == len(expected), f"{path}: {len(actual)} entries, expected {len(expected)}"
    for (k, a), (_, e) in zip(_children(actual), _children(expected)):
        _check_structure(a, e, f"{path}[{k!r}]")


def assert_leaf_close(actual: Any, expected: Any, where: str = "output") -> None:
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray), (
        f"{where}: got {type(actual).__name__}, expected a numpy.ndarray")
    assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype}, expected {expected.dtype}"
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape}, expected {expected.shape}"
    tol = TOLERANCES.get(expected.dtype)
    if tol is None:
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    else:
        np.testing.assert_allclose(actual, expected, equal_nan=True, err_msg=where, **tol)


def assert_tree_close(actual: Any, expected: Any, backend: str | None = None) -> None:
    """``actual`` (gvmap's result) against ``expected`` (the oracle's).

    ``backend`` names the backend that computed ``actual`` (its outputs must be that
    backend's arrays); by default the current one. A test that computes under
    ``gvmap.backend(name)`` and compares outside the block, or runs a plan on NumPy
    directly, names it: with ``GVMAP_BACKEND=cupy`` the current backend is CuPy."""
    import gvmap

    if backend is None:
        backend = gvmap.get_backend()
    array_type = np.ndarray
    if backend == "cupy":
        import cupy
        array_type = cupy.ndarray
    for leaf in tree_leaves(actual):
        assert isinstance(leaf, array_type), (
            f"output leaf is a {type(leaf).__module__}.{type(leaf).__name__}; on the "
            f"{backend} backend outputs must be {array_type.__module__}.{array_type.__name__}")
    host = gvmap.device_get(actual)
    _check_structure(host, expected, "output")
    for i, (a, e) in enumerate(zip(tree_leaves(host), tree_leaves(expected))):
        assert_leaf_close(a, e, where=f"output leaf {i}")


def check_vmap(f: Callable, *args: Any, in_axes: Any = 0, out_axes: Any = 0,
               quiet: bool = False, signs: bool = False) -> Any:
    """``gvmap.vmap(f, in_axes, out_axes)(*args)`` against the loop oracle (values, dtypes,
    shapes, structure; NaN where the loop has NaN), returned. ``quiet``: NumPy's
    floating-point RuntimeWarnings are not shown (edge values make them, in the loop too);
    ``signs``: the sign bits of float outputs must be the loop's too (-0.0 is not 0.0)."""
    import contextlib
    import warnings

    import gvmap

    with warnings.catch_warnings(), np.errstate(all="ignore") if quiet else contextlib.nullcontext():
        if quiet:
            warnings.simplefilter("ignore", RuntimeWarning)
        expected = oracle(f, in_axes, out_axes)(*args)
        got = gvmap.vmap(f, in_axes, out_axes)(*args)
    assert_tree_close(got, expected)
    if signs:
        for i, (g, e) in enumerate(zip(tree_leaves(gvmap.device_get(got)), tree_leaves(expected))):
            g, e = np.asarray(g), np.asarray(e)
            if g.dtype.kind == "f":
                np.testing.assert_array_equal(np.signbit(g), np.signbit(e),
                                              err_msg=f"sign bits of output leaf {i}")
    return got


def library_object(**attributes: Any) -> types.ModuleType:
    """An object holding ``attributes`` that gvmap does not rebind, as it does not a
    library's objects: a module made in memory (no file of the user's). Tests of what traced
    code reaches unrebound go through one."""
    holder = types.ModuleType("library_object")
    vars(holder).update(attributes)
    return holder

