"""How each primitive runs on an array module (``numpy`` or ``cupy``).

``impl_rules[prim](xp, in_avals, **params)`` returns a callable over arrays. Rules are
written once against the array-module interface both backends share, so the CuPy executor
runs exactly the code the NumPy tests check; preparing a callable per equation (rather than
interpreting params at every call) keeps the cached-call path thin.

Each elementwise primitive names its NumPy/CuPy ufunc (``Primitive.ufunc``) and each
reduction its monoid's functions, so their rules are derived here, not listed. Same name
is not always same meaning: ``CUPY_AUDIT`` says, per primitive, whether CuPy's function
computes what NumPy's does, and what gvmap does where it does not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import primitives as P
from .errors import EXAMPLE_ERRORS, LoopRaise
from .graph import AbstractArray

__all__ = ["impl_rules", "make_impl", "CupyVerdict", "CUPY_AUDIT",
           "runs_as_kernel", "check_indices_p", "GATHER_NAME", "index_bounds", "index_error",
           "out_of_bounds_mask", "raise_if_out_of_bounds"]

impl_rules: dict[P.Primitive, Callable[..., Callable]] = {}

@dataclass(frozen=True)
class CupyVerdict:
    """How CuPy's function for a primitive compares with NumPy's, from CuPy's source.

    ``kind``: ``"same"`` (NumPy's result; floats up to rounding), ``"kernel"`` (differs: the
    primitive runs as gvmap's generated kernel, whose C in ``codegen/cuda.py`` is checked
    against NumPy, even when it is alone in its region), ``"rule"`` (differs: the rule here
    composes NumPy's result from CuPy calls), ``"checked"`` (differs where NumPy raises: the
    plan checks the operands and raises as NumPy does) or ``"differs"`` (a known difference
    gvmap keeps; ``reason`` says why).
    """

    kind: str
    reason: str


def _same(reason: str) -> CupyVerdict:
    return CupyVerdict("same", reason)


_LIBM = _same("CUDA's libm (the f-suffixed function for float32): equal up to rounding")
_STRUCTURAL = _same("moves or copies elements, no arithmetic")

# One entry per primitive, read from CuPy's source (cupy/_core/_routines_math.pyx,
# _routines_binary.pyx, _routines_logic.pyx, _routines_statistics.pyx, cupy/_math/*.py,
# cupy/_logic/content.py, cupy/_core/include/cupy/carray.cuh): test_backend_semantics.py
# fails for a primitive without one, so a new primitive gets audited.
CUPY_AUDIT: dict[P.Primitive, CupyVerdict] = {
    P.neg_p: _same("-x: integers wrap at the minimum (two's complement), as NumPy's"),
    P.abs_p: _same("x > 0 ? x : -x, fabs for floats: abs(MIN) wraps to MIN, -0.0 gives +0.0"),
    P.sign_p: _same("copysign(1, x), or x - x for zeros and NaN: NaN stays, -0.0 gives +0.0"),
    P.floor_p: _same("floor; the identity on integers and bool"),
    P.ceil_p: _same("ceil; the identity on integers and bool"),
    P.rint_p: _same("CUDA's rint rounds half to even, as np.rint"),
    **{p: _LIBM for p in (P.exp_p, P.log_p, P.log2_p, P.log10_p, P.log1p_p, P.expm1_p,
                          P.sqrt_p, P.cbrt_p, P.tanh_p, P.sin_p, P.cos_p, P.tan_p, P.asin_p,
                          P.acos_p, P.atan_p, P.sinh_p, P.cosh_p, P.asinh_p, P.acosh_p,
                          P.atanh_p, P.atan2_p)},
    P.exp2_p: _same("pow(2, x): equal up to rounding"),
    P.not_p: _same("~x on integers, !x on bool"),
    **{p: _same("float loops only: integers and bool are cast to float64 first, which never "
                "gives NaN or inf") for p in (P.isnan_p, P.isinf_p, P.isfinite_p)},
    P.add_p: _same("x + y, | on bool; integers wrap"),
    P.sub_p: _same("x - y; integers wrap; bool refused, as by NumPy"),
    P.mul_p: _same("x * y, & on bool; integers wrap"),
    P.div_p: _same("x / y in the float dtype"),
    P.divmod_p: CupyVerdict("kernel", "cupy.divmod computes floor_divide and remainder with "
                            "CuPy's formulas (see floor_div and rem)"),
    P.floor_div_p: CupyVerdict("kernel", "floats: floor(a / b), so 1.0 // 0.1 is 10.0 (NumPy's "
                               "divmod gives 9.0); integers agree except MIN // -1, undefined in C"),
    P.rem_p: CupyVerdict("kernel", "floats: a - floor(a / b) * b, so 1.0 % 0.1 is 0.0 (NumPy "
                         "0.09999999999999995), 1.0 % inf is NaN (NumPy 1.0), zeros lose the "
                         "divisor's sign"),
    P.pow_p: CupyVerdict("differs", "powf/pow, integers by wrapping repeated squaring, as gvmap's "
                         "kernels; a negative integer exponent gives the truncated real result "
                         "(1, -1 or 0) where NumPy raises ValueError"),
    P.max_p: CupyVerdict("kernel", "floats: a NaN test, then CUDA's max, which picks +0.0 over "
                         "-0.0 whatever the order (np.maximum: ties give the second operand)"),
    P.min_p: CupyVerdict("kernel", "floats: a NaN test, then CUDA's min, which picks -0.0 over "
                         "+0.0 whatever the order (np.minimum: ties give the second operand)"),
    **{p: _same("&, |, ^ on integers and bool") for p in (P.and_p, P.or_p, P.xor_p)},
    P.hypot_p: _same("CUDA's hypot / hypotf (cupy/_math/trigonometric.py), scaled so no square "
                     "overflows; hypot(inf, NaN) is inf, as C99 and NumPy: equal up to rounding"),
    P.fmod_p: CupyVerdict("kernel", "integers: in1 == 0 ? 0 : fmod((double)in0, (double)in1) "
                          "(cupy/_math/arithmetic.py), so int64 / uint64 values beyond 2**53 "
                          "lose digits before the division; floats are C's fmod, as NumPy's"),
    P.copysign_p: _same("CUDA's copysign / copysignf (cupy/_math/floating.py): bit for bit"),
    P.nextafter_p: _same("CUDA's nextafter / nextafterf (cupy/_math/floating.py): exact, float32 "
                         "subnormal results flushed to zero, as every CuPy kernel (-ftz=true)"),
    P.heaviside_p: _same("isnan(x) ? x : x == 0 ? h0 : (x > 0) (cupy/_math/misc.py): NumPy's "
                         "result, NaN payloads aside"),
    **{p: CupyVerdict("kernel", "out0 = in0 << in1 / in0 >> in1 (cupy/_core/_routines_binary.pyx): "
                      "undefined in C for a count >= the width or a negative count, where NumPy "
                      "gives 0 (-1 for a right shift of a negative value)")
       for p in (P.shift_left_p, P.shift_right_p)},
    **{p: _same("the C comparison: IEEE, NaN compares unequal")
       for p in (P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p)},
    P.select_p: _same("cupy.where"),
    P.convert_element_type_p: CupyVerdict(
        "differs", "the C conversion, as gvmap's kernels: float to integer of NaN, inf or an "
        "out-of-range value is undefined in C (the GPU saturates) and platform-specific in "
        "NumPy, which warns"),
    **{p: _same("a tree of a + b (a * b) from the identity: floats differ by rounding only "
                "(NumPy sums pairwise), integers wrap in the dtype")
       for p in (P.reduce_sum_p, P.reduce_prod_p)},
    **{p: _same("NaN wins (CuPy's my_max_float, CUB's Max); the zero a reduction over mixed "
                "+0.0 and -0.0 gives depends on the combining order, in NumPy's SIMD loops too")
       for p in (P.reduce_max_p, P.reduce_min_p)},
    **{p: _same("all / any of bool") for p in (P.reduce_and_p, P.reduce_or_p)},
    **{p: CupyVerdict("rule", "floats with two or more NaNs on the axis: CuPy's combine keeps the "
                      "NaN its reduction tree meets first, not the first NaN; the rule takes "
                      "that index from argmax(isnan(x)) (four more launches for floats)")
       for p in (P.argmax_p, P.argmin_p)},
    **{p: _same("a parallel scan over the axis: floats differ by rounding only")
       for p in (P.cumsum_p, P.cumprod_p)},
    P.dot_general_p: _same("cuBLAS for floats (rounding only); CuPy's integer GEMM wraps in the "
                           "dtype"),
    **{p: _STRUCTURAL for p in (P.broadcast_in_dim_p, P.reshape_p, P.transpose_p, P.squeeze_p,
                                P.expand_dims_p, P.slice_p, P.rev_p, P.concatenate_p)},
    **{p: CupyVerdict("checked", "CuPy wraps an out-of-range index silently where NumPy raises "
                      "IndexError: the plan checks traced indices (check_indices, lowering.py)")
       for p in (P.take_p, P.batched_take_p)},
}


def runs_as_kernel(prim: P.Primitive) -> bool:
    """Whether ``prim`` runs as gvmap's generated kernel on CuPy even where it would be a
    region of one equation: its CuPy function computes something else than NumPy's."""
    verdict = CUPY_AUDIT.get(prim)
    return verdict is not None and verdict.kind == "kernel"

