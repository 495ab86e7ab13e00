// A BERT text encoder (Devlin et al. 2019) for item text, built from the recommender's own
// transformer blocks in their post-LN, bidirectional form: word + position + segment-0 embeddings,
// LayerNorm, then the blocks; pooled to one vector per text (mean over real tokens, or [CLS]).
// Weights come from a Hugging Face BertModel checkpoint (read and checked in lib/text/hf-bert.ts;
// loadHf maps its names onto this module's). No pooler, no MLM head; LoRA adapters on its linear
// layers (the blocks' LoraLinear) are what end-to-end fine-tuning trains (model/text_tower.h).
// Shapes: B texts, T tokens, H hidden width, V vocabulary.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "generated/types.h"
#include "model/transformer.h"

namespace seqrec {

class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const TextEncoderConfig& config);

  // hidden (B, T, H) from ids (B, T) int64 token ids and valid (B, T) bool (false = padding), with
  // LoRA adapter `adapter` ("" = none); gen draws the adapter's dropout (the blocks have none).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& valid, at::Generator& gen, const std::string& adapter = "");
  // (B, H): the mean of hidden over valid positions ("mean") or position 0 ("cls").
  static torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& valid, const std::string& pooling);
  // (B, H) pooled and, with normalize, L2-normalised: one vector per text.
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& valid, const std::string& pooling, bool normalize, at::Generator& gen,
                      const std::string& adapter = "");
  // Every LoraLinear by qualified module name ("blocks.0.attention.query"), in module order.
  LoraLayers loraLayers() const;
  // Copy every parameter from tensors named as in BertModel (canonical names, float32); E_CHECKPOINT
  // naming the key on a missing name or a wrong shape.
  void loadHf(const std::vector<TensorEntry>& tensors);
  // Make every parameter use the storage of source's (same config), so a second encoder with LoRA
  // adapters of its own costs no second copy of the frozen weights; a later to(other device) copies.
  void shareWeights(const BertEncoderImpl& source);

  torch::nn::Embedding wordEmbedding = nullptr;       // (V, H)
  torch::nn::Embedding positionEmbedding = nullptr;   // (P, H)
  torch::nn::Embedding tokenTypeEmbedding = nullptr;  // (S, H)
  torch::nn::LayerNorm embeddingNorm = nullptr;
  torch::nn::ModuleList blocks = nullptr;
};
TORCH_MODULE(BertEncoder);

// This module's parameter name for a BertModel one ("encoder.layer.0.attention.self.query.weight"
// → "blocks.0.attention.query.weight").
std::string bertParameterName(const std::string& hfName);

}  // namespace seqrec
