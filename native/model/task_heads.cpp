// The task heads; definitions in task_heads.h.
#include "model/task_heads.h"

namespace seqrec {

TaskHeadsImpl::TaskHeadsImpl(const TaskHeadsOptions& o) : options(o) {
  TORCH_CHECK(o.pointwise().empty() || o.pointwise() == "rating" || o.pointwise() == "like", "pointwise head must be rating or like");
  if (hasPointwise()) pointwise = register_module("pointwise", torch::nn::Linear(o.dim(), 1));
  if (o.pointwise() == "rating") ratingMean = register_buffer("ratingMean", torch::zeros({1}));
  if (hasAttributes()) attributes = register_module("attributes", torch::nn::Linear(o.dim(), o.attributes()));
}

torch::Tensor TaskHeadsImpl::pointwiseScore(const torch::Tensor& h, const torch::Tensor& e) {
  TORCH_CHECK(hasPointwise(), "the model has no pointwise head");
  return pointwise(h * e).squeeze(-1);  // (N) or (N, c)
}

torch::Tensor TaskHeadsImpl::pointwisePrediction(const torch::Tensor& h, const torch::Tensor& e) {
  torch::Tensor s = pointwiseScore(h, e);
  return options.pointwise() == "like" ? torch::sigmoid(s) : s + ratingMean;
}

torch::Tensor TaskHeadsImpl::attributeLogits(const torch::Tensor& h) {
  TORCH_CHECK(hasAttributes(), "the model has no attribute head");
  return attributes(h);  // (N, G)
}

}  // namespace seqrec
