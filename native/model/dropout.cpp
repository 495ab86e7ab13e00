#include "model/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <mutex>

namespace seqrec {

namespace {

// SplitMix64 (Steele et al. 2014) of (seed, i): 64 random bits for elements 4i .. 4i+3.
inline uint64_t splitMix64(uint64_t seed, uint64_t i) {
  uint64_t z = seed + i * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// On x86-64 (GCC or Clang, glibc's ifunc) compiled also for AVX2 and AVX-512, picked at load time:
// vectorised 64-bit multiplies make the loop 2.5× faster than the baseline x86-64 build.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__)
#define SEQREC_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SEQREC_CPU_CLONES
#endif

// m[4·begin, 4·end): 0 where an element's 16 bits fall below threshold, else scale.
SEQREC_CPU_CLONES void fillMask(float* m, int64_t begin, int64_t end, uint64_t seed, uint64_t threshold, float scale) {
  for (int64_t i = begin; i < end; ++i) {
    const uint64_t z = splitMix64(seed, static_cast<uint64_t>(i));
    float* out = m + 4 * i;
    out[0] = (z & 0xFFFF) < threshold ? 0.0f : scale;
    out[1] = ((z >> 16) & 0xFFFF) < threshold ? 0.0f : scale;
    out[2] = ((z >> 32) & 0xFFFF) < threshold ? 0.0f : scale;
    out[3] = (z >> 48) < threshold ? 0.0f : scale;
  }
}

}  // namespace

torch::Tensor cpuDropoutMask(const torch::Tensor& like, double p, at::Generator& gen) {
  uint64_t seed;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
  }
  torch::Tensor mask = torch::empty(like.sizes(), torch::TensorOptions().dtype(torch::kFloat));  // like's shape
  float* m = mask.data_ptr<float>();
  // Four elements per hash, 16 bits each: p is then taken to within 2^-16 (dropout 0.2 drops 0.199997).
  const auto threshold = static_cast<uint64_t>(p * 65536.0);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const int64_t n = mask.numel(), groups = n / 4;
  at::parallel_for(0, groups, 1 << 12, [=](int64_t begin, int64_t end) { fillMask(m, begin, end, seed, threshold, scale); });
  uint64_t z = splitMix64(seed, static_cast<uint64_t>(groups));  // the last, partial group
  for (int64_t j = 4 * groups; j < n; ++j, z >>= 16) m[j] = (z & 0xFFFF) < threshold ? 0.0f : scale;
  return mask;
}

}  // namespace seqrec
