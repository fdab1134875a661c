"""C expressions for primitives, with NumPy's semantics, for generated CUDA kernels.

The renderer's per-primitive table (``c_expression_templates``) turns one primitive on
operand expressions into one C++ expression; fused kernels nest these. Integer ``+ - *``
and negation run in an unsigned type so overflow wraps as NumPy's does instead of being
undefined behaviour; anything that would repeat an operand, or needs a branch, is a
``gvmap_`` helper in ``PREAMBLE``. The helpers are ``__host__ __device__`` and the text
includes no headers, so one source compiles under NVRTC (kernels) and under ``nvcc`` for
host execution (the CPU semantics tests). Only C++11 features are used: CuPy may compile
without ``--std=c++17``.

Imports nothing from CuPy: the CPU tests compile every expression this module can emit.
Output is a pure function of the arguments (no ids, no counters), so kernel source, and
with it CuPy's on-disk cache, is stable across processes.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .. import primitives as P
from ..implementations import index_bounds

__all__ = ["PREAMBLE", "c_type", "c_literal", "c_expression", "c_expressions",
           "c_expression_templates", "c_expression_rules",
           "reduce_expr", "reduce_identity", "index_out_of_bounds"]

_C_TYPES = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.int8): "signed char",
    np.dtype(np.int16): "short",
    np.dtype(np.int32): "int",
    np.dtype(np.int64): "long long",
    np.dtype(np.uint8): "unsigned char",
    np.dtype(np.uint16): "unsigned short",
    np.dtype(np.uint32): "unsigned int",
    np.dtype(np.uint64): "unsigned long long",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}

PREAMBLE = r"""#ifndef GVMAP_PREAMBLE
#define GVMAP_PREAMBLE
// gvmap helpers: NumPy semantics for elementwise primitives (host and device).
template <typename T> struct gvmap_wide_unsigned { typedef unsigned int type; };
template <> struct gvmap_wide_unsigned<long long> { typedef unsigned long long type; };
template <> struct gvmap_wide_unsigned<unsigned long long> { typedef unsigned long long type; };

__host__ __device__ inline float gvmap_f32_from_bits(unsigned int bits) {
  union { unsigned int u; float f; } v; v.u = bits; return v.f;
}
__host__ __device__ inline double gvmap_f64_from_bits(unsigned long long bits) {
  union { unsigned long long u; double f; } v; v.u = bits; return v.f;
}

// np.maximum / np.minimum: NaN from either side wins; on ties the second operand.
template <typename T> __host__ __device__ inline T gvmap_max(T a, T b) {
  return (a != a) ? a : ((a > b) ? a : b);
}
template <typename T> __host__ __device__ inline T gvmap_min(T a, T b) {
  return (a != a) ? a : ((a < b) ? a : b);
}

// np.sign: NaN stays NaN, and both zeros give +0.
template <typename T> __host__ __device__ inline T gvmap_sign(T x) {
  return (x > T(0)) ? T(1) : ((x < T(0)) ? T(-1) : ((x == T(0)) ? T(0) : x));
}

// np.absolute on signed integers: the most negative value maps to itself (wraps).
template <typename T> __host__ __device__ inline T gvmap_int_abs(T x) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  return (x < T(0)) ? (T)(U(0) - (U)x) : x;
}

// np.floor_divide on integers: floor rounding, x // 0 == 0, MIN // -1 wraps to MIN.
template <typename T> __host__ __device__ inline T gvmap_int_floor_div(T a, T b) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  if (b == T(0)) return T(0);
  if (T(-1) < T(0) && b == T(-1)) return (T)(U(0) - (U)a);
  T q = (T)(a / b);
  if ((T)(a % b) != T(0) && ((a < T(0)) != (b < T(0)))) q = (T)(q - 1);
  return q;
}

// np.remainder on integers: the sign of the divisor, x % 0 == 0.
template <typename T> __host__ __device__ inline T gvmap_int_rem(T a, T b) {
  if (b == T(0) || (T(-1) < T(0) && b == T(-1))) return T(0);
  T r = (T)(a % b);
  if (r != T(0) && ((r < T(0)) != (b < T(0)))) r = (T)(r + b);
  return r;
}

