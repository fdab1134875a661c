// gvmap: ${name} (${primitives})
// Standalone equivalent of the cupy.ReductionKernel gvmap launches for this region: one
// thread per output element; the map runs in registers and only reduced values are written.
// The layout lists kept dims first, then reduced dims, so element i = out * n_reduce + j.
${preamble}

${layout}
extern "C" __global__ void ${name}(${params}, const ${name}_layout layout,
                                   const long long n_out, const long long n_reduce) {
    for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < n_out;
         o += (long long)blockDim.x * gridDim.x) {
        ${reduce_type} acc = ${identity};
        for (long long j = 0; j < n_reduce; ++j) {
            const long long i = o * n_reduce + j;
${loads}
            const ${reduce_type} value = ${map_expr};
            const ${reduce_type} a = acc, b = value;
            acc = ${reduce_expr};
        }
        const ${reduce_type} a = acc;
        ${store}
    }
}
