// The task heads' losses; definitions in task_losses.h.
#include "train/task_losses.h"

#include "train/fused_ce.h"

namespace seqrec {

TaskLossValues taskLosses(TaskHeads& heads, const TaskLossOptions& o, const torch::Tensor& hidden, const torch::Tensor& table,
                          const torch::Tensor& targets, const torch::Tensor& targetRatings) {
  const SequenceTargets at = sequenceTargets(targets);  // N target positions
  torch::Tensor h = at.hiddenRows(hidden);              // (N, d)
  TaskLossValues out{torch::zeros({}, hidden.options())};
  if (o.pointwiseWeight > 0.0) {
    torch::Tensor r = targetRatings.to(hidden.device()).reshape({-1}).index_select(0, at.rows);  // (N) with NaN
    torch::Tensor rated = r.isfinite().nonzero().squeeze(1);                                     // (N_r)
    if (rated.numel() > 0) {
      torch::Tensor e = table.index_select(0, at.items.index_select(0, rated) + 1);  // (N_r, d)
      torch::Tensor s = heads->pointwiseScore(h.index_select(0, rated), e);          // (N_r)
      torch::Tensor y = r.index_select(0, rated);                                    // (N_r)
      torch::Tensor loss = heads->options.pointwise() == "like"
                               ? torch::binary_cross_entropy_with_logits(s, (y >= o.likeThreshold).to(s.dtype()))
                               : torch::mse_loss(s + heads->ratingMean, y.to(s.dtype()));
      out.pointwise = loss.item<double>();
      out.total = out.total + o.pointwiseWeight * loss;
    }
  }
  if (o.attributeWeight > 0.0 && at.rows.numel() > 0) {
    torch::Tensor y = o.attributeLabels.index_select(0, at.items + 1);                                         // (N, G)
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(heads->attributeLogits(h), y.to(h.dtype()));  // ()
    out.attributes = loss.item<double>();
    out.total = out.total + o.attributeWeight * loss;
  }
  return out;
}

}  // namespace seqrec
