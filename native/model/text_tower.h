// End-to-end text encoder fine-tuning: while a fit runs, the item text vectors come from a loaded
// BERT encoder (model/text_encoder.h) run on every item's tokens, with LoRA on chosen layers, so
// the recommendation loss trains the encoder's adapter together with the recommender. The BERT
// weights stay frozen and are shared with the loaded encoder (a module of the tower's own holds the
// adapter, so the encoder's own encode() is unaffected). The tower is not in the recommender's module tree: checkpoints, the base
// hash and parameter counts stay those of the recommender; the model's itemText buffer (what
// inference reads) is refreshed from the tuned encoder after every training call.
// Shapes: R item-table rows (V+1, +1 for BERT4Rec's [mask], which has no text), T tokens per
// item, H text width (= the model's textDim), K rows re-encoded per step.
#pragma once
#include <torch/torch.h>

#include <string>

#include "generated/types.h"
#include "model/bert_encoder.h"
#include "model/lora_state.h"
#include "model/text_encoder.h"

namespace seqrec {

class TextTower {
 public:
  // `encoder`'s weights on `device` with the request's tokens and LoRA (A drawn from `seed`).
  TextTower(const TextEncoder& encoder, const TextTuneRequest& request, int64_t rows, const torch::Device& device, uint64_t seed);

  // (R, H) the text of every row with gradients to the adapter. With itemsPerStep K < R, K random
  // rows are re-encoded (and written into `bank`, (R, H)) and the others are read from it, as
  // memory-bank methods do, so a step costs K encoder passes instead of R.
  torch::Tensor text(torch::Tensor& bank, at::Generator& gen);
  // Re-encode every row without gradients, in eval mode, into bank (R, H).
  void refresh(torch::Tensor& bank);
  // The adapter factors AdamW updates: "textEncoder.<module>.lora_A|lora_B.<adapter>.weight".
  torch::OrderedDict<std::string, torch::Tensor> trainable() const;
  // Copies of the factors and options ("<module>.lora_A" / ".lora_B", encoder module names).
  AdapterState adapterState() const;

  static constexpr const char* kAdapter = "text";

 private:
  // (n, H) pooled text of rows (n) int64, zero for rows without tokens.
  torch::Tensor embedRows(const torch::Tensor& rows, at::Generator& gen);

  BertEncoder encoder_ = nullptr;
  LoraOptions lora_;
  torch::Tensor ids_;      // (R, T) int64 token ids
  torch::Tensor valid_;    // (R, T) bool, false = padding
  torch::Tensor hasText_;  // (R, 1) float, 0 for rows with no token ([mask])
  std::string pooling_;
  bool normalize_;
  int64_t itemsPerStep_, encodeBatch_;
};

}  // namespace seqrec
