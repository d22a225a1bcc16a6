#pragma once
// Per-tile math shared by the CPU backend and the CUDA kernels. Everything here is
// __host__ __device__ and allocation-free, so the CPU unit tests exercise the exact code the
// kernels run. Matrices are row-major with an explicit leading dimension.
#include <cmath>

#if defined(__CUDACC__)
#define AMF_HD __host__ __device__ __forceinline__
#else
#define AMF_HD inline
#endif

namespace amf {
namespace tile {

// Squared Euclidean distance of two d-vectors.
template <typename T>
AMF_HD T squared_distance(const T* a, const T* b, int d) {
  T acc = T(0);
  for (int i = 0; i < d; ++i) {
    const T diff = a[i] - b[i];
    acc += diff * diff;
  }
  return acc;
}

// RBF kernel on x = (s, c) with separate length-scales, given x stored as [s..., c...].
// neg_half_inv_ls2_* = -1 / (2 lengthscale^2), precomputed once by the caller.
template <typename T>
AMF_HD T rbf_state_task(const T* x, const T* y, int state_dim, int task_dim,
                        T neg_half_inv_ls2_state, T neg_half_inv_ls2_task, T signal_variance) {
  const T ds = squared_distance(x, y, state_dim);
  const T dc = squared_distance(x + state_dim, y + state_dim, task_dim);
  return signal_variance * exp(neg_half_inv_ls2_state * ds + neg_half_inv_ls2_task * dc);
}

// The Gram term of one Linear layer of the loss-gradient kernel, from the signal product
// s = delta . delta' and the input product h = h_in . h_in': the weight gradients give s h and
// the bias gradients s, so k += s (h + 1) (bias = 0 for a layer without one; on token sequences
// once per token pair). The CPU Gram and the CUDA epilogue both use it.
template <typename T>
AMF_HD T linear_layer_term(T signal_product, T input_product, T bias = T(1)) {
  return signal_product * (input_product + bias);
}

// In-place lower Cholesky of the n x n matrix A (row-major, leading dimension lda); only the
// lower triangle is read and written. Returns false, leaving A partly overwritten, when a pivot
// is not positive (the matrix is not numerically positive definite).
template <typename T>
AMF_HD bool cholesky_lower(T* A, int n, int lda) {
  for (int j = 0; j < n; ++j) {
    T diag = A[j * lda + j];
    for (int k = 0; k < j; ++k) diag -= A[j * lda + k] * A[j * lda + k];
    if (!(diag > T(0))) return false;  // also catches NaN
    const T ljj = sqrt(diag);
    A[j * lda + j] = ljj;
    const T inv = T(1) / ljj;
    for (int i = j + 1; i < n; ++i) {
      T v = A[i * lda + j];
      for (int k = 0; k < j; ++k) v -= A[i * lda + k] * A[j * lda + k];
      A[i * lda + j] = v * inv;
    }
  }
  return true;
}

// Cholesky of A + jitter I into L (both n x n, leading dimension ld; A is left untouched).
// Starts without jitter; after a failure retries with jitter = 1e-10 * mean diagonal, times 10
// per retry, `max_retries` times. Returns the jitter that worked (0 for none) or -1 when every
// try failed (A is not positive definite, or holds NaN).
template <typename T>
AMF_HD T cholesky_with_jitter(const T* A, T* L, int n, int ld, int max_retries) {
  T mean_diag = T(0);
  for (int i = 0; i < n; ++i) mean_diag += A[i * ld + i];
  mean_diag = n > 0 ? mean_diag / T(n) : T(1);
  T jitter = T(0);
  for (int attempt = 0; attempt <= max_retries; ++attempt) {
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) L[i * ld + j] = A[i * ld + j] + (i == j ? jitter : T(0));
    if (cholesky_lower(L, n, ld)) return jitter;
    jitter = attempt == 0 ? T(1e-10) * (mean_diag > T(0) ? mean_diag : T(1)) : jitter * T(10);
  }
  return T(-1);
}

// Solves L y = b in place for one right-hand side b whose entries are `stride` apart
// (stride = number of columns when b is a column of a row-major matrix).
template <typename T>
AMF_HD void forward_substitute(const T* L, int n, int ldl, T* b, int stride) {
  for (int i = 0; i < n; ++i) {
    T v = b[i * stride];
    for (int k = 0; k < i; ++k) v -= L[i * ldl + k] * b[k * stride];
    b[i * stride] = v / L[i * ldl + i];
  }
}

// Squared norm of a strided n-vector.
template <typename T>
AMF_HD T squared_norm_strided(const T* b, int n, int stride) {
  T acc = T(0);
  for (int i = 0; i < n; ++i) acc += b[i * stride] * b[i * stride];
  return acc;
}

// log N(a; mu, var I) for a d-dimensional action with isotropic variance var > 0.
template <typename T>
AMF_HD T isotropic_gaussian_log_prob(const T* a, const T* mu, int d, T var) {
  const T log_two_pi = T(1.8378770664093454835606594728112);
  return T(-0.5) * (squared_distance(a, mu, d) / var + T(d) * (log_two_pi + log(var)));
}

template <typename T>
AMF_HD T clamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Floor applied to a conditional variance before its log: rounding can push a tiny true
// variance to zero or below, and log of that would be -inf or NaN.
template <typename T>
AMF_HD T variance_floor(T prior_variance) {
  return prior_variance * T(1e-12) + T(1e-300);
}

// One target point's terms of the criterion: given its variance before X (prior) and the part X
// explains (|L^-1 k(X, z)|^2), both variances floored, adds omega log v(z | X) to *j and
// omega log(prior / v) / 2 to *g.
template <typename T>
AMF_HD void add_log_variance_terms(T prior, T explained, T floor, T omega, T* j, T* g) {
  const T p = prior < floor ? floor : prior;
  const T v = p - explained < floor ? floor : p - explained;
  *j += omega * log(v);
  *g += omega * T(0.5) * log(p / v);
}

// One trajectory's importance-weight log-likelihood under one task: the clipped sum over steps
// t in [begin, end) of log N(a_t; mean(point0 + t), (sf2 - usq(point0 + t) + noise) I), with the
// GP's predictive mean column-major (leading dimension ld, da columns) and usq = |L^-1 k(X, x)|^2.
template <typename T>
AMF_HD T trajectory_loglik_sum(const T* actions, int da, const T* mean, long long ld, const T* usq, T sf2, T noise,
                               T lo, T hi, long long begin, long long end, long long point0) {
  T total = T(0);
  for (long long t = begin; t < end; ++t) {
    const long long point = point0 + t;
    const T var = (sf2 - usq[point] > T(0) ? sf2 - usq[point] : T(0)) + noise;
    T sq = T(0);
    for (int d = 0; d < da; ++d) {
      const T diff = actions[t * da + d] - mean[point + d * ld];
      sq += diff * diff;
    }
    total += clamp(T(-0.5) * (sq / var + T(da) * (T(1.8378770664093454835606594728112) + log(var))), lo, hi);
  }
  return total;
}

// row[i] <- softmax_i(row[i] - own[i]) over i < R, by log-sum-exp (no overflow for any inputs).
template <typename T>
AMF_HD void softmax_of_differences(T* row, const T* own, long long R) {
  T mx = -INFINITY;
  for (long long i = 0; i < R; ++i) {
    row[i] -= own[i];
    mx = row[i] > mx ? row[i] : mx;
  }
  T total = T(0);
  for (long long i = 0; i < R; ++i) total += (row[i] = exp(row[i] - mx));
  for (long long i = 0; i < R; ++i) row[i] /= total;
}

}  // namespace tile
}  // namespace amf
