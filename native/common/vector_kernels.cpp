#include "common/vector_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace seqrec {

namespace {

void rowDotsPortable(const float* rows, int64_t n, int64_t d, const float* h, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    float sum = 0.0f;
    for (int64_t j = 0; j < d; ++j) sum += rows[i * d + j] * h[j];
    out[i] = sum;
  }
}

void linearRowsPortable(const float* wT, const float* bias, const float* x, int64_t in, int64_t out, float* y) {
  for (int64_t o = 0; o < out; ++o) y[o] = bias ? bias[o] : 0.0f;
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o) y[o] += x[i] * wT[i * out + o];
}

void linearBatchPortable(const float* wT, const float* bias, const float* X, int64_t rows, int64_t in, int64_t out, float* Y) {
  for (int64_t r = 0; r < rows; ++r) linearRowsPortable(wT, bias, X + r * in, in, out, Y + r * out);
}

int64_t firstAbovePortable(const float* x, int64_t n, float bar) {
  int64_t i = 0;
  while (i < n && !(x[i] > bar)) ++i;
  return i;
}

void panelScoresPortable(const float* panels, const float* H, int64_t n, int64_t d, int64_t P, float* out) {
  for (int64_t r = 0; r < n; ++r)
    for (int64_t p = 0; p < P; ++p) {
      float* y = out + r * 64 * P + 64 * p;
      for (int64_t j = 0; j < 64; ++j) y[j] = 0.0f;
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < 64; ++j) y[j] += H[r * d + i] * panels[(p * d + i) * 64 + j];
    }
}

void softmaxPortable(float* s, int64_t n, float scale) {
  float top = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) top = std::max(top, s[i] *= scale);
  float total = 0.0f;
  for (int64_t i = 0; i < n; ++i) total += (s[i] = std::exp(s[i] - top));
  for (int64_t i = 0; i < n; ++i) s[i] /= total;
}

void geluPortable(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
}

// Outputs [o, out) of y = bias + Σ_i x[i] · wT[i·out + :], one at a time: the vector forms' last outputs.
// Inlined into each form, so its sums are compiled for that form's instruction set (fused multiply-adds
// where it has them), as they were when each form wrote this loop itself.
inline __attribute__((always_inline)) void linearOutputsOneByOne(const float* wT, const float* bias, const float* x, int64_t in,
                                                                 int64_t out, int64_t o, float* y) {
  for (; o < out; ++o) {
    float sum = bias ? bias[o] : 0.0f;
    for (int64_t i = 0; i < in; ++i) sum += x[i] * wT[i * out + o];
    y[o] = sum;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's own _mm256_undefined_si256 trips -Wmaybe-uninitialized once these are inlined (GCC bug
// 105593): a false positive inside the compiler's header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// Sixteen rows at a time (d a multiple of 16): each row's products summed lane-wise in its own
// register, then the 16 registers folded into one of 16 sums by a transpose-and-add tree (~3
// shuffles or adds per row instead of a full horizontal sum per row, which cost more than the row's
// four multiply-adds at d = 64).
__attribute__((target("avx512f"))) void rowDotsAvx512(const float* rows, int64_t n, int64_t d, const float* h, float* out) {
  int64_t i = 0;
  if (d % 16 == 0)
    for (; i + 16 <= n; i += 16) {
      __m512 acc[16];
      for (int r = 0; r < 16; ++r) acc[r] = _mm512_setzero_ps();
      for (int64_t j = 0; j < d; j += 16) {
        const __m512 hj = _mm512_loadu_ps(h + j);
        for (int r = 0; r < 16; ++r) acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(rows + (i + r) * d + j), hj, acc[r]);
      }
      // 16 → 8: within each 128-bit lane, rows 2r and 2r+1 interleaved, two values summed per row.
      __m512 pair[8];
      for (int r = 0; r < 8; ++r)
        pair[r] = _mm512_add_ps(_mm512_unpacklo_ps(acc[2 * r], acc[2 * r + 1]), _mm512_unpackhi_ps(acc[2 * r], acc[2 * r + 1]));
      // 8 → 4: each 128-bit lane holds rows 4r … 4r+3, that lane's four values summed.
      __m512 quad[4];
      for (int r = 0; r < 4; ++r) {
        const __m512d a = _mm512_castps_pd(pair[2 * r]), b = _mm512_castps_pd(pair[2 * r + 1]);
        quad[r] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
      }
      // 4 → 2 → 1: add the 128-bit lanes pairwise (lanes 0+1 and 2+3 of each), twice.
      const __m512 half0 = _mm512_add_ps(_mm512_shuffle_f32x4(quad[0], quad[1], 0x88), _mm512_shuffle_f32x4(quad[0], quad[1], 0xDD));
      const __m512 half1 = _mm512_add_ps(_mm512_shuffle_f32x4(quad[2], quad[3], 0x88), _mm512_shuffle_f32x4(quad[2], quad[3], 0xDD));
      _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_shuffle_f32x4(half0, half1, 0x88), _mm512_shuffle_f32x4(half0, half1, 0xDD)));
    }
  const int64_t d16 = d / 16 * 16;
  for (; i < n; ++i) {
    const float* row = rows + i * d;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t j = 0; j < d16; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + j), _mm512_loadu_ps(h + j), acc);
    float sum = _mm512_reduce_add_ps(acc);
    for (int64_t j = d16; j < d; ++j) sum += row[j] * h[j];
    out[i] = sum;
  }
}

