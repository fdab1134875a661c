"""CuPy's own kernel generators, driven without a GPU, on the kernels gvmap renders.

gvmap hands CuPy the *fields* of a kernel (``KernelSource``: in_params, operation,
map_expr, reduce_expr, identity, preamble...); ``cupy.ElementwiseKernel`` and
``cupy.ReductionKernel`` put them into CuPy's own templates (CArray parameters, the CIndexer
loop, the REDUCE/POST_MAP macros, CUB's block reduction with its ``x0 -> in0`` renaming) and
NVRTC compiles the result on the first launch. test_codegen.py and test_fusion.py compile
gvmap's standalone translation units; this file compiles what CuPy itself would compile, so
a kernel that only breaks inside CuPy's templates fails on a CPU-only machine instead of on
the first GPU run.

How, with no device (private CuPy API, so everything skips, naming why, where it is gone):

- source: ``ElementwiseKernel._decide_params_type`` and
  ``_kernel._get_elementwise_kernel_code`` (arguments as ``_kernel._ArgInfo``);
  ``_reduction._ReductionKernel_get_cached_function_code``; the CUB kernel has no code-only
  entry point, so ``_cub_reduction._SimpleCubReductionKernel_get_cached_function`` runs
  unmemoized with CuPy's compile call (``cupy.cuda.compiler._compile_module_with_cache``)
  intercepted, which hands over the exact source and options.
- arguments: what CuPy derives for contiguous operands of the region's shape (its
  ``_reduce_dims`` folds them to 1-d for an elementwise kernel, to (reduced, kept) for a
  reduction), 32-bit indexing, block size 512 (CuPy's largest; only a constant differs).
- compile: CuPy's headers prepended and ``assemble_cupy_compiler_options(())``, as
  ``compile_with_cache`` does, plus what CuPy's NVRTC path appends: ``-ftz=true``,
  ``-arch=sm_90`` (a cubin, as CuPy builds for an H100/H200),
  ``--device-as-default-execution-space``, and ``--pch`` (CuPy's own
  ``CUPY_NVRTC_USE_PCH=1`` option: the same binary, built faster). CuPy's NVRTC binding
  compiles; ``test_reconstruction_matches_cupys_own_compile_call`` checks that the
  reconstruction equals what CuPy itself passes on.
- cost: each distinct (source, options) compiles once per session, two at a time.

Coverage: (a) every fused kernel of the benchmark models (benches/models.py) and of
test_fusion.py's models, through every path CuPy may take for it (the simple kernels and,
for one input, CUB's). (b) A sweep over the kernel dtypes: one multi-output elementwise
kernel per dtype holding every elementwise primitive the dtype has a C expression for (plus
select, every conversion, edge literals); the same primitives as the map of a reduction,
and every reduction kind; CUB kernels for the kinds the models leave out, and a two-pass
full reduction. (c) The kernels of the first random programs of test_random_programs.py's
generator (the same programs every run). ``GVMAP_CUPY_CODEGEN=full`` feeds every kind the
all-primitive map, sends every kind x dtype through CUB and draws 1000 programs (minutes).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib.util
import itertools
import os
import sys
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pytest

import gvmap
from gvmap import primitives as P
from gvmap.codegen.cuda import c_expressions
from gvmap.codegen.render import (ElementwiseSource, KernelSource, ReductionSource,
                                  render_region)
from gvmap.fusion import KERNEL_DTYPES, Region
from gvmap.graph import AbstractArray, Eqn, Literal, Var
from gvmap.implementations import make_impl

FULL = os.environ.get("GVMAP_CUPY_CODEGEN", "").lower() == "full"
RANDOM_PROGRAMS = 1000 if FULL else 60
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK_SIZE = 512
ARCH = "90"  # H100/H200: CuPy compiles a cubin for sm_90


# ---------------------------------------------------------------- CuPy's private entry points

def _cupy_internals() -> SimpleNamespace:
    """The private CuPy functions this file drives, or a skip that names the missing one."""
    try:
        import cupy
    except ImportError as exc:
        pytest.skip(f"CuPy is not installed ({exc}); the test extra installs cupy-cuda13x",
                    allow_module_level=True)
    except Exception as exc:  # a broken install raising at import
        pytest.skip(f"CuPy failed to import ({type(exc).__name__}: {exc})",
                    allow_module_level=True)
    try:
        from cupy._core import _carray, _cub_reduction, _kernel, _reduction, _scalar, core
        from cupy.cuda import compiler, memory
        ns = SimpleNamespace(
            cupy=cupy, compiler=compiler,
            ArgInfo=_kernel._ArgInfo, TypeMap=_kernel._TypeMap,
            param_info=_kernel._get_param_info,
            elementwise_code=_kernel._get_elementwise_kernel_code,
            elementwise_compile=_kernel._get_elementwise_kernel.__wrapped__,
            reduction_decide=_reduction._decide_params_type,
            reduction_code=_reduction._ReductionKernel_get_cached_function_code,
            reduction_compile=_reduction._ReductionKernel_get_cached_function.__wrapped__,
            cub_compile=_cub_reduction._SimpleCubReductionKernel_get_cached_function.__wrapped__,
            headers=core._cupy_header_list, assemble=core.assemble_cupy_compiler_options,
            compile_call=compiler._compile_module_with_cache, program=compiler._NVRTCProgram,
            compile_error=compiler.CompileException, nvrtc_version=compiler._get_nvrtc_version,
            indexer=_carray.Indexer, scalar=_scalar.CScalar, pointer=memory.MemoryPointer)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"CuPy {cupy.__version__} lacks a private entry point this test drives "
                    f"({type(exc).__name__}: {exc}); update tests/test_cupy_codegen.py",
                    allow_module_level=True)
    try:
        ns.nvrtc = ns.nvrtc_version()
    except Exception as exc:
        pytest.skip(f"CuPy cannot load NVRTC ({type(exc).__name__}: {exc}); install "
                    f"nvidia-cuda-nvrtc", allow_module_level=True)
    try:
        ns.options = ns.assemble(())
    except Exception as exc:  # no CUDA headers: CuPy says which to install
        pytest.skip(f"CuPy cannot assemble its compile options ({type(exc).__name__}: {exc})",
                    allow_module_level=True)
    ns.header = "".join(f"#include <{h}>\n" for h in ns.headers)
    # What CuPy's NVRTC path (compiler._compile_with_cache_cuda, then
    # _compile_using_nvrtc_no_warning) appends to the options it was given.
    ns.tail = ("-ftz=true", f"-arch=sm_{ARCH}", "--device-as-default-execution-space")
    if tuple(ns.nvrtc) >= (12, 8):
        ns.tail += ("--pch",)
        _enlarge_pch_heap()
    return ns


def _enlarge_pch_heap() -> None:
    """CUB's headers need ~350 MB of precompiled-header heap, more than NVRTC's default:
    without it every CUB kernel reparses them (4 s instead of under 1 s). Only speed
    depends on this; where it cannot be set, nothing else changes."""
    try:
        import ctypes

        from cuda import pathfinder

        lib = ctypes.CDLL(pathfinder.load_nvidia_dynamic_lib("nvrtc").abs_path)
        lib.nvrtcSetPCHHeapSize.argtypes = [ctypes.c_size_t]
        lib.nvrtcSetPCHHeapSize(1 << 29)
    except Exception:
        pass


CUPY = _cupy_internals()
ARG_NDARRAY, ARG_INDEXER, ARG_SCALAR, ARG_POINTER = 1, 2, 3, 4  # CuPy's _ArgKind values


def _array(dtype: Any, ndim: int) -> Any:
    return CUPY.ArgInfo(ARG_NDARRAY, CUPY.cupy.ndarray, np.dtype(dtype), ndim, True, True)


def _indexer(ndim: int) -> Any:
    return CUPY.ArgInfo(ARG_INDEXER, CUPY.indexer, None, ndim, True, True)


def _int32_scalar() -> Any:
    return CUPY.ArgInfo(ARG_SCALAR, CUPY.scalar, np.dtype(np.int32), 0, True, True)


def _pointer() -> Any:
    return CUPY.ArgInfo(ARG_POINTER, CUPY.pointer, None, 0, True, True)


def _dtypes(params: str) -> tuple[np.dtype, ...]:
    """The dtypes of CuPy's parameter list ``"float32 x0, bool x1"``."""
    return tuple(np.dtype(p.split()[0]) for p in params.split(",") if p.strip())


