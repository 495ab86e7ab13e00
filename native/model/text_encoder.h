// A loaded BERT text encoder as the addon's NativeTextEncoder holds it: the module, its device and
// thread count, and the LoRA adapter applied when encoding. encode() turns token ids into one
// vector per text in batches, cancellable between them (common/cancel.h).
#pragma once
#include <string>
#include <vector>

#include "generated/types.h"
#include "model/bert_encoder.h"

namespace seqrec {

class TextEncoder {
 public:
  // InvalidOption for sizes that do not make a BERT or an unknown device.
  explicit TextEncoder(const TextEncoderConfig& config);

  // Build the module from BertModel-named tensors; the encoder is usable only once this returns.
  void load(const std::vector<TensorEntry>& tensors);
  bool loaded() const { return !net_.is_empty(); }
  // (n, H) row-major: n = ids.size() / length texts, pooled and optionally normalised.
  std::vector<float> encode(const EncodeRequest& request);
  // Replace the LoRA adapter applied by encode with the factors of `state` (checked first).
  void setAdapter(const AdapterState& state);

  const TextEncoderConfig& config() const { return config_; }
  // The loaded module (null before load()): model/text_tower.h shares its weights.
  const BertEncoder& net() const { return net_; }

 private:
  TextEncoderConfig config_;
  c10::Device device_;
  BertEncoder net_ = nullptr;  // null until load()
  std::string adapter_;        // "" = none
};

}  // namespace seqrec
