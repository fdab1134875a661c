"""``python -m gvmap``: the seed walkthrough, end to end, on the GPU when there is one.

It prints the per-example loop result, the vmap result, the hand-batched result and the
batched graph, as the JAX walkthrough that started this project does.
"""
from __future__ import annotations

import numpy as np

import gvmap


def main() -> None:
    rng = np.random.RandomState(8675309)
    W = rng.randn(3, 5).astype(np.float32)
    b = 1.0

    def model(v, W=W, b=b):  # one example: v has shape (5,)
        return np.tanh(W @ v + b).sum()

    v_batch = rng.randn(4, 5).astype(np.float32)

    def batched_model(v_batch, W=W, b=b):  # the same, batched by hand
        return np.tanh(np.einsum("mk,nk->nm", W, v_batch) + b).sum(1)

    print(f"backend: {gvmap.get_backend()}")
    print("per-example loop:", np.stack([model(v) for v in v_batch]))
    print("gvmap.vmap:      ", gvmap.device_get(gvmap.vmap(model)(v_batch)))
    print("hand-batched:    ", batched_model(v_batch))
    print()
    print("make_graph(vmap(model))(v_batch):")
    print(gvmap.make_graph(gvmap.vmap(model))(v_batch))
    print()
    print(gvmap.vmap(model).lower(v_batch).as_text())
    if gvmap.get_backend() != "cupy":
        print("\nwhat a GPU would run (lowered here without one):")
        print(gvmap.vmap(model).lower(v_batch, backend="cupy").as_text())


if __name__ == "__main__":
    main()
