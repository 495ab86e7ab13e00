// Chunked fused linear + cross-entropy (forward computes the gradients; backward only scales
// them by the incoming gradient, which is 1/accumulation when gradients are accumulated).
// In bf16/fp16 the GEMMs run in the compute dtype and everything after them in fp32; the item
// table gradient is accumulated in fp32.
#include "train/fused_ce.h"

#include <algorithm>

namespace seqrec {

int64_t fusedChunkRows(int64_t numItems, int64_t budgetBytes) {
  const int64_t bytesPerRow = numItems * static_cast<int64_t>(sizeof(float)) * 2;  // fp32 logits + one temporary
  return std::max<int64_t>(1, budgetBytes / std::max<int64_t>(1, bytesPerRow));
}

namespace {

struct FusedLinearCrossEntropyFn : public torch::autograd::Function<FusedLinearCrossEntropyFn> {
  // Returns {loss (), rowLosses (N) detached}; rowWeights (N), or empty (0) for 1/N each (autograd needs
  // every tensor argument defined).
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& hidden,
                                                const torch::Tensor& weight, const torch::Tensor& targets, const torch::Tensor& rowWeights,
                                                int64_t budgetBytes) {
    const int64_t N = hidden.size(0), V = weight.size(0);
    TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1), "fusedLinearCrossEntropy: hidden ",
                hidden.sizes(), " and weight ", weight.sizes(), " do not match");
    TORCH_CHECK(targets.dim() == 1 && targets.size(0) == N, "fusedLinearCrossEntropy: targets ", targets.sizes(), " for ", N, " rows");
    TORCH_CHECK(N > 0, "fusedLinearCrossEntropy: no target rows");
    const bool weighted = rowWeights.numel() > 0;
    TORCH_CHECK(!weighted || (rowWeights.dim() == 1 && rowWeights.size(0) == N), "fusedLinearCrossEntropy: rowWeights ", rowWeights.sizes(),
                " for ", N, " rows");
    const int64_t C = fusedChunkRows(V, budgetBytes);
    // Reductions in fp32 (fp64 when the input is fp64, so finite-difference checks are meaningful).
    const auto acc = hidden.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    const auto accOptions = hidden.options().dtype(acc);

    // A frozen item table (freeze embeddings, LoRA training) needs no dW: skip its GEMMs.
    const bool needWeightGrad = weight.requires_grad();
    torch::Tensor gradHidden = torch::empty_like(hidden);                                                    // (N, d)
    torch::Tensor gradWeight = needWeightGrad ? torch::zeros(weight.sizes(), accOptions) : torch::Tensor();  // (V, d) fp32 accumulator
    torch::Tensor rowLosses = torch::empty({N}, accOptions);                                                 // (N)
    const double invN = 1.0 / static_cast<double>(N);
    torch::Tensor w = weighted ? rowWeights.to(accOptions) : torch::Tensor();  // (N) or none: 1/N
    // One (C, V) buffer reused by every chunk: a fresh allocation per chunk costs page faults.
    torch::Tensor chunkLogits = torch::empty({std::min(C, N), V}, hidden.options());  // (C, V) compute dtype

    for (int64_t start = 0; start < N; start += C) {
      const int64_t n = std::min(C, N - start);
      torch::Tensor h = hidden.narrow(0, start, n);                // (C, d)
      torch::Tensor y = targets.narrow(0, start, n).unsqueeze(1);  // (C, 1)
      torch::Tensor logits = chunkLogits.narrow(0, 0, n);          // (C, V) view of the reused buffer
      torch::mm_out(logits, h, weight.t());
      logits = logits.to(acc);                                    // (C, V) fp32 (no copy when already)
      torch::Tensor lse = logits.logsumexp(1, /*keepdim=*/true);  // (C, 1)
      rowLosses.narrow(0, start, n).copy_((lse - logits.gather(1, y)).squeeze(1));
      // logits → softmax → (softmax − onehot)·w_n (w_n = 1/N for the mean), all in place in the chunk buffer.
      torch::Tensor grad = logits.sub_(lse).exp_();  // (C, V)
      grad.scatter_add_(1, y, torch::full({n, 1}, -1.0, accOptions));
      if (w.defined())
        grad.mul_(w.narrow(0, start, n).unsqueeze(1));
      else
        grad.mul_(invN);
      torch::Tensor g = grad.to(hidden.scalar_type());                  // (C, V) compute dtype
      gradHidden.narrow(0, start, n).copy_(torch::mm(g, weight));       // (C, d) = (C, V)(V, d)
      if (needWeightGrad) gradWeight.addmm_(g.t().to(acc), h.to(acc));  // (V, d) += (V, C)(C, d)
    }
    ctx->save_for_backward({gradHidden, needWeightGrad ? gradWeight.to(weight.scalar_type()) : torch::Tensor()});
    torch::Tensor loss = w.defined() ? (rowLosses * w).sum() : rowLosses.sum() * invN;  // ()
    ctx->mark_non_differentiable({rowLosses});
    return {loss.to(hidden.scalar_type()), rowLosses};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list gradOutput) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor g = gradOutput[0];  // () usually 1, or 1/accumulation
    return {saved[0] * g, saved[1].defined() ? saved[1] * g : torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor fusedLinearCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                      int64_t budgetBytes) {
  return FusedLinearCrossEntropyFn::apply(hidden, weight, targets, torch::empty({0}, hidden.options()), budgetBytes)[0];
}

WeightedLoss weightedLinearCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                        const torch::Tensor& rowWeights, int64_t budgetBytes) {
  auto out = FusedLinearCrossEntropyFn::apply(hidden, weight, targets, rowWeights, budgetBytes);
  return {out[0], out[1]};
}

SequenceTargets sequenceTargets(const torch::Tensor& targets) {
  const int64_t L = targets.size(1);
  torch::Tensor flat = targets.reshape({-1});      // (B·L)
  torch::Tensor rows = flat.nonzero().squeeze(1);  // (N)
  return {rows, flat.index_select(0, rows) - 1, rows.div(L, "floor")};
}

torch::Tensor sequenceCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                   int64_t budgetBytes, int64_t* numTargets) {
  const SequenceTargets t = sequenceTargets(targets);
  if (numTargets) *numTargets = t.rows.size(0);
  torch::Tensor h = t.hiddenRows(hidden);  // (N, d)
  return fusedLinearCrossEntropy(h, weight, t.items, budgetBytes);
}

}  // namespace seqrec
