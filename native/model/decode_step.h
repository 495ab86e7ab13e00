// One new position through a start-anchored causal model, for one session or several at once, in
// plain loops and the vector kernels of common/vector_kernels.h over fp32 weights copied once per
// model generation: what a session's append runs on the CPU. At this size (one position,
// d = 64) each LibTorch op costs a few microseconds of dispatch and allocation, about 25 of them per
// block, while the arithmetic is ~75k multiply-adds per block; the loops take the step from ~200 µs
// to a few µs. Same maths as TransformerRecImpl::extend (pre-LN blocks, GELU, keys and values
// appended to the same KeyValueCache tensors), checked against it (tests/integration/session.test.ts).
// Shapes: b sessions, d width, H heads of dh, F feed-forward width, n cached positions.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "model/attention.h"
#include "model/transformer.h"

namespace seqrec {

class DecodeStep {
 public:
  // Whether the loops can run this model with this adapter: CPU fp32, pre-LN GELU blocks, and no
  // adapter beyond the one merged into the weights.
  static bool supports(TransformerRecImpl& net, const std::string& adapter, const std::string& merged);
  explicit DecodeStep(TransformerRecImpl& net);

  // (b, d) the final states after appending items[r] to the cache *caches[r], at that cache's own
  // length, for b rows at once (each weight read once for all); each cache grows by one. A row's
  // state is bit for bit what it would be alone (common/vector_kernels.h linearBatch).
  torch::Tensor append(const int32_t* items, std::vector<KeyValueCache>* const* caches, int64_t b) const;

 private:
  struct Norm {
    std::vector<float> weight, bias;  // (d)
  };
  struct Linear {
    std::vector<float> weightT, bias;  // (in, out) transposed, (out)
    int64_t in = 0, out = 0;
  };
  struct Block {
    Norm attnNorm, ffnNorm;
    Linear query, key, value, out, ffnIn, ffnOut;
  };
  static Norm copyNorm(const torch::nn::LayerNorm& norm);
  static Linear copyLinear(const torch::Tensor& weight, const torch::Tensor& bias);

  int64_t d_, H_, dh_;
  double eps_ = 1e-5, finalEps_ = 1e-5;
  std::vector<Block> blocks_;
  Norm finalNorm_;
  torch::Tensor itemRows_;   // (R, d) fp32: the item table as input rows (no id dropout)
  torch::Tensor positions_;  // (L, d) fp32
};

}  // namespace seqrec
