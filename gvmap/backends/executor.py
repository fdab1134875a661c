"""Runs a ``Plan`` on an array module: the one executor both backends share.

Each step becomes a closure over a prepared implementation (``implementations.py``), so a
cached call is a loop over closures reading and writing a list of slots, nothing else.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..implementations import make_impl
from ..lowering import Plan, RowPlan, Step, lower_graph


Upload = Callable[[Any], Any]  # a graph constant -> the same values on the backend's device


def executable_for(plan: "Plan | RowPlan", backend: Any,
                   upload: Upload | None = None) -> Callable[[Sequence[Any]], list]:
    """``upload`` puts the plan's constants on the device (default ``backend.asarray``: once
    per plan); a transformation passes one that shares a snapshot's upload across plans."""
    cls = RowExecutable if isinstance(plan, RowPlan) else Executable
    return cls(plan, backend, upload)


class Executable:
    def __init__(self, plan: Plan, backend: Any, upload: Upload | None = None):
        self.plan = plan
        xp = backend.xp
        upload = upload or backend.asarray
        template: list[Any] = [None] * plan.num_slots
        for s, c in zip(plan.const_slots, plan.graph.consts):
            template[s] = upload(c)  # on the device before the first call
        for s, v in plan.literal_slots.items():
            # NumPy takes scalars everywhere; CuPy's structural functions want device arrays
            template[s] = v if xp is np else xp.asarray(v)
        self._template = template
        self._in_slots = plan.in_slots
        self._out_slots = plan.out_slots
        self._steps = [_make_step(step, _step_callable(step, backend)) for step in plan.steps]
        self._asarray = xp.asarray

    def __call__(self, args: Sequence[Any]) -> list[Any]:
        env = self._template.copy()
        for s, a in zip(self._in_slots, args):
            env[s] = a
        for step in self._steps:
            step(env)
        asarray = self._asarray
        return [asarray(env[s]) for s in self._out_slots]


def _step_callable(step: Step, backend: Any) -> Callable:
    """A backend call for one equation, or a fused kernel: generated CUDA on CuPy; on other
    backends the region's equations in sequence (the same calls an unfused plan makes)."""
    if step.kernel is None:
        eqn = step.eqns[0]
        return _under_errstate(eqn, backend.xp, make_impl(
            eqn.primitive, backend.xp, [a.aval for a in eqn.invars], eqn.params))
    build = getattr(backend, "build_kernel", None)
    if build is not None:
        return build(step.kernel, [v.aval for v in step.out_vars])
    return _interpret(step, backend.xp)


def _interpret(step: Step, xp: Any) -> Callable:
    from ..graph import Literal

    impls = [_under_errstate(e, xp, make_impl(e.primitive, xp, [a.aval for a in e.invars],
                                              e.params)) for e in step.eqns]
    eqns, in_vars, out_vars = step.eqns, step.in_vars, step.out_vars

    def run(*args):
        env = dict(zip(in_vars, args))
        for eqn, impl in zip(eqns, impls):
            out = impl(*[a.value if isinstance(a, Literal) else env[a] for a in eqn.invars])
            env.update(zip(eqn.outvars, out if eqn.primitive.multiple_results else (out,)))
        return tuple(env[v] for v in out_vars)

    return run


def _under_errstate(eqn: Any, xp: Any, fn: Callable) -> Callable:
    """``fn`` under the equation's own floating-point error handling (``Eqn.errstate``:
    the traced code's np.errstate, Python arithmetic's silence), on NumPy; CuPy's kernels
    never warn."""
    if eqn.errstate is None or xp is not np:
        return fn
    state = dict(eqn.errstate)

    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(**state):
            return fn(*args, **kwargs)
    return quiet


def _make_step(step: Step, fn: Callable) -> Callable[[list], None]:
    if step.kernel is not None or len(step.out_slots) > 1:  # fn returns a tuple of outputs
        return _make_kernel_step(step, fn)
    ins, (out,), reuse, frees = step.in_slots, step.out_slots, step.reuse, step.frees
    if reuse is not None:
        if len(ins) == 1:
            (a,) = ins

            def run(env):
                env[out] = fn(env[a], out=env[reuse])
        elif len(ins) == 2:
            a, b = ins

            def run(env):
                env[out] = fn(env[a], env[b], out=env[reuse])
        else:
            def run(env):
                env[out] = fn(*[env[i] for i in ins], out=env[reuse])
    elif len(ins) == 1:
        (a,) = ins

        def run(env):
            env[out] = fn(env[a])
    elif len(ins) == 2:
        a, b = ins

        def run(env):
            env[out] = fn(env[a], env[b])
    else:
        def run(env):
            env[out] = fn(*[env[i] for i in ins])
    if not frees:
        return run

    def run_and_free(env):
        run(env)
        for s in frees:
            env[s] = None
    return run_and_free


def _make_kernel_step(step: Step, fn: Callable) -> Callable[[list], None]:
    """A step whose callable returns its outputs as a sequence: a fused kernel, or one
    equation of a primitive with several results."""
    ins, outs, frees = step.in_slots, step.out_slots, step.frees

    def run(env):
        for s, value in zip(outs, fn(*[env[i] for i in ins])):
            env[s] = value
        for s in frees:
            env[s] = None
    return run


class RowExecutable:
    """Runs a RowPlan: batched inputs moved to (n, ...) and made contiguous (unbatched ones
    are shared: stride 0), one launch, outputs moved to their out_axes.

    On CuPy the launch is the generated RawKernel; elsewhere (numpy-fused) it is emulated by
    the batched graph of the same per-example graph with the kernel's exact layout
    contract, so the layout handling here is tested without a GPU."""

    def __init__(self, plan: RowPlan, backend: Any, upload: Upload | None = None):
        self.plan = plan
        self.xp = backend.xp
        upload = upload or backend.asarray
        build = getattr(backend, "build_row_kernel", None)
        self._launch = (build(plan.kernel, [upload(c) for c in plan.graph.consts])
                        if build is not None else _emulated_row_launch(plan, backend, upload))
        self._sizes = [a.size for a in plan.kernel.inputs]

    def __call__(self, args: Sequence[Any]) -> list[Any]:
        xp, plan = self.xp, self.plan
        ins = []
        for x, b, size in zip(args, plan.in_bdims, self._sizes):
            if b is None:
                ins.append((xp.ascontiguousarray(x), 0))
            else:
                ins.append((xp.ascontiguousarray(xp.moveaxis(x, b, 0)), size))
        outs = self._launch(ins, plan.axis_size)
        return [o[0, ...] if ax is None else xp.moveaxis(o, 0, ax) for o, ax in zip(outs, plan.out_axes)]


def _emulated_row_launch(plan: RowPlan, backend: Any, upload: Upload) -> Callable:
    run = Executable(lower_graph(plan.emulation(), backend.name, True), backend, upload)

    def launch(ins, n):
        # the kernel reads an unbatched input's one block (stride 0) for every example
        return run([x if b is not None else x.reshape(a.shape)
                    for (x, _), a, b in zip(ins, plan.kernel.inputs, plan.in_bdims)])
    return launch