def make_impl(prim: P.Primitive, xp: Any, in_avals: Sequence[AbstractArray], params) -> Callable:
    rule = impl_rules.get(prim)
    if rule is None:
        raise NotImplementedError(f"primitive '{prim}' has no implementation rule")
    return rule(xp, in_avals, **params)


def _ufunc_rule(name: str):
    return lambda xp, avals: getattr(xp, name)


for _prim in P.ELEMENTWISE:
    if _prim.ufunc is not None:
        impl_rules[_prim] = _ufunc_rule(_prim.ufunc)

impl_rules[P.select_p] = lambda xp, avals: xp.where
impl_rules[P.convert_element_type_p] = (
    lambda xp, avals, new_dtype: lambda x: xp.asarray(x).astype(new_dtype))


# ---------------------------------------------------------------- reductions

def _reduction(monoid: P.Monoid):
    """On NumPy, ``ufunc.reduce`` directly: ``np.sum``'s Python wrapper costs microseconds,
    which is most of a small batch's time."""
    def rule(xp, avals, axes):
        fn = getattr(xp, monoid.ufunc).reduce if xp is np else getattr(xp, monoid.function)
        dtype = avals[0].dtype
        if monoid.keeps_dtype:  # NumPy would widen small ints; the front end chose the dtype
            return lambda x: fn(x, axis=axes, dtype=dtype)
        return lambda x: fn(x, axis=axes)
    return rule


