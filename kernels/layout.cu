// Element i of the index space, read through one operand's own strides (broadcast
// operands have stride 0 on their size-1 dims, so they need no copies).
struct ${name}_layout {
    long long shape[${ndim}];
    long long strides[${nargs}][${ndim}];  // in elements, per operand (${operands})
};

__device__ inline long long ${name}_offset(const ${name}_layout& layout, int arg, long long i) {
    long long offset = 0;
    for (int d = ${ndim} - 1; d >= 0; --d) {
        offset += (i % layout.shape[d]) * layout.strides[arg][d];
        i /= layout.shape[d];
    }
    return offset;
}
