"""The benchmark models.

Each model is written twice:

* `example(v, xp, c)`: the function for ONE example.  With `xp=numpy` and
  NumPy constants it is plain NumPy code, the function a user hands to
  `gvmap.vmap` (and that the Python loop calls once per example); with
  `xp=jax.numpy` or `xp=torch` and the constants converted, the same body is the
  per-example function given to `jax.vmap` / `torch.func.vmap`.
* `batched(v, xp, c)`: the hand-batched version (leading axis = batch), run with
  `xp=numpy` (hand-numpy) or `xp=cupy` (hand-cupy).

`Model.numpy_example` is the per-example function as a user would write it:
a one-argument NumPy function closing over NumPy constants.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

import numpy as np


@dataclass
class Model:
    name: str
    description: str
    in_shape: tuple  # per-example input shape (float32)
    make_consts: Callable[[], dict]  # -> dict of NumPy constants / Python scalars
    example: Callable  # (v, xp, c) -> per-example output
    batched: Callable  # (v, xp, c) -> batched output
    flops_per_example: float  # rough, for the host work cap
    bytes_per_example: float  # rough peak working set of the hand-batched code
    seed: int = 0
    _consts: dict = field(default_factory=dict, repr=False)

    # -- constants per namespace ------------------------------------------
    def consts(self, kind: str = "numpy", device=None) -> SimpleNamespace:
        key = (kind, device)
        if key not in self._consts:
            base = self.make_consts()
            if kind == "numpy":
                conv = lambda a: a  # noqa: E731
            elif kind == "cupy":
                import cupy

                conv = cupy.asarray
            elif kind == "jax":
                import jax.numpy as jnp

                conv = jnp.asarray
            elif kind == "torch":
                import torch

                conv = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
            else:
                raise KeyError(kind)
            self._consts[key] = SimpleNamespace(
                **{k: (conv(v) if isinstance(v, np.ndarray) else v) for k, v in base.items()}
            )
        return self._consts[key]

    # -- the functions each method runs -----------------------------------
    @property
    def numpy_example(self):
        """The per-example function in plain NumPy (what users give gvmap.vmap)."""
        c = self.consts("numpy")
        example = self.example

        def f(v):
            return example(v, np, c)

        f.__name__ = f"{self.name}_example"
        return f

    def loop(self, v):
        """The Python loop: per-example NumPy function on each row, then stack."""
        f = self.numpy_example
        return np.stack([f(v[i]) for i in range(v.shape[0])])

    def hand(self, xp_name: str):
        if xp_name == "numpy":
            xp = np
        elif xp_name == "cupy":
            import cupy as xp
        else:
            raise KeyError(xp_name)
        c = self.consts(xp_name)
        batched = self.batched

        def g(v):
            return batched(v, xp, c)

        return g

    def jax_example(self):
        import jax.numpy as jnp

        c = self.consts("jax")
        example = self.example
        return lambda v: example(v, jnp, c)

    def torch_example(self, device):
        import torch

        c = self.consts("torch", device)
        example = self.example
        return lambda v: example(v, torch, c)

    # -- data ---------------------------------------------------------------
    def host_input(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed + 1000)
        return rng.standard_normal((n,) + self.in_shape, dtype=np.float32)

    def device_input(self, n: int):
        import cupy

        rs = cupy.random.RandomState(self.seed + 1000)
        return rs.standard_normal((n,) + self.in_shape, dtype=cupy.float32)


# --------------------------------------------------------------------------
# 1. seed: the reference example of SPEC.md
# --------------------------------------------------------------------------
def _seed_consts():
    rng = np.random.RandomState(8675309)
    W = rng.randn(3, 5).astype(np.float32)
    return {"W": W, "b": 1.0}


def _tanh_layer_sum(v, xp, c):
    return xp.tanh(c.W @ v + c.b).sum()


def _tanh_layer_sum_batched(v, xp, c):
    return xp.tanh(v @ c.W.T + c.b).sum(1)


# --------------------------------------------------------------------------
# 2. wide: one 256x512 tanh layer, summed
# --------------------------------------------------------------------------
def _wide_consts():
    rng = np.random.RandomState(2)
    W = (rng.randn(256, 512) / math.sqrt(512)).astype(np.float32)
    b = (0.1 * rng.randn(256)).astype(np.float32)
    return {"W": W, "b": b}


# --------------------------------------------------------------------------
# 3. chain: a 64-wide elementwise chain ending in a sum
# --------------------------------------------------------------------------
def _chain(v, xp, c):
    return (xp.tanh(1.5 * v + 0.5) * xp.exp(-v**2) + xp.sin(v)).sum()


def _chain_batched(v, xp, c):
    return (xp.tanh(1.5 * v + 0.5) * xp.exp(-v**2) + xp.sin(v)).sum(1)


# --------------------------------------------------------------------------
# 4. mlp: two-layer per-example MLP, 32 -> 64 (tanh) -> 8
# --------------------------------------------------------------------------
def _mlp_consts():
    rng = np.random.RandomState(4)
    return {
        "W1": (rng.randn(64, 32) / math.sqrt(32)).astype(np.float32),
        "b1": (0.1 * rng.randn(64)).astype(np.float32),
        "W2": (rng.randn(8, 64) / math.sqrt(64)).astype(np.float32),
        "b2": (0.1 * rng.randn(8)).astype(np.float32),
    }


def _mlp(x, xp, c):
    return c.W2 @ xp.tanh(c.W1 @ x + c.b1) + c.b2


def _mlp_batched(x, xp, c):
    return xp.tanh(x @ c.W1.T + c.b1) @ c.W2.T + c.b2


# --------------------------------------------------------------------------
# 5. pairwise: per-example pairwise squared distances, (32, 3) -> (32, 32)
# --------------------------------------------------------------------------
def _pairwise(x, xp, c):
    d = x[:, None, :] - x[None, :, :]
    return (d**2).sum(-1)


def _pairwise_batched(x, xp, c):
    d = x[:, :, None, :] - x[:, None, :, :]
    return (d**2).sum(-1)


# --------------------------------------------------------------------------
# 6. median: per-example median of 32 values, (32,) -> ()
# --------------------------------------------------------------------------
def _median(v, xp, c):
    # torch.median gives the lower middle value of an even count; its quantile at 0.5
    # interpolates as NumPy's median does
    if getattr(xp, "__name__", "") == "torch":
        return xp.quantile(v, 0.5)
    return xp.median(v)


def _median_batched(v, xp, c):
    return xp.median(v, axis=1)


# --------------------------------------------------------------------------
# 7. and 8. linear algebra per example: a 3x3 solve, a 4x4 inverse (gvmap: one np.linalg /
# cupy.linalg call on the stack; hand-batched: the same call written by hand)
# --------------------------------------------------------------------------
def _solve_consts():
    return {"I": 10 * np.eye(3, dtype=np.float32)}  # well-conditioned: never near singular


def _solve3(v, xp, c):
    return xp.linalg.solve(v[:, :3] + c.I, v[:, 3])


def _solve3_batched(v, xp, c):
    return xp.linalg.solve(v[:, :, :3] + c.I, v[:, :, 3:])[..., 0]


def _inv_consts():
    return {"I": 10 * np.eye(4, dtype=np.float32)}


def _inv4(v, xp, c):
    return xp.linalg.inv(v + c.I)


def _inv4_batched(v, xp, c):
    return xp.linalg.inv(v + c.I)


F32 = 4
MODELS = {
    m.name: m
    for m in [
        Model(
            "seed", "np.tanh(W @ v + b).sum(), W 3x5, v (5,)  [SPEC.md]", (5,),
            _seed_consts, _tanh_layer_sum, _tanh_layer_sum_batched,
            flops_per_example=2 * 3 * 5 + 3 * 20, bytes_per_example=(5 + 3 * 3 + 1) * F32,
            seed=1,
        ),
        Model(
            "wide", "np.tanh(W @ v + b).sum(), W 256x512, v (512,)", (512,),
            _wide_consts, _tanh_layer_sum, _tanh_layer_sum_batched,
            flops_per_example=2 * 256 * 512 + 256 * 20,
            bytes_per_example=(512 + 3 * 256 + 1) * F32,
            seed=2,
        ),
        Model(
            "chain", "(tanh(1.5v+0.5)*exp(-v**2)+sin v).sum(), v (64,)", (64,),
            lambda: {}, _chain, _chain_batched,
            flops_per_example=64 * 70, bytes_per_example=(64 * 6 + 1) * F32,
            seed=3,
        ),
        Model(
            "mlp", "W2 @ tanh(W1 @ x + b1) + b2, x (32,) -> 64 -> (8,)", (32,),
            _mlp_consts, _mlp, _mlp_batched,
            flops_per_example=2 * (64 * 32 + 8 * 64) + 64 * 20,
            bytes_per_example=(32 + 3 * 64 + 2 * 8) * F32,
            seed=4,
        ),
        Model(
            "pairwise", "((x[:,None]-x[None])**2).sum(-1), x (32,3) -> (32,32)", (32, 3),
            lambda: {}, _pairwise, _pairwise_batched,
            flops_per_example=32 * 32 * 3 * 3,
            bytes_per_example=(96 + 2 * 32 * 32 * 3 + 32 * 32) * F32,
            seed=5,
        ),
        Model(
            "median", "np.median(v), v (32,) -> ()  (a sort per example)", (32,),
            lambda: {}, _median, _median_batched,
            flops_per_example=32 * 5 * 2, bytes_per_example=(2 * 32 + 1) * F32,
            seed=6,
        ),
        Model(
            "solve3", "np.linalg.solve(v[:, :3] + 10 I, v[:, 3]), v (3,4): a 3x3 solve", (3, 4),
            _solve_consts, _solve3, _solve3_batched,
            flops_per_example=2 * 27 + 2 * 9, bytes_per_example=(12 + 9 + 3 + 3) * F32,
            seed=7,
        ),
        Model(
            "inv4", "np.linalg.inv(v + 10 I), v (4,4): a 4x4 inverse (a pose)", (4, 4),
            _inv_consts, _inv4, _inv4_batched,
            flops_per_example=2 * 64 + 64, bytes_per_example=(16 * 3) * F32,
            seed=8,
        ),
    ]
}


# --------------------------------------------------------------------------
# 9. conv5: a 5-tap convolution of a 256-sample signal (np.convolve, mode="same")
# --------------------------------------------------------------------------
def _conv5_consts():
    rng = np.random.RandomState(6)
    return {"k": rng.randn(5).astype(np.float32)}


def _conv5(v, xp, c):
    if hasattr(xp, "convolve"):  # NumPy (what users write), jax.numpy
        return xp.convolve(v, c.k, mode="same")
    # torch has no convolve: the same sum of shifted slices times taps, unpadded ends
    n, m = v.shape[0], 5
    out = 0.0
    for j in range(m):  # out[i] = sum_j v[i + 2 - j] * k[j] where 0 <= i + 2 - j < n
        lo, hi = max(0, j - 2), min(n, n + j - 2)
        term = v[lo + 2 - j:hi + 2 - j] * c.k[j]
        out = out + xp.nn.functional.pad(term, (lo, n - hi))
    return out


def _conv5_batched(v, xp, c):
    vp = xp.pad(v, ((0, 0), (2, 2)))
    n = v.shape[1]
    return sum(vp[:, j:j + n] * c.k[4 - j] for j in range(5))


MODELS["conv5"] = Model(
    "conv5", 'np.convolve(v, k, mode="same"), k 5 taps, v (256,)', (256,),
    _conv5_consts, _conv5, _conv5_batched,
    flops_per_example=2 * 5 * 256, bytes_per_example=(256 + 260 + 2 * 256) * F32,
    seed=9,
)