// np.power on integers: repeated squaring with wrapping products. NumPy raises for a
// negative exponent; a kernel cannot, so it gives the truncated real result (1 / a**-b).
template <typename T> __host__ __device__ inline T gvmap_int_pow(T a, T b) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  if (b < T(0)) return (a == T(1)) ? T(1) : ((a == T(-1)) ? ((b & 1) ? a : T(1)) : T(0));
  U base = (U)a, result = 1;
  while (b != T(0)) {
    if (b & 1) result *= base;
    base *= base;
    b = (T)(b >> 1);
  }
  return (T)result;
}

// np.floor_divide and np.remainder on floats: NumPy's npy_divmod, step by step.
__host__ __device__ inline float gvmap_fmod(float a, float b) { return fmodf(a, b); }
__host__ __device__ inline double gvmap_fmod(double a, double b) { return fmod(a, b); }
__host__ __device__ inline float gvmap_floor(float x) { return floorf(x); }
__host__ __device__ inline double gvmap_floor(double x) { return floor(x); }
__host__ __device__ inline float gvmap_copysign(float x, float y) { return copysignf(x, y); }
__host__ __device__ inline double gvmap_copysign(double x, double y) { return copysign(x, y); }

template <typename T> __host__ __device__ inline T gvmap_float_floor_div(T a, T b) {
  if (b == T(0)) return a / b;
  T mod = gvmap_fmod(a, b);
  T div = (a - mod) / b;
  if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
  if (div != T(0)) {
    T floordiv = gvmap_floor(div);
    if (div - floordiv > T(0.5)) floordiv += T(1);
    return floordiv;
  }
  return gvmap_copysign(T(0), a / b);
}
template <typename T> __host__ __device__ inline T gvmap_float_rem(T a, T b) {
  T mod = gvmap_fmod(a, b);
  if (b == T(0)) return mod;
  if (mod == T(0)) return gvmap_copysign(T(0), b);
  return ((b < T(0)) != (mod < T(0))) ? mod + b : mod;
}

// np.fmod on integers: C's % (the sign of the dividend), x fmod 0 == 0, MIN fmod -1 == 0.
template <typename T> __host__ __device__ inline T gvmap_int_fmod(T a, T b) {
  if (b == T(0) || (T(-1) < T(0) && b == T(-1))) return T(0);
  return (T)(a % b);
}

// np.heaviside(x, h0): NaN for NaN (NumPy's NPY_NAN), h0 at either zero, else 0 or 1.
__host__ __device__ inline float gvmap_heaviside(float x, float h0) {
  return (x != x) ? gvmap_f32_from_bits(0x7fc00000u)
                  : ((x == 0.0f) ? h0 : ((x < 0.0f) ? 0.0f : 1.0f));
}
__host__ __device__ inline double gvmap_heaviside(double x, double h0) {
  return (x != x) ? gvmap_f64_from_bits(0x7ff8000000000000ULL)
                  : ((x == 0.0) ? h0 : ((x < 0.0) ? 0.0 : 1.0));
}

// np.left_shift / np.right_shift (NumPy's npy_lshift / npy_rshift): C leaves a count >= the
// width, or a negative one, undefined; NumPy gives 0, or -1 for a right shift of a
// negative value. Left shifts run in the unsigned type, so bits leave as NumPy's do.
template <typename T> __host__ __device__ inline T gvmap_shift_left(T a, T b) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  return ((unsigned long long)b < sizeof(T) * 8u) ? (T)((U)a << b) : T(0);
}
template <typename T> __host__ __device__ inline T gvmap_shift_right(T a, T b) {
  if ((unsigned long long)b < sizeof(T) * 8u) return (T)(a >> b);
  return (T(-1) < T(0) && a < T(0)) ? (T)(-1) : T(0);
}

