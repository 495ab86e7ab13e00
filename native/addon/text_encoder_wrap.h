// The JS-visible NativeTextEncoder: owns one TextEncoder (model/text_encoder.h). load() builds the
// module and copies the weights in off the JS thread (a bert-base is 110M parameters); encode()
// runs batches on libuv's pool. Overlap rules come from bindings/spec.ts (NativeTextEncoderGlue).
#pragma once
#include <napi.h>

#include <memory>

#include "addon/generated/glue.h"
#include "model/text_encoder.h"

namespace seqrec::glue {

class NativeTextEncoder : public NativeTextEncoderGlue<NativeTextEncoder> {
 public:
  explicit NativeTextEncoder(const Napi::CallbackInfo& info);

  Job<void> load(std::vector<TensorEntry>&& tensors);
  Job<std::vector<float>> encode(EncodeRequest&& request);
  Job<void> setAdapter(AdapterState&& state);
  void dispose(Napi::Env env);

  // The encoder, for a model's job that reads it (held shared by the gate meanwhile).
  const std::shared_ptr<TextEncoder>& encoder() const { return encoder_; }

 private:
  std::shared_ptr<TextEncoder> encoder_;  // null after dispose(); jobs hold their own reference
};

}  // namespace seqrec::glue
