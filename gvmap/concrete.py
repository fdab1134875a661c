"""Why a traced array cannot give a concrete value here, and what to write instead.

A traced array stands for every example of the batch at once, so ``bool(x)``,
``float(x)``, ``np.asarray(x)`` and the like have no answer while tracing. The message
depends on what asked: NumPy's own ``a[i] = v`` into a NumPy array, ``table[i]`` on a
table gvmap does not see, ``math.erf(x)``, a NumPy function written in Python that calls
``np.array`` on its argument, or Python control flow. These functions read the asking
frame's bytecode (without running anything) to tell those apart; ``tracing.Tracer`` calls
``refusal`` with that frame.
"""
from __future__ import annotations

import dis
import os
import types
from typing import Any, Callable

import numpy as np

from .errors import TracerConversionError

__all__ = ["refusal", "table_index_error", "numpy_caller_hint", "in_subscript", "INDEX_HINT"]


INDEX_HINT = (" If this came from indexing a NumPy array with a traced index (`table[i]` with "
              "`table` reached through an object of a library's class, or a container other "
              "than a list, tuple, dict or namedtuple, which gvmap does not rebind; NumPy's "
              "own indexing cannot see traced values), write np.take(table, i, axis=0) "
              "instead (or gvmap.numpy.take(table, i, axis=0) where np is not your module's "
              "numpy).")


# NumPy functions that convert their arguments with np.array (so never dispatch to a
# tracer), and the rewrite that works where gvmap's rebinding does not reach them
_NUMPY_CALLER_REWRITES = {
    "full": "np.broadcast_to(v, shape).copy(), or np.full_like(template, v)",
    "copyto": "dst[...] = v into an array made inside the function",
}


_NUMPY_DIR = os.path.dirname(np.__file__) + os.sep


def numpy_caller_hint(frame: Any) -> str:
    """`` (in numpy.full ...)``: the NumPy function that asked, when it is Python code."""
    code = frame.f_code if frame is not None else None
    if code is None or not code.co_filename.startswith(_NUMPY_DIR):  # (not gvmap/numpy/)
        return ""
    rewrite = _NUMPY_CALLER_REWRITES.get(code.co_name)
    return (f" (inside numpy.{code.co_name}, reached from code gvmap does not rebind: numpy "
            f"imported inside a function, a library, or a function with `global`"
            + (f"; write {rewrite}" if rewrite else "") + ")")


_GVMAP_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def library_caller_hint(frame: Any) -> str:
    """`` (inside scipy.signal._signaltools.convolve2d, library code ...)``: the library
    function the traced code called that asked (other than NumPy's, which
    ``numpy_caller_hint`` names), found as the outermost library frame below user code."""
    from .sources import _is_user_code

    entry, f = None, frame
    while f is not None and not _is_user_code(f.f_code):
        if f.f_code.co_filename.startswith(_GVMAP_DIR):
            return ""  # gvmap's own call
        entry, f = f, f.f_back
    if entry is None or f is None:
        return ""
    module = entry.f_globals.get("__name__") or "?"
    if module.split(".")[0] == "numpy":
        return ""
    return (f" (inside {module}.{entry.f_code.co_name}, library code: gvmap traces NumPy's "
            f"functions, not other libraries', and this one converts the traced array to a "
            f"NumPy array; write the computation with NumPy (gvmap.numpy lists what batches) "
            f"or compute it outside the vmapped function)")


# float(x) / int(x): Python needs a real number there, which a traced value is not
COMPLEX_HINT = (" gvmap computes real dtypes only: carry a complex number as its real and "
                "imaginary parts, two real values (cmath.phase(complex(re, im)) is math.atan2(im, "
                "re), abs(z) is math.hypot(re, im), cmath.exp(z) is math.exp(re) * "
                "(math.cos(im) + 1j * math.sin(im)) as the pair (math.exp(re) * math.cos(im), "
                "math.exp(re) * math.sin(im))).")
NUMBER_HINT = (" For a number to compute with, write np.%s(x) (or x.astype(...)), which "
               "batches (math functions take it too); unlike a Python number it promotes "
               "strongly: a float32 array times np.float64(x) is float64.")


