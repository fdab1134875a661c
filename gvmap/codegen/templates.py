"""The CUDA templates in ``kernels/`` (``string.Template``, ``${name}`` placeholders).

Found in the source tree (editable installs, runs from a checkout with PYTHONPATH=.) or,
in an installed wheel, as the package data ``gvmap._kernels``. They stay a top-level
``kernels/`` directory, as the project's layout names them, rather than moving into the
package: the GPU machine runs ``PYTHONPATH=. python benches/gpu_check.py`` from a plain
checkout, with nothing installed, and pyproject.toml ships the same files in the wheel.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=None)
def template(filename: str) -> string.Template:
    return string.Template(_kernels_dir().joinpath(filename).read_text())


def _kernels_dir() -> Any:
    source_tree = Path(__file__).resolve().parents[2] / "kernels"
    if (source_tree / "elementwise.cu").is_file():
        return source_tree
    from importlib.resources import files
    return files("gvmap._kernels")