# ---------------------------------------------------------------- CuPy's sources of a kernel

@dataclass(frozen=True)
class CupySource:
    """One translation unit exactly as CuPy hands it to NVRTC."""

    path: str                 # "elementwise", "reduction", "cub", "cub-pass1", "cub-pass2"
    name: str                 # the extern "C" kernel name
    source: str
    options: tuple[str, ...]  # before CuPy's NVRTC tail (CUPY.tail)
    origin: str               # where the gvmap kernel came from, for failure messages


def elementwise_source(ks: KernelSource, origin: str) -> CupySource:
    """What ``cupy.ElementwiseKernel(...)(*inputs, *outputs)`` compiles for contiguous
    operands (gvmap passes its outputs, so CuPy types them from the arrays)."""
    kernel = CUPY.cupy.ElementwiseKernel(ks.in_params, ks.out_params, ks.operation, ks.name,
                                         preamble=ks.preamble)
    in_types, out_types, type_map = kernel._decide_params_type(
        _dtypes(ks.in_params), _dtypes(ks.out_params))
    arginfos = tuple(_array(t, 1) for t in in_types + out_types) + (_indexer(1),)
    code = CUPY.elementwise_code(arginfos, type_map, kernel.params, kernel.operation,
                                 kernel.name, kernel.preamble)
    # CuPy binds each array argument to its name only for ndarray arguments: if the
    # _ArgKind numbering changed, this line is missing and the kernel would not mean much.
    first = f"{ks.in_params},{ks.out_params}".strip(",").split(",")[0].split()[1]
    assert f"&{first} = _raw_{first}[_ind.get()];" in code, code
    return CupySource("elementwise", ks.name, CUPY.header + code, CUPY.options, origin)