// Outputs [o, out) of linearRowsAvx512: sixteen at a time, then one at a time.
__attribute__((target("avx512f"))) void linearRowsTailAvx512(const float* wT, const float* bias, const float* x, int64_t in, int64_t out,
                                                             int64_t o, float* y) {
  for (; o + 16 <= out; o += 16) {  // four partial sums over i, so four multiply-adds are in flight, not one
    __m512 acc[4] = {bias ? _mm512_loadu_ps(bias + o) : _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t i = 0;
    for (; i + 4 <= in; i += 4)
      for (int u = 0; u < 4; ++u) acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(x[i + u]), _mm512_loadu_ps(wT + (i + u) * out + o), acc[u]);
    for (; i < in; ++i) acc[0] = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), _mm512_loadu_ps(wT + i * out + o), acc[0]);
    _mm512_storeu_ps(y + o, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  }
  linearOutputsOneByOne(wT, bias, x, in, out, o, y);
}

// 64 outputs at a time held in four registers across the whole sum over i.
__attribute__((target("avx512f"))) void linearRowsAvx512(const float* wT, const float* bias, const float* x, int64_t in, int64_t out,
                                                         float* y) {
  int64_t o = 0;
  for (; o + 64 <= out; o += 64) {
    __m512 acc[4];
    for (int c = 0; c < 4; ++c) acc[c] = bias ? _mm512_loadu_ps(bias + o + 16 * c) : _mm512_setzero_ps();
    for (int64_t i = 0; i < in; ++i) {
      const __m512 xi = _mm512_set1_ps(x[i]);
      for (int c = 0; c < 4; ++c) acc[c] = _mm512_fmadd_ps(xi, _mm512_loadu_ps(wT + i * out + o + 16 * c), acc[c]);
    }
    for (int c = 0; c < 4; ++c) _mm512_storeu_ps(y + o + 16 * c, acc[c]);
  }
  linearRowsTailAvx512(wT, bias, x, in, out, o, y);
}