def static_number_hint(names: list[str]) -> str:
    """For a concrete-value request on values computed only from 0-d unbatched arguments
    (``range(steps)`` with ``steps=np.int64(5)``): a Python number there is static."""
    return (f" {' and '.join(names)} {'is a 0-d array' if len(names) == 1 else 'are 0-d arrays'}, "
            f"which gvmap traces as it does every array argument; for Python `if` / `range` on "
            f"it, pass a Python number instead (int(n), float(n)): arguments that are not "
            f"arrays are static, part of the cache key (a new value traces again).")


def _control_flow_error(what: str, hint: str = "") -> TracerConversionError:
    return TracerConversionError(
        f"{what} needs a concrete value, but inside gvmap.vmap/jit this array is traced: it "
        f"stands for every example of the batch at once. Write data-dependent choices with "
        f"np.where(cond, x, y) (or np.maximum/np.minimum/np.clip), keep Python `if`/`for` "
        f"to shapes and other static values, and return arrays instead of converting them."
        + hint)


ASSERT_HINT = (" gvmap checks an `assert` of ONE traced condition, or an `and` of several "
               "(gvmap.assertions: it raises for the first failing example, as the loop "
               "does), not an `or`, which Python tests one by one: write one condition "
               "(assert (abs(n - 1) < 1e-6) | (n == 0)). Or check the "
               "batched result after the call instead (assert "
               "np.all(np.isfinite(out)) on what gvmap.vmap(f)(batch) returns), or return the "
               "condition as an output (ok = np.all(...); return result, ok) and test it there.")


def _in_item_assignment(frame: Any) -> bool:
    """Whether ``frame`` (the Python code that asked a tracer for a concrete value) is
    running ``a[key] = value``: NumPy's ndarray.__setitem__, called from C by that
    statement, converts the value (and a traced key) with ``__float__``/``__array__``..."""
    op = dis.opname[frame.f_code.co_code[frame.f_lasti]] if frame is not None else ""
    return op in ("STORE_SUBSCR", "STORE_SLICE")


_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF"})
_CALL_SETUP = frozenset({"PUSH_NULL", "CACHE", "PRECALL", "KW_NAMES"})
_MATH_REWRITES = {  # math functions whose NumPy form is not a same-named ufunc of x
    "fsum": "np.sum(x) (pairwise summation, not fsum's exactly rounded sum)",
    "prod": "np.prod(x)", "sumprod": "np.dot(p, q)", "dist": "np.linalg.norm(p - q)",
    "isclose": "np.isclose(a, b, rtol=1e-09, atol=0.0) (math.isclose's defaults)",
    "factorial": ("a table made outside the function, F = np.array([math.factorial(k) for k in "
                  "range(21)]) (20! is int64's last), then F[n]"),
    "comb": ("a table made outside the function, C = np.array([[math.comb(n, k) for k in "
             "range(N)] for n in range(N)]) (N <= 67 fits int64), then C[n, k]"),
    "perm": ("a table made outside the function, P = np.array([[math.perm(n, k) for k in "
             "range(N)] for n in range(N)]) (N <= 20 fits int64), then P[n, k]"),
    "isqrt": "np.floor(np.sqrt(n)).astype(np.int64), exact for n < 2**52",
    "ulp": "np.spacing(np.abs(x)) (for finite x below the largest float)",
    "remainder": "x - np.round(x / y) * y (np.round rounds halves to even, as remainder; "
                 "np.remainder is Python's floor modulo, another function)",
    **{name: f"np.{name}(x).astype(int) (np.{name}(x) alone keeps x's float dtype; math.{name} "
             f"gives an int)" for name in ("floor", "ceil", "trunc")},
}
_ERF_HINT = ("NumPy has no erf: write it with NumPy operations, e.g. Abramowitz-Stegun 7.1.26 "
             "(error below 1.5e-7): t = 1 / (1 + 0.3275911 * np.abs(x)); erf = np.sign(x) * "
             "(1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * "
             "(-1.453152027 + t * 1.061405429)))) * np.exp(-x * x))")


