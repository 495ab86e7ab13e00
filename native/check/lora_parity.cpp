// The reference side recomputes the scale from (alpha, r, rslora) itself rather than calling
// LoraOptions::scale(), so a wrong scale formula cannot cancel out. B is random, not zero, so
// the gradient of A is not trivially zero. DoRA's reference is the paper's weight form,
// diag(m / n)(W + s·B·A) with n = ‖W + s·B·A‖ per row detached, against the layer's PEFT-style
// forward; m is drawn away from ‖W‖, so the rescaling shows. A bottleneck adapter's reference is
// z + s·B·GELU(A·z) on z = x·Wᵀ + b.
#include "check/lora_parity.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "check/parity.h"
#include "model/lora.h"
#include "model/lora_state.h"

namespace seqrec {

ParityLoraResult loraParity(const ParityLoraRequest& r) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
  const auto dtype = r.float64 ? torch::kDouble : torch::kFloat;
  const auto opts = torch::TensorOptions().dtype(dtype);
  LoraLinear layer(LoraLinearOptions(r.inFeatures, r.outFeatures));
  layer->to(dtype);
  {
    torch::NoGradGuard noGrad;
    layer->weight.copy_(torch::randn({r.outFeatures, r.inFeatures}, gen, opts) * 0.2);  // (out, in)
    layer->bias.copy_(torch::randn({r.outFeatures}, gen, opts) * 0.1);                  // (out)
  }
  torch::Tensor A = torch::randn({r.lora.r, r.lora.bottleneck ? r.outFeatures : r.inFeatures}, gen, opts) * 0.3;  // (r, in or out)
  torch::Tensor B = torch::randn({r.outFeatures, r.lora.r}, gen, opts) * 0.3;                                     // (out, r)
  torch::Tensor m;  // (out) DoRA's magnitudes, 0.5 to 1.5 times the rows' norms
  if (r.lora.dora) m = layer->weight.detach().norm(2, {1}) * (0.5 + torch::rand({r.outFeatures}, gen, opts));
  layer->setAdapter("check", loraOptions("check", r.lora), A, B, m);
  layer->eval();                                                                 // dropout is a training-time mask; eval must ignore it
  torch::Tensor x = torch::randn({r.batch, r.length, r.inFeatures}, gen, opts);  // (B, L, in)
  torch::Tensor probe = torch::randn({r.batch, r.length, r.outFeatures}, gen, opts);  // (B, L, out) fixed projection → scalar loss

  ParityLoraResult out;
  {  // ours: the adapter path
    torch::Tensor xo = x.clone().requires_grad_(true);
    torch::Tensor y = layer->forward(xo, gen, "check");  // (B, L, out)
    (y * probe).sum().backward();
    const LoraAdapter& a = layer->adapters.at("check");
    out.y = toDoubles(y);
    out.gradX = toDoubles(xo.grad());
    out.gradW = toDoubles(layer->weight.grad());
    out.gradBias = toDoubles(layer->bias.grad());
    out.gradA = toDoubles(a.A.grad());
    out.gradB = toDoubles(a.B.grad());
    if (r.lora.dora) out.gradMagnitude = toDoubles(a.magnitude.grad());
  }
  {  // reference: explicit W + s·B·A with independent leaves
    const auto& [rank, alpha, dropout, rslora, dora, bottleneck, prefix] = r.lora;
    TORCH_CHECK(!prefix, "the linear layer's parity check takes no prefix (its attention applies one)");
    const double s = rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
    torch::Tensor xr = x.clone().requires_grad_(true);
    torch::Tensor W = layer->weight.detach().clone().requires_grad_(true);       // (out, in)
    torch::Tensor b = layer->bias.detach().clone().requires_grad_(true);         // (out)
    torch::Tensor Ar = A.clone().requires_grad_(true);                           // (r, in)
    torch::Tensor Br = B.clone().requires_grad_(true);                           // (out, r)
    torch::Tensor mr = dora ? m.clone().requires_grad_(true) : torch::Tensor();  // (out)
    torch::Tensor y;                                                             // (B, L, out)
    if (bottleneck) {
      torch::Tensor z = torch::matmul(xr, W.t()) + b;                            // (B, L, out)
      y = z + s * torch::matmul(torch::gelu(torch::matmul(z, Ar.t())), Br.t());  // (B, L, out)
    } else {
      torch::Tensor adapted = W + s * torch::mm(Br, Ar);  // (out, in)
      if (dora) adapted = (mr / adapted.norm(2, {1}).detach()).unsqueeze(1) * adapted;
      y = torch::matmul(xr, adapted.t()) + b;
    }
    (y * probe).sum().backward();
    if (dora) out.gradMagnitudeRef = toDoubles(mr.grad());
    out.yRef = toDoubles(y);
    out.gradXRef = toDoubles(xr.grad());
    out.gradWRef = toDoubles(W.grad());
    out.gradBiasRef = toDoubles(b.grad());
    out.gradARef = toDoubles(Ar.grad());
    out.gradBRef = toDoubles(Br.grad());
  }
  if (!r.lora.bottleneck) {  // merge: the adapter folded into W, then unmerged (a bottleneck cannot be)
    torch::NoGradGuard noGrad;
    torch::Tensor before = layer->weight.detach().clone();  // (out, in)
    layer->merge("check");
    out.yMerged = toDoubles(layer->forward(x, gen, "check"));  // merged adapter is not added twice
    out.yMergedBase = toDoubles(layer->forward(x, gen, ""));   // base path now includes it as well
    layer->unmerge();
    out.unmergeExact = torch::equal(layer->weight, before);
    out.yAfterUnmerge = toDoubles(layer->forward(x, gen, "check"));
  }
  return out;
}

}  // namespace seqrec
