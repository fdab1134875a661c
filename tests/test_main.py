"""``python -m gvmap`` reproduces the JAX vmap walkthrough's figures and prints the seed graph.

It runs as a user would run it, in a fresh interpreter from the repository root, on the backend
the environment selects (``GVMAP_BACKEND=cupy`` under ``benches/gpu_check.py``).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import cupy_unusable_reason
from test_api import SEED_GRAPH  # the graph text README shows for the seed

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The walkthrough's figures (float32): model(v), then the batch of four.
MODEL_V = 2.0699806
BATCH = [-2.2630827, -1.4514353, 0.94014835, 2.9187162]



@pytest.fixture(scope="module")
def printed() -> str:
    if os.environ.get("GVMAP_BACKEND", "").lower() == "cupy" and cupy_unusable_reason():
        pytest.skip(f"GVMAP_BACKEND=cupy, but {cupy_unusable_reason()}")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "gvmap"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def _numbers_after(label: str, text: str) -> np.ndarray:
    match = re.search(rf"^{re.escape(label)}\s+\[?([^\]\n]*)\]?$", text, re.MULTILINE)
    assert match, f"no line starting {label!r} in:\n{text}"
    return np.array([float(x) for x in match.group(1).split()])


def test_model_on_one_example_is_the_walkthroughs(printed):
    np.testing.assert_allclose(_numbers_after("model(v):", printed), [MODEL_V], rtol=1e-6)


@pytest.mark.parametrize("label", ["per-example loop:", "gvmap.vmap(model):", "hand-batched:"])
def test_batch_results_are_the_walkthroughs(printed, label):
    # float32 rounding: the GPU's tanh may differ from NumPy's in the last place or two
    np.testing.assert_allclose(_numbers_after(label, printed), BATCH, rtol=1e-6, atol=1e-6)


def test_prints_the_seed_graph(printed):
    assert "make_graph(vmap(model))(v_batch):\n" + SEED_GRAPH + "\n" in printed


def test_names_the_backend_and_prints_its_plan(printed):
    ran = re.search(r"^backend: (\w+)", printed, re.MULTILINE)
    assert ran, printed
    assert f"\nplan for {ran.group(1)}: " in printed
    if ran.group(1) != "cupy":  # without a GPU the CuPy plan is still shown, lowered only
        assert "what a GPU would run" in printed
        assert "plan for cupy: 2 launches" in printed
        assert "cupy.ReductionKernel gvmap_add_tanh_reduce_sum" in printed