// Four rows at a time through each group of 64 outputs: 16 accumulators, each weight vector loaded
// once for the four; every output summed in linearRowsAvx512's order (bias, then i ascending).
__attribute__((target("avx512f"))) void linearBatchAvx512(const float* wT, const float* bias, const float* X, int64_t rows, int64_t in,
                                                          int64_t out, float* Y) {
  const int64_t out64 = out / 64 * 64;
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* x = X + r * in;
    for (int64_t o = 0; o < out64; o += 64) {
      __m512 acc[4][4];
      for (int c = 0; c < 4; ++c) {
        const __m512 b = bias ? _mm512_loadu_ps(bias + o + 16 * c) : _mm512_setzero_ps();
        for (int q = 0; q < 4; ++q) acc[q][c] = b;
      }
      for (int64_t i = 0; i < in; ++i) {
        __m512 w[4];
        for (int c = 0; c < 4; ++c) w[c] = _mm512_loadu_ps(wT + i * out + o + 16 * c);
        for (int q = 0; q < 4; ++q) {
          const __m512 xi = _mm512_set1_ps(x[q * in + i]);
          for (int c = 0; c < 4; ++c) acc[q][c] = _mm512_fmadd_ps(xi, w[c], acc[q][c]);
        }
      }
      for (int q = 0; q < 4; ++q)
        for (int c = 0; c < 4; ++c) _mm512_storeu_ps(Y + (r + q) * out + o + 16 * c, acc[q][c]);
    }
    for (int q = 0; q < 4; ++q) linearRowsTailAvx512(wT, bias, x + q * in, in, out, out64, Y + (r + q) * out);
  }
  for (; r < rows; ++r) linearRowsAvx512(wT, bias, X + r * in, in, out, Y + r * out);
}

// Q users (Q ≤ 4) against one panel: Q × 4 accumulators of 16 items.
template <int Q>
__attribute__((target("avx512f"))) inline void panelUsersAvx512(const float* panel, const float* H, int64_t d, int64_t stride, float* out) {
  __m512 acc[Q][4];
  for (int q = 0; q < Q; ++q)
    for (int c = 0; c < 4; ++c) acc[q][c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < d; ++i) {
    __m512 w[4];
    for (int c = 0; c < 4; ++c) w[c] = _mm512_loadu_ps(panel + i * 64 + 16 * c);
    for (int q = 0; q < Q; ++q) {
      const __m512 hi = _mm512_set1_ps(H[q * d + i]);
      for (int c = 0; c < 4; ++c) acc[q][c] = _mm512_fmadd_ps(hi, w[c], acc[q][c]);
    }
  }
  for (int q = 0; q < Q; ++q)
    for (int c = 0; c < 4; ++c) _mm512_storeu_ps(out + q * stride + 16 * c, acc[q][c]);
}

__attribute__((target("avx512f"))) void panelScoresAvx512(const float* panels, const float* H, int64_t n, int64_t d, int64_t P,
                                                          float* out) {
  const int64_t stride = 64 * P;
  for (int64_t p = 0; p < P; ++p) {  // each panel (d·256 bytes) stays in L1 while every user reads it
    const float* panel = panels + p * d * 64;
    int64_t r = 0;
    for (; r + 4 <= n; r += 4) panelUsersAvx512<4>(panel, H + r * d, d, stride, out + r * stride + 64 * p);
    for (; r < n; ++r) panelUsersAvx512<1>(panel, H + r * d, d, stride, out + r * stride + 64 * p);
  }
}

// e^x for x ≤ 0 (arguments below −87.3 give ~1e-38, not 0), as Cephes' expf computes it: x = n·ln 2 + r
// with |r| ≤ ln 2 / 2 (ln 2 in two parts, so r is exact), e^r by a degree-6 polynomial, times 2^n.
// Within 2 ulp of the exact value.
__attribute__((target("avx512f"))) inline __m512 expAvx512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

__attribute__((target("avx512f"))) void softmaxAvx512(float* s, int64_t n, float scale) {
  const __m512 k = _mm512_set1_ps(scale);
  const float minusInf = -std::numeric_limits<float>::infinity();
  __m512 top = _mm512_set1_ps(minusInf);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(s + i), k);
    _mm512_storeu_ps(s + i, v);
    top = _mm512_max_ps(top, v);
  }
  float most = _mm512_reduce_max_ps(top);
  for (; i < n; ++i) most = std::max(most, s[i] *= scale);
  const __m512 m = _mm512_set1_ps(most);
  const int64_t n16 = n / 16 * 16;
  __m512 sum = _mm512_setzero_ps();
  for (i = 0; i < n16; i += 16) {
    const __m512 e = expAvx512(_mm512_sub_ps(_mm512_loadu_ps(s + i), m));
    _mm512_storeu_ps(s + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {  // the last n − i in masked lanes
    const __mmask16 lanes = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = expAvx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, s + i), m));
    _mm512_mask_storeu_ps(s + i, lanes, e);
    sum = _mm512_mask_add_ps(sum, lanes, sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (i = 0; i < n16; i += 16) _mm512_storeu_ps(s + i, _mm512_mul_ps(_mm512_loadu_ps(s + i), inv));
  if (i < n) {
    const __mmask16 lanes = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(s + i, lanes, _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, s + i), inv));
  }
}