// x.view(dtype) (bitcast_convert_type): the bits of a From read as a To of the same size,
// through a union (CUDA's __float_as_int and kin are device-only; this compiles on both).
template <typename To, typename From> __host__ __device__ inline To gvmap_bitcast(From x) {
  union { From from; To to; } v; v.from = x; return v.to;
}

// np.gcd / np.lcm (NumPy's npy_gcd / npy_lcm): Euclid on the absolute values in the wide
// unsigned type, where |MIN| is representable, truncated back to T (gcd(MIN, 0) is MIN, as
// NumPy's); lcm is |a| / gcd * |b|, wrapping in the unsigned type, 0 when both are 0.
template <typename T> __host__ __device__ inline typename gvmap_wide_unsigned<T>::type
gvmap_uabs(T x) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  return (T(-1) < T(0) && x < T(0)) ? (U)(U(0) - (U)x) : (U)x;
}
template <typename U> __host__ __device__ inline U gvmap_ugcd(U a, U b) {
  while (a != U(0)) { U c = a; a = b % a; b = c; }
  return b;
}
template <typename T> __host__ __device__ inline T gvmap_gcd(T a, T b) {
  return (T)gvmap_ugcd(gvmap_uabs<T>(a), gvmap_uabs<T>(b));
}
template <typename T> __host__ __device__ inline T gvmap_lcm(T a, T b) {
  typedef typename gvmap_wide_unsigned<T>::type U;
  const U x = gvmap_uabs<T>(a), y = gvmap_uabs<T>(b), g = gvmap_ugcd(x, y);
  return (g == U(0)) ? T(0) : (T)(U)(x / g * y);
}

// np.spacing (NumPy's npy_spacing): the gap to the next float away from zero; both zeros
// give +smallest subnormal, the infinities NaN (NumPy's NPY_NAN), a NaN itself.
__host__ __device__ inline float gvmap_spacing(float x) {
  if (x != x) return x;
  if (isinf(x)) return gvmap_f32_from_bits(0x7fc00000u);
  if (x == 0.0f) return gvmap_f32_from_bits(1u);
  return nextafterf(x, copysignf(1.0f / 0.0f, x)) - x;
}
__host__ __device__ inline double gvmap_spacing(double x) {
  if (x != x) return x;
  if (isinf(x)) return gvmap_f64_from_bits(0x7ff8000000000000ULL);
  if (x == 0.0) return gvmap_f64_from_bits(1ULL);
  return nextafter(x, copysign(1.0 / 0.0, x)) - x;
}

// np.modf (C's modf, as NumPy's npy_modf): the fraction and the integral part, each with
// x's sign (-3.0 gives -0.0 and -3.0, +-inf gives +-0.0 and +-inf, NaN gives NaN twice).
__host__ __device__ inline float gvmap_modf_fraction(float x) { float i; return modff(x, &i); }
__host__ __device__ inline double gvmap_modf_fraction(double x) { double i; return modf(x, &i); }
__host__ __device__ inline float gvmap_modf_integral(float x) { float i; modff(x, &i); return i; }
__host__ __device__ inline double gvmap_modf_integral(double x) { double i; modf(x, &i); return i; }

// np.frexp (C's frexp): the mantissa in [0.5, 1) with x's sign (x itself at zeros, inf and
// NaN) and the exponent, 0 at zeros, inf and NaN as glibc's (C leaves the last two open).
__host__ __device__ inline float gvmap_frexp_mantissa(float x) { int e; return frexpf(x, &e); }
__host__ __device__ inline double gvmap_frexp_mantissa(double x) { int e; return frexp(x, &e); }
__host__ __device__ inline int gvmap_frexp_exponent(float x) {
  int e = 0; if (isfinite(x)) frexpf(x, &e); return e;
}
__host__ __device__ inline int gvmap_frexp_exponent(double x) {
  int e = 0; if (isfinite(x)) frexp(x, &e); return e;
}

