"""gvmap: ``vmap`` for CuPy. Write a function for one example in plain NumPy; ``vmap`` traces
it to a graph of primitives, batches it, fuses it and runs it on the GPU (or on NumPy)."""
from . import numpy
from .api import device_get, device_put, jit, make_graph, vmap
from .backends import backend, get_backend, set_backend
from .tree import register_pytree_node

gvmap = vmap

__all__ = ["vmap", "gvmap", "jit", "make_graph", "numpy", "set_backend", "get_backend",
           "backend", "device_get", "device_put", "register_pytree_node"]