__attribute__((target("avx512f"))) int64_t firstAboveAvx512(const float* x, int64_t n, float bar) {
  const __m512 b = _mm512_set1_ps(bar);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 above = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), b, _CMP_GT_OQ);
    if (above) return i + __builtin_ctz(above);
  }
  while (i < n && !(x[i] > bar)) ++i;
  return i;
}

// Eight rows at a time (d a multiple of 8): each row's products summed lane-wise in its own register (eight
// independent chains, where one row's chain alone waits on each multiply-add), then the eight folded into one
// register of eight sums by horizontal adds and a swap of 128-bit halves.
__attribute__((target("avx2,fma"))) void rowDotsAvx2(const float* rows, int64_t n, int64_t d, const float* h, float* out) {
  int64_t i = 0;
  if (d % 8 == 0)
    for (; i + 8 <= n; i += 8) {
      __m256 acc[8];
      for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
      for (int64_t j = 0; j < d; j += 8) {
        const __m256 hj = _mm256_loadu_ps(h + j);
        for (int r = 0; r < 8; ++r) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(rows + (i + r) * d + j), hj, acc[r]);
      }
      // per 128-bit half: rows 0–3's four partial sums, then rows 4–7's
      const __m256 low = _mm256_hadd_ps(_mm256_hadd_ps(acc[0], acc[1]), _mm256_hadd_ps(acc[2], acc[3]));
      const __m256 high = _mm256_hadd_ps(_mm256_hadd_ps(acc[4], acc[5]), _mm256_hadd_ps(acc[6], acc[7]));
      _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_permute2f128_ps(low, high, 0x20), _mm256_permute2f128_ps(low, high, 0x31)));
    }
  const int64_t d8 = d / 8 * 8;
  for (; i < n; ++i) {
    const float* row = rows + i * d;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < d8; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(h + j), acc);
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    const __m128 two = _mm_add_ps(half, _mm_movehl_ps(half, half));
    float sum = _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
    for (int64_t j = d8; j < d; ++j) sum += row[j] * h[j];
    out[i] = sum;
  }
}

// 32 outputs at a time held in four registers across the whole sum over i.
__attribute__((target("avx2,fma"))) void linearRowsAvx2(const float* wT, const float* bias, const float* x, int64_t in, int64_t out,
                                                        float* y) {
  int64_t o = 0;
  for (; o + 32 <= out; o += 32) {
    __m256 acc[4];
    for (int c = 0; c < 4; ++c) acc[c] = bias ? _mm256_loadu_ps(bias + o + 8 * c) : _mm256_setzero_ps();
    for (int64_t i = 0; i < in; ++i) {
      const __m256 xi = _mm256_set1_ps(x[i]);
      for (int c = 0; c < 4; ++c) acc[c] = _mm256_fmadd_ps(xi, _mm256_loadu_ps(wT + i * out + o + 8 * c), acc[c]);
    }
    for (int c = 0; c < 4; ++c) _mm256_storeu_ps(y + o + 8 * c, acc[c]);
  }
  linearOutputsOneByOne(wT, bias, x, in, out, o, y);
}

