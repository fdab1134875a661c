"""A module that tests/user_helpers.py imports: reached as ``user_helpers.inner.padded``."""
import numpy as np

WEIGHTS = np.array([0.5, 1.5, 2.5])


def padded(v):
    out = np.zeros(v.shape[0] + 2)
    out[1:-1] = v * WEIGHTS                       # a made array written with traced values
    return out
