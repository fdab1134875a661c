${preamble}
// gvmap row kernel: one thread computes one example of
${graph_comment}
__host__ __device__ inline void ${row}(${row_params}) {
${body}
}

extern "C" __global__ void ${name}(${kernel_params}) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (long long)blockDim.x * gridDim.x) {
    ${row}(${call_args});
  }
}
