// BertEncoder: embeddings, post-LN blocks, pooling, and the BertModel → seqrec name map.
#include "model/bert_encoder.h"

#include <unordered_map>

#include "common/error.h"
#include "io/tensor_bytes.h"

namespace seqrec {

BertEncoderImpl::BertEncoderImpl(const TextEncoderConfig& c) {
  wordEmbedding = register_module("wordEmbedding", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
  positionEmbedding = register_module("positionEmbedding", torch::nn::Embedding(c.maxPositions, c.hiddenSize));
  tokenTypeEmbedding = register_module("tokenTypeEmbedding", torch::nn::Embedding(c.typeVocabSize, c.hiddenSize));
  embeddingNorm = register_module("embeddingNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps)));
  const auto block = TransformerBlockOptions(c.hiddenSize, c.heads)
                         .ffnDim(c.intermediateSize)
                         .postNorm(true)
                         .activation(c.activation)
                         .normEps(c.layerNormEps);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) blocks->push_back(TransformerBlock(block));
}

torch::Tensor BertEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& valid, at::Generator& gen,
                                       const std::string& adapter) {
  const int64_t T = ids.size(1);
  TORCH_CHECK(T <= positionEmbedding->weight.size(0), "text length ", T, " exceeds max_position_embeddings");
  torch::Tensor positions = torch::arange(T, ids.options());                                                         // (T)
  torch::Tensor x = wordEmbedding(ids) + positionEmbedding(positions) + tokenTypeEmbedding(torch::zeros_like(ids));  // (B, T, H)
  x = embeddingNorm(x);
  for (const auto& b : *blocks) x = b->as<TransformerBlock>()->forward(x, valid, gen, adapter);
  return x;  // (B, T, H)
}

torch::Tensor BertEncoderImpl::embed(const torch::Tensor& ids, const torch::Tensor& valid, const std::string& pooling, bool normalize,
                                     at::Generator& gen, const std::string& adapter) {
  torch::Tensor pooled = pool(forward(ids, valid, gen, adapter), valid, pooling);  // (B, H)
  return normalize ? pooled / pooled.norm(2, 1, true).clamp_min(1e-12) : pooled;
}

LoraLayers BertEncoderImpl::loraLayers() const {
  return loraLayersOf(*this);
}

torch::Tensor BertEncoderImpl::pool(const torch::Tensor& hidden, const torch::Tensor& valid, const std::string& pooling) {
  if (pooling == "cls") return hidden.select(1, 0);          // (B, H)
  torch::Tensor w = valid.unsqueeze(-1).to(hidden.dtype());  // (B, T, 1)
  return (hidden * w).sum(1) / w.sum(1).clamp_min(1.0);      // (B, H)
}

std::string bertParameterName(const std::string& hf) {
  static const std::vector<std::pair<std::string, std::string>> renames = {
      {"embeddings.word_embeddings.", "wordEmbedding."},
      {"embeddings.position_embeddings.", "positionEmbedding."},
      {"embeddings.token_type_embeddings.", "tokenTypeEmbedding."},
      {"embeddings.LayerNorm.", "embeddingNorm."},
      {"encoder.layer.", "blocks."},
      {"attention.self.query.", "attention.query."},
      {"attention.self.key.", "attention.key."},
      {"attention.self.value.", "attention.value."},
      {"attention.output.dense.", "attention.out."},
      {"attention.output.LayerNorm.", "attnNorm."},  // before "output.": the longer names first
      {"intermediate.dense.", "ffnIn."},
      {"output.dense.", "ffnOut."},
      {"output.LayerNorm.", "ffnNorm."},
  };
  std::string name = hf;
  for (const auto& [from, to] : renames) {
    const auto at = name.find(from);
    if (at != std::string::npos) name.replace(at, from.size(), to);
  }
  return name;
}

void BertEncoderImpl::loadHf(const std::vector<TensorEntry>& tensors) {
  std::unordered_map<std::string, const TensorEntry*> byName;
  for (const auto& e : tensors) byName[bertParameterName(e.name)] = &e;
  torch::NoGradGuard noGrad;
  for (auto& p : named_parameters()) {
    auto it = byName.find(p.key());
    if (it == byName.end()) throw Error(ErrorCode::Checkpoint, "BERT weights have no tensor for parameter \"" + p.key() + "\"");
    const TensorEntry& e = *it->second;
    if (e.shape != p.value().sizes().vec())
      throw Error(ErrorCode::Checkpoint, "BERT tensor \"" + e.name + "\" has shape " + c10::str(c10::IntArrayRef(e.shape)) +
                                             ", the encoder expects " + c10::str(p.value().sizes()));
    p.value().copy_(tensorFromBytes(e.name, e.dtype, e.shape, e.data));
  }
  if (byName.size() != named_parameters().size())
    throw Error(ErrorCode::Checkpoint, "BERT weights hold " + std::to_string(byName.size()) + " tensors; the encoder has " +
                                           std::to_string(named_parameters().size()) + " parameters");
}

void BertEncoderImpl::shareWeights(const BertEncoderImpl& source) {
  const auto from = source.named_parameters();
  for (auto& p : named_parameters()) {
    const torch::Tensor* s = from.find(p.key());
    if (s == nullptr || s->sizes() != p.value().sizes())
      throw Error(ErrorCode::InvalidOption,
                  "the text encoder has no parameter \"" + p.key() + "\" of shape " + c10::str(p.value().sizes()));
    p.value().set_data(s->detach());
  }
}

}  // namespace seqrec
