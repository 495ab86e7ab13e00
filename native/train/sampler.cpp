// Batch construction from CSR arrays; see sampler.h for the sampling rules.
#include "train/sampler.h"

#include <algorithm>
#include <limits>
#include <random>

#include "common/rng.h"

namespace seqrec {

BatchSampler::BatchSampler(const Interactions& data, const SamplerOptions& options) : data_(data), options_(options) {
  const int32_t minItems = options.causal ? 2 : 1;
  for (int64_t u = 0; u < data.numUsers(); ++u)
    if (data.offsets[u + 1] - data.offsets[u] >= minItems) users_.push_back(static_cast<int32_t>(u));
}

int64_t BatchSampler::batchesPerEpoch() const {
  return (trainableUsers() + options_.batchSize - 1) / options_.batchSize;
}

Batch BatchSampler::batch(int64_t epoch, int64_t index) {
  if (epoch != cachedEpoch_) {
    order_ = users_;
    std::mt19937_64 rng(streamSeed(options_.seed, RngStream::EpochOrder, 0, static_cast<uint64_t>(epoch)));
    std::shuffle(order_.begin(), order_.end(), rng);
    cachedEpoch_ = epoch;
  }
  const int64_t L = options_.maxLen;
  const int64_t start = index * options_.batchSize;
  const int64_t B = std::min<int64_t>(options_.batchSize, static_cast<int64_t>(order_.size()) - start);
  TORCH_CHECK(B > 0, "batch ", index, " is past the end of epoch ", epoch);

  torch::Tensor inputs = torch::zeros({B, L}, torch::kLong);   // (B, L)
  torch::Tensor targets = torch::zeros({B, L}, torch::kLong);  // (B, L)
  int64_t* in = inputs.data_ptr<int64_t>();
  int64_t* out = targets.data_ptr<int64_t>();
  const bool rated = !data_.ratings.empty();
  torch::Tensor targetRatings = rated ? torch::full({B, L}, std::numeric_limits<float>::quiet_NaN()) : torch::Tensor();  // (B, L)
  float* rating = rated ? targetRatings.data_ptr<float>() : nullptr;
  std::mt19937_64 maskRng(streamSeed(options_.seed, RngStream::Mask, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index)));
  std::bernoulli_distribution masked(options_.maskProb);

  for (int64_t b = 0; b < B; ++b) {
    const int32_t u = order_[start + b];
    const int32_t* seq = data_.items.data() + data_.offsets[u];
    const int64_t n = data_.offsets[u + 1] - data_.offsets[u];
    int64_t* row = in + b * L;
    int64_t* target = out + b * L;
    if (options_.causal) {
      const int64_t take = std::min(n - 1, L);  // positions with a next item
      const int32_t* window = seq + (n - 1 - take);
      for (int64_t t = 0; t < take; ++t) {
        row[L - take + t] = window[t];
        target[L - take + t] = window[t + 1];
        if (rated) rating[b * L + L - take + t] = data_.ratings[static_cast<size_t>(window + t + 1 - data_.items.data())];
      }
    } else {
      const int64_t take = std::min(n, L);
      const int32_t* window = seq + (n - take);
      bool any = false;
      for (int64_t t = 0; t < take; ++t) {
        row[L - take + t] = window[t];
        if (masked(maskRng)) {
          row[L - take + t] = options_.maskToken;
          target[L - take + t] = window[t];
          any = true;
        }
      }
      if (!any) {  // mask one position so every sequence contributes to the loss
        const int64_t t = std::uniform_int_distribution<int64_t>(0, take - 1)(maskRng);
        row[L - take + t] = options_.maskToken;
        target[L - take + t] = window[t];
      }
      if (rated)
        for (int64_t t = 0; t < take; ++t)
          if (target[L - take + t] != 0) rating[b * L + L - take + t] = data_.ratings[static_cast<size_t>(window + t - data_.items.data())];
    }
  }
  return {inputs, targets, targetRatings, std::vector<int32_t>(order_.begin() + start, order_.begin() + start + B)};
}

}  // namespace seqrec