// np.ldexp: x * 2**e with one rounding (C's ldexp). NumPy's int64 loop clamps e to int's
// range; clamping to [-2200, 2200] gives the same results (beyond it every finite nonzero
// float overflows to inf or underflows to 0) and is in int's range for any exponent type.
template <typename E> __host__ __device__ inline int gvmap_ldexp_exponent(E e) {
  return (int)((e < E(-2200)) ? E(-2200) : ((e > E(2200)) ? E(2200) : e));
}
__host__ __device__ inline float gvmap_ldexp(float x, int e) { return ldexpf(x, e); }
__host__ __device__ inline double gvmap_ldexp(double x, int e) { return ldexp(x, e); }
#endif  // GVMAP_PREAMBLE
"""


def c_type(dtype: Any) -> str:
    """The C type of a NumPy dtype; bool is C++ ``bool``, as CuPy's kernels use."""
    dt = np.dtype(dtype)
    try:
        return _C_TYPES[dt]
    except KeyError:
        raise NotImplementedError(
            f"CUDA codegen has no C type for dtype {dt}; supported: "
            f"{', '.join(str(d) for d in _C_TYPES)}") from None


def _float_text(x: np.floating) -> str:
    """The shortest decimal that gives ``x`` back however the compiler parses it.

    float64: Python's repr (shortest round-trip). float32: the fewest digits that round to
    ``x`` through double too; that holds unless the double lands exactly on a float32
    midpoint, which is checked, and 9 digits always suffice.
    """
    if x.dtype == np.float64:
        text = repr(float(x))
    else:
        with np.errstate(over="ignore"):  # short decimals near the float32 maximum
            for digits in range(1, 10):
                text = f"{float(x):.{digits}g}"
                d = float(text)
                if d == float(x):
                    break
                neighbour = np.nextafter(x, np.float32(np.inf if d > x else -np.inf))
                if np.float32(d) == x and d != (float(x) + float(neighbour)) / 2:
                    break
    return text if "." in text or "e" in text else text + ".0"


def c_literal(value: Any) -> str:
    """An exact C literal of ``value``'s dtype, parenthesised where it has a sign.

    Floats print as the shortest decimal that round-trips, parsed directly or through
    double alike. inf is ``1/0``, which NVRTC and host compilers both fold (NVRTC knows
    no ``__builtin_huge_valf``/``INFINITY``, the host no ``__int_as_float``); NaN keeps its
    exact bits through a PREAMBLE helper.
    """
    value = np.asarray(value)
    if value.ndim:
        raise ValueError(f"c_literal needs a scalar, got an array of shape {value.shape}")
    dt, ct = value.dtype, c_type(value.dtype)
    v = value.item()
    if dt.kind == "b":
        return "true" if v else "false"
    if dt.kind == "f":
        suffix = "f" if dt.itemsize == 4 else ""
        if np.isnan(v):
            bits = value.view(np.uint32 if dt.itemsize == 4 else np.uint64).item()
            helper = "gvmap_f32_from_bits" if dt.itemsize == 4 else "gvmap_f64_from_bits"
            return f"{helper}({bits:#x}{'u' if dt.itemsize == 4 else 'ULL'})"
        if np.isinf(v):
            return f"({'-' if v < 0 else ''}1.0{suffix}/0.0{suffix})"
        text = _float_text(abs(value[()])) + suffix
        return f"(-{text})" if np.signbit(v) else text
    if dt == np.int64 and v == np.iinfo(np.int64).min:
        return f"({v + 1}LL - 1LL)"
    if dt == np.int32 and v == np.iinfo(np.int32).min:
        return f"({v + 1} - 1)"
    suffix = {"int": "", "long long": "LL", "unsigned int": "u", "unsigned long long": "ULL"}
    if ct in suffix:
        text = f"{v}{suffix[ct]}"
        return f"({text})" if v < 0 else text
    return f"(({ct}){v})"


# ---------------------------------------------------------------- elementwise expressions
#
# Each entry maps dtype kinds ("b" bool, "i" signed, "u" unsigned, "f" float; several
# letters share one template) to a format string over the operands {0} {1} {2}, the C type
# {T}, the wrapping unsigned type {U} and the float function suffix {f}. A kind missing
# from an entry is one NumPy itself rejects (or computes in another dtype).