for _prim in P.MONOID_REDUCTIONS:
    impl_rules[_prim] = _reduction(_prim.monoid)


def _arg_rule(fn_name: str):
    def rule(xp, avals, axis, index_dtype):
        fn = getattr(xp, fn_name)
        if xp is np or avals[0].dtype.kind != "f":
            return lambda x: fn(x, axis=axis).astype(index_dtype, copy=False)
        return first_nan_wins(xp, fn, axis, index_dtype)
    return rule


def first_nan_wins(xp: Any, fn: Callable, axis: int, index_dtype: Any) -> Callable:
    """argmax / argmin as NumPy's: the first NaN on the axis wins, else ``fn`` (ties go to
    the first extremum on CuPy too). CuPy's float combine returns whichever NaN its
    reduction tree meets first, so with two NaNs it may name the later one; argmax of the
    bool ``isnan(x)`` has no NaN and resolves ties to the lowest index, so it names the
    first NaN. Costs four launches (isnan, any, argmax, where) besides ``fn``'s."""
    def run(x):
        nan = xp.isnan(x)
        found = xp.where(nan.any(axis=axis), xp.argmax(nan, axis=axis), fn(x, axis=axis))
        return found.astype(index_dtype, copy=False)
    return run


impl_rules[P.argmax_p] = _arg_rule("argmax")
impl_rules[P.argmin_p] = _arg_rule("argmin")
impl_rules[P.cumsum_p] = lambda xp, avals, axis: (
    lambda x, dtype=avals[0].dtype: xp.cumsum(x, axis=axis, dtype=dtype))
impl_rules[P.cumprod_p] = lambda xp, avals, axis: (
    lambda x, dtype=avals[0].dtype: xp.cumprod(x, axis=axis, dtype=dtype))


# ---------------------------------------------------------------- contractions

