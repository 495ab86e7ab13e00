// The AdamW update. Per parameter p with gradient g at step t (1-based), learning rate η:
//   p ← p·(1 − η·λ)                         decoupled weight decay
//   m ← β1·m + (1 − β1)·g                   first moment
//   v ← β2·v + (1 − β2)·g²                  second moment
//   p ← p − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
// The operation order matches LibTorch's torch::optim::AdamW so results agree to float rounding.
#include "train/adamw.h"

#include <cmath>

namespace seqrec {

std::vector<ParamGroup> decayGroups(const torch::OrderedDict<std::string, torch::Tensor>& named) {
  ParamGroup decay, noDecay;
  decay.decay = true;
  for (const auto& item : named) {
    if (!item.value().requires_grad()) continue;
    ParamGroup& g = item.value().dim() >= 2 ? decay : noDecay;
    g.names.push_back(item.key());
    g.params.push_back(item.value());
  }
  return {decay, noDecay};
}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options) : groups_(std::move(groups)), options_(options) {
  for (const auto& g : groups_) {
    expAvg_.emplace_back();
    expAvgSq_.emplace_back();
    for (const auto& p : g.params) {
      expAvg_.back().push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      expAvgSq_.back().push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    }
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard noGrad;
  ++step_;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (options_.foreach ())
      foreachUpdate(groups_[i], expAvg_[i], expAvgSq_[i], lr);
    else
      singleTensorUpdate(groups_[i], expAvg_[i], expAvgSq_[i], lr);
  }
}

void AdamW::singleTensorUpdate(ParamGroup& g, std::vector<torch::Tensor>& m, std::vector<torch::Tensor>& v, double lr) {
  const double b1 = options_.beta1(), b2 = options_.beta2();
  const double biasCorrection1 = 1.0 - std::pow(b1, static_cast<double>(step_));
  const double biasCorrection2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  const double weightDecay = g.decay ? options_.weightDecay() : 0.0;
  for (size_t j = 0; j < g.params.size(); ++j) {
    torch::Tensor& p = g.params[j];
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    if (weightDecay != 0.0) p.mul_(1.0 - lr * weightDecay);
    m[j].mul_(b1).add_(grad, 1.0 - b1);
    v[j].mul_(b2).addcmul_(grad, grad, 1.0 - b2);
    torch::Tensor denom = (v[j].sqrt() / std::sqrt(biasCorrection2)).add_(options_.eps());
    p.addcdiv_(m[j], denom, -lr / biasCorrection1);
  }
}

void AdamW::foreachUpdate(ParamGroup& g, std::vector<torch::Tensor>& m, std::vector<torch::Tensor>& v, double lr) {
  const double b1 = options_.beta1(), b2 = options_.beta2();
  const double biasCorrection1 = 1.0 - std::pow(b1, static_cast<double>(step_));
  const double biasCorrection2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  const double weightDecay = g.decay ? options_.weightDecay() : 0.0;
  std::vector<torch::Tensor> params, grads, ms, vs;
  for (size_t j = 0; j < g.params.size(); ++j) {
    if (!g.params[j].grad().defined()) continue;
    params.push_back(g.params[j]);
    grads.push_back(g.params[j].grad());
    ms.push_back(m[j]);
    vs.push_back(v[j]);
  }
  if (params.empty()) return;
  if (weightDecay != 0.0) at::_foreach_mul_(params, 1.0 - lr * weightDecay);
  at::_foreach_mul_(ms, b1);
  at::_foreach_add_(ms, grads, 1.0 - b1);
  at::_foreach_mul_(vs, b2);
  at::_foreach_addcmul_(vs, grads, grads, 1.0 - b2);
  std::vector<torch::Tensor> denom = at::_foreach_sqrt(vs);
  at::_foreach_div_(denom, std::sqrt(biasCorrection2));
  at::_foreach_add_(denom, options_.eps());
  at::_foreach_addcdiv_(params, ms, denom, -lr / biasCorrection1);
}

void AdamW::zeroGrad() {
  for (auto& g : groups_)
    for (auto& p : g.params)
      if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

std::vector<std::pair<std::string, torch::Tensor>> AdamW::stateTensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < groups_.size(); ++i)
    for (size_t j = 0; j < groups_[i].params.size(); ++j) {
      out.emplace_back(groups_[i].names[j] + ".exp_avg", expAvg_[i][j]);
      out.emplace_back(groups_[i].names[j] + ".exp_avg_sq", expAvgSq_[i][j]);
    }
  return out;
}

void AdamW::loadState(int64_t step, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  torch::NoGradGuard noGrad;
  std::unordered_map<std::string, torch::Tensor> byName(tensors.begin(), tensors.end());
  for (size_t i = 0; i < groups_.size(); ++i)
    for (size_t j = 0; j < groups_[i].params.size(); ++j) {
      for (auto [suffix, target] : {std::pair{".exp_avg", &expAvg_[i][j]}, std::pair{".exp_avg_sq", &expAvgSq_[i][j]}}) {
        auto it = byName.find(groups_[i].names[j] + suffix);
        TORCH_CHECK(it != byName.end(), "optimizer state is missing ", groups_[i].names[j], suffix);
        TORCH_CHECK(it->second.sizes() == target->sizes(), "optimizer state ", it->first, " has shape ", it->second.sizes(), ", expected ",
                    target->sizes());
        target->copy_(it->second);
      }
    }
  step_ = step;
}

double clipGradNorm(const std::vector<ParamGroup>& groups, double maxNorm) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> grads;
  for (const auto& g : groups)
    for (const auto& p : g.params)
      if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  std::vector<torch::Tensor> norms;
  for (const auto& grad : grads) norms.push_back(grad.norm(2).to(torch::kFloat));
  const double total = torch::stack(norms).norm(2).item<double>();
  if (maxNorm > 0.0 && std::isfinite(total)) {
    const double coef = maxNorm / (total + 1e-6);
    if (coef < 1.0)
      for (auto& grad : grads) grad.mul_(coef);
  }
  return total;
}

}  // namespace seqrec
