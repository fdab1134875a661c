"""CUDA codegen without a GPU: every expression compiles, and means what NumPy means.

- Compile checks: each (primitive, dtype) NumPy supports is rendered into a tiny kernel and
  compiled with NVRTC (one translation unit per dtype); skipped only where NVRTC is absent.
- Semantics: the same expressions, with the ``__host__ __device__`` PREAMBLE, are compiled
  by ``nvcc`` into ONE host program that evaluates them over edge inputs (NaN, infinities,
  signed zeros, halves, integer limits, zero divisors); its output is compared with NumPy
  bit for bit, except for transcendental functions, where libm and NumPy may differ by ulps.
- Determinism: the same inputs render the same text, across processes too.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from conftest import stdout_across_hash_seeds
from host_build import build_and_run, nvcc_or_skip

from gvmap import primitives as P
from gvmap.codegen import (PREAMBLE, CudaCompileError, c_expression, c_literal, c_type,
                           compile_cuda, nvrtc_unavailable_reason, reduce_expr,
                           reduce_identity)
from gvmap.codegen.cuda import (c_expression_rules, c_expression_templates, c_expressions,
                                index_out_of_bounds)
from gvmap.implementations import out_of_bounds_mask

DTYPES = [np.dtype(d) for d in ("float32", "float64", "int32", "bool",
                                "int8", "uint8", "int64", "uint64")]
ELEMENTWISE = sorted(P.ELEMENTWISE, key=lambda p: p.name)
# conversions (their C depends on the new dtype) are checked on their own below
CONVERSIONS = (P.select_p, P.convert_element_type_p, P.bitcast_convert_type_p)
# frexp and ldexp mix dtypes as NumPy's loops do (P.MIXED_DTYPES): their cases are MIXED_LOOPS
OPERATORS = [p for p in ELEMENTWISE if p not in CONVERSIONS and p not in P.MIXED_DTYPES]
REDUCTIONS = [P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p,
              P.reduce_and_p, P.reduce_or_p]
BOOL_OUT = {p for p in P.ELEMENTWISE if p.bool_output}  # the fact stated on the primitive
# libm and NumPy's own SIMD loops may differ by an ulp or two here; all else is exact.
TRANSCENDENTAL = {P.exp_p, P.exp2_p, P.log_p, P.log2_p, P.log10_p, P.log1p_p, P.expm1_p,
                  P.cbrt_p, P.tanh_p, P.sin_p, P.cos_p, P.tan_p, P.asin_p, P.acos_p, P.atan_p,
                  P.sinh_p, P.cosh_p, P.asinh_p, P.acosh_p, P.atanh_p, P.pow_p, P.atan2_p}


def nin(prim: P.Primitive) -> int:
    return 1 if prim in P.UNARY else 2


def out_dtype(prim: P.Primitive, dtype: np.dtype) -> np.dtype:
    return np.dtype(np.bool_) if prim in BOOL_OUT else dtype


def numpy_supports(prim: P.Primitive, dtype: np.dtype) -> bool:
    """Whether NumPy's ufunc for ``prim`` has a loop keeping the primitive's dtype rule."""
    ufunc = getattr(np, prim.ufunc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = ufunc(*[np.zeros(0, dtype)] * ufunc.nin)
    except TypeError:
        return False
    results = result if ufunc.nout > 1 else (result,)
    return all(r.dtype == out_dtype(prim, dtype) for r in results)


SUPPORTED = [(p, d) for p in OPERATORS for d in DTYPES if numpy_supports(p, d)]
UNSUPPORTED = [(p, d) for p in OPERATORS for d in DTYPES if not numpy_supports(p, d)]
LOGICAL_REDUCTIONS = {P.reduce_and_p, P.reduce_or_p}
REDUCTION_CASES = [(p, d) for p in REDUCTIONS for d in DTYPES
                   if d == np.bool_ or p not in LOGICAL_REDUCTIONS]


def case_id(prim: P.Primitive, dtype: np.dtype) -> str:
    return f"{prim}-{dtype}"


def renders(prim: P.Primitive, dtype: np.dtype, args: list[str]) -> list[str]:
    """One expression per result of ``prim`` (divmod has two)."""
    return c_expressions(prim, [dtype] * len(args), [out_dtype(prim, dtype)] * prim.results, args)


def render(prim: P.Primitive, dtype: np.dtype, args: list[str]) -> str:
    return c_expression(prim, [dtype] * len(args), out_dtype(prim, dtype), args)


# ---------------------------------------------------------------- the table itself

def test_every_elementwise_primitive_has_a_cuda_expression():
    missing = (set(P.ELEMENTWISE) - set(c_expression_templates) - set(c_expression_rules)
               - {P.convert_element_type_p})
    assert not missing, f"no CUDA expression for {sorted(map(str, missing))}"
    assert {p for p, _ in SUPPORTED} == set(OPERATORS)


@pytest.mark.parametrize("prim,dtype", UNSUPPORTED, ids=[case_id(*c) for c in UNSUPPORTED])
def test_unsupported_dtypes_raise_like_numpy(prim, dtype):
    with pytest.raises(NotImplementedError, match=rf"'{prim}'.*{dtype}"):
        renders(prim, dtype, ["x", "y"][:nin(prim)])


def test_dtypes_without_a_c_type_raise():
    for dtype in ("float16", "complex64", "complex128"):
        with pytest.raises(NotImplementedError, match=dtype):
            c_type(dtype)
        with pytest.raises(NotImplementedError, match=dtype):
            c_expression(P.add_p, [dtype] * 2, dtype, ["a", "b"])
    with pytest.raises(NotImplementedError, match="reduce_and.*float32"):
        reduce_expr(P.reduce_and_p, np.float32)
    with pytest.raises(NotImplementedError, match="argmax"):
        reduce_identity(P.argmax_p, np.float32)


def test_typing_mistakes_are_errors():
    with pytest.raises(TypeError, match="one dtype"):
        c_expression(P.add_p, ["float32", "float64"], "float64", ["a", "b"])
    with pytest.raises(TypeError, match="bool"):
        c_expression(P.lt_p, ["int32", "int32"], "int32", ["a", "b"])
    with pytest.raises(TypeError, match="select"):
        c_expression(P.select_p, ["int32"] * 3, "int32", ["p", "a", "b"])


def test_literals_are_exact_and_parenthesised():
    assert c_literal(np.float32(0.1)) == "0.1f"
    assert c_literal(np.float32(3)) == "3.0f"
    assert c_literal(np.float64(-2.5)) == "(-2.5)"
    assert c_literal(np.float64(-np.inf)) == "(-1.0/0.0)"
    assert c_literal(np.int32(-2**31)) == "(-2147483647 - 1)"
    assert c_literal(np.int64(-2**63)) == "(-9223372036854775807LL - 1LL)"
    assert c_literal(np.uint64(2**64 - 1)) == "18446744073709551615ULL"
    assert c_literal(np.int8(-5)) == "((signed char)-5)"
    assert c_literal(np.bool_(True)) == "true"
    assert reduce_identity(P.reduce_max_p, np.float32) == "(-1.0f/0.0f)"
    assert reduce_identity(P.reduce_min_p, np.int32) == "2147483647"
    assert reduce_identity(P.reduce_max_p, np.bool_) == "false"


def test_rendering_is_deterministic_across_processes():
    """Identical inputs give identical text: no ids, no hash order (CuPy's disk cache)."""
    script = ("from tests.test_codegen import translation_unit, DTYPES\n"
              "print(''.join(translation_unit(d) for d in DTYPES))")
    outs = stdout_across_hash_seeds(script)
    assert len(outs) == 1
    assert outs.pop() == "".join(translation_unit(d) for d in DTYPES) + "\n"


# ---------------------------------------------------------------- NVRTC compile checks

def _kernel(name: str, in_types: list[str], out_type: str, expr_of_args) -> str:
    params = "".join(f"const {t}* __restrict__ x{i}, " for i, t in enumerate(in_types))
    args = [f"x{i}[i]" for i in range(len(in_types))]
    return (f'extern "C" __global__ void {name}({params}{out_type}* __restrict__ out) {{\n'
            f"  const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
            f"  out[i] = {expr_of_args(args)};\n}}\n")


def translation_unit(dtype: np.dtype) -> str:
    """One kernel per primitive for ``dtype``, plus select, conversions from ``dtype``, the
    reductions, every edge literal and a nested chain: what the renderer can emit."""
    t = c_type(dtype)
    parts = [PREAMBLE]
    for prim in OPERATORS:
        if (prim, dtype) in SUPPORTED:
            for k in range(prim.results):
                parts.append(_kernel(f"k_{prim}_{k}", [t] * nin(prim),
                                     c_type(out_dtype(prim, dtype)),
                                     lambda a, prim=prim, k=k: renders(prim, dtype, a)[k]))
    parts.append(_kernel("k_select", ["bool", t, t], t,
                         lambda a: c_expression(P.select_p, [np.bool_, dtype, dtype], dtype, a)))
    for new in DTYPES:
        parts.append(_kernel(f"k_convert_to_{new}", [t], c_type(new), lambda a, new=new: c_expression(
            P.convert_element_type_p, [dtype], new, a, {"new_dtype": new})))
    for new in BITCASTS.get(dtype, ()):
        parts.append(_kernel(f"k_bitcast_to_{new}", [t], c_type(new), lambda a, new=new: c_expression(
            P.bitcast_convert_type_p, [dtype], new, a, {"new_dtype": new})))
    for prim, d in REDUCTION_CASES:
        if d == dtype:
            parts.append(f'extern "C" __global__ void k_{prim}(const {t}* x, {t}* out) {{\n'
                         f"  {t} a = {reduce_identity(prim, dtype)}, b = x[threadIdx.x];\n"
                         f"  out[threadIdx.x] = {reduce_expr(prim, dtype)};\n}}\n")
    literals = ", ".join(c_literal(v) for v in EDGE_VALUES[dtype])
    parts.append(f'extern "C" __global__ void k_literals({t}* out) {{\n'
                 f"  const {t} values[] = {{{literals}}};\n"
                 f"  out[threadIdx.x] = values[threadIdx.x % {len(EDGE_VALUES[dtype])}];\n}}\n")
    for prim, ins, outs in MIXED_LOOPS:
        if ins[0] == dtype:
            for k in range(prim.results):
                parts.append(_kernel(f"k_{prim}_{ins[-1]}_{k}", [c_type(d) for d in ins],
                                     c_type(outs[k]), lambda a, prim=prim, ins=ins, outs=outs, k=k:
                                     c_expressions(prim, ins, outs, a)[k]))
    if dtype.kind == "f":  # a nested chain, as fusion emits: tanh(x * 2 + y) > 0.5
        one = c_literal(dtype.type(2))
        inner = render(P.add_p, dtype, [render(P.mul_p, dtype, ["x0[i]", one]), "x1[i]"])
        chain = render(P.gt_p, dtype, [render(P.tanh_p, dtype, [inner]), c_literal(dtype.type(0.5))])
        parts.append(_kernel("k_chain", [t, t], "bool", lambda a: chain))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def nvrtc():
    reason = nvrtc_unavailable_reason()
    if reason is not None:
        pytest.skip(f"NVRTC not available, CUDA compile checks skipped: {reason}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("std", ["--std=c++17", "--std=c++11"])
def test_every_expression_compiles_with_nvrtc(nvrtc, dtype, std):
    ptx = compile_cuda(translation_unit(dtype), name=f"gvmap_test_{dtype}.cu",
                       options=(std, "-arch=compute_90"))
    for prim, d in SUPPORTED:
        if d == dtype:
            for k in range(prim.results):
                assert f".entry k_{prim}_{k}(" in ptx
    for prim, ins, outs in MIXED_LOOPS:
        if ins[0] == dtype:
            for k in range(prim.results):
                assert f".entry k_{prim}_{ins[-1]}_{k}(" in ptx


def test_compile_errors_carry_log_and_numbered_source(nvrtc):
    source = PREAMBLE + '\nextern "C" __global__ void k(float* o) { o[0] = gvmap_no_such(); }\n'
    with pytest.raises(CudaCompileError) as info:
        compile_cuda(source, name="broken.cu")
    message = str(info.value)
    assert "gvmap_no_such" in message and "broken.cu" in message
    assert f"{len(source.splitlines())} | extern \"C\" __global__ void k" in message


# ---------------------------------------------------------------- host semantics with nvcc

def _edge_values(dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind == "f":
        big, small, subnormal = ((1e30, 1e-30, 7e-45) if dtype == np.float32
                                 else (1e300, 1e-300, 5e-324))
        info = np.finfo(dtype)
        # beyond the usual suspects: the largest finite value, -subnormal, the first
        # integer whose successor is not representable, and a divisor (0.3) whose
        # quotients round across an integer, as 1.0 // 0.1 does
        return np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5,
                         3.0, -7.0, 0.1, -0.75, 100.0, big, -big, small, subnormal,
                         -subnormal, info.max, 2.0 ** (info.nmant + 1), 0.3], dtype)
    info = np.iinfo(dtype)
    values = [0, 1, 2, 3, 7, 31, 100, info.max, info.max - 1]
    if dtype.kind == "i":
        values += [-1, -2, -3, -7, -100, info.min, info.min + 1]
    return np.array(values, dtype)


EDGE_VALUES = {d: _edge_values(d) for d in DTYPES}


SHIFTS = {P.shift_left_p, P.shift_right_p}

# NumPy's loops of the mixed-dtype primitives in kernel dtypes: (prim, operand dtypes, results)
_F32, _F64, _I32, _I64 = (np.dtype(d) for d in ("float32", "float64", "int32", "int64"))
MIXED_LOOPS = [(P.frexp_p, [f], [f, _I32]) for f in (_F32, _F64)] + [
    (P.ldexp_p, [f, e], [f]) for f in (_F32, _F64) for e in (_I32, _I64)]


def _mixed_operands(prim: P.Primitive, ins: list[np.dtype]) -> list[np.ndarray]:
    """The float edge values and more subnormals (frexp normalises them); for ldexp each
    against exponents that overflow, underflow to subnormals and to zero, and beyond int's
    range (NumPy clamps an int64 exponent)."""
    info = np.finfo(ins[0])
    x = np.concatenate([EDGE_VALUES[ins[0]], np.array(
        [info.smallest_subnormal * 3, -info.smallest_subnormal, info.tiny, info.tiny * 0.75,
         info.smallest_normal * 1.5, 1.0 + info.eps, -3.0 ** 20], ins[0])])
    if prim is P.frexp_p:
        return [x]
    exponents = [0, 1, -1, 2, 5, -5, 24, -24, 53, -53, 126, -126, 127, 128, -149, -150,
                 -1022, -1074, -1075, 1023, 1024, 2000, -2000, 2199, 2201, -2201,
                 2**31 - 1, -2**31]
    if ins[1] == np.int64:
        exponents += [2**31, -2**31 - 1, 2**32 + 1, -2**32 - 1, 2**62, -2**63, 2**63 - 1]
    a, b = zip(*itertools.product(x, exponents))
    return [np.array(a, ins[0]), np.array(b, ins[1])]


def _shift_counts(dtype: np.dtype) -> np.ndarray:
    """The edge values plus the counts around the width (width - 1 is the last defined in
    C, width and beyond are NumPy's 0 or -1) and negative ones, where the dtype holds them."""
    width = 8 * dtype.itemsize
    info = np.iinfo(dtype)
    extra = [c for c in (width - 1, width, width + 1, 2 * width, -width, -width - 1)
             if info.min <= c <= info.max]
    return np.unique(np.concatenate([EDGE_VALUES[dtype], np.array(extra, dtype)]))


def _operands(prim: P.Primitive, dtype: np.dtype) -> list[np.ndarray]:
    values = EDGE_VALUES[dtype]
    if nin(prim) == 1:
        return [values]
    second = _shift_counts(dtype) if prim in SHIFTS else values
    a, b = (np.array(x, dtype) for x in zip(*itertools.product(values, second)))
    return [a, b]


def _convert_inputs(src: np.dtype, dst: np.dtype) -> np.ndarray:
    """Inputs whose conversion C defines: floats to integers only in range (NumPy itself
    warns and gives platform-specific values outside it)."""
    x = EDGE_VALUES[src]
    if src.kind == "f" and dst.kind in "iu":
        with np.errstate(invalid="ignore"):
            t = np.trunc(x)
            x = x[np.isfinite(x) & (t >= np.iinfo(dst).min) & (t <= np.iinfo(dst).max)]
    return x


# x.view(new) between kernel dtypes of one itemsize (bool only as the source)
BITCASTS = {d: [n for n in DTYPES if n != d and n.kind != "b" and n.itemsize == d.itemsize]
            for d in DTYPES}


def _bitcast_inputs(dtype: np.dtype) -> np.ndarray:
    """The edge values, and for floats NaNs with payloads and either sign (which a
    conversion through a float register could quiet or drop) and the smallest subnormals."""
    x = EDGE_VALUES[dtype]
    if dtype.kind != "f":  # integers: those bit patterns too, read as floats of their size
        same_size = {4: np.dtype(np.float32), 8: np.dtype(np.float64)}.get(dtype.itemsize)
        return x if same_size is None else np.concatenate([x, _bitcast_inputs(same_size).view(dtype)])
    info, u = np.finfo(dtype), np.dtype(f"u{dtype.itemsize}")
    top = u.type(1) << u.type(8 * dtype.itemsize - 1)
    exponent = u.type(((1 << info.nexp) - 1) << info.nmant)
    nans = np.array([exponent | 1, exponent | 5 | top, exponent | (u.type(1) << u.type(info.nmant - 1)) | top,
                     exponent | u.type((1 << info.nmant) - 1)], u).view(dtype)
    subnormals = np.array([info.smallest_subnormal, -info.smallest_subnormal, info.tiny / 2], dtype)
    return np.concatenate([x, nans, subnormals])


def _host_cases():
    """(name, C element type per operand, C out type, expression over a0.., inputs, expected)."""
    cases = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prim, dtype in SUPPORTED:
            operands = _operands(prim, dtype)
            if prim is P.pow_p and dtype.kind == "i":  # NumPy raises for negative exponents
                keep = operands[1] >= 0
                operands = [x[keep] for x in operands]
            expected = getattr(np, prim.ufunc)(*operands)
            args = [f"a{i}" for i in range(len(operands))]
            if prim.multiple_results:  # one case per result
                for k, (expr, want) in enumerate(zip(renders(prim, dtype, args), expected)):
                    cases.append((f"{case_id(prim, dtype)}-{k}", operands, expr, want))
            else:
                cases.append((case_id(prim, dtype), operands, render(prim, dtype, args),
                              expected))
        for prim, ins, outs in MIXED_LOOPS:
            operands = _mixed_operands(prim, ins)
            expected = getattr(np, prim.ufunc)(*operands)
            expected = expected if prim.multiple_results else (expected,)
            args = [f"a{i}" for i in range(len(operands))]
            for k, (expr, want) in enumerate(zip(c_expressions(prim, ins, outs, args), expected)):
                assert want.dtype == outs[k], (prim, ins, want.dtype)  # NumPy's loop
                cases.append((f"{prim}-{'-'.join(map(str, ins))}-{k}", operands, expr, want))
        for dtype in DTYPES:  # where NumPy raises, the truncated real result 1 / a**-b
            if dtype.kind == "i":
                a, b = _operands(P.pow_p, dtype)
                a, b = a[b < 0], b[b < 0]
                expected = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2, -1, 1), 0))
                cases.append((f"pow-negative-exponent-{dtype}", [a, b],
                              render(P.pow_p, dtype, ["a0", "a1"]), expected.astype(dtype)))
        for dtype in DTYPES:
            a, b = _operands(P.add_p, dtype)
            pred = (np.arange(a.size) % 3) == 0
            expr = c_expression(P.select_p, [np.bool_, dtype, dtype], dtype, ["a0", "a1", "a2"])
            cases.append((f"select-{dtype}", [pred, a, b], expr, np.where(pred, a, b)))
            cases.append((f"literals-{dtype}", [], None, EDGE_VALUES[dtype]))
            for new in DTYPES:
                x = _convert_inputs(dtype, new)
                expr = c_expression(P.convert_element_type_p, [dtype], new, ["a0"],
                                    {"new_dtype": new})
                cases.append((f"convert-{dtype}-to-{new}", [x], expr, x.astype(new)))
        for dtype, targets in BITCASTS.items():  # x.view(new): every bit kept
            x = _bitcast_inputs(dtype)
            for new in targets:
                expr = c_expression(P.bitcast_convert_type_p, [dtype], new, ["a0"],
                                    {"new_dtype": new})
                cases.append((f"bitcast-{dtype}-to-{new}", [x], expr, x.view(new)))
        for dtype in DTYPES:  # the gather index rule: out of bounds outside [-size, size)
            if dtype.kind in "iu":
                values = EDGE_VALUES[dtype]
                for size in (0, 1, 3, 7, 100, 128, 255, 256, 2**31, 2**63 - 1):
                    cases.append((f"index_out_of_bounds-{dtype}-{size}", [values],
                                  index_out_of_bounds(dtype, size, "a0"),
                                  out_of_bounds_mask(np, values, size)))
        for prim, dtype in REDUCTION_CASES:
            values = EDGE_VALUES[dtype]
            expr = reduce_expr(prim, dtype)
            reducer = getattr(np, {P.reduce_sum_p: "add", P.reduce_prod_p: "multiply",
                                   P.reduce_max_p: "maximum", P.reduce_min_p: "minimum",
                                   P.reduce_and_p: "logical_and",
                                   P.reduce_or_p: "logical_or"}[prim])
            # fold left from the identity; each step is one reduce_expr
            expected = reducer.accumulate(values, dtype=dtype)
            cases.append((case_id(prim, dtype), [values], (reduce_identity(prim, dtype), expr),
                          expected))
    return cases


