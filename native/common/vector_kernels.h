// The two loops a one-position step and a few-user top-k spend their time in, written for the
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

// Every form of the two this CPU can run, the one in use first (tests/parity/vector-kernels.test.ts
// checks each against a float64 reference).
struct VectorKernelForm {
  const char* name;  // "avx512", "avx2" or "portable"
  void (*rowDots)(const float*, int64_t, int64_t, const float*, float*);
  void (*linearRows)(const float*, const float*, const float*, int64_t, int64_t, float*);
};
std::vector<VectorKernelForm> vectorKernelForms();

}  // namespace seqrec
