// Builds training batches in C++ from the CSR interactions handed over once per fit (no per-batch
// JS work). Causal (SASRec): a user's last L+1 items give inputs [0..L) and next-item targets.
// Bidirectional (BERT4Rec): the last L items, each masked with probability p (at least one).
// Every batch is a pure function of (seed, epoch, index), so a resumed run sees the same batches.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "common/shapes.h"

namespace seqrec {

struct Interactions {
  std::vector<int32_t> offsets;  // (U + 1)
  std::vector<int32_t> items;    // (E) item ids 1..V, each user's slice in time order
  std::vector<float> ratings;    // (E) each event's rating, NaN = none; or empty
  int64_t numUsers() const { return static_cast<int64_t>(offsets.size()) - 1; }
};

struct SamplerOptions {
  int64_t maxLen = 200;
  int64_t batchSize = 128;
  bool causal = true;
  double maskProb = 0.2;  // bidirectional only
  int64_t maskToken = 0;  // bidirectional only: V + 1
  int64_t seed = 0;
};

struct Batch {
  torch::Tensor inputs;         // (B, L) int64, left-padded with 0
  torch::Tensor targets;        // (B, L) int64, 0 where there is no target
  torch::Tensor targetRatings;  // (B, L) float, the rating of each target event (NaN: none); only with ratings
  std::vector<int32_t> users;   // (B) the user of each row
};

class BatchSampler {
 public:
  BatchSampler(const Interactions& data, const SamplerOptions& options);
  int64_t batchesPerEpoch() const;
  int64_t trainableUsers() const { return static_cast<int64_t>(users_.size()); }
  // The index-th batch of epoch `epoch` (a fresh user permutation per epoch).
  Batch batch(int64_t epoch, int64_t index);

 private:
  const Interactions& data_;
  SamplerOptions options_;
  std::vector<int32_t> users_;  // users with >= 2 items (causal) or >= 1 (bidirectional)
  std::vector<int32_t> order_;  // permutation of users_ for cachedEpoch_
  int64_t cachedEpoch_ = -1;
};

}  // namespace seqrec