def _math(fn: str, nin: int = 1) -> dict[str, str]:
    return {"f": f"{fn}{{f}}({', '.join(f'{{{i}}}' for i in range(nin))})"}


def _wrapping(op: str) -> str:
    return f"(({{T}})(({{U}})({{0}}) {op} ({{U}})({{1}})))"


c_expression_templates: dict[P.Primitive, dict[str, str]] = {
    P.neg_p: {"iu": "(({T})(-({U})({0})))", "f": "(-({0}))"},
    P.abs_p: {"bu": "({0})", "i": "gvmap_int_abs<{T}>({0})", "f": "fabs{f}({0})"},
    P.sign_p: {"iuf": "gvmap_sign<{T}>({0})"},
    P.floor_p: {"biu": "({0})", "f": "floor{f}({0})"},
    P.ceil_p: {"biu": "({0})", "f": "ceil{f}({0})"},
    P.rint_p: _math("rint"),  # round half to even, as np.rint
    P.exp_p: _math("exp"), P.exp2_p: _math("exp2"), P.log_p: _math("log"),
    P.log2_p: _math("log2"), P.log10_p: _math("log10"), P.log1p_p: _math("log1p"),
    P.expm1_p: _math("expm1"), P.sqrt_p: _math("sqrt"), P.cbrt_p: _math("cbrt"),
    P.tanh_p: _math("tanh"), P.sin_p: _math("sin"), P.cos_p: _math("cos"),
    P.tan_p: _math("tan"), P.asin_p: _math("asin"), P.acos_p: _math("acos"),
    P.atan_p: _math("atan"), P.sinh_p: _math("sinh"), P.cosh_p: _math("cosh"),
    P.asinh_p: _math("asinh"), P.acosh_p: _math("acosh"), P.atanh_p: _math("atanh"),
    P.not_p: {"b": "(!({0}))", "iu": "(({T})(~({0})))"},
    P.isnan_p: {"biu": "false", "f": "isnan({0})"},
    P.isinf_p: {"biu": "false", "f": "isinf({0})"},
    P.isfinite_p: {"biu": "true", "f": "isfinite({0})"},
    P.add_p: {"b": "(({0}) || ({1}))", "iu": _wrapping("+"), "f": "(({0}) + ({1}))"},
    P.sub_p: {"iu": _wrapping("-"), "f": "(({0}) - ({1}))"},
    P.mul_p: {"b": "(({0}) && ({1}))", "iu": _wrapping("*"), "f": "(({0}) * ({1}))"},
    P.div_p: {"f": "(({0}) / ({1}))"},
    P.floor_div_p: {"iu": "gvmap_int_floor_div<{T}>({0}, {1})",
                    "f": "gvmap_float_floor_div<{T}>({0}, {1})"},
    P.rem_p: {"iu": "gvmap_int_rem<{T}>({0}, {1})", "f": "gvmap_float_rem<{T}>({0}, {1})"},
    # several results: one template per result, in order
    P.divmod_p: {"iu": ("gvmap_int_floor_div<{T}>({0}, {1})", "gvmap_int_rem<{T}>({0}, {1})"),
                 "f": ("gvmap_float_floor_div<{T}>({0}, {1})", "gvmap_float_rem<{T}>({0}, {1})")},
    P.pow_p: {"iu": "gvmap_int_pow<{T}>({0}, {1})", "f": "pow{f}({0}, {1})"},
    P.max_p: {"biuf": "gvmap_max<{T}>({0}, {1})"},
    P.min_p: {"biuf": "gvmap_min<{T}>({0}, {1})"},
    P.atan2_p: _math("atan2", 2),
    P.hypot_p: _math("hypot", 2),  # C's hypot scales: no overflow in the squares
    P.fmod_p: {"iu": "gvmap_int_fmod<{T}>({0}, {1})", "f": "fmod{f}({0}, {1})"},
    P.copysign_p: _math("copysign", 2),
    P.nextafter_p: _math("nextafter", 2),
    P.heaviside_p: {"f": "gvmap_heaviside(({T})({0}), ({T})({1}))"},
    P.shift_left_p: {"iu": "gvmap_shift_left<{T}>({0}, {1})"},
    P.shift_right_p: {"iu": "gvmap_shift_right<{T}>({0}, {1})"},
    P.and_p: {"b": "(({0}) && ({1}))", "iu": "(({T})(({0}) & ({1})))"},
    P.or_p: {"b": "(({0}) || ({1}))", "iu": "(({T})(({0}) | ({1})))"},
    P.xor_p: {"b": "(({0}) != ({1}))", "iu": "(({T})(({0}) ^ ({1})))"},
    P.eq_p: {"biuf": "(({0}) == ({1}))"},
    P.ne_p: {"biuf": "(({0}) != ({1}))"},
    P.lt_p: {"biuf": "(({0}) < ({1}))"},
    P.le_p: {"biuf": "(({0}) <= ({1}))"},
    P.gt_p: {"biuf": "(({0}) > ({1}))"},
    P.ge_p: {"biuf": "(({0}) >= ({1}))"},
    P.select_p: {"biuf": "(({0}) ? ({1}) : ({2}))"},
    P.gcd_p: {"iu": "gvmap_gcd<{T}>({0}, {1})"},
    P.lcm_p: {"iu": "gvmap_lcm<{T}>({0}, {1})"},
    P.spacing_p: {"f": "gvmap_spacing(({T})({0}))"},
    P.modf_p: {"f": ("gvmap_modf_fraction(({T})({0}))", "gvmap_modf_integral(({T})({0}))")},
}

