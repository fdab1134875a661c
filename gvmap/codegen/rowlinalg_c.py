"""The C of the per-thread linear-algebra routines row kernels call (``rowlinalg.py`` emits
the calls): one include-guarded text, ``__host__ __device__`` so the CPU tests run it.

Every loop has a compile-time trip count (the matrix size is a template parameter) and is
unrolled, so each matrix lives in registers: a row swap of partial pivoting is an
exchange of constant-indexed entries under ``if (p == j)``, never a runtime index. The
routines follow what NumPy's LAPACK calls decide, so a row kernel fails, and signs its
results, where the batched path does:

- ``gvmap_la_gauss_jordan`` (solve, inv): the pivot of column k is the FIRST row of largest
  magnitude at or below k (LAPACK's idamax), and only an exactly zero pivot is "singular"
  (getrf's info > 0), as NumPy raises; a nearly singular matrix is computed.
- ``gvmap_la_slogdet`` (det, slogdet): the same LU; sign and log|det| as NumPy's
  umath_linalg builds them from the factor (the permutation's parity, then the pivots in
  order), (0, -inf) at an exactly zero pivot; NumPy's det is sign * exp(logdet), so is ours.
- ``gvmap_la_cholesky``: reads the lower triangle, zeroes the upper one; a pivot that is not
  > 0 (NaN included) is potrf's "not positive definite".
- ``gvmap_la_eigh`` (eigh, eigvalsh; n <= 4): cyclic Jacobi (Rutishauser's rotation, as
  Numerical Recipes' ``jacobi``) on the UPLO triangle; eigenvalues ascending; eigenvectors
  signed by ``linalg_impl.normalize_signs``'s rule (the first entry within 2**-10 relative
  of the column's largest magnitude is positive).
"""
from __future__ import annotations

__all__ = ["ROW_LINALG_C", "JACOBI_MAX_SWEEPS"]

# Jacobi converges quadratically: random symmetric 4x4 matrices take 5 or 6 sweeps in f64
# (4 to 6 in f32), the last rotating nothing; the bound only stops a NaN input, for which
# every sweep rotates.
JACOBI_MAX_SWEEPS = 32

