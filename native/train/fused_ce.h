// Full-softmax cross-entropy over the whole catalogue, fused with the tied output projection:
//   loss = mean_n ( logsumexp_v(h_n·w_v) − h_n·w_{y_n} )
// computed chunk by chunk of rows so the (N, V) logits never exist at once: per chunk the
// (C, V) logits are formed, reduced in fp32, turned into the gradient in place, and folded into
// dH and dW. Peak extra memory is one chunk, sized from a byte budget, not a row count.
// The plain, unfused reference is torch::cross_entropy over full logits (see native/check/).
#pragma once
#include <torch/torch.h>

#include "common/shapes.h"

namespace seqrec {

// Rows per chunk so one chunk's fp32 logits plus the GEMM/cast temporaries fit in budgetBytes.
int64_t fusedChunkRows(int64_t numItems, int64_t budgetBytes);

// loss () from hidden (N, d), weight (V, d), targets (N) int64 in [0, V). Differentiable in
// hidden and weight through a custom autograd function whose forward already computes dH, dW.
torch::Tensor fusedLinearCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                      int64_t budgetBytes);

// The weighted form: loss = Σ_n rowWeights_n · ℓ_n (rowWeights (N); the mean is 1/N each), with every
// row's ℓ_n (N, detached) beside it, for objectives over groups of rows (train/group_gap.h).
struct WeightedLoss {
  torch::Tensor loss;       // ()
  torch::Tensor rowLosses;  // (N)
};
WeightedLoss weightedLinearCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                        const torch::Tensor& rowWeights, int64_t budgetBytes);

// The positions of (B, L) targets that carry one (0 = none), row-major.
struct SequenceTargets {
  torch::Tensor rows;       // (N) flat index into B·L
  torch::Tensor items;      // (N) target item − 1, in [0, V)
  torch::Tensor sequences;  // (N) the batch row b of each
  // (N, d) the rows of hidden (B, L, d) at these positions
  torch::Tensor hiddenRows(const torch::Tensor& hidden) const { return hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows); }
};
SequenceTargets sequenceTargets(const torch::Tensor& targets);

// The sequence form used by training: hidden (B, L, d), targets (B, L) int64 item ids with 0 at
// positions that carry no target (padding, unmasked BERT positions). Returns the mean over the N
// non-zero targets, and N through numTargets.
torch::Tensor sequenceCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                   int64_t budgetBytes, int64_t* numTargets);

}  // namespace seqrec