// Three rows at a time through each group of 32 outputs: 12 accumulators, as panelUsersAvx2 has them, each weight
// vector loaded once for the three; every output summed in linearRowsAvx2's order (bias, then i ascending).
__attribute__((target("avx2,fma"))) void linearBatchAvx2(const float* wT, const float* bias, const float* X, int64_t rows, int64_t in,
                                                         int64_t out, float* Y) {
  constexpr int Q = 3;
  const int64_t out32 = out / 32 * 32;
  int64_t r = 0;
  for (; r + Q <= rows; r += Q) {
    const float* x = X + r * in;
    for (int64_t o = 0; o < out32; o += 32) {
      __m256 acc[Q][4];
      for (int c = 0; c < 4; ++c) {
        const __m256 b = bias ? _mm256_loadu_ps(bias + o + 8 * c) : _mm256_setzero_ps();
        for (int q = 0; q < Q; ++q) acc[q][c] = b;
      }
      for (int64_t i = 0; i < in; ++i) {
        __m256 xi[Q];
        for (int q = 0; q < Q; ++q) xi[q] = _mm256_set1_ps(x[q * in + i]);
        for (int c = 0; c < 4; ++c) {
          const __m256 w = _mm256_loadu_ps(wT + i * out + o + 8 * c);
          for (int q = 0; q < Q; ++q) acc[q][c] = _mm256_fmadd_ps(xi[q], w, acc[q][c]);
        }
      }
      for (int q = 0; q < Q; ++q)
        for (int c = 0; c < 4; ++c) _mm256_storeu_ps(Y + (r + q) * out + o + 8 * c, acc[q][c]);
    }
    for (int q = 0; q < Q; ++q) linearOutputsOneByOne(wT, bias, x + q * in, in, out, out32, Y + (r + q) * out);
  }
  for (; r < rows; ++r) linearRowsAvx2(wT, bias, X + r * in, in, out, Y + r * out);
}

// e^x for x ≤ 0, as expAvx512 computes it; 2^n put into the exponent bits (n ≥ −126 for x ≥ −87.3).
__attribute__((target("avx2,fma"))) inline __m256 expAvx2(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  const __m256i twoToN = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(twoToN));
}

__attribute__((target("avx2,fma"))) void softmaxAvx2(float* s, int64_t n, float scale) {
  const __m256 k = _mm256_set1_ps(scale);
  __m256 top = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  const int64_t n8 = n / 8 * 8;
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(s + i), k);
    _mm256_storeu_ps(s + i, v);
    top = _mm256_max_ps(top, v);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, top);
  float most = *std::max_element(lanes, lanes + 8);
  for (int64_t i = n8; i < n; ++i) most = std::max(most, s[i] *= scale);
  const __m256 m = _mm256_set1_ps(most);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 e = expAvx2(_mm256_sub_ps(_mm256_loadu_ps(s + i), m));
    _mm256_storeu_ps(s + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float lane : lanes) total += lane;
  for (int64_t i = n8; i < n; ++i) total += (s[i] = std::exp(s[i] - most));
  const __m256 inv = _mm256_set1_ps(1.0f / total);
  for (int64_t i = 0; i < n8; i += 8) _mm256_storeu_ps(s + i, _mm256_mul_ps(_mm256_loadu_ps(s + i), inv));
  for (int64_t i = n8; i < n; ++i) s[i] *= 1.0f / total;
}

// GELU(x) = x/2 · (1 + erf(x/√2)), erf as LibTorch's vectorised CPU kernels compute it (Abramowitz and Stegun
// 7.1.26: erf(z) = 1 − t·P(t)·e^(−z²) with t = 1/(1 + 0.3275911·|z|), within 1.5e-7 of the exact value).
// The AVX-512 form uses this one too: a step's GELU is 2·F values a session, too few to need wider vectors.
__attribute__((target("avx2,fma"))) void geluAvx2(float* x, int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i), z = _mm256_mul_ps(v, _mm256_set1_ps(static_cast<float>(M_SQRT1_2)));
    const __m256 a = _mm256_andnot_ps(sign, z);
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.061405429f), t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    const __m256 tail = _mm256_mul_ps(_mm256_mul_ps(p, t), expAvx2(_mm256_xor_ps(sign, _mm256_mul_ps(a, a))));
    const __m256 erf = _mm256_or_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), tail), _mm256_and_ps(sign, z));  // erf is odd
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), erf)));
  }
  geluPortable(x + i, n - i);
}

