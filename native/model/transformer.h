// The sequence encoder of SASRec / BERT4Rec: item + positional embeddings, pre-LN transformer
// blocks (attention, GELU feed-forward, dropout), a final LayerNorm. The output layer is tied to
// the item table (outputWeight), and the loss lives in native/train/fused_ce.h, never here, so the
// [N, V] logits are never materialised by the model itself. Every linear map is a LoraLinear;
// `adapter` in forward names the LoRA adapter to apply ("" = the base model alone).
// With textDim > 0 an item's row is its id embedding (only once the item has been trained on)
// plus a learned projection of its fixed text vector, so an item never seen in training is
// represented, scored and recommended from its text alone (itemTable below).
#pragma once
#include <torch/torch.h>

#include "common/shapes.h"
#include "model/attention.h"
#include "model/task_heads.h"

namespace seqrec {

// One transformer block, shared by the recommender (pre-LN) and the BERT text encoder (post-LN).
struct TransformerBlockOptions {
  TransformerBlockOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}
  /// width d
  TORCH_ARG(int64_t, dim);
  /// attention heads H
  TORCH_ARG(int64_t, heads);
  /// feed-forward width F (0 → 4·d)
  TORCH_ARG(int64_t, ffnDim) = 0;
  /// dropout on residual branches and the feed-forward hidden layer
  TORCH_ARG(double, dropout) = 0.0;
  /// dropout on attention probabilities
  TORCH_ARG(double, attnDropout) = 0.0;
  /// causal (a position sees only earlier ones) or bidirectional attention
  TORCH_ARG(bool, causal) = false;
  /// use scaled_dot_product_attention where LibTorch has it
  TORCH_ARG(bool, useSdpa) = true;
  /// normalise after each residual sum (BERT, post-LN) instead of before each branch (pre-LN)
  TORCH_ARG(bool, postNorm) = false;
  /// feed-forward activation: "gelu" (erf), "gelu_tanh" or "relu"
  TORCH_ARG(std::string, activation) = "gelu";
  /// LayerNorm epsilon
  TORCH_ARG(double, normEps) = 1e-5;
};

struct TransformerRecOptions {
  TransformerRecOptions(int64_t numItems, int64_t dim, int64_t layers, int64_t heads, int64_t maxLen)
      : numItems_(numItems), dim_(dim), layers_(layers), heads_(heads), maxLen_(maxLen) {}
  /// catalogue size V; item ids are 1..V, 0 is padding (bidirectional adds a mask token V+1)
  TORCH_ARG(int64_t, numItems);
  /// model width d
  TORCH_ARG(int64_t, dim);
  /// number of transformer blocks
  TORCH_ARG(int64_t, layers);
  /// attention heads H
  TORCH_ARG(int64_t, heads);
  /// longest input sequence L (positional table size)
  TORCH_ARG(int64_t, maxLen);
  /// feed-forward width F (0 → 4·d)
  TORCH_ARG(int64_t, ffnDim) = 0;
  /// dropout on embeddings, residual branches and the feed-forward hidden layer
  TORCH_ARG(double, dropout) = 0.2;
  /// dropout on attention probabilities
  TORCH_ARG(double, attnDropout) = 0.0;
  /// causal (SASRec, next item) or bidirectional (BERT4Rec, masked item)
  TORCH_ARG(bool, causal) = true;
  /// use scaled_dot_product_attention where LibTorch has it
  TORCH_ARG(bool, useSdpa) = true;
  /// width T of the item text vectors (0 = items are id embeddings only)
  TORCH_ARG(int64_t, textDim) = 0;
  /// causal only: event j of the window sits at position j (padding moved after the events, where
  /// causal attention never sees it), instead of the newest event at L−1. An event's keys and
  /// values then never change as later events arrive (extend below).
  TORCH_ARG(bool, startPositions) = false;
  /// task heads beside next-item prediction (model/task_heads.h): "" | "rating" | "like"
  TORCH_ARG(std::string, pointwise) = "";
  /// G attributes predicted per state (0 = none)
  TORCH_ARG(int64_t, attributes) = 0;

  // Its blocks: pre-LN, GELU. (public: again, as TORCH_ARG leaves the members private.)
 public:
  TransformerBlockOptions block() const {
    return TransformerBlockOptions(dim_, heads_)
        .ffnDim(ffnDim_)
        .dropout(dropout_)
        .attnDropout(attnDropout_)
        .causal(causal_)
        .useSdpa(useSdpa_);
  }
};

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerBlockOptions& options);
  // x (B, L, d) → (B, L, d). Pre-LN: x + Drop(Attn(LN(x))), then x + Drop(FFN(LN(x))).
  // Post-LN (BERT): LN(x + Drop(Attn(x))), then LN(h + Drop(FFN(h))).
  // lastOnly (pre-LN): (B, 1, d), the last position alone, keys and values from all of x.
  // cache: see MultiHeadAttentionImpl::forward.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyValid, at::Generator& gen, const std::string& adapter = "",
                        bool lastOnly = false, KeyValueCache* cache = nullptr);

  double dropoutP;
  bool postNorm;
  std::string activation;
  torch::nn::LayerNorm attnNorm = nullptr, ffnNorm = nullptr;
  MultiHeadAttention attention = nullptr;
  LoraLinear ffnIn = nullptr, ffnOut = nullptr;  // (d → F), (F → d)
};
TORCH_MODULE(TransformerBlock);

