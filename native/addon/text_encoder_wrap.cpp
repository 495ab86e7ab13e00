// NativeTextEncoder method bodies and the batched encode loop.
#include "addon/text_encoder_wrap.h"

#include <ATen/CPUGeneratorImpl.h>

#include "addon/promise_worker.h"
#include "common/cancel.h"
#include "common/error.h"
#include "model/lora_state.h"
#include "model/recommender.h"

namespace seqrec::glue {

std::vector<float> TextEncoder::encode(const EncodeRequest& r) {
  if (!net) throw Error(ErrorCode::InvalidOption, "NativeTextEncoder.encode() before load()");
  const int64_t T = r.length, n = T > 0 ? static_cast<int64_t>(r.ids.size()) / T : 0, H = config.hiddenSize;
  if (T < 1 || r.batchSize < 1 || static_cast<int64_t>(r.ids.size()) != n * T || r.attentionMask.size() != r.ids.size())
    throw Error(ErrorCode::InvalidData, "encode: ids and attentionMask must both hold n·length values");
  if (r.pooling != "mean" && r.pooling != "cls") throw Error(ErrorCode::InvalidOption, "encode: pooling must be \"mean\" or \"cls\"");
  for (int32_t id : r.ids)
    if (id < 0 || id >= config.vocabSize)
      throw Error(ErrorCode::InvalidData, "encode: token id " + std::to_string(id) + " is outside the vocabulary 0.." + std::to_string(config.vocabSize - 1));
  if (config.threads > 0 && at::get_num_threads() != config.threads) at::set_num_threads(static_cast<int>(config.threads));
  c10::InferenceMode inference;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);  // eval: the adapter's dropout draws nothing
  torch::Tensor ids = torch::from_blob(const_cast<int32_t*>(r.ids.data()), {n, T}, torch::kInt).to(torch::kLong);   // (n, T)
  torch::Tensor valid = torch::from_blob(const_cast<int32_t*>(r.attentionMask.data()), {n, T}, torch::kInt).ne(0);  // (n, T)
  std::vector<float> out(static_cast<size_t>(n * H));
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t b = std::min(r.batchSize, n - begin);
    torch::Tensor v = valid.narrow(0, begin, b).to(device);                                                   // (b, T)
    torch::Tensor pooled = net->embed(ids.narrow(0, begin, b).to(device), v, r.pooling, r.normalize, gen, adapter);  // (b, H)
    pooled = pooled.to(torch::kFloat).cpu().contiguous();
    std::memcpy(out.data() + begin * H, pooled.data_ptr<float>(), static_cast<size_t>(b * H) * sizeof(float));
  }
  return out;
}

void TextEncoder::setAdapter(const AdapterState& s) {
  if (!net) throw Error(ErrorCode::InvalidOption, "NativeTextEncoder.setAdapter() before load()");
  const LoraOptions options = loraOptions(s.name, s.r, s.alpha, s.dropout, s.rslora);
  const std::map<std::string, LoraFactors> factors = readLoraFactors(s, net->loraLayers());  // all checked first
  for (const auto& [module, layer] : net->loraLayers()) {
    layer->adapters.clear();
    auto f = factors.find(module);
    if (f != factors.end()) layer->setAdapter(s.name, options, f->second.A, f->second.B);
  }
  adapter = s.name;
}

NativeTextEncoder::NativeTextEncoder(const Napi::CallbackInfo& info) : NativeTextEncoderGlue<NativeTextEncoder>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    auto encoder = std::make_shared<TextEncoder>();
    encoder->config = readConstructorArgs(info);
    const TextEncoderConfig& c = encoder->config;
    if (c.vocabSize < 1 || c.hiddenSize < 1 || c.layers < 1 || c.heads < 1 || c.hiddenSize % c.heads != 0 ||
        c.intermediateSize < 1 || c.maxPositions < 1 || c.typeVocabSize < 1 || !(c.layerNormEps > 0) || c.threads < 0)
      throw Error(ErrorCode::InvalidOption, "TextEncoderConfig needs positive sizes and heads dividing hiddenSize");
    encoder->device = parseDevice(c.device);
    encoder_ = std::move(encoder);
    return info.Env().Undefined();
  });
}

std::shared_ptr<TextEncoder> NativeTextEncoder::usable(const char* what) {
  if (!encoder_) throw Error(ErrorCode::Disposed, std::string("NativeTextEncoder.") + what + "() after dispose()");
  return encoder_;
}

Napi::Value NativeTextEncoder::load(Napi::Env env, std::vector<TensorEntry>&& tensors) {
  std::shared_ptr<TextEncoder> encoder = usable("load");
  if (jobs_ > 0) throw Error(ErrorCode::Busy, "NativeTextEncoder.load() while a call is in flight");
  ++jobs_;
  loading_ = true;
  Ref();
  return runAsync<void>(
      env,
      [encoder, t = std::move(tensors)] {
        BertEncoder net(encoder->config);
        net->loadHf(t);
        net->eval();
        net->to(encoder->device);
        encoder->net = net;  // only a fully loaded encoder is ever visible
      },
      [this] {
        --jobs_;
        loading_ = false;
        Unref();
      });
}

Napi::Value NativeTextEncoder::encode(Napi::Env env, EncodeRequest&& request) {
  std::shared_ptr<TextEncoder> encoder = usable("encode");
  if (loading_) throw Error(ErrorCode::Busy, "NativeTextEncoder.encode() while load() or setAdapter() is running");
  ++jobs_;
  Ref();
  return runAsync<std::vector<float>>(
      env, [encoder, r = std::move(request)] { return encoder->encode(r); },
      [this] {
        --jobs_;
        Unref();
      });
}

Napi::Value NativeTextEncoder::setAdapter(Napi::Env env, AdapterState&& state) {
  std::shared_ptr<TextEncoder> encoder = usable("setAdapter");
  if (jobs_ > 0) throw Error(ErrorCode::Busy, "NativeTextEncoder.setAdapter() while a call is in flight");
  ++jobs_;
  loading_ = true;  // encode must not read the layers while they change
  Ref();
  return runAsync<void>(
      env, [encoder, s = std::move(state)] { encoder->setAdapter(s); },
      [this] {
        --jobs_;
        loading_ = false;
        Unref();
      });
}

void NativeTextEncoder::dispose(Napi::Env) {
  if (!encoder_) return;  // idempotent
  if (jobs_ > 0) throw Error(ErrorCode::Busy, "NativeTextEncoder.dispose() while " + std::to_string(jobs_) + " call(s) are in flight");
  encoder_.reset();
}

}  // namespace seqrec::glue
