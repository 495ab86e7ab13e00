// Fairness-aware training: the cross-entropy plus a penalty on the gap between two user groups,
//   J = mean_n ℓ_n + λ·|L̄₀ − L̄₁|,   L̄_g = the mean ℓ over the targets of group g's sequences,
// where ℓ_n is the full-softmax cross-entropy of target n (the differentiable stand-in for a ranking
// metric: a lower loss on a group's targets is a higher rank for them). Its gradient per target is a
// weight on ℓ_n's:
//   ∂J/∂ℓ_n = 1/N + λ·s·(1/N₀ if n is group 0's, −1/N₁ if group 1's, 0 if ungrouped),  s = sign(L̄₀ − L̄₁)
// so the fused loss runs once with those row weights. One batch's sign is noisy, so s is the sign of an
// exponential average of each group's loss over the steps so far (a resumed run starts it over); a
// batch missing either group trains on the plain mean. λ above a group's share of targets makes the
// better-served group's weights negative: the penalty then also raises its loss, as |gap| asks.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace seqrec {

class GroupGapLoss {
 public:
  // groupOfUser (U): 0 or 1, or 255 for a user in neither group; weight λ > 0.
  GroupGapLoss(std::vector<uint8_t> groupOfUser, double weight);

  // J's surrogate for backward (its gradient is ∂J as above) from hidden (B, L, d), the output table
  // (V, d) and targets (B, L); the plain mean cross-entropy, which progress reports, via *meanLoss.
  torch::Tensor operator()(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& targets,
                           const std::vector<int32_t>& users, int64_t budgetBytes, double* meanLoss);

 private:
  std::vector<uint8_t> groupOfUser_;
  double weight_;
  double average_[2] = {0.0, 0.0};  // exponential averages of each group's mean loss
  bool seen_[2] = {false, false};
};

}  // namespace seqrec