def _dot_general_rule(xp, avals, dimension_numbers):
    """Every contraction as ONE (batched) matmul: cuBLAS on CuPy, BLAS on NumPy.

    Operands are permuted to (batch, free, contract) and (batch, contract, free) and
    flattened to 3-D (2-D without batch dims). The permutations are views; BLAS accepts
    transposed operands, so the seed's ``W @ v_batch.T`` copies nothing.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = avals
    lf = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rf = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    lperm, rperm = (*lb, *lf, *lc), (*rb, *rc, *rf)
    size = lambda aval, dims: math.prod(aval.shape[d] for d in dims)
    B, M, K, N = size(lhs, lb), size(lhs, lf), size(lhs, lc), size(rhs, rf)
    lshape, rshape = ((B, M, K), (B, K, N)) if lb else ((M, K), (K, N))
    out_shape = (*(lhs.shape[d] for d in lb), *(lhs.shape[d] for d in lf), *(rhs.shape[d] for d in rf))
    permute_l = lperm != tuple(range(lhs.ndim))
    permute_r = rperm != tuple(range(rhs.ndim))
    reshape_l = tuple(lhs.shape[d] for d in lperm) != lshape
    reshape_r = tuple(rhs.shape[d] for d in rperm) != rshape
    reshape_out = out_shape != (lshape[:-1] + rshape[-1:])
    matmul = xp.matmul

    def run(a, b):
        if permute_l:
            a = a.transpose(lperm)
        if reshape_l:
            a = a.reshape(lshape)
        if permute_r:
            b = b.transpose(rperm)
        if reshape_r:
            b = b.reshape(rshape)
        out = matmul(a, b)
        return out.reshape(out_shape) if reshape_out else out

    return run


impl_rules[P.dot_general_p] = _dot_general_rule


# ---------------------------------------------------------------- structural

def _broadcast_in_dim_rule(xp, avals, shape, broadcast_dimensions):
    x = avals[0]
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    expanded = tuple(expanded)
    return lambda a: xp.broadcast_to(xp.asarray(a).reshape(expanded), shape)


def _reshape_like(out_shape_of: Callable):
    def rule(xp, avals, **params):
        shape = out_shape_of(avals[0], **params)
        return lambda a: xp.reshape(a, shape)
    return rule


impl_rules[P.broadcast_in_dim_p] = _broadcast_in_dim_rule
impl_rules[P.reshape_p] = lambda xp, avals, new_sizes: lambda a: xp.reshape(a, new_sizes)
impl_rules[P.squeeze_p] = _reshape_like(lambda x, dimensions: P._squeeze_rule(x, dimensions=dimensions)[0].shape)
impl_rules[P.expand_dims_p] = _reshape_like(lambda x, dimensions: P._expand_dims_rule(x, dimensions=dimensions)[0].shape)
impl_rules[P.transpose_p] = lambda xp, avals, permutation: lambda a: xp.transpose(a, permutation)
impl_rules[P.rev_p] = lambda xp, avals, dimensions: lambda a: xp.flip(a, axis=dimensions)
impl_rules[P.concatenate_p] = lambda xp, avals, dimension: lambda *xs: xp.concatenate(xs, axis=dimension)


def _slice_rule(xp, avals, start_indices, limit_indices, strides):
    index = tuple(slice(s, e, st) for s, e, st in zip(start_indices, limit_indices, strides))
    return lambda a: a[index]


# ---------------------------------------------------------------- gathers and their indices
#
# The one rule for the indices of ``take`` / ``batched_take`` on every backend and plan kind
# (NumPy's): an index i of an axis of size n is valid when -n <= i < n, negative ones
# counting from the end; any other raises IndexError (``index_error``). Indices known when
# the plan is built are checked then (lowering.py). On NumPy the gathers below check traced
# ones themselves (NumPy's gathers do, at no cost). CuPy's wrap them silently, so the CuPy
# plan (and its numpy-fused emulation) ends with a ``check_indices`` step; a row kernel
# writes an error buffer its launcher reads (codegen/rowkernel.py).

# How an index error names a gather, batched or not: what the user wrote
GATHER_NAME = "integer-array indexing (x[i] or np.take)"


def index_bounds(dtype: Any, size: int) -> tuple[int | None, int | None]:
    """The comparisons an index of ``dtype`` needs against an axis of ``size``: (lower,
    upper) for ``i < lower`` or ``i >= upper`` being out of range, each None where no
    value of the dtype can fail it (an unsigned index is never below -size; an int8 never
    reaches 1000)."""
    info = np.iinfo(np.dtype(dtype))
    return (-size if info.min < -size else None), (size if info.max >= size else None)


def index_error(size: int, lo: int, hi: int) -> IndexError:
    """What every backend raises for out-of-range gather indices."""
    seen = (f"index {lo} is out of bounds" if lo == hi else
            f"indices are out of bounds (the lowest {lo}, the highest {hi})")
    valid = f"-{size} to {size - 1}" if size else "none, the axis is empty"
    rewrite = (f"; clip or wrap them first: np.clip(i, -{size}, {size - 1}) or i % {size}"
               if size else "")
    return IndexError(f"{GATHER_NAME}: {seen} for an axis of size {size} (valid indices: {valid})"
                      f"{rewrite}")


def out_of_bounds_mask(xp: Any, idx: Any, size: int) -> Any:
    """Where ``idx`` breaks the index rule (all False where its dtype cannot)."""
    lower, upper = index_bounds(idx.dtype, size)
    bad = xp.zeros(idx.shape, bool)
    if lower is not None:
        bad = bad | (idx < lower)
    if upper is not None:
        bad = bad | (idx >= upper)
    return bad


def raise_if_out_of_bounds(xp: Any, size: int, idx: Any) -> None:
    """The error path: find the offending indices (on the device, then their extremes)."""
    bad = idx[out_of_bounds_mask(xp, idx, size)]
    if bad.size:
        raise index_error(size, int(bad.min()), int(bad.max()))


def _gather(xp: Any, out: AbstractArray, size: int, gather: Callable) -> Callable:
    """``gather`` under the index rule. NumPy's gathers raise for an out-of-range index,
    which becomes gvmap's IndexError. CuPy's wrap it (its take reads index i % size), and
    the plan's ``check_indices`` step raises after the launches; from an empty axis nothing
    can be read, so there the result is zeros, never a launch."""
    if xp is not np:
        return gather if size else (lambda a, idx: xp.zeros(out.shape, out.dtype))

    def run(a, idx):
        try:
            return gather(a, idx)
        except IndexError:
            raise_if_out_of_bounds(np, size, np.asarray(idx))
            raise
    return run


def _take_rule(xp, avals, axis):
    x, idx = avals
    out = P.abstract_eval(P.take_p, avals, {"axis": axis})[0]
    return _gather(xp, out, x.shape[axis], lambda a, i: xp.take(a, i, axis=axis))


def _batched_take_rule(xp, avals, axis):
    """out[b, pre..., I..., post...] = x[b, pre..., idx[b, I...], post...], by one fancy index."""
    x, idx = avals
    n, nidx, npre, size = x.shape[0], idx.ndim - 1, axis, x.shape[axis + 1]
    batch_index_shape = (n,) + (1,) * nidx
    # After indexing x moved to (b, axis, pre..., post...), the result is (b, I..., pre..., post...).
    out_perm = (0, *range(1 + nidx, 1 + nidx + npre), *range(1, 1 + nidx),
                *range(1 + nidx + npre, x.ndim - 1 + nidx))

    def run(a, i):
        moved = xp.moveaxis(a, axis + 1, 1)
        batch = xp.arange(n).reshape(batch_index_shape)
        return xp.transpose(moved[batch, i], out_perm)

    out = P.abstract_eval(P.batched_take_p, avals, {"axis": axis})[0]
    return _gather(xp, out, size, run)


impl_rules[P.slice_p] = _slice_rule
impl_rules[P.take_p] = _take_rule
impl_rules[P.batched_take_p] = _batched_take_rule


# A plan-only primitive (lowering.py puts it last in fused plans; nothing traces to it):
# reads the out-of-range flag of every traced gather index and the indices themselves, and
# raises the first violation. Its output is the flag, which nothing reads.
check_indices_p = P.Primitive("check_indices", raises=True)


def _check_indices_abstract_eval(flag: AbstractArray, *indices: AbstractArray, sizes):
    if flag.shape != () or flag.dtype != np.bool_ or len(indices) != len(sizes):
        raise TypeError(f"check_indices takes a bool flag and one index array per axis size, "
                        f"got {flag} and {len(indices)} arrays for {len(sizes)} sizes")
    return [flag]


P.abstract_eval_rules[check_indices_p] = _check_indices_abstract_eval


def _check_indices_rule(xp, avals, sizes):
    """On CuPy, ``bool(flag)`` is the plan's one device-to-host copy for its index checks:
    it waits for the launches queued before it, which is why this step comes last."""
    def run(flag, *indices):
        if bool(flag):
            for size, idx in zip(sizes, indices):
                raise_if_out_of_bounds(xp, size, idx)
        return flag
    return run


impl_rules[check_indices_p] = _check_indices_rule


# --- running extrema (issue 12) ---

def doubling_scan(xp: Any, fn: Callable, axis: int) -> Callable:
    """A running ``fn`` (np.maximum / np.minimum) along ``axis`` from elementwise calls:
    step k combines each element with the one k before it, k = 1, 2, 4, ... (Hillis and
    Steele), ceil(log2 n) calls of O(n) each. The earlier element is always the first
    operand, as in NumPy's sequential ``acc = fn(acc, x)``; max and min are associative,
    NaN-propagating included, so the result is NumPy's."""
    def run(x):
        n = x.shape[axis]
        k = 1
        while k < n:
            head = x[(slice(None),) * axis + (slice(0, k),)]
            earlier = x[(slice(None),) * axis + (slice(0, n - k),)]
            later = x[(slice(None),) * axis + (slice(k, n),)]
            x = xp.concatenate([head, fn(earlier, later)], axis=axis)
            k *= 2
        return x
    return run


