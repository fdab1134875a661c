// gvmap: ${name} (${primitives})
// Standalone equivalent of the cupy.ElementwiseKernel gvmap launches for this region:
// each operand is read through its own strides, so broadcast operands need no copies.
${preamble}

struct ${name}_layout {
    long long shape[${ndim}];
    long long strides[${nargs}][${ndim}];  // in elements, per operand (inputs, then outputs)
};

__device__ inline long long ${name}_offset(const ${name}_layout& layout, int arg, long long i) {
    long long offset = 0;
    for (int d = ${ndim} - 1; d >= 0; --d) {
        offset += (i % layout.shape[d]) * layout.strides[arg][d];
        i /= layout.shape[d];
    }
    return offset;
}

extern "C" __global__ void ${name}(${params}, const ${name}_layout layout, const long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
${loads}
${body}
${stores}
    }
}
