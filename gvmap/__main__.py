"""``python -m gvmap``: the seed walkthrough, end to end, on the GPU when there is one.

It reproduces the JAX vmap walkthrough that started this project, figure for figure: the
model on one example (2.0699806), then the per-example loop, ``gvmap.vmap`` and the
hand-batched version on a batch of four ([-2.2630827 -1.4514353 0.94014835 2.9187162], to
float32 rounding), the batched graph, the backend that ran and its plan of launches.

The walkthrough's notebook ran its cells out of order and drew one extra length-5 vector
before ``v``; the discarded ``rng.randn(5)`` below repeats that draw, so the numbers match.
"""
from __future__ import annotations

import numpy as np

import gvmap
from gvmap.backends.cupy_backend import cupy_unusable_reason

SEED = 8675309


def walkthrough_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W, v, v_batch)`` exactly as the walkthrough drew them (float32)."""
    rng = np.random.RandomState(SEED)
    W = rng.randn(3, 5).astype(np.float32)
    rng.randn(5)  # the notebook's out-of-order cell: a vector drawn and never used
    v = rng.randn(5).astype(np.float32)
    v_batch = rng.randn(4, 5).astype(np.float32)
    return W, v, v_batch


def main() -> None:
    W, v, v_batch = walkthrough_data()
    b = 1.0

    def model(v, W=W, b=b):  # one example: v has shape (5,)
        return np.tanh(W @ v + b).sum()

    def batched_model(v_batch, W=W, b=b):  # the same, batched by hand
        return np.tanh(np.einsum("mk,nk->nm", W, v_batch) + b).sum(1)

    print("model(v):                ", model(v))
    print("per-example loop:        ", np.stack([model(x) for x in v_batch]))
    print("gvmap.vmap(model):       ", gvmap.device_get(gvmap.vmap(model)(v_batch)))
    print("hand-batched:            ", batched_model(v_batch))
    print()
    print("make_graph(vmap(model))(v_batch):")
    print(gvmap.make_graph(gvmap.vmap(model))(v_batch))
    print()
    ran = gvmap.get_backend()
    why = cupy_unusable_reason() if ran != "cupy" else None
    print(f"backend: {ran}" + (f" (CuPy cannot run here: {why})" if why else ""))
    print(gvmap.vmap(model).lower(v_batch).as_text())
    if ran != "cupy":
        print("\nwhat a GPU would run (lowered here without one):")
        print(gvmap.vmap(model).lower(v_batch, backend="cupy").as_text())


if __name__ == "__main__":
    main()
