#include "common/vector_kernels.h"

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

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's own _mm256_undefined_si256 trips -Wmaybe-uninitialized once these are inlined (GCC bug
// 105593): a false positive inside the compiler's header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

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
  for (; o + 16 <= out; o += 16) {
    __m512 acc = bias ? _mm512_loadu_ps(bias + o) : _mm512_setzero_ps();
    for (int64_t i = 0; i < in; ++i) acc = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), _mm512_loadu_ps(wT + i * out + o), acc);
    _mm512_storeu_ps(y + o, acc);
  }
  for (; o < out; ++o) {
    float sum = bias ? bias[o] : 0.0f;
    for (int64_t i = 0; i < in; ++i) sum += x[i] * wT[i * out + o];
    y[o] = sum;
  }
}

__attribute__((target("avx2,fma"))) void rowDotsAvx2(const float* rows, int64_t n, int64_t d, const float* h, float* out) {
  const int64_t d8 = d / 8 * 8;
  for (int64_t i = 0; i < n; ++i) {
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
  for (; o < out; ++o) {
    float sum = bias ? bias[o] : 0.0f;
    for (int64_t i = 0; i < in; ++i) sum += x[i] * wT[i * out + o];
    y[o] = sum;
  }
}
#pragma GCC diagnostic pop
#endif

std::vector<VectorKernelForm> supportedForms() {
  std::vector<VectorKernelForm> forms;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) forms.push_back({"avx512", rowDotsAvx512, linearRowsAvx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) forms.push_back({"avx2", rowDotsAvx2, linearRowsAvx2});
#endif
  forms.push_back({"portable", rowDotsPortable, linearRowsPortable});
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

std::vector<VectorKernelForm> vectorKernelForms() {
  return supportedForms();
}

}  // namespace seqrec
