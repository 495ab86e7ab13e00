// Multi-task training: the task heads' losses (model/task_heads.h) at the positions that carry a
// target, which fit adds to the next-item objective with their weights. N targets, h_n their states,
// e_n their items' rows of the item table, r_n their events' ratings (NaN: unrated, left out).
//   pointwise "rating"  mean over rated n of (μ + s(h_n, e_n) − r_n)²   (μ: the mean rating, set as a fit starts)
//   pointwise "like"    mean over rated n of BCE(σ(s(h_n, e_n)), [r_n ≥ threshold])
//   attributes          mean over n and g of BCE(σ(a_ng), y_{item_n, g}),  y (R, G) the items' labels
// The heads' gradients reach the encoder and the item table like the next-item loss's do.
#pragma once
#include <torch/torch.h>

#include "model/task_heads.h"

namespace seqrec {

struct TaskLossOptions {
  double pointwiseWeight = 0.0;   // 0 = off
  double likeThreshold = 4.0;     // "like": rated at least this
  double attributeWeight = 0.0;   // 0 = off
  torch::Tensor attributeLabels;  // (R, G) on the model's device, with attributeWeight
};

struct TaskLossValues {
  torch::Tensor total;      // () the weighted sum, for backward
  double pointwise = 0.0;   // the pointwise loss (unweighted)
  double attributes = 0.0;  // the attribute loss (unweighted)
};

// From the states hidden (B, L, d), the item table (R, d) rows were read from, targets (B, L) item ids
// (0 = none) and their ratings (B, L) (undefined without pointwise training).
TaskLossValues taskLosses(TaskHeads& heads, const TaskLossOptions& options, const torch::Tensor& hidden, const torch::Tensor& table,
                          const torch::Tensor& targets, const torch::Tensor& targetRatings);

}  // namespace seqrec
