// CL4SRec's augmentations and InfoNCE; see contrastive.h for the definitions.
#include "train/contrastive.h"

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"

namespace seqrec {

namespace {

enum class Augmentation { Crop, Mask, Reorder };

// One view of `events` by `kind`, written right-aligned into row (L) after zeroing it.
void augment(const std::vector<int64_t>& events, Augmentation kind, const ContrastiveOptions& o, std::mt19937_64& rng, int64_t* row,
             int64_t L) {
  const int64_t n = static_cast<int64_t>(events.size());
  auto uniform = [&rng](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };  // [lo, hi]
  std::vector<int64_t> view;
  if (kind == Augmentation::Crop) {
    const int64_t m = std::max<int64_t>(1, static_cast<int64_t>(o.crop * static_cast<double>(n)));
    const int64_t start = uniform(0, n - m);
    view.assign(events.begin() + start, events.begin() + start + m);
  } else if (kind == Augmentation::Mask) {
    std::bernoulli_distribution masked(o.mask);
    for (int64_t item : events) {
      const bool hide = masked(rng);
      if (!hide)
        view.push_back(item);
      else if (!o.causal)
        view.push_back(o.maskToken);
    }
    if (view.empty()) view.push_back(events[static_cast<size_t>(uniform(0, n - 1))]);  // causal: every event masked
  } else {
    view = events;
    const int64_t m = static_cast<int64_t>(o.reorder * static_cast<double>(n));
    const int64_t start = uniform(0, n - m);
    std::shuffle(view.begin() + start, view.begin() + start + m, rng);
  }
  std::fill(row, row + L, 0);
  std::copy(view.begin(), view.end(), row + (L - static_cast<int64_t>(view.size())));
}

}  // namespace

ContrastiveViews contrastiveViews(const torch::Tensor& inputs, const torch::Tensor& targets, const ContrastiveOptions& o, uint64_t seed) {
  std::vector<Augmentation> enabled;
  if (o.crop > 0.0) enabled.push_back(Augmentation::Crop);
  if (o.mask > 0.0) enabled.push_back(Augmentation::Mask);
  if (o.reorder > 0.0) enabled.push_back(Augmentation::Reorder);
  if (enabled.empty() || o.crop > 1.0 || o.mask > 1.0 || o.reorder > 1.0 || o.crop < 0.0 || o.mask < 0.0 || o.reorder < 0.0)
    throw Error(ErrorCode::InvalidOption, "contrastive: crop, mask and reorder rates must be in [0, 1], at least one above 0");
  const torch::Tensor in = inputs.to(torch::kCPU).contiguous(), out = targets.to(torch::kCPU).contiguous();
  const int64_t B = in.size(0), L = in.size(1);
  ContrastiveViews views{torch::zeros({B, L}, torch::kLong), torch::zeros({B, L}, torch::kLong)};  // (B, L) each
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, enabled.size() - 1);
  std::vector<int64_t> events;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t* row = in.data_ptr<int64_t>() + b * L;
    const int64_t* target = out.data_ptr<int64_t>() + b * L;
    events.clear();
    for (int64_t t = 0; t < L; ++t)
      if (row[t] != 0) events.push_back(target[t] != 0 ? target[t] : row[t]);  // a bidirectional batch's [mask] → its item
    if (events.empty()) continue;                                              // an empty row stays empty in both views
    augment(events, enabled[pick(rng)], o, rng, views.first.data_ptr<int64_t>() + b * L, L);
    augment(events, enabled[pick(rng)], o, rng, views.second.data_ptr<int64_t>() + b * L, L);
  }
  return views;
}

torch::Tensor infoNce(const torch::Tensor& first, const torch::Tensor& second, double temperature) {
  const int64_t B = first.size(0);
  torch::Tensor z = torch::nn::functional::normalize(torch::cat({first, second}, 0),
                                                     torch::nn::functional::NormalizeFuncOptions().dim(1));  // (2B, d), unit rows
  torch::Tensor similarity = torch::matmul(z, z.t()) / temperature;                                          // (2B, 2B)
  torch::Tensor self = torch::eye(2 * B, similarity.options().dtype(torch::kBool));                          // (2B, 2B)
  similarity = similarity.masked_fill(self, -std::numeric_limits<double>::infinity());                       // s_ii out of the softmax
  torch::Tensor pair = torch::cat({torch::arange(B, 2 * B), torch::arange(0, B)}).to(z.device());            // (2B) p(i)
  return torch::nn::functional::cross_entropy(similarity, pair);
}

}  // namespace seqrec