def _kind(dtype: np.dtype) -> str:
    c_type(dtype)  # rejects float16, complex, ...
    return dtype.kind


def _template(prim: P.Primitive, kind: str) -> "str | tuple[str, ...] | None":
    for kinds, template in c_expression_templates[prim].items():
        if kind in kinds:
            return template
    return None


def _convert(in_dtype: np.dtype, new_dtype: np.dtype, x: str) -> str:
    """NumPy's astype: to bool is ``!= 0`` (NaN is true); float to int truncates toward
    zero. Float values outside the target's range (and NaN) are undefined in C and
    platform-specific in NumPy; the GPU saturates."""
    if in_dtype == new_dtype:
        return f"({x})"
    if new_dtype.kind == "b":
        return f"(({x}) != 0)"
    return f"(({c_type(new_dtype)})({x}))"


def c_expression(prim: P.Primitive, in_dtypes: Sequence[Any], out_dtype: Any,
                 args: Sequence[str], params: Mapping[str, Any] | None = None) -> str:
    """A parenthesised C expression computing ``prim`` on the operand expressions ``args``.

    Operands follow the primitive's typing rule (one dtype; ``select``'s predicate bool).
    Raises NotImplementedError for a (primitive, dtype) pair NumPy has no same-dtype loop
    for, e.g. ``sign`` of bool or ``and`` of floats. A primitive with several results
    needs ``c_expressions``.
    """
    if prim.multiple_results:
        raise TypeError(f"{prim} has {prim.results} results: use c_expressions")
    (expr,) = c_expressions(prim, in_dtypes, [out_dtype], args, params)
    return expr