def binary_kernel(xp: Any, prim: P.Primitive, dtype: np.dtype) -> Callable:
    """``prim`` of two ``dtype`` arrays as a CuPy ElementwiseKernel of gvmap's C (the fused
    kernels' expression, ``codegen/cuda.py``): NumPy's meaning where CuPy's own ufunc has
    another (``runs_as_kernel``)."""
    from .codegen.cuda import PREAMBLE, c_expression
    expression = c_expression(prim, [dtype, dtype], dtype, ["a", "b"])
    t = dtype.name
    return xp.ElementwiseKernel(f"{t} a, {t} b", f"{t} out", f"out = {expression};",
                                f"gvmap_{prim.kernel_name}_{dtype.name}", preamble=PREAMBLE)


def _running_extremum_rule(ufunc: str, step: P.Primitive):
    def rule(xp, avals, axis):
        if xp is np:
            return lambda x: getattr(np, ufunc).accumulate(x, axis=axis)
        dtype = avals[0].dtype
        # cupy.maximum picks +0.0 over -0.0 whatever the order (see max): floats take max's
        # kernel, whose tie gives the later element, as NumPy's acc = maximum(acc, x)
        fn = binary_kernel(xp, step, dtype) if dtype in (np.float32, np.float64) else \
            getattr(xp, ufunc)
        return doubling_scan(xp, fn, axis)
    return rule


impl_rules[P.cummax_p] = _running_extremum_rule("maximum", P.max_p)
impl_rules[P.cummin_p] = _running_extremum_rule("minimum", P.min_p)
CUPY_AUDIT.update({
    p: CupyVerdict("rule", "CuPy's ufunc.accumulate supports add and multiply only "
                   "(cupy/_core/_kernel.pyx raises NotImplementedError for the others): the "
                   "rule is a doubling scan of ceil(log2 n) elementwise calls (doubling_scan): "
                   "for float32/64 gvmap's max / min kernel (cupy.maximum / minimum pick +0.0 "
                   "/ -0.0 whatever the order, see max and min), else cupy.maximum / minimum; "
                   "NaN propagates and ties of +0.0 and -0.0 go as in NumPy (float16 follows "
                   "CUDA's max / min: it has no C type in gvmap's kernels)")
    for p in (P.cummax_p, P.cummin_p)})


# ---------------------------------------------------------------- sorting and searching

def _lanes_2d(xp: Any, fn: Callable) -> Callable:
    """CuPy sorts a 1-D array with thrust::less (a radix sort for floats: a NaN with its
    sign bit set, as x86's 0.0 / 0.0 gives, sorts first) and arrays of two or more dims with
    a NaN-last comparison (cupy/cuda/cupy_thrust.cu, real_less): a 1-D operand is sorted as
    one row of a 2-D one. Nothing to sort in an empty array (no launch)."""
    if xp is np:
        return fn

    def run(x, axis):
        if x.size == 0:
            return None
        if x.ndim == 1:
            return fn(x.reshape(1, -1), 1).reshape(x.shape)
        return fn(x, axis)
    return run


def _sort_impl(xp, avals, axis, stable):
    # NumPy's stable sort of floats is a timsort, several times slower than its default
    # (SIMD) quicksort; equal integers or bools cannot be told apart, so only floats pay.
    kind = "stable" if stable and avals[0].dtype.kind == "f" else None
    sort = _lanes_2d(xp, (lambda x, ax: np.sort(x, axis=ax, kind=kind)) if xp is np
                     else (lambda x, ax: xp.sort(x, axis=ax)))

    def run(x):
        out = sort(x, axis)
        return xp.array(x, copy=True) if out is None else out
    return run


