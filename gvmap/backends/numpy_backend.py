"""The NumPy backend: plans run as NumPy calls on the CPU. Always available."""
from __future__ import annotations

from typing import Any

import numpy as np


class NumpyBackend:
    name = "numpy"
    xp = np

    def asarray(self, x: Any) -> np.ndarray:
        """Host array for x; CuPy arrays are copied to the host (once, on entry)."""
        if type(x).__module__.startswith("cupy"):
            return x.get()
        return np.asarray(x)

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.asarray(x)

    def synchronize(self) -> None:
        pass

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, MemoryError)
