// TextTower: see text_tower.h.
#include "model/text_tower.h"

#include "common/rng.h"

#include <set>

#include "common/error.h"

namespace seqrec {

namespace {

torch::Tensor tokens(const std::vector<int32_t>& values, int64_t rows, int64_t T, const char* what) {
  if (static_cast<int64_t>(values.size()) != rows * T)
    throw Error(ErrorCode::InvalidData, std::string("text encoder: ") + what + " holds " + std::to_string(values.size()) +
                                            " values, expected (V+1)·T = " + std::to_string(rows * T));
  return torch::from_blob(const_cast<int32_t*>(values.data()), {rows, T}, torch::kInt).to(torch::kLong);  // (rows, T) copy
}

}  // namespace

TextTower::TextTower(const TextEncoder& encoder, const TextTuneRequest& r, int64_t rows, const torch::Device& device, uint64_t seed)
    : lora_(textEncoderLoraOptions(kAdapter, r.lora)),
      pooling_(r.pooling),
      normalize_(r.normalize),
      itemsPerStep_(r.itemsPerStep),
      encodeBatch_(r.encodeBatch) {
  if (!encoder.loaded()) throw invalidOption("text encoder: it is not loaded yet");
  const TextEncoderConfig& config = encoder.config();
  if (r.pooling != "mean" && r.pooling != "cls") throw invalidOption("text encoder: pooling must be \"mean\" or \"cls\"");
  if (r.length < 1 || r.length > config.maxPositions) throw invalidOption("text encoder: length must be in [1, max_position_embeddings]");
  if (r.itemsPerStep < 0 || r.encodeBatch < 1) throw invalidOption("text encoder: itemsPerStep must be >= 0 and encodeBatch >= 1");
  if (r.modules.empty()) throw invalidOption("text encoder: the adapter targets no layer");
  const int64_t textRows = static_cast<int64_t>(r.ids.size()) / r.length;                    // V+1: [mask] has no text
  torch::Tensor ids = tokens(r.ids, textRows, r.length, "ids");                              // (V+1, T)
  torch::Tensor valid = tokens(r.attentionMask, textRows, r.length, "attentionMask").ne(0);  // (V+1, T)
  if (textRows != rows && textRows + 1 != rows) throw invalidOption("text encoder: one token row per item 0..V is needed");
  if (ids.lt(0).any().item<bool>() || ids.ge(config.vocabSize).any().item<bool>())
    throw Error(ErrorCode::InvalidData, "text encoder: a token id is outside the vocabulary 0.." + std::to_string(config.vocabSize - 1));
  if (rows > textRows) {  // the [mask] row: no tokens
    ids = torch::cat({ids, torch::zeros({1, r.length}, torch::kLong)});
    valid = torch::cat({valid, torch::zeros({1, r.length}, torch::kBool)});
  }
  hasText_ = valid.any(1, /*keepdim=*/true).to(torch::kFloat);  // (R, 1)
  hasText_[0] = 0.0f;                                           // padding has no text (Recommender::setItemText zeroes it too)
  // A row with no token at all would attend to nothing (a softmax over −∞ is NaN, and NaN·0 stays
  // NaN): it reads one position, and hasText zeroes its output.
  valid.select(1, 0).logical_or_(hasText_.squeeze(1).eq(0));
  encoder_ = BertEncoder(config);
  encoder_->shareWeights(*encoder.net());
  for (auto& p : encoder_->parameters()) p.requires_grad_(false);  // the base stays frozen
  encoder_->to(device);                                            // first: each adapter's factors are created where its layer's weight is
  std::set<std::string> wanted;
  for (const auto& m : r.modules) wanted.insert(m.name);
  at::Generator gen = cpuGenerator(seed);
  for (const auto& [module, layer] : encoder_->loraLayers())
    if (wanted.erase(module)) layer->addAdapter(kAdapter, lora_, gen);
  if (!wanted.empty()) throw invalidOption("text encoder: no linear layer \"" + *wanted.begin() + "\"");
  ids_ = ids.to(device);
  valid_ = valid.to(device);
  hasText_ = hasText_.to(device);
}

torch::Tensor TextTower::embedRows(const torch::Tensor& rows, at::Generator& gen) {
  torch::Tensor valid = valid_.index_select(0, rows);                                                              // (n, T)
  torch::Tensor pooled = encoder_->embed(ids_.index_select(0, rows), valid, pooling_, normalize_, gen, kAdapter);  // (n, H)
  return pooled * hasText_.index_select(0, rows);                                                                  // (n, H)
}

torch::Tensor TextTower::text(torch::Tensor& bank, at::Generator& gen) {
  encoder_->train();
  const int64_t R = ids_.size(0);
  if (itemsPerStep_ == 0 || itemsPerStep_ >= R) return embedRows(torch::arange(R, ids_.options()), gen);  // (R, H)
  torch::Tensor rows = torch::randperm(R, gen, ids_.options()).narrow(0, 0, itemsPerStep_);  // (K), the model's generator and device
  torch::Tensor fresh = embedRows(rows, gen);                                                // (K, H)
  {
    torch::NoGradGuard noGrad;
    bank.index_copy_(0, rows, fresh.detach().to(bank.dtype()));
  }
  return bank.detach().index_copy(0, rows, fresh);  // (R, H): gradients reach the K fresh rows
}

void TextTower::refresh(torch::Tensor& bank) {
  torch::NoGradGuard noGrad;
  encoder_->eval();
  at::Generator unused = cpuGenerator(0);  // eval: LoRA dropout draws nothing
  const int64_t R = ids_.size(0);
  for (int64_t begin = 0; begin < R; begin += encodeBatch_) {
    const int64_t n = std::min(encodeBatch_, R - begin);
    torch::Tensor rows = torch::arange(begin, begin + n, ids_.options());  // (n)
    bank.narrow(0, begin, n).copy_(embedRows(rows, unused));
  }
}

torch::OrderedDict<std::string, torch::Tensor> TextTower::trainable() const {
  torch::OrderedDict<std::string, torch::Tensor> out;
  for (const auto& [module, layer] : encoder_->loraLayers()) {
    auto it = layer->adapters.find(kAdapter);
    if (it == layer->adapters.end()) continue;
    out.insert("textEncoder." + module + ".lora_A." + kAdapter + ".weight", it->second.A);  // (r, in)
    out.insert("textEncoder." + module + ".lora_B." + kAdapter + ".weight", it->second.B);  // (out, r)
    if (it->second.magnitude.defined())
      out.insert("textEncoder." + module + ".lora_magnitude_vector." + kAdapter, it->second.magnitude);  // (out) DoRA
  }
  return out;
}

AdapterState TextTower::adapterState() const {
  return loraState(kAdapter, lora_, encoder_->loraLayers());
}

}  // namespace seqrec