def _reduction_kernel(ks: KernelSource) -> Any:
    return CUPY.cupy.ReductionKernel(ks.in_params, ks.out_params, ks.map_expr, ks.reduce_expr,
                                     ks.post_map_expr, ks.identity, ks.name,
                                     reduce_type=ks.reduce_type, preamble=ks.preamble)


def _reduction_types(kernel: Any, ks: KernelSource) -> tuple:
    # gvmap calls kernel(*inputs, axis=...): CuPy types the inputs by scalar type and
    # takes the output's dtype from out_params; 32-bit indexing adds IndexT.
    in_types, out_types, type_map = CUPY.reduction_decide(
        kernel.in_params, kernel.out_params, tuple(d.type for d in _dtypes(ks.in_params)), ())
    return in_types, out_types, CUPY.TypeMap(type_map._pairs + (("IndexT", "int32"),))


def _reduction_args(kernel: Any, ks: KernelSource) -> tuple:
    in_types, out_types, type_map = _reduction_types(kernel, ks)
    kept = len(ks.shape) - len(ks.axes) > 0
    arginfos = (tuple(_array(t, 1 + kept) for t in in_types)
                + tuple(_array(t, int(kept)) for t in out_types)
                + (_indexer(1 + kept), _indexer(int(kept)), _int32_scalar()))
    return (kernel.nin, kernel.nout, kernel._params, arginfos, type_map, kernel.name,
            BLOCK_SIZE, kernel.reduce_type, kernel.identity, kernel.map_expr,
            kernel.reduce_expr, kernel.post_map_expr, kernel.preamble, kernel.options)


def reduction_source(ks: KernelSource, origin: str) -> CupySource:
    """What ``cupy.ReductionKernel(...)(*inputs, axis=axes)`` compiles when CuPy does not
    take the CUB path (several inputs, non-contiguous operands, short reductions)."""
    kernel = _reduction_kernel(ks)
    code = CUPY.reduction_code(*_reduction_args(kernel, ks))
    assert "_type_reduce _a = static_cast<_type_reduce>(" + ks.map_expr + ")" in code, code
    return CupySource("reduction", ks.name, CUPY.header + code, CUPY.options, origin)


class _Intercepted(Exception):
    pass


def capture_compile(fn: Callable, *args: Any) -> tuple[str, tuple[str, ...]]:
    """Run a CuPy kernel builder up to its compile call and return that call's (source,
    options) instead of compiling (which would need a device)."""
    seen: dict = {}

    def intercept(source, options=(), **kwargs):
        seen["call"] = (source, tuple(options))
        raise _Intercepted

    CUPY.compiler._compile_module_with_cache = intercept
    failure = None
    try:
        fn(*args)
    except Exception as exc:  # _Intercepted, or CuPy wrapping it
        failure = exc
    finally:
        CUPY.compiler._compile_module_with_cache = CUPY.compile_call
    if "call" not in seen:
        pytest.skip(f"CuPy {CUPY.cupy.__version__} no longer compiles through "
                    f"cupy.cuda.compiler._compile_module_with_cache (the builder ended with "
                    f"{failure!r}); update tests/test_cupy_codegen.py")
    return seen["call"]