// Q users (Q = 3, or 1 for the rest) against 32 items of one panel: Q × 4 accumulators of 8 items, Q broadcasts of
// the users' row-i values and one panel vector at a time: 16 ymm registers at Q = 3, whose 12 independent sums keep
// both FMA units busy through the FMA latency (16 users against ML-1M's 3,706 items: 166 → 101 µs on an AMD EPYC,
// where Q = 2's 8 sums did not). Each score is the same fused sum over i in order at any Q.
template <int Q>
__attribute__((target("avx2,fma"))) inline void panelUsersAvx2(const float* panel, const float* H, int64_t d, int64_t stride, float* out) {
  __m256 acc[Q][4];
  for (int q = 0; q < Q; ++q)
    for (int c = 0; c < 4; ++c) acc[q][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < d; ++i) {
    __m256 h[Q];
    for (int q = 0; q < Q; ++q) h[q] = _mm256_set1_ps(H[q * d + i]);
    for (int c = 0; c < 4; ++c) {
      const __m256 w = _mm256_loadu_ps(panel + i * 64 + 8 * c);
      for (int q = 0; q < Q; ++q) acc[q][c] = _mm256_fmadd_ps(h[q], w, acc[q][c]);
    }
  }
  for (int q = 0; q < Q; ++q)
    for (int c = 0; c < 4; ++c) _mm256_storeu_ps(out + q * stride + 8 * c, acc[q][c]);
}

__attribute__((target("avx2,fma"))) void panelScoresAvx2(const float* panels, const float* H, int64_t n, int64_t d, int64_t P, float* out) {
  const int64_t stride = 64 * P;
  for (int64_t p = 0; p < P; ++p)  // each panel (d·256 bytes) stays in L1 while every user reads it
    for (int64_t half = 0; half < 64; half += 32) {
      const float* panel = panels + p * d * 64 + half;
      int64_t r = 0;
      for (; r + 3 <= n; r += 3) panelUsersAvx2<3>(panel, H + r * d, d, stride, out + r * stride + 64 * p + half);
      for (; r < n; ++r) panelUsersAvx2<1>(panel, H + r * d, d, stride, out + r * stride + 64 * p + half);
    }
}

__attribute__((target("avx2,fma"))) int64_t firstAboveAvx2(const float* x, int64_t n, float bar) {
  const __m256 b = _mm256_set1_ps(bar);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int above = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), b, _CMP_GT_OQ));
    if (above) return i + __builtin_ctz(static_cast<unsigned>(above));
  }
  while (i < n && !(x[i] > bar)) ++i;
  return i;
}
#pragma GCC diagnostic pop
#endif

std::vector<VectorKernelForm> supportedForms() {
  std::vector<VectorKernelForm> forms;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    forms.push_back(
        {"avx512", rowDotsAvx512, linearRowsAvx512, linearBatchAvx512, firstAboveAvx512, panelScoresAvx512, softmaxAvx512, geluAvx2});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    forms.push_back({"avx2", rowDotsAvx2, linearRowsAvx2, linearBatchAvx2, firstAboveAvx2, panelScoresAvx2, softmaxAvx2, geluAvx2});
#endif
  forms.push_back({"portable", rowDotsPortable, linearRowsPortable, linearBatchPortable, firstAbovePortable, panelScoresPortable,
                   softmaxPortable, geluPortable});
  return forms;
}

const VectorKernelForm kVectorKernels = supportedForms().front();  // the widest this CPU has

}  // namespace

void rowDots(const float* rows, int64_t n, int64_t d, const float* h, float* out) {
  kVectorKernels.rowDots(rows, n, d, h, out);
}

void linearRows(const float* wT, const float* bias, const float* x, int64_t in, int64_t out, float* y) {
  kVectorKernels.linearRows(wT, bias, x, in, out, y);
}

void linearBatch(const float* wT, const float* bias, const float* X, int64_t rows, int64_t in, int64_t out, float* Y) {
  kVectorKernels.linearBatch(wT, bias, X, rows, in, out, Y);
}

int64_t firstAbove(const float* x, int64_t n, float bar) {
  return kVectorKernels.firstAbove(x, n, bar);
}

void panelScores(const float* panels, const float* H, int64_t n, int64_t d, int64_t P, float* out) {
  kVectorKernels.panelScores(panels, H, n, d, P, out);
}

void softmax(float* s, int64_t n, float scale) {
  kVectorKernels.softmax(s, n, scale);
}

void gelu(float* x, int64_t n) {
  kVectorKernels.gelu(x, n);
}

std::vector<VectorKernelForm> vectorKernelForms() {
  return supportedForms();
}

}  // namespace seqrec
