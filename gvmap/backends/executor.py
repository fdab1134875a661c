"""Runs a ``Plan`` on an array module: the one executor both backends share.

Each step becomes a closure over a prepared implementation (``implementations.py``), so a
cached call is a loop over closures reading and writing a list of slots, nothing else.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..implementations import make_impl
from ..lowering import Plan, Step


class Executable:
    def __init__(self, plan: Plan, backend: Any):
        self.plan = plan
        self.backend = backend
        xp = backend.xp
        template: list[Any] = [None] * plan.num_slots
        for s, c in zip(plan.const_slots, plan.graph.consts):
            template[s] = backend.asarray(c)  # uploaded once per compiled plan
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
        return make_impl(eqn.primitive, backend.xp, [a.aval for a in eqn.invars], eqn.params)
    build = getattr(backend, "build_kernel", None)
    if build is not None:
        return build(step.kernel, [v.aval for v in step.out_vars])
    return _interpret(step, backend.xp)


def _interpret(step: Step, xp: Any) -> Callable:
    from ..graph import Literal

    impls = [make_impl(e.primitive, xp, [a.aval for a in e.invars], e.params) for e in step.eqns]
    eqns, in_vars, out_vars = step.eqns, step.in_vars, step.out_vars

    def run(*args):
        env = dict(zip(in_vars, args))
        for eqn, impl in zip(eqns, impls):
            env[eqn.outvars[0]] = impl(*[a.value if isinstance(a, Literal) else env[a]
                                         for a in eqn.invars])
        return tuple(env[v] for v in out_vars)

    return run


def _make_step(step: Step, fn: Callable) -> Callable[[list], None]:
    if step.kernel is not None:
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
    ins, outs, frees = step.in_slots, step.out_slots, step.frees

    def run(env):
        for s, value in zip(outs, fn(*[env[i] for i in ins])):
            env[s] = value
        for s in frees:
            env[s] = None
    return run
