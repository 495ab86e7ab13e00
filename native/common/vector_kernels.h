// The loops a one-position step and a top-k spend their time in, written for the
// CPU's widest vectors (AVX-512, else AVX2 with FMA, else portable C++, picked once at load time):
// at d = 64 LibTorch's per-op cost dominates these, and the compiler will neither vectorise a float
// reduction it may not reassociate nor keep an output row in registers across an axpy loop.
#pragma once
#include <cstdint>
#include <vector>

namespace seqrec {

// out[i] = Σ_j rows[i·d + j] · h[j] for rows [0, n): a table's rows dotted with one vector.
void rowDots(const float* rows, int64_t n, int64_t d, const float* h, float* out);

// y = bias + Σ_i x[i] · wT[i·out + :]  (bias may be null for zeros): a linear layer with its weight
// stored transposed (in, out), or a weighted sum of n rows (attention's softmax(q·Kᵀ)·V).
void linearRows(const float* wT, const float* bias, const float* x, int64_t in, int64_t out, float* y);

// Y[r] = linearRows(wT, bias, X[r]) for rows r of X (rows, in) into Y (rows, out), bit for bit what
// linearRows gives each row alone: several sessions' one-position steps share each weight load.
void linearBatch(const float* wT, const float* bias, const float* X, int64_t rows, int64_t in, int64_t out, float* Y);

// The first i in [0, n) with x[i] > bar (NaN never is), or n: a top-k's scan past the items that
// cannot enter its list, sixteen at a time.
int64_t firstAbove(const float* x, int64_t n, float bar);

// out[r·64P + 64p + j] = Σ_i H[r·d + i] · panels[(p·d + i)·64 + j] for rows r < n of H (n, d) and
// P panels, each a (d, 64) block of a transposed table (64 items' columns side by side): scores of
// n users against a table laid out so that every step of the sum reads 256 contiguous bytes, each
// panel read once from memory for all n users and each load shared by several (four with AVX-512,
// two with AVX2).
void panelScores(const float* panels, const float* H, int64_t n, int64_t d, int64_t P, float* out);

// s = softmax(scale · s) over n ≥ 1 values, in place: attention's weights over the cached positions.
void softmax(float* s, int64_t n, float scale);

// x = x/2 · (1 + erf(x/√2)) over n values, in place: the feed-forward's GELU, with erf within 1.5e-7
// of the exact value, as LibTorch's vectorised CPU kernels compute it.
void gelu(float* x, int64_t n);

// Every form of these this CPU can run, the one in use first (tests/parity/vector-kernels.test.ts
// checks each against a float64 reference).
struct VectorKernelForm {
  const char* name;  // "avx512", "avx2" or "portable"
  void (*rowDots)(const float*, int64_t, int64_t, const float*, float*);
  void (*linearRows)(const float*, const float*, const float*, int64_t, int64_t, float*);
  void (*linearBatch)(const float*, const float*, const float*, int64_t, int64_t, int64_t, float*);
  int64_t (*firstAbove)(const float*, int64_t, float);
  void (*panelScores)(const float*, const float*, int64_t, int64_t, int64_t, float*);
  void (*softmax)(float*, int64_t, float);
  void (*gelu)(float*, int64_t);
};
std::vector<VectorKernelForm> vectorKernelForms();

}  // namespace seqrec
