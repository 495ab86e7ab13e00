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

// The sequence form used by training: hidden (B, L, d), targets (B, L) int64 item ids with 0 at
// positions that carry no target (padding, unmasked BERT positions). Returns the mean over the N
// non-zero targets, and N through numTargets.
torch::Tensor sequenceCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                   int64_t budgetBytes, int64_t* numTargets);

}  // namespace seqrec
