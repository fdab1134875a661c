// gvmap: ${name} (${primitives})
// Standalone equivalent of the cupy.ElementwiseKernel gvmap launches for this region:
// each operand is read through its own strides, so broadcast operands need no copies.
${preamble}

${layout}
extern "C" __global__ void ${name}(${params}, const ${name}_layout layout, const long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
${loads}
${body}
${stores}
    }
}
