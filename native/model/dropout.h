// Dropout drawn from the model's own generator (not LibTorch's global one), so training is
// reproducible per model and per step, and two models in one process never share a stream.
#pragma once
#include <torch/torch.h>

namespace seqrec {

// x: any shape. Inverted dropout: kept values are scaled by 1/(1-p) so eval needs no rescale.
inline torch::Tensor dropout(const torch::Tensor& x, double p, bool training, at::Generator& gen) {
  if (!training || p <= 0.0) return x;
  torch::Tensor keep = torch::empty_like(x).bernoulli_(1.0 - p, gen);  // same shape as x, 0/1
  return x * keep.div_(1.0 - p);
}

}  // namespace seqrec
