// One trained or training model as the addon sees it: the transformer, its device and RNG, and
// the training state that must survive between fit() calls (optimizer moments, step counter).
// Also the inference entry points: last-position hidden states, full-ranking ranks, top-K.
// Plain C++ over LibTorch; the N-API wrapper (native/addon/model_wrap.cpp) owns one of these.
#pragma once
#include <torch/torch.h>

#include <memory>

#include "common/shapes.h"
#include "generated/types.h"
#include "model/transformer.h"
#include "train/adamw.h"

namespace seqrec {

torch::Device parseDevice(const std::string& device);

class Recommender {
 public:
  explicit Recommender(const ModelConfig& config);

  // hidden (b, d) at the position that predicts the next (causal) or masked (bidirectional) item,
  // for users [begin, end) of the CSR histories, in eval mode.
  torch::Tensor lastHidden(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end);
  // Full-ranking rank of each target among all V items, the user's history excluded (the target
  // itself stays a candidate), ties counted pessimistically; non-finite scores rank last (V).
  std::vector<int32_t> ranks(const RankRequest& request);
  TopKResult topK(const TopKRequest& request);

  ModelState exportState() const;
  void importState(const ModelState& state);
  // Re-seed the dropout generator for (step, microBatch): training randomness is then a pure
  // function of (seed, step), which is what makes a resumed run repeat the uninterrupted one.
  void reseed(int64_t step, int64_t microBatch);
  // Use this model's thread count on the calling thread (OpenMP settings are per thread).
  void useThreads() const;

  ModelConfig config;
  torch::Device device;
  TransformerRec net = nullptr;
  at::Generator generator;
  std::unique_ptr<AdamW> optimizer;  // null until the first fit
  int64_t trainStep = 0;             // optimizer steps applied in the current run

 private:
  torch::Tensor scores(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, bool excludeSeen,
                       const int32_t* keep);
};

}  // namespace seqrec
