"""Render fused regions as CUDA: the fields of ``cupy.ElementwiseKernel`` /
``cupy.ReductionKernel``, and a standalone translation unit with the same body.

The region (what fuses) comes from ``fusion.py``; the per-primitive C expressions come from
``codegen/cuda.py``; this module only assembles them. It imports nothing from CuPy, so the
CPU tests see every kernel, and NVRTC compiles the standalone units where no GPU is.
Output is deterministic (names from the primitive chain, operands numbered in order of
first use), so the same region always gives the same source and CuPy's caches hit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..fusion import Region
from ..graph import Eqn, Literal, Var
from .cuda import (PREAMBLE, c_expression, c_expressions, c_literal, c_type, reduce_expr,
                   reduce_identity)
from .templates import template

__all__ = ["ElementwiseSource", "ReductionSource", "KernelSource", "render_region", "kernel_name"]


@dataclass(frozen=True)
class ElementwiseSource:
    """What ``cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble=...)``
    takes for one elementwise region, and the standalone translation unit it shows."""

    name: str
    in_params: str             # CuPy's "float32 x0, float32 x1"
    out_params: str            # "float32 y0, bool y1"
    operation: str             # the loop body: statements, then y0 = ...;
    preamble: str
    shape: tuple[int, ...]     # the region's index space
    translation_unit: str      # standalone CUDA source with the same computation


@dataclass(frozen=True)
class ReductionSource:
    """What ``cupy.ReductionKernel(in_params, out_params, map_expr, reduce_expr,
    post_map_expr, identity, name, reduce_type=..., preamble=...)`` takes for one
    reduction region (its map folded in), and the standalone translation unit."""

    name: str
    in_params: str
    out_params: str
    map_expr: str
    reduce_expr: str           # over ``a`` and ``b``, CuPy's names
    post_map_expr: str         # y0 = (T)(f(a)): mean's scale, or the identity
    identity: str
    reduce_type: str
    preamble: str
    axes: tuple[int, ...]      # reduced axes of the map's index space
    shape: tuple[int, ...]     # the map's index space
    translation_unit: str


KernelSource = ElementwiseSource | ReductionSource  # a rendered fused region


def kernel_name(region: Region) -> str:
    """``gvmap_add_tanh_reduce_sum``: readable in profilers, stable across runs."""
    names = [e.primitive.kernel_name for e in region.all_eqns]
    name = "gvmap_" + "_".join(names)
    return name if len(name) <= 64 else name[:55] + f"_{len(names)}ops"


class _Names:
    """C names of a region's values: inputs x0.., temporaries t0.., literals inline."""

    def __init__(self, inputs: Sequence[Var]):
        self.names: dict[Var, str] = {v: f"x{i}" for i, v in enumerate(inputs)}
        self.temporaries = 0

    def __call__(self, a: Any) -> str:
        if isinstance(a, Literal):
            return c_literal(a.value)
        return self.names[a]

    def define(self, v: Var) -> str:
        name = self.names[v] = f"t{self.temporaries}"
        self.temporaries += 1
        return name


def _statements(eqns: Sequence[Eqn], names: _Names, indent: str) -> list[str]:
    lines = []
    for eqn in eqns:
        exprs = c_expressions(eqn.primitive, tuple(a.aval.dtype for a in eqn.invars),
                              [v.aval.dtype for v in eqn.outvars], [names(a) for a in eqn.invars],
                              eqn.params)
        for out, expr in zip(eqn.outvars, exprs):  # one statement per result
            lines.append(f"{indent}const {c_type(out.aval.dtype)} {names.define(out)} = {expr};")
    return lines


def _params(vars_: Sequence[Var], prefix: str) -> str:
    return ", ".join(f"{np.dtype(v.aval.dtype).name} {prefix}{i}" for i, v in enumerate(vars_))


def render_region(region: Region) -> KernelSource:
    if region.kind == "elementwise":
        return _render_elementwise(region)
    if region.kind == "reduction":
        return _render_reduction(region)
    raise ValueError(f"a {region.kind} region is not rendered as a kernel")


