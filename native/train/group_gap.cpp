// GroupGapLoss: see group_gap.h for the objective and its gradient.
#include "train/group_gap.h"

#include "train/fused_ce.h"

namespace seqrec {

namespace {
constexpr double kAverageDecay = 0.9;  // the group averages' memory: about ten steps
}

GroupGapLoss::GroupGapLoss(std::vector<uint8_t> groupOfUser, double weight) : groupOfUser_(std::move(groupOfUser)), weight_(weight) {}

torch::Tensor GroupGapLoss::operator()(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& targets,
                                       const std::vector<int32_t>& users, int64_t budgetBytes, double* meanLoss) {
  const SequenceTargets t = sequenceTargets(targets);
  const int64_t N = t.rows.size(0);
  torch::Tensor h = t.hiddenRows(hidden);  // (N, d)

  // group of each batch row (B), then of each target (N); 255 = neither
  std::vector<int64_t> rowGroup(users.size());  // (B)
  for (size_t b = 0; b < users.size(); ++b) rowGroup[b] = groupOfUser_[users[b]];
  torch::Tensor group = torch::tensor(rowGroup).to(t.sequences.device()).index_select(0, t.sequences);  // (N)
  torch::Tensor in0 = group.eq(0), in1 = group.eq(1);                                                   // (N) bool
  const int64_t n0 = in0.sum().item<int64_t>(), n1 = in1.sum().item<int64_t>();

  const auto acc = hidden.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;  // as the fused loss reduces
  const auto accOptions = torch::TensorOptions().dtype(acc).device(hidden.device());
  torch::Tensor weights = torch::full({N}, 1.0 / static_cast<double>(N), accOptions);  // (N) the mean
  const double s = (seen_[0] && seen_[1]) ? (average_[0] > average_[1] ? 1.0 : average_[0] < average_[1] ? -1.0 : 0.0) : 0.0;
  if (n0 > 0 && n1 > 0 && s != 0.0) {
    weights += in0.to(acc) * (weight_ * s / static_cast<double>(n0));
    weights -= in1.to(acc) * (weight_ * s / static_cast<double>(n1));
  }
  WeightedLoss out = weightedLinearCrossEntropy(h, output, t.items, weights, budgetBytes);

  torch::Tensor rowLosses = out.rowLosses.to(torch::kDouble);  // (N)
  *meanLoss = rowLosses.mean().item<double>();
  const int64_t counts[2] = {n0, n1};
  const torch::Tensor members[2] = {in0, in1};
  for (int g = 0; g < 2; ++g) {
    if (counts[g] == 0) continue;
    const double mean = rowLosses.masked_select(members[g]).mean().item<double>();
    average_[g] = seen_[g] ? kAverageDecay * average_[g] + (1.0 - kAverageDecay) * mean : mean;
    seen_[g] = true;
  }
  return out.loss;
}

}  // namespace seqrec
