// Multi-head self-attention over a sequence, causal (SASRec: position i sees keys <= i) or
// bidirectional (BERT4Rec: every position sees every valid key). Uses LibTorch's
// scaled_dot_product_attention when it exists and attention dropout is off (SDPA would draw its
// dropout from the global generator); the explicit softmax(QKᵀ/√dh)V path is the reference and
// is what tests compare SDPA against. Separate q/k/v/out projections (LoraLinear) so LoRA can
// target each; `adapter` names the LoRA adapter to apply ("" = base only), a prefix adapter's keys and
// values included (it sits on the key layer: model/lora.h).
#pragma once
#include <torch/torch.h>

#include "common/shapes.h"
#include "model/lora.h"

namespace seqrec {

// One block's keys and values for the positions a session has seen: what makes appending an event
// cost one position (causal models whose positions count from the oldest event; model/session.h).
struct KeyValueCache {
  torch::Tensor keys, values;  // (1, H, capacity, dh) each; positions [0, length) are filled
  int64_t length = 0;
  // Make room for `capacity` positions (copying the filled ones over); never shrinks.
  void reserve(int64_t capacity);
};

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}
  /// model width d (must be divisible by heads)
  TORCH_ARG(int64_t, dim);
  /// number of heads H
  TORCH_ARG(int64_t, heads);
  /// dropout on attention probabilities (forces the explicit path while training)
  TORCH_ARG(double, dropout) = 0.0;
  /// causal (next item) or bidirectional (masked item)
  TORCH_ARG(bool, causal) = true;
  /// use scaled_dot_product_attention where LibTorch has it
  TORCH_ARG(bool, useSdpa) = true;
};

class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options);

  // out (B, L, d) from x (B, L, d). keyValid (B, L) bool marks real items; used only in
  // bidirectional mode (causal mode uses left padding, so key 0 is always visible).
  // lastQueryOnly: out (B, 1, d) for the last position alone (inference needs no other), keys and
  // values still from all L positions.
  // cache (B = 1, causal): x holds positions [cache.length, cache.length + L), which see the cached
  // keys and values and their own (causally); their keys and values join the cache. Either the
  // cache is empty or L = 1 (SDPA aligns a causal mask to the top left, which only fits those two).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyValid, at::Generator& gen, const std::string& adapter = "",
                        bool lastQueryOnly = false, KeyValueCache* cache = nullptr);

  MultiHeadAttentionOptions options;
  LoraLinear query = nullptr, key = nullptr, value = nullptr, out = nullptr;  // (d → d) each

 private:
  // softmax(q·kᵀ/√dh)·v with dropout; causal (Lq = L) hides later keys, else `mask` (true = may attend) hides the rest.
  torch::Tensor explicitAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const c10::optional<torch::Tensor>& mask, at::Generator& gen, bool causal);
};
TORCH_MODULE(MultiHeadAttention);

// True when this LibTorch build has a scaled_dot_product_attention the model can call.
bool hasSdpa();

}  // namespace seqrec
