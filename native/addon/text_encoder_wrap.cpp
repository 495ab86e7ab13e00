// NativeTextEncoder method bodies: each returns the work to run; the gate has already let the call in.
#include "addon/text_encoder_wrap.h"

namespace seqrec::glue {

NativeTextEncoder::NativeTextEncoder(const Napi::CallbackInfo& info) : NativeTextEncoderGlue<NativeTextEncoder>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    encoder_ = std::make_shared<TextEncoder>(readConstructorArgs(info));
    return info.Env().Undefined();
  });
}

Job<void> NativeTextEncoder::load(std::vector<TensorEntry>&& tensors) {
  return [encoder = encoder_, t = std::move(tensors)] { encoder->load(t); };
}

Job<std::vector<float>> NativeTextEncoder::encode(EncodeRequest&& request) {
  return [encoder = encoder_, r = std::move(request)] { return encoder->encode(r); };
}

Job<void> NativeTextEncoder::setAdapter(AdapterState&& state) {
  return [encoder = encoder_, s = std::move(state)] { encoder->setAdapter(s); };
}

void NativeTextEncoder::dispose(Napi::Env) {
  encoder_.reset();
}

}  // namespace seqrec::glue
