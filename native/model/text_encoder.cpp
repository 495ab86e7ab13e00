#include "model/text_encoder.h"

#include <cstring>

#include "common/cancel.h"
#include "common/device.h"
#include "common/error.h"
#include "common/rng.h"
#include "model/lora_state.h"

namespace seqrec {

static const TextEncoderConfig& checked(const TextEncoderConfig& c) {
  if (c.vocabSize < 1 || c.hiddenSize < 1 || c.layers < 1 || c.heads < 1 || c.hiddenSize % c.heads != 0 || c.intermediateSize < 1 ||
      c.maxPositions < 1 || c.typeVocabSize < 1 || !(c.layerNormEps > 0) || c.threads < 0)
    throw Error(ErrorCode::InvalidOption, "TextEncoderConfig needs positive sizes and heads dividing hiddenSize");
  return c;
}

TextEncoder::TextEncoder(const TextEncoderConfig& config) : config_(checked(config)), device_(parseDevice(config.device)) {}

void TextEncoder::load(const std::vector<TensorEntry>& tensors) {
  useThreads(config_.threads);
  BertEncoder net(config_);
  net->loadHf(tensors);
  net->eval();
  net->to(device_);
  net_ = net;  // only a fully loaded encoder is ever visible
}

std::vector<float> TextEncoder::encode(const EncodeRequest& r) {
  if (!loaded()) throw Error(ErrorCode::InvalidOption, "NativeTextEncoder.encode() before load()");
  const int64_t T = r.length, n = T > 0 ? static_cast<int64_t>(r.ids.size()) / T : 0, H = config_.hiddenSize;
  if (T < 1 || r.batchSize < 1 || static_cast<int64_t>(r.ids.size()) != n * T || r.attentionMask.size() != r.ids.size())
    throw Error(ErrorCode::InvalidData, "encode: ids and attentionMask must both hold n·length values");
  if (r.pooling != "mean" && r.pooling != "cls") throw Error(ErrorCode::InvalidOption, "encode: pooling must be \"mean\" or \"cls\"");
  for (int32_t id : r.ids)
    if (id < 0 || id >= config_.vocabSize)
      throw Error(ErrorCode::InvalidData,
                  "encode: token id " + std::to_string(id) + " is outside the vocabulary 0.." + std::to_string(config_.vocabSize - 1));
  useThreads(config_.threads);
  c10::InferenceMode inference;
  at::Generator gen = cpuGenerator(0);  // eval: the adapter's dropout draws nothing
  torch::Tensor ids = torch::from_blob(const_cast<int32_t*>(r.ids.data()), {n, T}, torch::kInt).to(torch::kLong);   // (n, T)
  torch::Tensor valid = torch::from_blob(const_cast<int32_t*>(r.attentionMask.data()), {n, T}, torch::kInt).ne(0);  // (n, T)
  std::vector<float> out(static_cast<size_t>(n * H));
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t b = std::min(r.batchSize, n - begin);
    torch::Tensor v = valid.narrow(0, begin, b).to(device_);                                                            // (b, T)
    torch::Tensor pooled = net_->embed(ids.narrow(0, begin, b).to(device_), v, r.pooling, r.normalize, gen, adapter_);  // (b, H)
    pooled = pooled.to(torch::kFloat).cpu().contiguous();
    std::memcpy(out.data() + begin * H, pooled.data_ptr<float>(), static_cast<size_t>(b * H) * sizeof(float));
  }
  return out;
}

void TextEncoder::setAdapter(const AdapterState& s) {
  if (!loaded()) throw Error(ErrorCode::InvalidOption, "NativeTextEncoder.setAdapter() before load()");
  const LoraOptions options = textEncoderLoraOptions(s.name, s.lora);
  const std::map<std::string, LoraFactors> factors = readLoraFactors(s, net_->loraLayers());  // all checked first
  for (const auto& [module, layer] : net_->loraLayers()) {
    layer->adapters.clear();
    auto f = factors.find(module);
    if (f != factors.end()) layer->setAdapter(s.name, options, f->second.A, f->second.B, f->second.magnitude);
  }
  adapter_ = s.name;
}

}  // namespace seqrec