def cub_sources(ks: KernelSource, origin: str) -> list[CupySource]:
    """The CUB block reduction CuPy's ReductionKernel takes for one contiguous input
    reduced over trailing axes (128 elements or more per output, CUPY_ACCELERATORS=cub,
    the default): one segmented pass, or, for a full reduction, CuPy's two passes."""
    kernel = _reduction_kernel(ks)
    (in_type,), (out_type,), type_map = _reduction_types(kernel, ks)
    # As cupy._core._cub_reduction._try_to_call_cub_reduction (a cdef function) prepares
    # them: int32 segment sizes, and the operands renamed to in0/out0 by text replacement.
    params = (kernel._params[0:2] + CUPY.param_info("int32 _segment_size", True)
              + CUPY.param_info("int32 _array_size", True))
    old_in, old_out = params[0].name, params[1].name
    map_expr, post_map_expr = ks.map_expr, ks.post_map_expr
    pairs = type_map._pairs + (("sizeT", "int32"),)
    if (old_in, old_out) != ("in0", "out0"):
        params = CUPY.param_info("T in0", True) + CUPY.param_info("T out0", False) + params[2:]
        map_expr = map_expr.replace(old_in, "in0")
        post_map_expr = post_map_expr.replace(old_out, "out0")
        pairs += (("type_in0_raw", in_type.type), ("type_out0_raw", out_type.type))
    type_map = CUPY.TypeMap(pairs)
    ndim, kept = len(ks.shape), len(ks.shape) - len(ks.axes)
    size = (_int32_scalar(), _int32_scalar())
    common = (kernel.reduce_type, params)
    tail = (BLOCK_SIZE, kernel.identity, kernel.preamble)
    if kept:
        passes = [("cub", ks.name, map_expr, post_map_expr,
                   (_array(in_type, ndim), _array(out_type, kept)) + size, ())]
    else:
        passes = [("cub-pass1", ks.name + "_pass1", map_expr, post_map_expr,
                   (_array(in_type, ndim), _pointer()) + size, ("-DFIRST_PASS=1",)),
                  ("cub-pass2", ks.name + "_pass2", "in0", post_map_expr,
                   (_pointer(), _array(out_type, 0)) + size, ("-DSECOND_PASS=1",))]
    out = []
    for path, name, pre_map, post_map, arginfos, options in passes:
        source, opts = capture_compile(
            CUPY.cub_compile, pre_map, kernel.reduce_expr, post_map, *common, arginfos,
            type_map, name, *tail, options, 4)
        out.append(CupySource(path, name, source, opts, origin))
    return out


def cupy_sources(ks: KernelSource, origin: str, cub: bool = True) -> list[CupySource]:
    """Every translation unit CuPy may build for one gvmap kernel."""
    if isinstance(ks, ElementwiseSource):
        return [elementwise_source(ks, origin)]
    sources = [reduction_source(ks, origin)]
    if cub and len(_dtypes(ks.in_params)) == 1:
        sources += cub_sources(ks, origin)
    return sources


# ---------------------------------------------------------------- compiling, once per source

_COMPILED: dict[tuple[str, tuple[str, ...]], str | None] = {}


def _numbered(source: str) -> str:
    lines = source.splitlines()
    return "\n".join(f"{i:>4} | {line}" for i, line in enumerate(lines, 1))


def _compile(src: CupySource) -> str | None:
    """None when NVRTC builds the kernel as CuPy would, else the failure, with the log,
    CuPy's source and gvmap's origin."""
    options = src.options + CUPY.tail
    try:
        program = CUPY.program(src.source, f"{src.name}.cu", method="cubin")
        cubin, _ = program.compile(options)
    except CUPY.compile_error as exc:
        return (f"{src.path} kernel {src.name} ({src.origin}) does not compile as CuPy "
                f"compiles it, with options {list(options)}:\n{exc}\n"
                f"--- CuPy's source ---\n{_numbered(src.source)}")
    if src.name.encode() not in cubin:
        return f"{src.path} kernel {src.name} ({src.origin}): no such symbol in the cubin"
    return None