def _host_program(cases) -> str:
    lines = ["#include <cstdio>", "#include <cstring>", PREAMBLE,
             "template <typename T> static void emit(const char* name, T v) {",
             "  unsigned long long bits = 0; memcpy(&bits, &v, sizeof(T));",
             '  printf("%s %llx\\n", name, bits);', "}"]
    for n, (name, operands, expr, expected) in enumerate(cases):
        t_out = c_type(expected.dtype)
        lines.append(f"static void case{n}() {{")
        if name.startswith("literals-"):
            lines.append(f"  const {t_out} v[] = {{{', '.join(map(c_literal, expected))}}};")
            lines.append(f"  for (int i = 0; i < {expected.size}; i++) emit(\"{name}\", v[i]);")
        elif isinstance(expr, tuple):  # reduction: a running fold from the identity
            identity, step = expr
            lines.append(f"  const {t_out} x[] = {{{', '.join(map(c_literal, operands[0]))}}};")
            lines.append(f"  {t_out} a = {identity};")
            lines.append(f"  for (int i = 0; i < {expected.size}; i++) {{ {t_out} b = x[i];"
                         f" a = {step}; emit(\"{name}\", a); }}")
        else:
            for i, x in enumerate(operands):
                lines.append(f"  const {c_type(x.dtype)} x{i}[] = {{{', '.join(map(c_literal, x)) or '0'}}};")
            lines.append(f"  for (int i = 0; i < {expected.size}; i++) {{")
            for i, x in enumerate(operands):
                lines.append(f"    const {c_type(x.dtype)} a{i} = x{i}[i];")
            lines.append(f"    const {t_out} r = {expr}; emit(\"{name}\", r);")
            lines.append("  }")
        lines.append("}")
    lines.append("int main() {")
    lines += [f"  case{n}();" for n in range(len(cases))]
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


