"""CUDA C templates that gvmap's code generator fills in (installed as ``gvmap._kernels``)."""