def _called_function(frame: Any) -> Any:
    """The function ``frame`` is calling at its current instruction when the callee is a
    name or a dotted name of modules (``math.erf``, ``erf`` imported from math), or a
    method of a ufunc so named (``np.maximum.reduce``), looked up without running anything,
    or ``list.sort`` for ``values.sort()``; None otherwise."""
    if frame is None:
        return None
    instructions = list(dis.get_instructions(frame.f_code))
    at = next((i for i, ins in enumerate(instructions) if ins.offset == frame.f_lasti), None)
    if at is not None and instructions[at].opname == "PRECALL":
        at += 1  # Python 3.11 specializes a warm PRECALL to make the call itself (a C method)
    if at is None or instructions[at].opname != "CALL" or instructions[at].positions is None:
        return None
    start = instructions[at].positions[::2]  # (lineno, col_offset) where the call begins
    callee = [ins for ins in instructions[:at] if ins.positions is not None
              and ins.positions[::2] == start and ins.opname not in _CALL_SETUP]
    first = max((i for i, ins in enumerate(callee) if ins.opname in _LOADS), default=None)
    if first is None or any(ins.opname not in ("LOAD_ATTR", "LOAD_METHOD")
                            for ins in callee[first + 1:]):
        return None
    name = callee[first].argval
    scopes = (frame.f_locals, frame.f_globals, frame.f_builtins)
    obj = next((scope[name] for scope in scopes if name in scope), None)
    for k, ins in enumerate(callee[first + 1:]):
        last = k == len(callee) - first - 2
        if last and isinstance(obj, list) and ins.argval == "sort":
            return list.sort  # values.sort(): in place, refused with sorted()'s rewrite
        if not (isinstance(obj, types.ModuleType) or last and isinstance(obj, np.ufunc)):
            return None  # (a ufunc's method, np.maximum.reduce, is looked up too)
        obj = getattr(obj, ins.argval, None)
    return obj


def _math_error(fn: Any) -> TracerConversionError | None:
    """The refusal of ``math.f(x)`` with x traced, naming NumPy's function for it: where
    gvmap does not compute it (``math.erf``, ``math.gamma``; code that is not rebound,
    ``gvmap.rebinding``; the ``cmath`` module)."""
    if getattr(fn, "__module__", None) not in ("math", "cmath"):
        return None
    from .pyscalars import NUMPY_NAMES

    name = fn.__name__
    if fn.__module__ == "cmath":
        return TracerConversionError(
            f"cmath.{name}() of a traced value: its result is a complex number (for a real "
            f"argument too)." + COMPLEX_HINT)
    np_name = NUMPY_NAMES.get(name, name)
    ufunc = getattr(np, np_name, None)
    rewrite = (_MATH_REWRITES[name] if name in _MATH_REWRITES else
               f"np.{np_name}({'x' if ufunc.nin == 1 else 'x1, x2'})"
               + (" (np.log(x) / np.log(base) for a base)" if name == "log" else "")
               if isinstance(ufunc, np.ufunc) else
               _ERF_HINT + (" (erfc = 1 - erf)" if name == "erfc" else "")
               if name in ("erf", "erfc") else f"NumPy has no {name}: write it with NumPy operations")
    return TracerConversionError(
        f"{fn.__module__}.{name}() of a traced array: the {fn.__module__} module computes on "
        f"one Python number, but inside gvmap.vmap/jit a traced value stands for every "
        f"example of the batch at once. Use NumPy on the array instead: {rewrite}")


def _ufunc_list_error(fn: Any) -> TracerConversionError | None:
    """The refusal of ``np.maximum.reduce([a, b, c])`` (or ``np.add([a, b], 1)``) with
    traced values in the list: NumPy converts the list to an array itself, in C, before any
    traced value can take the call, so the list must be one traced array already."""
    ufunc = fn if isinstance(fn, np.ufunc) else getattr(fn, "__self__", None)
    if not isinstance(ufunc, np.ufunc) or getattr(np, ufunc.__name__, None) is not ufunc:
        return None
    name = ufunc.__name__ if fn is ufunc else f"{ufunc.__name__}.{fn.__name__}"
    return TracerConversionError(
        f"numpy.{name}() of a list or tuple holding traced values: NumPy makes an array of "
        f"the list itself, which needs concrete values, but inside gvmap.vmap/jit a traced "
        f"value stands for every example of the batch at once. Make the list one traced "
        f"array first: np.{name}(np.stack([a, b, c]))"
        + (" (over axis 0: the elementwise result of the values)" if fn is not ufunc else ""))


def in_subscript(frame: Any) -> bool:
    """Whether ``frame`` is running ``table[key]`` (NumPy's ndarray.__getitem__, called
    from C by that expression, converts a traced key with ``__array__``)."""
    op = dis.opname[frame.f_code.co_code[frame.f_lasti]] if frame is not None else ""
    return op in ("BINARY_SUBSCR", "BINARY_SLICE")


