// LoRA (Hu et al. 2021) on a linear layer, as PEFT's lora.Linear computes it:
//   y = x·Wᵀ + b + s · B(A(dropout(x))),  A (r, in) Kaiming-uniform, B (out, r) zeros,
//   s = alpha / r, or alpha / √r with rsLoRA (Kalajdzievski 2023).
// DoRA (Liu et al. 2024; PEFT's use_dora) rescales the rows of the adapted weight to learned magnitudes m:
//   W' = diag(m / n) · (W + s·B·A),  n = ‖W + s·B·A‖ per row (a constant in backward, as in PEFT and the
//   paper's §4.3),  m (out) starting at ‖W‖ per row, so W' = W as LoRA starts; in forward, as PEFT does:
//   y = x·Wᵀ + b + (m/n − 1) ⊙ (x_d·Wᵀ) + (m/n) ⊙ s·B(A(x_d)),  x_d = dropout(x)
// A bottleneck adapter (Houlsby et al. 2019) acts on the layer's output instead, a residual MLP of width r:
//   y = z + s · B(GELU(A(dropout(z)))),  z = x·Wᵀ + b,  A (r, out), B (out, r) zeros
// (Houlsby's two placements are the attention output "out" and the feed-forward output "ffnOut"). It is
// not linear in x, so it cannot be merged into W.
// Prefix tuning (Li & Liang 2021; PEFT's PREFIX_TUNING) adds r learned positions to a block's attention:
// keys P_k (r, d) and values P_v (r, d) that every query sees before its own keys, kept as A and B of
// the block's key layer (which computes nothing more itself; model/attention.cpp applies them).
// LoraLinear replaces torch::nn::Linear in the transformer and keeps its parameter names
// ("weight", "bias"), so checkpoints are unchanged. Adapters are deliberately NOT registered
// parameters: the module tree stays exactly the base model, so checkpoints, the base hash, the
// AdamW groups and the parameter count ignore adapters. Which adapter to apply is an argument of
// forward (never layer state), so concurrent inference calls with different adapters never race.
// The model-level operations (targets, merge, import/export) live in native/model/adapters.cpp.
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/shapes.h"

namespace seqrec {

struct LoraOptions {
  LoraOptions(int64_t r, double alpha) : r_(r), alpha_(alpha) {}
  // The factor s applied to B·A.
  double scale() const { return rslora() ? alpha() / std::sqrt(static_cast<double>(r())) : alpha() / static_cast<double>(r()); }
  /// rank r of the update B·A
  TORCH_ARG(int64_t, r);
  /// numerator of the scale s (PEFT's lora_alpha)
  TORCH_ARG(double, alpha);
  /// dropout on the adapter's input while training (PEFT's lora_dropout)
  TORCH_ARG(double, dropout) = 0.0;
  /// rank-stabilised scale alpha / √r instead of alpha / r (PEFT's use_rslora)
  TORCH_ARG(bool, rslora) = false;
  /// weight-decomposed LoRA: learned row magnitudes (PEFT's use_dora)
  TORCH_ARG(bool, dora) = false;
  /// a bottleneck adapter on the output (A (r, out)) instead of a low-rank update
  TORCH_ARG(bool, bottleneck) = false;
  /// prefix tuning: r key/value positions (A, B (r, out)) on an attention's key layer
  TORCH_ARG(bool, prefix) = false;
};

// One adapter on one layer. A and B are leaf tensors on the layer's device and dtype.
struct LoraAdapter {
  LoraOptions options;
  torch::Tensor A;          // (r, in)   PEFT lora_A.weight; (r, out) for a bottleneck adapter; prefix keys (r, out)
  torch::Tensor B;          // (out, r)  PEFT lora_B.weight; prefix values (r, out)
  torch::Tensor magnitude;  // (out) DoRA's m, PEFT lora_magnitude_vector; undefined without DoRA
};

struct LoraLinearOptions {
  LoraLinearOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  /// input features
  TORCH_ARG(int64_t, in);
  /// output features
  TORCH_ARG(int64_t, out);
};

class LoraLinearImpl : public torch::nn::Module {
 public:
  explicit LoraLinearImpl(const LoraLinearOptions& options);

  // y (…, out) from x (…, in), plus the update of `adapter` ("" = base only). The merged adapter
  // is already inside weight, so it is not added again; any other adapter while one is merged
  // is refused one level up (Recommender::checkAdapter), where the error can name both.
  torch::Tensor forward(const torch::Tensor& x, at::Generator& gen, const std::string& adapter = "");

  // A from U(−1/√in, 1/√in) drawn from gen (= kaiming_uniform_(a=√5), PEFT's init), B zeros; DoRA's
  // magnitude the rows' norms of the weight. Not for a prefix, whose start the model computes (setAdapter).
  void addAdapter(const std::string& name, const LoraOptions& options, at::Generator& gen);
  // A new adapter with given factors A (r, in), B (out, r) and, with DoRA, magnitude (out) (a prefix: A, B (r, out)),
  // copied to this layer's device.
  void setAdapter(const std::string& name, const LoraOptions& options, const torch::Tensor& A, const torch::Tensor& B,
                  const torch::Tensor& magnitude = {});
  void removeAdapter(const std::string& name);
  // weight += s·B·A. Keeps the unmerged weight so unmerge() restores it bit for bit (subtracting
  // again would move W by rounding, and with it the base hash that adapter files are checked against).
  void merge(const std::string& name);
  void unmerge();
  const std::string& merged() const { return merged_; }
  // The weight without any merged adapter (out, in): what the base hash covers.
  const torch::Tensor& baseWeight() const { return merged_.empty() ? weight : unmerged_; }
  // W' − W (out, in) of an adapter, in the weight's dtype: s·B·A, or with DoRA diag(m/n)(W + s·B·A) − W.
  torch::Tensor delta(const std::string& name) const;

  LoraLinearOptions options;
  torch::Tensor weight;  // (out, in)
  torch::Tensor bias;    // (out)
  std::map<std::string, LoraAdapter> adapters;

 private:
  const LoraAdapter& adapter(const std::string& name) const;
  // DoRA's m / n (out), n = ‖W + s·B·A‖ per row, detached.
  torch::Tensor doraScale(const LoraAdapter& a) const;
  std::string merged_;      // adapter folded into weight, "" when none
  torch::Tensor unmerged_;  // (out, in) weight before the merge; undefined when nothing is merged
};
TORCH_MODULE(LoraLinear);

using LoraLayers = std::vector<std::pair<std::string, LoraLinearImpl*>>;  // qualified name → layer, module order

// Every LoraLinear below `root` with its qualified name ("blocks.0.attention.query"), in module order:
// what LoRA can target, in the recommender and in the BERT text encoder alike.
LoraLayers loraLayersOf(const torch::nn::Module& root);

}  // namespace seqrec