ROW_LINALG_C = r"""#ifndef GVMAP_ROW_LINALG
#define GVMAP_ROW_LINALG
// gvmap per-thread linear algebra (row kernels): static sizes, unrolled, in registers.
__host__ __device__ inline float gvmap_la_abs(float x) { return fabsf(x); }
__host__ __device__ inline double gvmap_la_abs(double x) { return fabs(x); }
__host__ __device__ inline float gvmap_la_sqrt(float x) { return sqrtf(x); }
__host__ __device__ inline double gvmap_la_sqrt(double x) { return sqrt(x); }
__host__ __device__ inline float gvmap_la_log(float x) { return logf(x); }
__host__ __device__ inline double gvmap_la_log(double x) { return log(x); }
__host__ __device__ inline float gvmap_la_exp(float x) { return expf(x); }
__host__ __device__ inline double gvmap_la_exp(double x) { return exp(x); }
__host__ __device__ inline float gvmap_la_hypot(float x, float y) { return hypotf(x, y); }
__host__ __device__ inline double gvmap_la_hypot(double x, double y) { return hypot(x, y); }

// Partial pivoting as LAPACK's getrf: the first row j >= k of largest |a[j][k]|.
template <typename T, int N>
__host__ __device__ __forceinline__ int gvmap_la_pivot(const T (&a)[N * N], int k) {
  int p = k;
  T best = gvmap_la_abs(a[k * N + k]);
#pragma unroll
  for (int j = k + 1; j < N; j++) {
    const T v = gvmap_la_abs(a[j * N + k]);
    if (v > best) { best = v; p = j; }
  }
  return p;
}

// Exchange rows k and p (p >= k) of the R x C matrix x, columns from `from` on.
template <typename T, int R, int C>
__host__ __device__ __forceinline__ void gvmap_la_swap_rows(T (&x)[R * C], int k, int p, int from) {
#pragma unroll
  for (int j = k + 1; j < R; j++) {
    if (p == j) {
#pragma unroll
      for (int c = from; c < C; c++) {
        const T t = x[k * C + c];
        x[k * C + c] = x[j * C + c];
        x[j * C + c] = t;
      }
    }
  }
}

// Gauss-Jordan elimination of [a | b] with partial pivoting, in place: b becomes a^-1 b.
// False at an exactly zero pivot (that column is skipped: the launcher raises).
template <typename T, int N, int K>
__host__ __device__ inline bool gvmap_la_gauss_jordan(T (&a)[N * N], T (&b)[N * K]) {
  bool ok = true;
#pragma unroll
  for (int k = 0; k < N; k++) {
    const int p = gvmap_la_pivot<T, N>(a, k);
    gvmap_la_swap_rows<T, N, N>(a, k, p, k);
    gvmap_la_swap_rows<T, N, K>(b, k, p, 0);
    const T pivot = a[k * N + k];
    if (pivot == T(0)) { ok = false; continue; }
#pragma unroll
    for (int j = 0; j < N; j++) {
      if (j == k) continue;
      const T l = a[j * N + k] / pivot;
#pragma unroll
      for (int c = k + 1; c < N; c++) a[j * N + c] -= l * a[k * N + c];
#pragma unroll
      for (int c = 0; c < K; c++) b[j * K + c] -= l * b[k * K + c];
    }
  }
#pragma unroll
  for (int j = 0; j < N; j++) {
#pragma unroll
    for (int c = 0; c < K; c++) b[j * K + c] /= a[j * N + j];
  }
  return ok;
}

// LU with partial pivoting, in place, and NumPy's slogdet of it.
template <typename T, int N>
__host__ __device__ inline void gvmap_la_slogdet(T (&a)[N * N], T& sign, T& logdet) {
  T s = T(1), acc = T(0);
  bool singular = false;
#pragma unroll
  for (int k = 0; k < N; k++) {
    const int p = gvmap_la_pivot<T, N>(a, k);
    gvmap_la_swap_rows<T, N, N>(a, k, p, k);
    if (p != k) s = -s;
    const T pivot = a[k * N + k];
    if (pivot == T(0)) { singular = true; continue; }
#pragma unroll
    for (int j = k + 1; j < N; j++) {
      const T l = a[j * N + k] / pivot;
#pragma unroll
      for (int c = k + 1; c < N; c++) a[j * N + c] -= l * a[k * N + c];
    }
  }
#pragma unroll
  for (int k = 0; k < N; k++) {
    T d = a[k * N + k];
    if (d < T(0)) { s = -s; d = -d; }
    acc += gvmap_la_log(d);
  }
  sign = singular ? T(0) : s;
  logdet = singular ? gvmap_la_log(T(0)) : acc;  // log(0) is -inf
}

// Cholesky a = l l^T from a's lower triangle, in place (upper triangle zeroed); false when
// a pivot is not > 0 (NaN included).
template <typename T, int N>
__host__ __device__ inline bool gvmap_la_cholesky(T (&a)[N * N]) {
  bool ok = true;
#pragma unroll
  for (int j = 0; j < N; j++) {
    T d = a[j * N + j];
#pragma unroll
    for (int c = 0; c < j; c++) d -= a[j * N + c] * a[j * N + c];
    if (!(d > T(0))) ok = false;
    d = gvmap_la_sqrt(d);
    a[j * N + j] = d;
#pragma unroll
    for (int i = j + 1; i < N; i++) {
      T x = a[i * N + j];
#pragma unroll
      for (int c = 0; c < j; c++) x -= a[i * N + c] * a[j * N + c];
      a[i * N + j] = x / d;
    }
#pragma unroll
    for (int c = j + 1; c < N; c++) a[j * N + c] = T(0);
  }
  return ok;
}

// Symmetric eigenvalues (ascending, in w) and, with Vectors, eigenvectors (columns of v)
// of the Lower (else upper) triangle of a, by cyclic Jacobi sweeps; a is overwritten. An
// off-diagonal entry below the rounding of both diagonal entries it couples is dropped; the
// sweeps end when one rotates nothing.
template <typename T, int N, bool Lower, bool Vectors>
__host__ __device__ inline void gvmap_la_eigh(T (&a)[N * N], T (&w)[N], T (&v)[N * N]) {
#pragma unroll
  for (int i = 0; i < N; i++) {
#pragma unroll
    for (int j = 0; j < N; j++) {
      if (j > i) {
        if (Lower) a[i * N + j] = a[j * N + i]; else a[j * N + i] = a[i * N + j];
      }
      v[i * N + j] = (i == j) ? T(1) : T(0);
    }
  }
#pragma unroll 1
  for (int sweep = 0; sweep < GVMAP_LA_JACOBI_MAX_SWEEPS; sweep++) {
    bool rotated = false;
#pragma unroll
    for (int p = 0; p < N; p++) {
#pragma unroll
      for (int q = p + 1; q < N; q++) {
        const T apq = a[p * N + q], app = a[p * N + p], aqq = a[q * N + q];
        const T g = T(100) * gvmap_la_abs(apq);
        if (gvmap_la_abs(app) + g == gvmap_la_abs(app) && gvmap_la_abs(aqq) + g == gvmap_la_abs(aqq)) {
          a[p * N + q] = a[q * N + p] = T(0);
          continue;
        }
        rotated = true;
        const T theta = (aqq - app) / (T(2) * apq);
        T t = T(1) / (gvmap_la_abs(theta) + gvmap_la_hypot(theta, T(1)));
        if (theta < T(0)) t = -t;
        const T c = T(1) / gvmap_la_sqrt(t * t + T(1)), s = t * c;
#pragma unroll
        for (int r = 0; r < N; r++) {
          if (r == p || r == q) continue;
          const T arp = a[r * N + p], arq = a[r * N + q];
          a[r * N + p] = a[p * N + r] = c * arp - s * arq;
          a[r * N + q] = a[q * N + r] = s * arp + c * arq;
        }
        a[p * N + p] = app - t * apq;
        a[q * N + q] = aqq + t * apq;
        a[p * N + q] = a[q * N + p] = T(0);
        if (Vectors) {
#pragma unroll
          for (int r = 0; r < N; r++) {
            const T vrp = v[r * N + p], vrq = v[r * N + q];
            v[r * N + p] = c * vrp - s * vrq;
            v[r * N + q] = s * vrp + c * vrq;
          }
        }
      }
    }
    if (!rotated) break;
  }
#pragma unroll
  for (int i = 0; i < N; i++) w[i] = a[i * N + i];
#pragma unroll
  for (int i = 0; i + 1 < N; i++) {  // a bubble sort of constant-indexed exchanges
#pragma unroll
    for (int j = 0; j + 1 < N - i; j++) {
      if (w[j] > w[j + 1]) {
        const T t = w[j]; w[j] = w[j + 1]; w[j + 1] = t;
        if (Vectors) {
#pragma unroll
          for (int r = 0; r < N; r++) {
            const T x = v[r * N + j]; v[r * N + j] = v[r * N + j + 1]; v[r * N + j + 1] = x;
          }
        }
      }
    }
  }
  if (Vectors) {
#pragma unroll
    for (int j = 0; j < N; j++) {
      T top = T(0);
#pragma unroll
      for (int i = 0; i < N; i++) {
        const T m = gvmap_la_abs(v[i * N + j]);
        if (m > top) top = m;
      }
      const T bar = top * (T(1) - T(0.0009765625));  // SIGN_TIE = 2**-10
      bool found = false, flip = false;
#pragma unroll
      for (int i = 0; i < N; i++) {
        const T x = v[i * N + j];
        if (!found && gvmap_la_abs(x) >= bar) { found = true; flip = x < T(0); }
      }
      if (flip) {
#pragma unroll
        for (int i = 0; i < N; i++) v[i * N + j] = -v[i * N + j];
      }
    }
  }
}
#endif  // GVMAP_ROW_LINALG
""".replace("GVMAP_LA_JACOBI_MAX_SWEEPS", str(JACOBI_MAX_SWEEPS))
