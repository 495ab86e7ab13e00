// The JS-visible NativeTextEncoder: owns one BERT text encoder (native/model/bert_encoder.h).
// load() builds the module and copies the weights in off the JS thread (a bert-base is 110M
// parameters), encode() runs batches on libuv's pool; dispose with a call in flight is E_BUSY,
// and any use after dispose is E_DISPOSED. Argument parsing is generated (NativeTextEncoderGlue).
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>

#include "addon/generated/glue.h"
#include "model/bert_encoder.h"

namespace seqrec::glue {

// The encoder and where it runs; net stays null until load() succeeds.
struct TextEncoder {
  TextEncoderConfig config;
  torch::Device device = torch::kCPU;
  BertEncoder net = nullptr;
  std::string adapter;  // LoRA applied in encode ("" = none), set by setAdapter
  std::vector<float> encode(const EncodeRequest& request);
  void setAdapter(const AdapterState& state);
};

class NativeTextEncoder : public NativeTextEncoderGlue<NativeTextEncoder> {
 public:
  explicit NativeTextEncoder(const Napi::CallbackInfo& info);

  Napi::Value load(Napi::Env env, std::vector<TensorEntry>&& tensors);
  Napi::Value encode(Napi::Env env, EncodeRequest&& request);
  Napi::Value setAdapter(Napi::Env env, AdapterState&& state);
  void dispose(Napi::Env env);

 private:
  std::shared_ptr<TextEncoder> usable(const char* what);
  std::shared_ptr<TextEncoder> encoder_;  // null after dispose()
  int jobs_ = 0;                          // pool jobs in flight (JS-thread state)
  bool loading_ = false;                  // load() or setAdapter() in flight: encode would race with it
};

}  // namespace seqrec::glue