def c_expressions(prim: P.Primitive, in_dtypes: Sequence[Any], out_dtypes: Sequence[Any],
                  args: Sequence[str], params: Mapping[str, Any] | None = None) -> list[str]:
    """One C expression per result of ``prim`` (``c_expression``'s rules)."""
    params = dict(params or {})
    in_dtypes = [np.dtype(d) for d in in_dtypes]
    out_dtypes = [np.dtype(d) for d in out_dtypes]
    if len(in_dtypes) != len(args):
        raise TypeError(f"{prim}: {len(in_dtypes)} operand dtypes for {len(args)} operands")
    if len(out_dtypes) != prim.results:
        raise TypeError(f"{prim} has {prim.results} results, got {len(out_dtypes)} out dtypes")
    if prim is P.convert_element_type_p:
        new_dtype = np.dtype(params["new_dtype"])
        if len(args) != 1 or new_dtype != out_dtypes[0]:
            raise TypeError(f"convert_element_type: one operand and out dtype {new_dtype}, "
                            f"got {len(args)} operands and out dtype {out_dtypes[0]}")
        c_type(in_dtypes[0]), c_type(new_dtype)  # reject dtypes without a C type
        return [_convert(in_dtypes[0], new_dtype, args[0])]
    if prim in c_expression_rules:  # C that depends on params (bitcast's new dtype)
        return c_expression_rules[prim](in_dtypes, out_dtypes, args, params)
    if prim not in c_expression_templates:
        raise NotImplementedError(f"primitive '{prim}' has no CUDA expression (codegen stage)")
    if params:
        raise TypeError(f"{prim} takes no params, got {sorted(params)}")
    operands = in_dtypes
    if prim is P.select_p:
        if len(in_dtypes) != 3 or in_dtypes[0] != np.bool_:
            raise TypeError(f"select takes (bool, T, T) operands, got {list(map(str, in_dtypes))}")
        operands = in_dtypes[1:]
    if len(set(operands)) != 1:
        raise TypeError(f"{prim} needs operands of one dtype, got {list(map(str, in_dtypes))}")
    dtype = operands[0]
    expected_out = np.dtype(np.bool_) if prim.bool_output else dtype
    for out_dtype in out_dtypes:
        if out_dtype != expected_out:
            raise TypeError(f"{prim} on {dtype} gives {expected_out}, not {out_dtype}")
    template = _template(prim, _kind(dtype))
    if template is None:
        raise NotImplementedError(
            f"primitive '{prim}' is not defined for dtype {dtype} (NumPy has no {dtype} loop "
            f"for it); convert the operands first")
    ct = c_type(dtype)
    wide = "unsigned long long" if dtype.itemsize == 8 else "unsigned int"
    templates = template if isinstance(template, tuple) else (template,)
    return [t.format(*args, T=ct, U=wide, f="f" if dtype == np.float32 else "")
            for t in templates]


# ---------------------------------------------------------------- reductions

