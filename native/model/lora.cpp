// LoraLinear: the base linear map plus the low-rank update of one named adapter. Backward is
// LibTorch autograd; tests/parity/lora.test.ts checks it against the explicit x·(W + s·B·A)ᵀ form.
#include "model/lora.h"

#include "model/dropout.h"

namespace seqrec {

LoraLinearImpl::LoraLinearImpl(const LoraLinearOptions& options_) : options(options_) {
  weight = register_parameter("weight", torch::empty({options.out(), options.in()}));  // (out, in)
  bias = register_parameter("bias", torch::empty({options.out()}));                    // (out)
  // torch::nn::Linear's own reset_parameters, so a LoraLinear alone starts like a Linear would;
  // TransformerRecImpl::resetParameters re-initialises both from the model's generator anyway.
  torch::NoGradGuard noGrad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.in()));
  torch::nn::init::uniform_(bias, -bound, bound);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x, at::Generator& gen, const std::string& name) {
  // As a 2-D product: one addmm with the bias fused (a 3-D input under bf16 autocast took matmul + add_).
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  torch::Tensor y = torch::nn::functional::linear(x.reshape({-1, x.size(-1)}), weight, bias).view(shape);  // (…, out)
  if (name.empty() || name == merged_) return y;
  auto it = adapters.find(name);
  if (it == adapters.end()) return y;  // this layer is not one of the adapter's targets
  const LoraAdapter& a = it->second;
  if (a.options.prefix()) return y;  // its keys and values join the attention (model/attention.cpp)
  if (a.options.bottleneck()) {
    torch::Tensor h = torch::gelu(torch::nn::functional::linear(dropout(y, a.options.dropout(), is_training(), gen), a.A));  // (…, r)
    return y.add(torch::nn::functional::linear(h, a.B), a.options.scale());  // (…, out) z + s·B(GELU(A(z)))
  }
  torch::Tensor xd = dropout(x, a.options.dropout(), is_training(), gen);                             // (…, in)
  torch::Tensor update = torch::nn::functional::linear(torch::nn::functional::linear(xd, a.A), a.B);  // (…, out) B(A(x_d))
  if (!a.options.dora()) return y.add(update, a.options.scale());                                     // (…, out) y + s·B(A(x))
  const torch::Tensor scale = doraScale(a);                                                           // (out) m / n
  torch::Tensor base = xd.is_same(x) ? y - bias : torch::nn::functional::linear(xd, weight);          // (…, out) x_d·Wᵀ
  return y + (scale - 1.0) * base + scale * update * a.options.scale();                               // (…, out)
}

torch::Tensor LoraLinearImpl::doraScale(const LoraAdapter& a) const {
  torch::Tensor n;  // (out) ‖W + s·B·A‖ per row, a constant in backward
  {
    torch::NoGradGuard noGrad;
    n = (weight + torch::mm(a.B, a.A) * a.options.scale()).norm(2, {1});
  }
  return a.magnitude / n;  // (out), m keeps its gradient
}

LoraLayers loraLayersOf(const torch::nn::Module& root) {
  LoraLayers out;
  for (const auto& m : root.named_modules(/*name_prefix=*/"", /*include_self=*/false))
    if (auto* layer = m.value()->as<LoraLinear>()) out.emplace_back(m.key(), layer);
  return out;
}

void LoraLinearImpl::addAdapter(const std::string& name, const LoraOptions& o, at::Generator& gen) {
  TORCH_CHECK(!o.prefix(), "adapter \"", name, "\": a prefix starts from the model's keys and values (setAdapter)");
  // kaiming_uniform_(a=√5) on (r, in): gain √(2/(1+5)), bound = gain·√(3/in) = 1/√in (a bottleneck: its input is out wide).
  const int64_t in = o.bottleneck() ? options.out() : options.in();
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  torch::Tensor A = torch::empty({o.r(), in}).uniform_(-bound, bound, gen);  // (r, in) on the generator's CPU
  torch::Tensor B = torch::zeros({options.out(), o.r()});                    // (out, r): the update starts at 0
  torch::NoGradGuard noGrad;
  setAdapter(name, o, A, B, o.dora() ? weight.detach().norm(2, {1}).cpu() : torch::Tensor());  // m (out) = ‖W‖ per row
}

