// One model as the addon sees it: the transformer, its device and RNG, its LoRA adapters and
// attached text encoder. What a fit carries between calls (optimizer, step) is train/train_run.h.
// Also the inference entry points: last-position hidden states, full-ranking ranks, top-K, and
// the named LoRA adapters (native/model/adapters.cpp; the per-layer maths is model/lora.h).
// Plain C++ over LibTorch; the N-API wrapper (native/addon/model_wrap.cpp) owns one of these.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/shapes.h"
#include "generated/types.h"
#include "model/text_tower.h"
#include "model/transformer.h"

namespace seqrec {

class Recommender {
 public:
  explicit Recommender(const ModelConfig& config);

  // hidden (b, d) at the position that predicts the next (causal) or masked (bidirectional) item,
  // for users [begin, end) of the CSR histories, in eval mode, with LoRA adapter `adapter` ("" = none).
  torch::Tensor lastHidden(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const std::string& adapter);
  // Full-ranking rank of each target among all V items, the user's history excluded (the target
  // itself stays a candidate), ties counted pessimistically; non-finite scores rank last (V).
  std::vector<int32_t> ranks(const RankRequest& request);
  // Top-K per history, its history (excludeSeen), deny and everything outside allow scored −∞ before
  // the selection, so a list is never short because of a filter applied after it.
  TopKResult topK(const TopKRequest& request);
  // (n·c) the score topK ranks by of each history's c candidates.
  std::vector<float> scoreItems(const ScoreRequest& request);

  ModelState exportState() const;
  void importState(const ModelState& state);
  // Rows of the item id-embedding table ((n·d) row-major for items in 1..V), and their overwrite:
  // every id checked (InvalidData) before anything changes (native/model/model_state.cpp).
  std::vector<float> itemRows(const std::vector<int32_t>& items) const;
  void setItemRows(const ItemRows& rows);
  // A model of the same architecture and sizes over another catalogue: copy every tensor of base
  // that does not depend on the catalogue (all but the item table, item text and idActive), and
  // BERT4Rec's [mask] row, which means "the item to predict" in any catalogue.
  void transferFrom(const Recommender& base);
  // Re-seed the dropout generator for (step, microBatch): training randomness is then a pure
  // function of (seed, step), which is what makes a resumed run repeat the uninterrupted one.
  void reseed(int64_t step, int64_t microBatch);
  // Copy the (V+1, T) item text vectors into the model (row 0, padding, is forced to zero).
  void setItemText(const ItemText& text);
  // Use this model's thread count on the calling thread (OpenMP settings are per thread).
  void useThreads() const;

  // ---- LoRA adapters (native/model/adapters.cpp) ----
  std::vector<LinearModule> linearModules() const;
  AdapterInfo addAdapter(const AddAdapterRequest& request);
  void removeAdapter(const std::string& name);
  void mergeAdapter(const std::string& name);
  void unmergeAdapter(const std::string& name);
  AdapterState exportAdapter(const std::string& name) const;
  AdapterInfo importAdapter(const AdapterState& state, bool replace);
  // Throws InvalidOption unless `adapter` ("" = base only) exists and agrees with the merged one.
  void checkAdapter(const std::string& adapter, const char* what) const;
  bool hasAdapter(const std::string& name) const { return adapters_.count(name) > 0; }
  // The adapter folded into the weights, "" when none.
  const std::string& mergedAdapter() const { return merged_; }
  // sha256 (hex) over the base parameters' names, dtypes, shapes and bytes, as they are without a
  // merged adapter (native/model/base_hash.cpp). Adapter files record it; loading checks it.
  std::string baseHash() const;

  // ---- end-to-end text encoder (model/text_tower.h) ----
  // Fits from now on train a LoRA adapter of a BERT copy whose output is the item text.
  void attachTextEncoder(const TextEncoder& encoder, const TextTuneRequest& request);
  // The attached encoder's adapter factors; InvalidOption when none is attached.
  AdapterState textEncoderAdapter() const;
  // Drop the encoder (a run that updated its factors cannot be resumed: train/train_run.h).
  AdapterState detachTextEncoder();

  ModelConfig config;
  torch::Device device;
  TransformerRec net = nullptr;
  at::Generator generator;
  std::unique_ptr<TextTower> textTower;  // set between attachTextEncoder and detachTextEncoder

 private:
  // (b, V) scores of users [begin, end); `shift` (1, d), when defined, times each user state's norm is added to it first.
  torch::Tensor scores(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, bool excludeSeen, const int32_t* keep,
                       const std::string& adapter, const torch::Tensor& shift = {});
  AdapterInfo adapterInfo(const std::string& name) const;
  void requireAdapter(const std::string& name, const char* what) const;  // throws InvalidOption naming the known ones

  struct AdapterRecord {
    LoraOptions options;
    std::vector<std::string> modules;  // adapted layers, in module order
  };
  std::map<std::string, AdapterRecord> adapters_;  // the factors live in the layers (LoraLinearImpl::adapters)
  std::string merged_;                             // adapter folded into the weights, "" when none
};

}  // namespace seqrec
