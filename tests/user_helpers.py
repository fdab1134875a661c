"""A module of the user's own, imported by tests/test_rebinding.py: the helpers a project
keeps beside its model (``import user_helpers; user_helpers.rotation(t)``), written in
plain NumPy, each one a habit that needs gvmap's rebinding (gvmap.rebinding._UserModule)."""
import math

import numpy as np

import user_helpers_inner as inner

TABLE = np.arange(10.0) ** 2
SCALE = 2.0
LAST = None


def rotation(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s], [s, c]])            # an array built from traced values


def lookup(i):
    return TABLE[i] * SCALE                       # a module table indexed by a traced value


def smallest_root(v):
    return math.sqrt(v) + sorted([v, 1.0])[0]     # the math module and sorted()


def through_inner(v):
    return inner.padded(v) + inner.WEIGHTS[1]     # a module this one imports


def remember(t):
    global LAST
    LAST = t                                      # a traced value into a module global
    return t
