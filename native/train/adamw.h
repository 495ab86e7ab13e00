// AdamW written here (Loshchilov & Hutter; same update as PyTorch's torch.optim.AdamW,
// https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html): decoupled weight decay,
// bias-corrected moments, parameter groups (decay on matrices and embeddings only), and a
// multi-tensor (_foreach_) form used on CUDA. Learning-rate schedules: lr_schedule.h.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace seqrec {

struct AdamWOptions {
  /// β1, β2: decay rates of the first and second moment estimates
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  /// ε added to √v̂ for numerical stability
  TORCH_ARG(double, eps) = 1e-8;
  /// weight decay λ of the decay group (the no-decay group always uses 0)
  TORCH_ARG(double, weightDecay) = 0.01;
  /// update all tensors of a group with one multi-tensor (_foreach_) call per operation
  TORCH_ARG(bool, foreach) = false;
};

struct ParamGroup {
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;
  bool decay = false;  // takes options.weightDecay when true, no decay otherwise
};

// nanoGPT's rule: tensors with >= 2 dims (Linear weights, embeddings) decay; biases and
// LayerNorm parameters do not. Frozen parameters (requires_grad false) are left out.
std::vector<ParamGroup> decayGroups(const torch::OrderedDict<std::string, torch::Tensor>& named);

class AdamW {
 public:
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options);

  // One update with learning rate lr; parameters with no gradient are skipped.
  void step(double lr);
  void zeroGrad();
  // New hyper-parameters for the following steps (a resumed run brings its own); moments stay.
  void setOptions(const AdamWOptions& options) { options_ = options; }

  const std::vector<ParamGroup>& groups() const { return groups_; }
  int64_t stepCount() const { return step_; }
  // Moments by parameter name (exp_avg m, exp_avg_sq v), for checkpoints. Empty before step 1.
  std::vector<std::pair<std::string, torch::Tensor>> stateTensors() const;
  void loadState(int64_t step, const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

 private:
  void singleTensorUpdate(ParamGroup& g, std::vector<torch::Tensor>& m, std::vector<torch::Tensor>& v, double lr);
  void foreachUpdate(ParamGroup& g, std::vector<torch::Tensor>& m, std::vector<torch::Tensor>& v, double lr);

  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  int64_t step_ = 0;
  std::vector<std::vector<torch::Tensor>> expAvg_, expAvgSq_;  // per group, per param: like the param
};

// torch.nn.utils.clip_grad_norm_: scale all gradients so their global L2 norm is <= maxNorm.
// Returns the norm before clipping (always computed; maxNorm <= 0 only measures).
double clipGradNorm(const std::vector<ParamGroup>& groups, double maxNorm);

}  // namespace seqrec