def compile_all(sources: Iterable[CupySource]) -> list[str]:
    """Compile every source not compiled before (two NVRTC programs at a time: NVRTC
    releases the GIL) and return the failures among all of them."""
    by_key: dict[tuple, CupySource] = {}
    for src in sources:
        by_key.setdefault((src.source, src.options), src)
    todo = [src for key, src in by_key.items() if key not in _COMPILED]
    # The first compile alone: it builds NVRTC's precompiled header the others reuse.
    for src in todo[:1]:
        _COMPILED[(src.source, src.options)] = _compile(src)
    workers = max(1, min(2, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for src, error in zip(todo[1:], pool.map(_compile, todo[1:])):
            _COMPILED[(src.source, src.options)] = error
    return [_COMPILED[key] for key in by_key if _COMPILED[key] is not None]


def assert_compiles(sources: Sequence[CupySource]) -> None:
    assert sources, "no CuPy source was generated"
    failures = compile_all(sources)
    assert not failures, f"{len(failures)} of {len(sources)} CuPy kernels fail:\n\n" + \
        "\n\n".join(failures)


def plan_kernels(lowered: Any) -> list[KernelSource]:
    """The fused kernels of a lowered plan (a row plan's RawKernel is not CuPy-generated;
    test_rowkernel.py compiles those)."""
    return [s.kernel for s in getattr(lowered.plan, "steps", ()) if s.kernel is not None]


@pytest.fixture
def batched_plans(monkeypatch):
    monkeypatch.delenv("GVMAP_ROW_KERNELS", raising=False)


# ---------------------------------------------------------------- the reconstruction itself

def test_reconstruction_matches_cupys_own_compile_call():
    """The source and options compiled here are those CuPy's own kernel builders pass to
    their compile call: headers, include paths and standard included."""
    x, y = Var(AbstractArray((4, 8), np.float32)), Var(AbstractArray((4, 8), np.float32))
    t = Var(AbstractArray((4, 8), np.float32))
    s = Var(AbstractArray((4,), np.float32))
    region = Region("reduction", [Eqn(P.mul_p, (x, y), (t,))],
                    Eqn(P.reduce_sum_p, (t,), (s,), {"axes": (1,)}), inputs=(x, y), outputs=(s,))
    ks = render_region(region)
    mine = reduction_source(ks, "a product summed")
    kernel = _reduction_kernel(ks)
    assert capture_compile(CUPY.reduction_compile, *_reduction_args(kernel, ks)) == (
        mine.source, mine.options)

    region = Region("elementwise", [Eqn(P.mul_p, (x, y), (t,))], inputs=(x, y), outputs=(t,))
    ks = render_region(region)
    mine = elementwise_source(ks, "a product")
    kernel = CUPY.cupy.ElementwiseKernel(ks.in_params, ks.out_params, ks.operation, ks.name,
                                         preamble=ks.preamble)
    arginfos = tuple(_array(np.float32, 1) for _ in range(3)) + (_indexer(1),)
    _, _, type_map = kernel._decide_params_type(_dtypes(ks.in_params), _dtypes(ks.out_params))
    assert capture_compile(CUPY.elementwise_compile, arginfos, type_map, kernel.params,
                           kernel.operation, kernel.name, kernel.preamble) == (
        mine.source, mine.options)
    assert mine.source.startswith(CUPY.header) and "--std=c++17" in mine.options


def test_a_broken_kernel_is_reported_with_cupys_source():
    """The check can fail: a kernel CuPy's NVRTC rejects comes back with log and source."""
    x, y = Var(AbstractArray((4,), np.float32)), Var(AbstractArray((4,), np.float32))
    ks = render_region(Region("elementwise", [Eqn(P.neg_p, (x,), (y,))], inputs=(x,),
                              outputs=(y,)))
    broken = dataclasses.replace(ks, operation=ks.operation + "\ngvmap_no_such(y0);")
    (error,) = compile_all([elementwise_source(broken, "a deliberately broken kernel")])
    assert "gvmap_no_such" in error and "deliberately broken" in error
    assert "CUPY_FOR(i, _ind.size())" in error  # CuPy's template, not gvmap's unit


# ---------------------------------------------------------------- (a) the test models

def _bench_models() -> dict:
    spec = importlib.util.spec_from_file_location(
        "gvmap_bench_models", os.path.join(REPO, "benches", "models.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module.MODELS


def _model_kernels() -> list[tuple[str, KernelSource]]:
    from test_fusion import MODELS, _inputs

    out = []
    for name, model in _bench_models().items():
        lowered = gvmap.vmap(model.numpy_example).lower(model.host_input(3), backend="cupy")
        out += [(f"benches/models.py {name}", k) for k in plan_kernels(lowered)]
    for name, (fn, shape) in MODELS.items():
        lowered = gvmap.vmap(fn).lower(_inputs(shape, name), backend="cupy")
        out += [(f"test_fusion.py {name}", k) for k in plan_kernels(lowered)]
    return out


def test_model_kernels_compile_through_every_cupy_path(batched_plans):
    kernels = _model_kernels()
    kinds = {type(k) for _, k in kernels}
    assert kinds == {ElementwiseSource, ReductionSource}, kinds
    sources = [s for origin, k in kernels for s in cupy_sources(k, origin)]
    assert {"elementwise", "reduction", "cub"} <= {s.path for s in sources}
    assert_compiles(sources)


# ---------------------------------------------------------------- (b) primitive x dtype sweep

DTYPES = sorted(KERNEL_DTYPES, key=lambda d: (d.kind, d.itemsize))
OPERATORS = sorted((P.ELEMENTWISE - {P.select_p, P.convert_element_type_p, P.bitcast_convert_type_p}),
                   key=str)
REDUCTIONS = [P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p,
              P.reduce_and_p, P.reduce_or_p]
BOOL = np.dtype(np.bool_)
SHAPE = (4, 8)


def _nin(prim: P.Primitive) -> int:
    return 1 if prim in P.UNARY else 2


def _eqn(prim: P.Primitive, args: Sequence[Any], **params: Any) -> Eqn:
    avals = P.abstract_eval(prim, [a.aval for a in args], params)
    return Eqn(prim, tuple(args), tuple(Var(aval) for aval in avals), params)


def _args(prim: P.Primitive, x: Any, other: Any) -> tuple:
    """The operands of ``prim`` in the sweeps: x (and other); ldexp's exponent is an int32
    literal, as NumPy's ``fi->f`` / ``di->d`` loops take (P.MIXED_DTYPES)."""
    if prim is P.ldexp_p:
        return (x, Literal(np.int32(3)))
    return (x, other)[:_nin(prim)]


def _has_expression(prim: P.Primitive, dtype: np.dtype) -> bool:
    args = [Var(AbstractArray((), dtype)), Var(AbstractArray((), dtype))]
    try:
        ins = [a.aval.dtype for a in _args(prim, *args)]
        outs = [a.dtype for a in P.abstract_eval(prim, [AbstractArray((), d) for d in ins], {})]
        c_expressions(prim, ins, outs, ["a", "b"][:len(ins)])
    except (NotImplementedError, TypeError):  # TypeError: no such loop in NumPy (frexp of int)
        return False
    return True


def supported(dtype: np.dtype) -> list[P.Primitive]:
    """The operators ``dtype`` has a C expression for (what fusion may put in a kernel)."""
    return [p for p in OPERATORS if _has_expression(p, dtype)]


def _literal(dtype: np.dtype) -> Literal:
    return Literal(np.array(True if dtype == BOOL else 3).astype(dtype)[()])


def _edge_literals(dtype: np.dtype) -> list:
    if dtype.kind == "f":
        values = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dtype).max, np.finfo(dtype).tiny]
    elif dtype.kind in "iu":
        values = [np.iinfo(dtype).min, np.iinfo(dtype).max]
    else:
        values = [False]
    return [Literal(np.array(v).astype(dtype)[()]) for v in values]


def sweep_elementwise(dtype: np.dtype) -> Region:
    """One multi-output region: every supported operator on two arrays, select, every
    conversion and bit view from ``dtype``, and the dtype's edge literals as operands."""
    x0, x1 = Var(AbstractArray(SHAPE, dtype)), Var(AbstractArray(SHAPE, dtype))
    pred = Var(AbstractArray(SHAPE, BOOL))
    eqns = [_eqn(p, _args(p, x0, x1)) for p in supported(dtype)]
    eqns.append(_eqn(P.select_p, (pred, x0, x1)))
    eqns += [_eqn(P.convert_element_type_p, (x0,), new_dtype=d) for d in DTYPES]
    eqns += [_eqn(P.bitcast_convert_type_p, (x0,), new_dtype=d) for d in DTYPES
             if d != dtype and d.kind != "b" and d.itemsize == dtype.itemsize]
    eqns += [_eqn(P.max_p, (x0, lit)) for lit in _edge_literals(dtype)]
    outputs = tuple(v for e in eqns for v in e.outvars)
    return Region("elementwise", eqns, inputs=(x0, x1, pred), outputs=outputs)


def sweep_reduction(dtype: np.dtype, reduction: P.Primitive,
                    operators: Sequence[P.Primitive] | None = None) -> Region:
    """``operators`` (default: every supported one) on one input, the other operand a
    literal as in ``v * 3``, folded into one value, reduced over the last axis and scaled
    afterwards (mean's post map) where the result is a float. One input: CuPy may take
    its CUB path."""
    x0 = Var(AbstractArray(SHAPE, dtype))
    eqns: list[Eqn] = []
    value = x0
    for prim in supported(dtype) if operators is None else operators:
        eqns.append(_eqn(prim, _args(prim, x0, _literal(dtype))))
        r = eqns[-1].outvars[0]
        if r.aval.dtype != dtype:
            eqns.append(_eqn(P.convert_element_type_p, (r,), new_dtype=dtype))
            r = eqns[-1].outvars[0]
        if value is not x0:
            eqns.append(_eqn(P.add_p, (value, r)))
            r = eqns[-1].outvars[0]
        value = r
    if reduction in (P.reduce_and_p, P.reduce_or_p) and dtype != BOOL:
        eqns.append(_eqn(P.convert_element_type_p, (value,), new_dtype=BOOL))
        value = eqns[-1].outvars[0]
    red = _eqn(reduction, (value,), axes=(1,))
    post, out = [], red.outvars[0]
    if out.aval.dtype.kind == "f":
        post = [_eqn(P.div_p, (out, Literal(out.aval.dtype.type(SHAPE[1]))))]
        out = post[0].outvars[0]
    return Region("reduction", eqns, red, post, inputs=(x0,), outputs=(out,))


def over_every_axis(region: Region) -> Region:
    """The same reduction over every axis: CuPy's CUB path then takes two passes."""
    red = region.reduce_eqn
    red = _eqn(red.primitive, red.invars, axes=tuple(range(len(region.shape))))
    post = [_eqn(e.primitive, (red.outvars[0], *e.invars[1:])) for e in region.post_eqns]
    out = (post or [red])[-1].outvars[0]
    return Region("reduction", region.eqns, red, post, inputs=region.inputs, outputs=(out,))


def reduction_maps(dtype: np.dtype) -> list[tuple[P.Primitive, Sequence[P.Primitive] | None]]:
    """(reduction, operators) for ``dtype``: every operator as the map of one reduction kind
    (the kinds take turns over the dtypes), and every other kind fed by a one-operator map.
    An all-operator map costs a quarter second to compile; with GVMAP_CUPY_CODEGEN=full
    every kind gets it."""
    mine = REDUCTIONS[DTYPES.index(dtype) % len(REDUCTIONS)]
    return [(r, None if FULL or r is mine else [P.mul_p]) for r in REDUCTIONS]


def test_the_sweep_covers_every_primitive_dtype_and_reduction():
    """A guard for the sweep itself: every elementwise primitive is met, each dtype's
    kernels hold each of its C expressions, every reduction kind gets an all-operator map."""
    met = {p for d in DTYPES for p in supported(d)}
    assert met == set(OPERATORS), sorted(map(str, set(OPERATORS) - met))
    for dtype in DTYPES:
        ks = render_region(sweep_elementwise(dtype))
        assert ks.operation.count("const ") >= len(supported(dtype)) + 1 + len(DTYPES)
    full_maps = {r for d in DTYPES for r, ops in reduction_maps(d) if ops is None}
    assert full_maps == set(REDUCTIONS)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_primitive_compiles_in_cupys_elementwise_kernel(dtype):
    origin = f"sweep: every {dtype} operator, select, conversions"
    assert_compiles([elementwise_source(render_region(sweep_elementwise(dtype)), origin)])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_primitive_and_reduction_kind_compiles_in_cupys_reduction_kernel(dtype):
    sources = []
    for reduction, operators in reduction_maps(dtype):
        ks = render_region(sweep_reduction(dtype, reduction, operators))
        what = "every operator" if operators is None else "mul"
        sources.append(reduction_source(ks, f"sweep: {dtype} {what} into {reduction}"))
    assert_compiles(sources)


def cub_cases() -> list[tuple[np.dtype, P.Primitive, bool]]:
    """(dtype, reduction, over every axis) for CuPy's CUB kernel. By default only what the
    models' CUB kernels leave out (they cover sum, max, or, and a bare sum: CUB's BlockLoad
    branch), each with a one-operator map: a CUB kernel takes a second to compile, its map
    is inlined four times, and each of the two passes of a full reduction has options of
    its own, so a precompiled header of its own (5 s). GVMAP_CUPY_CODEGEN=full: every kind
    x dtype with the all-operator map, and every kind in two passes."""
    if FULL:
        return [(d, r, False) for d in DTYPES for r in REDUCTIONS] + [
            (np.dtype(np.float32), r, True) for r in REDUCTIONS]
    return [(np.dtype(np.uint8), P.reduce_min_p, False),
            (np.dtype(np.float64), P.reduce_prod_p, False),
            (np.dtype(np.int64), P.reduce_and_p, False)]


def test_every_reduction_kind_compiles_in_cupys_cub_kernel():
    """CuPy's CUB kernel (BlockReduce over the reduce type, the x0 -> in0 renaming of the
    map expression), segmented and, with GVMAP_CUPY_CODEGEN=full, in two passes."""
    sources = []
    for dtype, reduction, full in cub_cases():
        region = sweep_reduction(dtype, reduction, None if FULL else [P.mul_p])
        passes = cub_sources(render_region(over_every_axis(region) if full else region),
                             f"sweep: {dtype} operators into {reduction}"
                             + (" over every axis" if full else ""))
        assert [s.path for s in passes] == (["cub-pass1", "cub-pass2"] if full else ["cub"])
        sources += passes
    assert_compiles(sources)


def test_cub_cases_and_the_models_reach_every_kind_and_branch(batched_plans):
    """A guard for the default CUB selection: with the models' CUB kernels, every reduction
    kind reaches CuPy's CUB template, and so do both of its load branches."""
    models = [k for _, k in _model_kernels()
              if isinstance(k, ReductionSource) and len(_dtypes(k.in_params)) == 1]
    kinds = {k.name.split("_reduce_")[1].split("_")[0] for k in models}
    kinds |= {str(r).split("_")[1] for _, r, _ in cub_cases()}
    assert kinds == {str(r).split("_")[1] for r in REDUCTIONS}, kinds
    assert any(k.map_expr == "x0" for k in models)  # BlockLoad
    assert any(k.map_expr != "x0" for k in models)


# ---------------------------------------------------------------- (c) random programs

def _random_program_kernels() -> list[tuple[str, KernelSource]]:
    """The fused kernels of the first generated random programs (derandomized, so the same
    programs every run)."""
    from hypothesis import HealthCheck, Phase, given, settings

    import test_random_programs

    cases = []

    @settings(max_examples=RANDOM_PROGRAMS, database=None, deadline=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=test_random_programs.cases())
    def draw(case):
        cases.append(case)

    out = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generator runs each node on dummy values
        draw()
        for i, case in enumerate(cases):
            lowered = case.gvmap_fn().lower(*case.args, backend="cupy")
            out += [(f"random program {i}:{case!r}", k) for k in plan_kernels(lowered)]
    return out


def test_random_program_kernels_compile_through_cupy(batched_plans):
    kernels = _random_program_kernels()
    distinct = {}
    for origin, ks in kernels:
        distinct.setdefault(ks, origin)
    assert len(distinct) >= RANDOM_PROGRAMS // 4, "the random programs fused almost nothing"
    sources = [s for ks, origin in distinct.items() for s in cupy_sources(ks, origin, cub=False)]
    assert_compiles(sources)


@pytest.mark.parametrize("prim", [P.cummax_p, P.cummin_p], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_running_extrema_kernels_compile_in_cupys_elementwise_kernel(prim, dtype):
    """The CuPy rule of cummax / cummin on floats builds gvmap's max / min kernel
    (``implementations.binary_kernel``); captured from the rule and compiled as CuPy would."""
    captured = []

    def kernel(in_params, out_params, operation, name, preamble=""):
        captured.append(SimpleNamespace(in_params=in_params, out_params=out_params,
                                        operation=operation, name=name, preamble=preamble))

    xp = SimpleNamespace(ElementwiseKernel=kernel)
    make_impl(prim, xp, [AbstractArray((4, 5), np.dtype(dtype))], {"axis": 1})
    assert len(captured) == 1
    assert_compiles([elementwise_source(captured[0], f"{prim} of {np.dtype(dtype)}")])
