// Which tensors a fit trains, and the requires_grad flags that make everything else frozen.
// Base training: every base parameter minus the frozen ones (embeddings, the first k blocks, or
// all but biases and LayerNorms). Adapter training: only that adapter's lora_A/lora_B, the whole
// base frozen (PEFT). Frozen tensors get requires_grad false for the fit, so autograd computes no
// gradient for them and AdamW never sees them (no moments either); the guard restores the flags.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "generated/types.h"
#include "model/recommender.h"

namespace seqrec {

struct TrainScope {
  torch::OrderedDict<std::string, torch::Tensor> trainable;  // name → tensor, base in module order, then lora_A/lora_B per layer
  int64_t frozenParameters = 0;                              // base scalars left out
  int64_t frozenTensors = 0;
};

// Throws InvalidOption for an unknown or merged adapter, a freeze option combined with an
// adapter, freezeBlocks outside [0, layers], or a scope with nothing left to train.
TrainScope trainScope(const Recommender& model, const FitRequest& request);

// Sets requires_grad true on the scope's tensors and false on every other base parameter and
// adapter factor; restores all of them to true (their state outside a fit) when destroyed.
class RequiresGradScope {
 public:
  RequiresGradScope(Recommender& model, const TrainScope& scope);
  ~RequiresGradScope();
  RequiresGradScope(const RequiresGradScope&) = delete;
  RequiresGradScope& operator=(const RequiresGradScope&) = delete;

 private:
  std::vector<torch::Tensor> all_;  // every base parameter and adapter factor
};

}  // namespace seqrec