def _argsort_impl(xp, avals, axis, index_dtype):
    argsort = _lanes_2d(xp, (lambda x, ax: np.argsort(x, axis=ax, kind="stable")) if xp is np
                        else (lambda x, ax: xp.argsort(x, axis=ax)))
    shape = avals[0].shape

    def run(x):
        out = argsort(x, axis)
        if out is None:
            return xp.zeros(shape, index_dtype)
        return out.astype(index_dtype, copy=False)
    return run


impl_rules[P.sort_p] = _sort_impl
impl_rules[P.argsort_p] = _argsort_impl
CUPY_AUDIT[P.sort_p] = CupyVerdict(
    "rule", "cupy.sort (cupy/_sorting/sort.py, cupy/cuda/cupy_thrust.cu) is thrust's "
    "stable_sort along the last axis (other axes are moved there), with NaNs last through "
    "real_less for arrays of two or more dims; 1-D float arrays go to a radix sort that puts a "
    "negative-signed NaN first, so the rule sorts a 1-D operand as one row; kind= other than "
    "None is refused by CuPy, and it is always stable (NumPy's kind='stable' order)")
CUPY_AUDIT[P.argsort_p] = CupyVerdict(
    "rule", "cupy.argsort: thrust's stable_sort_by_key of the indices, NaNs last through "
    "real_less for arrays of two or more dims (1-D floats: a radix sort, negative NaNs first, "
    "so the rule sorts a 1-D operand as one row), the indices int64; stable as NumPy's "
    "kind='stable', which the NumPy rule asks for too")


# --- scatter (index updates) ---

def _scatter_numpy(mode: str) -> Callable:
    """On a copy of x: ``np.<ufunc>.at`` (unbuffered: repeats accumulate, in index order);
    for ``set``, fancy assignment of the LAST write to each row only. NumPy documents no
    order for ``out[idx] = v`` with repeated indices ("it is not possible to predict the
    final result"), so the winners are chosen explicitly: ``np.maximum.at`` of the writers'
    positions, then one assignment to distinct rows."""
    if mode != "set":
        at = getattr(np, P.SCATTER_COMBINE[mode].ufunc).at

        def accumulate(x, idx, upd):
            out = np.array(x, copy=True)
            at(out, idx, upd)
            return out
        return accumulate

    def assign(x, idx, upd):
        out = np.array(x, copy=True)
        k = len(idx)
        if k:
            positions = np.arange(k)
            last = np.full(out.shape[0], -1, np.intp)
            np.maximum.at(last, idx, positions)
            won = last[idx] == positions
            out[idx[won]] = upd[won]
        return out
    return assign


def _scatter_cupy(xp: Any, avals: Sequence[AbstractArray], mode: str) -> Callable:
    """A stable sort of the indices, then gvmap's kernel folding each run of equal indices
    in order (``codegen/scatter.py``): NumPy's result for every mode and dtype, no atomics.
    float16 is held in float32 and each step rounded to float16, as NumPy rounds."""
    from .codegen.scatter import (SCATTER_PREAMBLE, scatter_in_params, scatter_kernel_name,
                                  scatter_operation, scatter_out_params, scatter_work_dtype)

    x_aval = avals[0]
    dtype = x_aval.dtype
    work = scatter_work_dtype(dtype)
    n, rows = x_aval.shape[0], math.prod(x_aval.shape[1:])
    kernel = xp.ElementwiseKernel(scatter_in_params, scatter_out_params,
                                  scatter_operation(mode, dtype), scatter_kernel_name(mode, dtype),
                                  preamble=SCATTER_PREAMBLE)

    def run(x, idx, upd):
        out = xp.array(x, dtype=work, order="C", copy=True)
        k = idx.shape[0]
        if k and out.size:
            idx = idx.astype(xp.int64, copy=False)
            perm = xp.argsort(idx)  # thrust's stable sort: equal indices keep their order
            sorted_idx = xp.take(idx, perm)
            upd = xp.ascontiguousarray(upd, dtype=work)
            kernel(upd, sorted_idx, perm, np.int64(k), np.int64(rows), np.int64(n), out,
                   size=k * rows)
        return out if work == dtype else out.astype(dtype)
    return run


def _scatter_rule(xp, avals, mode):
    return _scatter_numpy(mode) if xp is np else _scatter_cupy(xp, avals, mode)


impl_rules[P.scatter_p] = _scatter_rule
CUPY_AUDIT[P.scatter_p] = CupyVerdict(
    "rule", "read cupyx/_scatter.py and cupy/_core/include/cupy/atomics.cuh: x[idx] = v with "
    "repeated indices is a race (any write may win; NumPy's order gives the last); "
    "cupyx.scatter_add adds with atomicAdd in arrival order (floats differ by rounding from "
    "run to run) and supports float16/32/64, int32/64 and uint32/64 only (no int8/16, uint8/16, "
    "bool); cupyx.scatter_max / scatter_min on floats are CAS loops over fmaxf / fminf, which "
    "DROP NaN (np.maximum.at propagates it) and, for float64, compute in float (fmaxf of two "
    "doubles rounds them to float32); there is no scatter_mul. So the rule is gvmap's own "
    "kernel (codegen/scatter.py): cupy.argsort of the indices (stable) and one thread per run "
    "of equal indices folding it in order, NumPy's sequential result for every mode and dtype; "
    "float16 is held in float32 and every sum or product rounded to float16, as NumPy's loop rounds")

