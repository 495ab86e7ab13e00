// Task heads beside next-item prediction: explicit feedback and item attributes, for multi-task
// training (train/task_losses.h). N rows; h (N, d) user states, e (N, d) item rows of the item table.
//   pointwise   s = w·(h ⊙ e) + b   a weighted inner product: the head reads the geometry ranking uses
//               "rating": r̂ = μ + s, fitted by squared error, μ the mean rating of the fit's data (a buffer:
//               the residual starts at the right scale, as in biased matrix factorisation; Adam would
//               need ~μ/lr steps to move b there);  "like": p = σ(s), fitted by binary cross-entropy
//   attributes  a = W h + c  (N, G)   logits of the G attributes (genres) of the item a state predicts
#pragma once
#include <torch/torch.h>

#include <string>

namespace seqrec {

struct TaskHeadsOptions {
  TaskHeadsOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
  /// "" (none), "rating" or "like"
  TORCH_ARG(std::string, pointwise) = "";
  /// G, the attribute vocabulary (0 = no attribute head)
  TORCH_ARG(int64_t, attributes) = 0;
};

class TaskHeadsImpl : public torch::nn::Module {
 public:
  explicit TaskHeadsImpl(const TaskHeadsOptions& options);
  // s (N) from h (N, d) and e (N, d), or (N, c) from h (N, 1, d) and e (N, c, d): the logit, or the rating's residual.
  torch::Tensor pointwiseScore(const torch::Tensor& h, const torch::Tensor& e);
  // What the pointwise head predicts: r̂ = μ + s ("rating") or p = σ(s) ("like").
  torch::Tensor pointwisePrediction(const torch::Tensor& h, const torch::Tensor& e);
  // (N, G) attribute logits from h (N, d).
  torch::Tensor attributeLogits(const torch::Tensor& h);
  bool hasPointwise() const { return !options.pointwise().empty(); }
  bool hasAttributes() const { return options.attributes() > 0; }

  TaskHeadsOptions options;
  torch::nn::Linear pointwise = nullptr;   // (d → 1)
  torch::nn::Linear attributes = nullptr;  // (d → G)
  torch::Tensor ratingMean;                // (1) buffer μ of the "rating" head
};
TORCH_MODULE(TaskHeads);

}  // namespace seqrec