def _render_elementwise(region: Region) -> ElementwiseSource:
    name = kernel_name(region)
    names = _Names(region.inputs)
    body = _statements(region.eqns, names, "")
    stores = [f"y{i} = {names(v)};" for i, v in enumerate(region.outputs)]
    operation = "\n".join(body + stores)
    ndim = max(1, len(region.shape))
    params = ", ".join([f"const {c_type(v.aval.dtype)}* __restrict__ in{i}" for i, v in enumerate(region.inputs)]
                       + [f"{c_type(v.aval.dtype)}* __restrict__ out{i}" for i, v in enumerate(region.outputs)])
    nin = len(region.inputs)
    loads = [f"        const {c_type(v.aval.dtype)} x{i} = in{i}[{name}_offset(layout, {i}, i)];"
             for i, v in enumerate(region.inputs)]
    unit = template("elementwise.cu").substitute(
        name=name, primitives=", ".join(region.primitive_names()), preamble=PREAMBLE,
        layout=_layout(name, ndim, max(1, nin + len(region.outputs)), "inputs, then outputs"),
        params=params,
        loads="\n".join(loads), body="\n".join("        " + line for line in body),
        stores="\n".join(f"        out{i}[{name}_offset(layout, {nin + i}, i)] = {names(v)};"
                         for i, v in enumerate(region.outputs)))
    return ElementwiseSource(name=name, in_params=_params(region.inputs, "x"),
                             out_params=_params(region.outputs, "y"), operation=operation,
                             preamble=PREAMBLE, shape=tuple(region.shape), translation_unit=unit)


def _render_reduction(region: Region) -> ReductionSource:
    name = kernel_name(region)
    red = region.reduce_eqn
    rdtype = red.invars[0].aval.dtype
    rtype = c_type(rdtype)
    names = _Names(region.inputs)
    if region.eqns:
        body = _statements(region.eqns, names, "    ")
        result = names(red.invars[0])
        args = ", ".join(f"const {c_type(v.aval.dtype)} x{i}" for i, v in enumerate(region.inputs))
        map_fn = f"{name}_map"
        preamble = (f"{PREAMBLE}\n__device__ inline {rtype} {map_fn}({args}) {{\n"
                    + "\n".join(body) + f"\n    return {result};\n}}\n")
        map_expr = f"{map_fn}({', '.join(f'x{i}' for i in range(len(region.inputs)))})"
    else:
        preamble, map_expr = PREAMBLE, "x0"
    # the post map (mean's scale...) is one expression of the reduced value ``a``
    exprs: dict[Var, str] = {red.outvars[0]: "a"}
    for eqn in region.post_eqns:
        exprs[eqn.outvars[0]] = c_expression(
            eqn.primitive, tuple(a.aval.dtype for a in eqn.invars), eqn.outvars[0].aval.dtype,
            [c_literal(a.value) if isinstance(a, Literal) else exprs[a] for a in eqn.invars],
            eqn.params)
    final = region.outputs[0]
    out_type = c_type(final.aval.dtype)
    post = f"({out_type})({exprs[final]})"
    identity, combine = reduce_identity(red.primitive, rdtype), reduce_expr(red.primitive, rdtype)
    axes = red.params["axes"]
    shape = region.shape
    kept = [d for d in range(len(shape)) if d not in axes]
    ndim = max(1, len(shape))
    params = ", ".join([f"const {c_type(v.aval.dtype)}* __restrict__ in{i}" for i, v in enumerate(region.inputs)]
                       + [f"{out_type}* __restrict__ out0"])
    loads = [f"            const {c_type(v.aval.dtype)} x{i} = in{i}[{name}_offset(layout, {i}, i)];"
             for i, v in enumerate(region.inputs)]
    unit = template("reduction.cu").substitute(
        name=name, primitives=", ".join(region.primitive_names()) + f" (axes {tuple(axes)}; "
        f"layout order {tuple(kept + list(axes))})", preamble=preamble,
        layout=_layout(name, ndim, max(1, len(region.inputs)), "inputs; kept dims, then reduced"),
        params=params, reduce_type=rtype, identity=identity, loads="\n".join(loads),
        map_expr=map_expr, reduce_expr=combine, store=f"out0[o] = {post};")
    return ReductionSource(
        name=name, in_params=_params(region.inputs, "x"),
        out_params=f"{np.dtype(final.aval.dtype).name} y0", map_expr=map_expr,
        reduce_expr=combine, post_map_expr=f"y0 = {post}", identity=identity,
        reduce_type=rtype, preamble=preamble, axes=tuple(axes), shape=tuple(shape), translation_unit=unit)


def _layout(name: str, ndim: int, nargs: int, operands: str) -> str:
    return template("layout.cu").substitute(name=name, ndim=ndim, nargs=nargs, operands=operands)