# ---------------------------------------------------------------- linear algebra

from .linalg_impl import LINALG_IMPLS as _LINALG_IMPLS  # noqa: E402  (needs P's primitives only)

impl_rules.update(_LINALG_IMPLS)
_LINALG_CHECKED = ("CuPy does not check by default (cupyx.errstate(linalg='ignore'): a failing "
                   "matrix gives inf/nan silently); the rule runs it under linalg='raise', which "
                   "reads the info array (one device-to-host copy per call), and names the first "
                   "failing example (gvmap/linalg_impl.py)")
CUPY_AUDIT.update({
    P.linalg_solve_p: CupyVerdict("checked", "cupy.linalg.solve takes stacks (cupy/linalg/_solve.py: "
                                  "cuBLAS getrfBatched + getrsBatched for n <= 256, a loop of gesv "
                                  "per matrix beyond); " + _LINALG_CHECKED),
    P.linalg_inv_p: CupyVerdict("checked", "cupy.linalg.inv takes stacks (getrfBatched + "
                                "getriBatched, cupy/linalg/_solve.py); " + _LINALG_CHECKED),
    P.linalg_cholesky_p: CupyVerdict("checked", "cupy.linalg.cholesky takes stacks (cuSOLVER "
                                     "potrfBatched, cupy/linalg/_decomposition.py), lower factor "
                                     "as NumPy's; " + _LINALG_CHECKED),
    **{p: _same("getrfBatched on the stack (cupy/linalg/_norms.py); a singular matrix gives "
                "det 0 / (sign 0, logdet -inf) as NumPy's, no error on either")
       for p in (P.linalg_det_p, P.linalg_slogdet_p)},
    **{p: _same("cuSOLVER syevjBatched on the stack (cupy/linalg/_eigenvalue.py, cupyx.cusolver."
                "syevj; eigenvalues ascending as NumPy's, Jacobi: equal up to rounding); NumPy "
                "raises nothing for NaN input and neither does gvmap; eigenvector signs: gvmap's "
                "one rule on every backend (normalize_signs, gvmap/linalg_impl.py)")
       for p in (P.linalg_eigh_p, P.linalg_eigvalsh_p)},
    P.linalg_qr_p: _same("geqrf + orgqr batched (cupy/linalg/_decomposition.py _qr_batched), "
                         "mode='reduced'; signs: gvmap makes diag(r) >= 0 on every backend"),
    **{p: CupyVerdict("checked", "gesvdjBatched for m, n <= 32, else gesvd batched (cupy/linalg/"
                      "_decomposition.py _svd_batched); NumPy raises 'SVD did not converge' for a "
                      "non-finite matrix where CuPy returns NaN: the rule checks isfinite per "
                      "example first (one device-to-host copy); singular-vector signs: gvmap's one "
                      "rule (normalize_signs)")
       for p in (P.linalg_svd_p, P.linalg_svdvals_p)},
})


# --- small NumPy habits ---
CUPY_AUDIT[P.signbit_p] = _same(
    "cupy.signbit (cupy/_math/floating.py) is a ufunc with loops e/bf16/f/d -> ? computing "
    "CUDA's signbit(in0), the sign bit itself: True for -0.0 and for NaNs with the sign bit, "
    "as NumPy's; integers and bool are cast to a float loop first (e for bool and int8, d "
    "for int32/int64), which keeps the sign, as NumPy's own cast does. A NaN that arithmetic "
    "makes has the hardware's sign (x86's default NaN is negative, CUDA's positive), so "
    "signbit of such a NaN can differ between the CPU and the GPU, as np.copysign's does")


# --- bit views and run-time checks ---

def _bitcast_rule(xp, avals, new_dtype):
    """``x.view(new_dtype)`` of a copy: the plan's values never share memory with an input
    unless the primitive says so (``Primitive.view``), and a bitcast is elementwise."""
    return lambda x: xp.array(x, copy=True).view(new_dtype)


def _check_impl(xp, avals, error, function, reason, hint, batch_dims):
    """x, or NumPy's error for the first example with a True in ``bad``. On CuPy,
    ``bool(bad.any())`` is one device-to-host copy per call (it waits for the launches
    queued before it); the first failing example's index is read only on the error path."""
    def run(x, bad):
        if bad.size and bool(bad.any()):
            flat_bad = bad.reshape(-1)
            flat = int(xp.argmax(flat_bad != 0))
            index = tuple(int(i) for i in np.unravel_index(flat, bad.shape))[:batch_dims]
            spec = error if isinstance(error, LoopRaise) else (error, function, reason, hint)
            if isinstance(error, tuple):  # several: the code says which the example fails
                spec = error[int(flat_bad[flat]) - 1]
            if isinstance(spec, LoopRaise):  # the user's assert / raise (gvmap.assertions)
                raise spec.make(index)
            kind, name, why, rewrite = spec
            raise EXAMPLE_ERRORS[kind](name, why, index, rewrite)
        return x
    return run