def table_index_error() -> TracerConversionError:
    return TracerConversionError(
        "`table[i]` with a traced index i, where table is a NumPy array gvmap does not see "
        "(reached through an object of a library's class, cfg.W[i], or a container other "
        "than a list, tuple, dict or namedtuple, which gvmap does not rebind): NumPy's own "
        "indexing needs concrete indices, and a traced value stands for every example of "
        "the batch at once. Write np.take(table, i, axis=0) (np.take(cfg.W, tokens, axis=0) "
        "for cfg.W[tokens]), "
        "or gvmap.numpy.take where np is not your module's numpy")


def _assignment_error() -> TracerConversionError:
    return TracerConversionError(
        "`a[i] = v` with a traced v (or i) writes into a NumPy array, which needs concrete "
        "values now; inside gvmap.vmap/jit a traced value stands for every example of the "
        "batch at once. Build the array from traced values instead: np.stack([...]) or "
        "np.concatenate([...]) of the pieces, or np.where to place values, e.g. for "
        "w = np.zeros(3); w[1] = v[0] write w = np.where(np.arange(3) == 1, v[0], np.zeros(3)) "
        "(and np.arange(3) == i for a traced index i)")


# Python builtins that compare or test their arguments (so ask a traced value for a
# bool), and NumPy's batched way to write each
HASH_HINT = (" Keep a fixed shape: s = np.sort(x); (s[1:] != s[:-1]).sum() + 1 counts the "
             "distinct values, and counts = np.zeros(m, np.intp); np.add.at(counts, x, 1) "
             "counts each of m known values (or (x[:, None] == values).sum(axis=0)).")
_DISTINCT = ("s = np.sort(x); (s[1:] != s[:-1]).sum() + 1 for the number of distinct values; "
             "counts = np.zeros(m, np.intp); np.add.at(counts, x, 1) to count each of m known "
             "values")
_BUILTIN_REWRITES = {
    set: _DISTINCT, frozenset: _DISTINCT,
    max: "np.maximum(a, b) for two values, np.max(np.stack([a, b, c])) for several, "
         "x.max() for the elements of an array",
    min: "np.minimum(a, b) for two values, np.min(np.stack([a, b, c])) for several, "
         "x.min() for the elements of an array",
    sorted: "np.sort(x) (np.sort(np.stack([a, b, c])) for separate values)",
    list.sort: "values = sorted(values), which batches (list.sort() sorts the list in place "
               "with concrete comparisons)",
    any: "np.any(x) (x.any())",
    all: "np.all(x) (x.all())",
}


def ambiguous_truth_error(fn: Callable) -> ValueError:
    """NumPy's error for ``max(a, b)`` / ``any(rows)`` whose items are arrays of several
    elements (the loop raises it too), with the rewrite that means what was meant."""
    return ValueError(
        f"{fn.__name__}() compares or tests items that are arrays of more than one element, "
        f"and the truth value of an array with more than one element is ambiguous (NumPy "
        f"raises this in the loop too). Use NumPy's elementwise form: {_BUILTIN_REWRITES[fn]}")


def _builtin_error(fn: Any) -> TracerConversionError | None:
    """The refusal of ``max(a, b)`` / ``sorted(x)``... on traced values, naming NumPy's."""
    try:
        rewrite = _BUILTIN_REWRITES.get(fn)
    except TypeError:  # an unhashable callee
        return None
    if rewrite is None:
        return None
    return TracerConversionError(
        f"Python's {fn.__qualname__}() of traced values compares or tests them one by one, which "
        f"needs concrete values; inside gvmap.vmap/jit a traced value stands for every "
        f"example of the batch at once. Use the batched form instead: {rewrite}")


def refusal(caller: Any, what: str, hint: str = "", source: str = "") -> TracerConversionError:
    """The error for ``what`` (a request for a concrete value) made by the frame
    ``caller``: the assignment, ``math``, builtin or control-flow message, whichever
    applies; ``source`` (" (computed from argument 0 ('x'))") follows the request named."""
    if _in_item_assignment(caller):
        return _assignment_error()
    from .assertions import in_assert
    if in_assert(caller):
        return _control_flow_error("Python `assert` on a traced array" + source, ASSERT_HINT)
    called = _called_function(caller)
    error = _math_error(called) or _builtin_error(called) or _ufunc_list_error(called)
    if error is not None:
        return error
    return _control_flow_error(what + source, hint)