def _reduction_dtype(prim: P.Primitive, dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if prim.monoid is None:
        raise NotImplementedError(f"primitive '{prim}' has no CUDA reduction (codegen stage)")
    if prim in (P.reduce_and_p, P.reduce_or_p) and dtype != np.bool_:
        raise NotImplementedError(f"{prim} is defined for bool only, got {dtype}; "
                                  f"compare with 0 first")
    return dtype


def reduce_expr(prim: P.Primitive, dtype: Any) -> str:
    """The combining step over ``a`` and ``b`` (CuPy ReductionKernel's names): the monoid's
    binary elementwise primitive, so sums wrap and maxima propagate NaN the same way their
    elementwise forms do."""
    dtype = _reduction_dtype(prim, dtype)
    return c_expression(prim.monoid.combine, [dtype, dtype], dtype, ["a", "b"])


def reduce_identity(prim: P.Primitive, dtype: Any) -> str:
    """The monoid's identity as a C literal of the dtype (-inf / +inf for float max / min,
    so NaN still wins; the integer limits for integers; false / true for bool)."""
    dtype = _reduction_dtype(prim, dtype)
    return c_literal(np.array(prim.monoid.identity(dtype)).astype(dtype))


# ---------------------------------------------------------------- gather indices

def index_out_of_bounds(dtype: Any, size: int, x: str) -> str:
    """A C bool expression: whether the index ``x`` (of integer ``dtype``) breaks NumPy's
    rule for an axis of ``size`` (valid: -size <= x < size; ``implementations.py``). Each
    bound is compared in the index's own type, so no conversion can wrap a huge unsigned
    index into range; a bound no value of the dtype can cross is left out."""
    dtype = np.dtype(dtype)
    lower, upper = index_bounds(dtype, size)
    tests = [f"(({x}) {op} {c_literal(np.array(bound).astype(dtype)[()])})"
             for op, bound in (("<", lower), (">=", upper)) if bound is not None]
    return f"({' || '.join(tests)})" if tests else "false"


# --- small NumPy habits ---
# np.signbit: C's signbit reads the sign bit (-0.0's and a NaN's too); integers are negative
# or not (NumPy's float loop keeps the sign); bool and unsigned values never are.
c_expression_templates[P.signbit_p] = {"bu": "false", "i": "(({0}) < 0)",
                                       "f": "(signbit({0}) != 0)"}


# --- bit views and run-time checks ---
# Primitives whose C is not one template per dtype kind: a rule of (operand dtypes, result
# dtypes, operand expressions, params) giving one expression per result.
c_expression_rules: dict[P.Primitive, Any] = {}

from ..graph import AbstractArray as _Aval  # noqa: E402


def _bitcast(in_dtypes: Sequence[np.dtype], out_dtypes: Sequence[np.dtype], args: Sequence[str],
             params: Mapping[str, Any]) -> list[str]:
    if "new_dtype" not in params:
        raise TypeError("bitcast_convert_type takes a new_dtype param")
    new = np.dtype(params["new_dtype"])
    if len(args) != 1 or out_dtypes[0] != new:
        raise TypeError(f"bitcast_convert_type: one operand and out dtype {new}, got "
                        f"{len(args)} operands and out dtype {out_dtypes[0]}")
    P.abstract_eval(P.bitcast_convert_type_p, [_Aval((), in_dtypes[0])],
                    {"new_dtype": new})  # one itemsize
    return [f"gvmap_bitcast<{c_type(new)}, {c_type(in_dtypes[0])}>({args[0]})"]


c_expression_rules[P.bitcast_convert_type_p] = _bitcast


# --- number theory and float anatomy: frexp and ldexp (mixed dtypes, as NumPy's loops) ---

def _frexp(in_dtypes: Sequence[np.dtype], out_dtypes: Sequence[np.dtype], args: Sequence[str],
           params: Mapping[str, Any]) -> list[str]:
    """(float x) -> (mantissa of x's dtype, int32 exponent), NumPy's ``f->fi`` / ``d->di``."""
    if params:
        raise TypeError(f"frexp takes no params, got {sorted(params)}")
    avals = P.abstract_eval(P.frexp_p, [_Aval((), in_dtypes[0])], {})
    if list(out_dtypes) != [a.dtype for a in avals]:
        raise TypeError(f"frexp on {in_dtypes[0]} gives {[str(a.dtype) for a in avals]}, not "
                        f"{list(map(str, out_dtypes))}")
    x = f"({c_type(in_dtypes[0])})({args[0]})"
    return [f"gvmap_frexp_mantissa({x})", f"gvmap_frexp_exponent({x})"]


def _ldexp(in_dtypes: Sequence[np.dtype], out_dtypes: Sequence[np.dtype], args: Sequence[str],
           params: Mapping[str, Any]) -> list[str]:
    """(float x, int32 / int64 e) -> x's dtype, NumPy's ``fi->f`` / ``fl->f`` / ``di->d`` /
    ``dl->d``."""
    if params:
        raise TypeError(f"ldexp takes no params, got {sorted(params)}")
    (aval,) = P.abstract_eval(P.ldexp_p, [_Aval((), d) for d in in_dtypes], {})
    if list(out_dtypes) != [aval.dtype]:
        raise TypeError(f"ldexp on {list(map(str, in_dtypes))} gives {aval.dtype}, not "
                        f"{list(map(str, out_dtypes))}")
    x, e = args
    return [f"gvmap_ldexp(({c_type(in_dtypes[0])})({x}), "
            f"gvmap_ldexp_exponent<{c_type(in_dtypes[1])}>({e}))"]


c_expression_rules[P.frexp_p] = _frexp
c_expression_rules[P.ldexp_p] = _ldexp