impl_rules[P.bitcast_convert_type_p] = _bitcast_rule
impl_rules[P.check_p] = _check_impl
CUPY_AUDIT[P.bitcast_convert_type_p] = _same(
    "cupy.ndarray.view(dtype) (cupy/_core/core.pyx _view) reinterprets the buffer as NumPy's "
    "view does (same itemsize: same shape, the bits unchanged), so the copy's view is NumPy's "
    "result bit for bit; a fused kernel's C reads the bits through a union (codegen/cuda.py), "
    "NaN payloads, -0.0 and subnormals kept: CuPy's kernels flush float32 subnormal "
    "ARITHMETIC results to zero (-ftz=true), never a value that is only moved or reinterpreted. "
    "A NaN that arithmetic makes has the hardware's sign and payload (x86's default NaN is "
    "negative, CUDA's positive), so its bits as an integer can differ between the CPU and the "
    "GPU, as np.signbit of it does")
CUPY_AUDIT[P.check_p] = CupyVerdict(
    "checked", "no CuPy function: gvmap's rule is cupy's any() of the condition and bool() of "
    "it (one device-to-host copy), then argmax for the first failing example on the error "
    "path; NumPy's and CuPy's plans raise the same gvmap.errors.ExampleError")


# --- number theory and float anatomy: gcd, lcm, spacing, modf, frexp, ldexp ---

def _ldexp_rule(xp, avals):
    """NumPy's ldexp; on CuPy the exponent clipped to [-2200, 2200] first: CuPy's int64 loop
    passes it to C's ldexp(double, int), which would wrap a huge exponent (2**32 + 1 -> 1)
    where NumPy's clamps it. Any |e| >= 2200 scales every finite nonzero float past the
    largest or below the smallest, so the clip changes no result."""
    if xp is np:
        return np.ldexp
    return lambda x, e: xp.ldexp(x, xp.clip(e, -2200, 2200).astype(np.int32))


def _spacing_rule(xp, avals):
    """NumPy's spacing; CuPy has none, so on CuPy the gap to the next float away from zero,
    from nextafter, with NumPy's special cases: +smallest subnormal at either zero, NaN at
    the infinities. float16 is NumPy's npy_half_spacing: the gap towards +inf, positive
    below zero too (spacing(-1.5) is +2**-10, spacing(-65504) is 32)."""
    if xp is np:
        return np.spacing
    dtype = avals[0].dtype

    def run(x):
        inf, nan = xp.asarray(np.inf, dtype), xp.asarray(np.nan, dtype)  # on x's device
        if dtype == np.float16:
            return xp.where(xp.isfinite(x), xp.nextafter(x, inf) - x, nan)
        up = xp.nextafter(x, xp.copysign(inf, x)) - x
        up = xp.where(x == 0, xp.asarray(np.finfo(dtype).smallest_subnormal, dtype), up)
        return xp.where(xp.isinf(x), nan, up)
    return run


def _frexp_rule(xp, avals):
    """NumPy's frexp; on CuPy the exponent of inf and NaN set to NumPy's 0 (CUDA's frexp
    leaves it unspecified)."""
    if xp is np:
        return np.frexp

    def run(x):
        mantissa, exponent = xp.frexp(x)
        return mantissa, xp.where(xp.isfinite(x), exponent, np.int32(0))
    return run


impl_rules[P.frexp_p] = _frexp_rule
impl_rules[P.ldexp_p] = _ldexp_rule
impl_rules[P.spacing_p] = _spacing_rule
CUPY_AUDIT.update({
    P.gcd_p: CupyVerdict("kernel", "Euclid in the signed type (cupy/_math/rational.py), then "
                         "-in0 if negative: gcd(MIN, -1) starts with MIN % -1, undefined in C; "
                         "gvmap's kernel runs NumPy's npy_gcd (unsigned absolute values)"),
    P.lcm_p: CupyVerdict("kernel", "in0 / gcd * in1 in the signed type, negated if negative "
                         "(cupy/_math/rational.py): a product that overflows int32 / int64 is "
                         "undefined in C and, wrapped, negated, where NumPy's npy_lcm wraps "
                         "the unsigned product and keeps its sign bit"),
    P.spacing_p: CupyVerdict("rule", "CuPy has no spacing: the rule composes nextafter towards "
                             "copysign(inf, x) minus x, +smallest subnormal at zeros, NaN at "
                             "infinities (float32 subnormals flush: -ftz=true)"),
    P.modf_p: _same("modf / modff into a local (cupy/_math/arithmetic.py): C's modf, as NumPy's "
                    "npy_modf: the fraction keeps x's sign (-0.0 for -3.0, +-0.0 at +-inf), "
                    "NaN gives NaN twice"),
    P.frexp_p: CupyVerdict("rule", "C's frexp into a local int (cupy/_math/floating.py), loops "
                           "e/f/d -> i; CUDA leaves the exponent of inf and NaN unspecified, "
                           "glibc (NumPy's npy_frexp) gives 0: the rule sets 0 there (float32 "
                           "subnormal inputs flush: -ftz=true)"),
    P.ldexp_p: CupyVerdict("rule", "C's ldexp(x, (int)e) (cupy/_math/floating.py): an int64 "
                           "exponent outside int's range wraps where NumPy clamps it; the rule "
                           "clips the exponent to [-2200, 2200] first (no result changes)"),
})