class TransformerRecImpl : public torch::nn::Module {
 public:
  explicit TransformerRecImpl(const TransformerRecOptions& options);

  // hidden (B, L, d) from seq (B, L) int64 item ids, left-padded with 0. `table` is the item table
  // to read the inputs from (itemTable()); undefined = compute it without id dropout.
  // lastOnly: (B, 1, d), the last position alone (what inference reads): the last block computes
  // its query, attention output and feed-forward for that position only.
  // With startPositions each row's padding moves to its end for the blocks and back afterwards.
  torch::Tensor forward(const torch::Tensor& seq, at::Generator& gen, const std::string& adapter = "", const torch::Tensor& table = {},
                        bool lastOnly = false);
  // Empty key/value caches, one per block, for `capacity` ≤ L positions (startPositions models).
  std::vector<KeyValueCache> newCache(int64_t capacity) const;
  // (1, d): the final state after appending items (m) int64 to the events whose keys and values
  // `cache` holds, in eval mode: each block computes the new positions only. Equal to forward's
  // last position over all the events (startPositions models; at most L events in all).
  torch::Tensor extend(const torch::Tensor& items, std::vector<KeyValueCache>& cache, at::Generator& gen, const std::string& adapter);
  // Input rows (..., d) of item ids (...): itemTable's rows without id dropout, computed for these ids alone.
  torch::Tensor inputRows(const torch::Tensor& ids);
  // The item table (R, d), R = V+1 [+1 mask]: input rows and (rows 1..V) the tied output weights.
  // Without text, the item embedding itself. With text:
  //   row_i = idActive_i · keep_i · itemEmbedding_i + textProjection(itemText_i)
  // keep_i ~ Bernoulli(1 − idDropout) while training (DropoutNet, Volkovs et al. 2017: the text
  // part learns to stand alone, as it must for cold items), else 1. BERT4Rec's [mask] has no text:
  // idActive and keep are always 1 for it.
  // `text` (R, T) replaces itemText when given (the end-to-end encoder's output, with gradients).
  torch::Tensor itemTable(at::Generator& gen, double idDropout = 0.0, const torch::Tensor& text = {});
  // Mark items (ids 1..V) as trained on: from now on their id embedding is part of their row.
  void activateItems(const std::vector<int32_t>& items);
  // Grow the catalogue to numItems: rows V+1..V' are appended before BERT4Rec's [mask] row (which
  // moves to the end), their id embeddings drawn as at creation from `gen`, no text, not active.
  void growItems(int64_t numItems, at::Generator& gen);
  // Every LoraLinear with its qualified name ("blocks.0.attention.query", "blocks.1.ffnIn", …),
  // in module order: the layers an adapter can target.
  LoraLayers loraLayers() const;
  // The tied output table (V, d): item rows 1..V of the item table (gradients flow).
  torch::Tensor outputWeight(at::Generator& gen);
  bool hasText() const { return options.textDim() > 0; }
  bool hasHeads() const { return !heads.is_empty(); }
  // Token that marks the position to predict in bidirectional mode (V + 1).
  int64_t maskToken() const { return options.numItems() + 1; }
  // Deterministic initialisation from gen: N(0, 0.02) weights, zero biases, unit LayerNorm,
  // zero padding row. Also makes two models with the same seed bit-identical.
  void resetParameters(at::Generator& gen);

  TransformerRecOptions options;
  torch::nn::Embedding itemEmbedding = nullptr;      // (V + 1 [+1 mask], d)
  torch::nn::Embedding positionEmbedding = nullptr;  // (L, d)
  torch::nn::ModuleList blocks = nullptr;
  torch::nn::LayerNorm finalNorm = nullptr;
  torch::nn::Linear textProjection = nullptr;  // (T → d), no bias; only with textDim > 0
  TaskHeads heads = nullptr;                   // only with a pointwise or attribute head
  torch::Tensor itemText;                      // (R, T) buffer: text vector per row, zero for padding and mask
  torch::Tensor idActive;                      // (R) buffer: 1 for items trained on and [mask], else 0
 private:
  void addText(int64_t rows);  // textProjection and the text buffers, after the encoder
};
TORCH_MODULE(TransformerRec);

}  // namespace seqrec