void LoraLinearImpl::setAdapter(const std::string& name, const LoraOptions& o, const torch::Tensor& A, const torch::Tensor& B,
                                const torch::Tensor& magnitude) {
  const int64_t in = o.bottleneck() || o.prefix() ? options.out() : options.in();
  TORCH_CHECK(!(o.bottleneck() && o.dora()), "adapter \"", name, "\": DoRA is a low-rank update, not a bottleneck");
  TORCH_CHECK(A.dim() == 2 && A.size(0) == o.r() && A.size(1) == in, "lora_A of \"", name, "\" has shape ", A.sizes(), ", expected [",
              o.r(), ", ", in, "]");
  const std::vector<int64_t> shapeB = o.prefix() ? std::vector<int64_t>{o.r(), options.out()} : std::vector<int64_t>{options.out(), o.r()};
  TORCH_CHECK(B.sizes() == c10::IntArrayRef(shapeB), "lora_B of \"", name, "\" has shape ", B.sizes(), ", expected ",
              c10::IntArrayRef(shapeB));
  TORCH_CHECK(merged_ != name, "adapter \"", name, "\" is merged");
  TORCH_CHECK(!o.dora() || (magnitude.dim() == 1 && magnitude.size(0) == options.out()), "lora_magnitude of \"", name,
              "\" must have shape [", options.out(), "]");
  torch::NoGradGuard noGrad;
  const auto like = torch::TensorOptions().dtype(weight.dtype()).device(weight.device());
  // clone: the layer owns its factors, never a view of the caller's tensors.
  LoraAdapter a{o, A.to(like).clone().requires_grad_(true), B.to(like).clone().requires_grad_(true),
                o.dora() ? magnitude.to(like).clone().requires_grad_(true) : torch::Tensor()};
  adapters.insert_or_assign(name, std::move(a));
}

void LoraLinearImpl::removeAdapter(const std::string& name) {
  TORCH_CHECK(merged_ != name, "adapter \"", name, "\" is merged");
  adapters.erase(name);
}

const LoraAdapter& LoraLinearImpl::adapter(const std::string& name) const {
  auto it = adapters.find(name);
  TORCH_CHECK(it != adapters.end(), "layer has no adapter \"", name, "\"");
  return it->second;
}

torch::Tensor LoraLinearImpl::delta(const std::string& name) const {
  const LoraAdapter& a = adapter(name);
  TORCH_CHECK(!a.options.bottleneck() && !a.options.prefix(), "adapter \"", name, "\" is not a low-rank update and cannot be merged");
  torch::NoGradGuard noGrad;
  torch::Tensor update = torch::mm(a.B, a.A).mul_(a.options.scale()).to(weight.dtype());  // (out, in) = (out, r)(r, in)
  if (!a.options.dora()) return update;
  return doraScale(a).unsqueeze(1) * (weight + update) - weight;  // (out, in) diag(m/n)(W + s·B·A) − W
}

void LoraLinearImpl::merge(const std::string& name) {
  TORCH_CHECK(merged_.empty(), "adapter \"", merged_, "\" is already merged");
  torch::Tensor update = delta(name);  // (out, in)
  torch::NoGradGuard noGrad;
  unmerged_ = weight.detach().clone();  // (out, in)
  weight.add_(update);
  merged_ = name;
}

void LoraLinearImpl::unmerge() {
  if (merged_.empty()) return;
  torch::NoGradGuard noGrad;
  weight.copy_(unmerged_);
  unmerged_ = torch::Tensor();
  merged_.clear();
}

}  // namespace seqrec
