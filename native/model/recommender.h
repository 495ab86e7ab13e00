// One model as the addon sees it: the transformer, its device and RNG, its LoRA adapters and
// attached text encoder. What a fit carries between calls (optimizer, step) is train/train_run.h.
// Also the inference entry points: last-position hidden states, full-ranking ranks, top-K, and
// the named LoRA adapters (native/model/adapters.cpp; the per-layer maths is model/lora.h).
// Plain C++ over LibTorch; the N-API wrapper (native/addon/model_wrap.cpp) owns one of these.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/shapes.h"
#include "generated/types.h"
#include "model/decode_step.h"
#include "model/scoring_table.h"
#include "model/text_tower.h"
#include "model/transformer.h"

namespace seqrec {

// A ListRequest checked and turned into what selectTopK needs, once per request.
struct ListPlan {
  int64_t k = 0;  // min(request k, V)
  bool excludeSeen = true;
  std::string adapter, scoring;
  bool bf16Compute = false;                   // the forward under bf16 autocast
  torch::Tensor allowed;                      // (V) bool on the CPU, or undefined = every item
  torch::Tensor shift;                        // (1, d) the text query's pull, or undefined
  std::shared_ptr<const ScoringTable> table;  // the item table at this generation
};

class Recommender {
 public:
  explicit Recommender(const ModelConfig& config);

  // hidden (b, d) at the position that predicts the next (causal) or masked (bidirectional) item,
  // for users [begin, end) of the CSR histories, in eval mode, with LoRA adapter `adapter` ("" = none).
  // bf16: under bf16 autocast (matmuls in bf16, the result back in fp32).
  torch::Tensor lastHidden(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const std::string& adapter,
                           bool bf16 = false);
  // Full-ranking rank of each target among all V items, the user's history excluded (the target
  // itself stays a candidate), ties counted pessimistically; non-finite scores rank last (V).
  std::vector<int32_t> ranks(const RankRequest& request);
  // Top-K per history, its history (excludeSeen), deny and everything outside allow scored −∞ before
  // the selection, so a list is never short because of a filter applied after it.
  TopKResult topK(const TopKRequest& request);
  // (n·c) the score topK ranks by of each history's c candidates.
  std::vector<float> scoreItems(const ScoreRequest& request);
  // (n·c) the pointwise head's prediction (a rating or a like probability) of each history's c candidates.
  std::vector<float> pointwiseScores(const ScoreRequest& request);
  // (n·G) the attribute head's probabilities for each history's next item.
  std::vector<float> attributeScores(const HiddenRequest& request);
  // (n·d) the rows scores are dot products with, for items (n) in 1..V (checked).
  std::vector<float> scoreRows(const std::vector<int32_t>& items);
  // (n·d) each history's state (lastHidden), row-major.
  std::vector<float> hiddenStates(const HiddenRequest& request);
  // Check a list request (InvalidOption / InvalidData naming `what`) and prepare its scoring.
  ListPlan planList(const ListRequest& request, const char* what);
  // The top-k of the b = end − begin users whose states are h (b, d), appended to out; their
  // histories (CSR rows [begin, end)) are what excludeSeen leaves out. In InferenceMode.
  void selectTopK(const ListPlan& plan, const torch::Tensor& h, const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end,
                  TopKResult& out);

  // Bumped by every call that may change what the model computes (an exclusive call of its
  // NativeModel: fit, loads, adapters, item rows): caches built at another generation are stale.
  std::atomic<uint64_t> generation{0};
  // Unique for the process's life (never reused, unlike an address): what a session's cache belongs to.
  const uint64_t id = nextId();
  // The weights laid out for a session's one-position steps (model/decode_step.h), at this generation.
  std::shared_ptr<const DecodeStep> decodeStep();
  // Whether decodeStep() has its weights for this generation already (it would not build them now).
  bool decodeStepReady();

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
  // New items join the catalogue: V grows to numItems (more than V), existing rows unchanged, new id
  // rows drawn as at creation (seeded by (seed, V')), no text until setItemText gives it.
  void growItems(int64_t numItems);
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
  // Each history's state (b, d), batch by batch, `map`ped to (b, width) values: (n·width), row-major. What
  // hiddenStates and attributeScores share.
  std::vector<float> perHistory(const HiddenRequest& request, const char* what, int64_t width,
                                const std::function<torch::Tensor(const torch::Tensor&)>& map);
  // Each history's state (b, d) against its c candidates' output rows (b, c, d), batch by batch,
  // `score`d into (n·c) values: what scoreItems and pointwiseScores share.
  std::vector<float> perCandidate(const ScoreRequest& request, const char* what,
                                  const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& score);
  // addAdapter of a prefix on `targets` (attention key layers), started from the keys and values of random items.
  AdapterInfo addPrefix(const std::string& name, const LoraOptions& options, const LoraLayers& targets);
  static uint64_t nextId() {
    static std::atomic<uint64_t> last{0};
    return ++last;
  }
  // (b, V) exact scores of users [begin, end), their history (but `keep`) scored −∞.
  torch::Tensor rankScores(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const int32_t* keep,
                           const std::string& adapter);
  // The item table at the current generation, with the copy `precision` needs (built on first use).
  std::shared_ptr<const ScoringTable> scoringTable(const std::string& precision);
  std::mutex cacheMutex_;  // guards the two per-generation caches below
  std::shared_ptr<const ScoringTable> scoring_;
  std::shared_ptr<const DecodeStep> decode_;
  uint64_t decodeGeneration_ = 0;
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