HOST_CASES = _host_cases()


@pytest.fixture(scope="module")
def host_results(tmp_path_factory):
    nvcc = nvcc_or_skip("host semantics of the CUDA expressions")
    run = build_and_run(nvcc, tmp_path_factory.mktemp("codegen"), "semantics",
                        _host_program(HOST_CASES))
    results: dict[str, list[int]] = {}
    for line in run.stdout.splitlines():
        name, bits = line.split()
        results.setdefault(name, []).append(int(bits, 16))
    return results


def _from_bits(bits: list[int], dtype: np.dtype) -> np.ndarray:
    unsigned = np.dtype(f"u{dtype.itemsize}")
    return np.array(bits, np.uint64).astype(unsigned).view(dtype)


@pytest.mark.parametrize("case", HOST_CASES, ids=[c[0] for c in HOST_CASES])
def test_host_semantics_match_numpy(host_results, case):
    name, operands, expr, expected = case
    got = _from_bits(host_results.get(name, []), expected.dtype)
    assert got.shape == expected.shape, f"{name}: {got.size} results for {expected.size} inputs"
    prim_name = name.split("-")[0]
    approximate = any(prim_name == str(p) for p in TRANSCENDENTAL) and expected.dtype.kind == "f"
    if approximate:
        rtol = 1e-6 if expected.dtype == np.float32 else 1e-14
        close = np.isclose(got, expected, rtol=rtol, atol=0, equal_nan=True)
    else:  # exact, zero signs included (NaN payloads aside)
        same_bits = got.view(f"u{got.itemsize}") == expected.view(f"u{got.itemsize}")
        close = same_bits | (np.isnan(got) & np.isnan(expected)) if got.dtype.kind == "f" else same_bits
    bad = np.flatnonzero(~close)
    if bad.size:
        rows = [f"  inputs {[x[i] for x in operands] if operands and isinstance(expr, str) else i}: "
                f"C gives {got[i]!r}, NumPy {expected[i]!r}" for i in bad[:12]]
        pytest.fail(f"{name}: {bad.size} of {expected.size} differ from NumPy "
                    f"(expression {expr}):\n" + "\n".join(rows))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_the_floor_division_cases_cupy_gets_wrong(host_results, dtype):
    """The values CuPy's floor_divide / remainder give differently (10.0, 0.0, NaN): the C
    helpers give NumPy's, which is why a lone ``//`` or ``%`` runs as gvmap's kernel."""
    cases = {("floor_div", 1.0, 0.1): 9.0, ("rem", 1.0, 0.1): np.remainder(dtype(1.0), dtype(0.1)),
             ("rem", 1.0, np.inf): 1.0, ("rem", -1.0, np.inf): np.inf,
             ("floor_div", -0.0, 1.0): -0.0, ("rem", 1.0, -1.0): -0.0,
             ("floor_div", np.nan, 1.0): np.nan, ("rem", 1.0, np.nan): np.nan}
    for (prim, a, b), want in cases.items():
        x, y = _operands(getattr(P, f"{prim}_p"), np.dtype(dtype))
        same = lambda values, v: (values == dtype(v)) | (np.isnan(values) & np.isnan(v))
        (k,) = np.flatnonzero(same(x, a) & same(y, b) & (np.signbit(x) == np.signbit(a)))
        got = _from_bits(host_results[f"{prim}-{np.dtype(dtype)}"], np.dtype(dtype))[k]
        assert (np.isnan(got) and np.isnan(want)) or (got == want and np.signbit(got) == np.signbit(want)), (
            f"{a} {prim} {b}: C gives {got!r}, NumPy {want!r}")


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64], ids=str)
def test_the_shift_and_fmod_cases_cupy_gets_wrong(host_results, dtype):
    """CuPy's ``in0 << in1`` / ``in0 >> in1`` are undefined in C for a count >= the width
    or a negative one, and its integer fmod goes through double; the C helpers give
    NumPy's values, which is why a lone shift or integer fmod runs as gvmap's kernel."""
    dtype = np.dtype(dtype)
    info, width = np.iinfo(dtype), 8 * dtype.itemsize
    cases = {("shift_left", 1, width): 0,
             ("shift_left", 1, width - 1): dtype.type(1) << dtype.type(width - 1),
             ("shift_right", info.max, width): 0, ("shift_right", info.max, width + 1): 0,
             ("fmod", info.max, 2): 1, ("fmod", info.max - 1, 7): (info.max - 1) % 7}
    if dtype.kind == "i":
        cases.update({("shift_left", 1, -1): 0, ("shift_right", -7, width): -1,
                      ("shift_right", -7, -1): -1, ("shift_right", info.min, width - 1): -1,
                      ("fmod", -7, 3): -1, ("fmod", info.min, -1): 0})
    for (name, a, b), want in cases.items():
        prim = getattr(P, f"{name}_p")
        x, y = _operands(prim, dtype)
        (k,) = np.flatnonzero((x == dtype.type(a)) & (y == np.array(b).astype(dtype)))
        assert getattr(np, prim.ufunc)(x[k], y[k]) == np.array(want).astype(dtype)  # NumPy's
        got = _from_bits(host_results[f"{name}-{dtype}"], dtype)[k]
        assert got == np.array(want).astype(dtype), (
            f"{a} {name} {b}: C gives {got!r}, NumPy {want!r}")


BITCAST_CASES = [c for c in HOST_CASES if c[0].startswith("bitcast-")]


@pytest.mark.parametrize("case", BITCAST_CASES, ids=[c[0] for c in BITCAST_CASES])
def test_bitcast_keeps_every_bit(host_results, case):
    """x.view(new) in C: the same bits as NumPy's view, NaN payloads and signs included
    (which the general comparison above forgives for float results)."""
    name, (x,), expr, expected = case
    got = _from_bits(host_results.get(name, []), expected.dtype)
    u = f"u{expected.itemsize}"
    assert got.view(u).tolist() == expected.view(u).tolist(), (name, expr)
    floats = x if x.dtype.kind == "f" else expected if expected.dtype.kind == "f" else None
    if floats is not None:  # the payloads are there to be kept
        assert len(set(floats[np.isnan(floats)].view(u).tolist())) >= 4
