// Self-supervised contrastive learning as an auxiliary loss (CL4SRec, Xie et al., ICDE 2022).
// Each training sequence s (n events) gives two views, each by one augmentation drawn uniformly from
// the enabled ones (rate > 0):
//   crop     a contiguous ⌊η·n⌋ events (at least 1), the rest dropped
//   mask     each event with probability γ becomes BERT4Rec's [mask]; a causal model has no [mask] row
//            (its pads are zero vectors, not a token), so its masked events are left out instead
//            (at least one event stays)
//   reorder  a contiguous ⌊β·n⌋ events shuffled
// and the encoder's final states of the two views are pulled together and pushed from the batch's
// other 2B − 2 views by InfoNCE (NT-Xent):
//   z (2B, d) = [z¹; z²] with unit rows,  s_ij = z_i·z_j / τ,  ℓ = mean_i ( logsumexp_{j≠i} s_ij − s_{i,p(i)} ),  p(i) = i ± B
// Cosine (SimCLR's NT-Xent), not CL4SRec's raw dot product: final states of norm ~√d give dot-product
// logits of tens, a softmax saturated from the first step whatever τ says; cosine keeps them in ±1/τ.
// fit adds weight·ℓ to its objective; the augmentations are a pure function of (seed, micro-batch).
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace seqrec {

struct ContrastiveOptions {
  double weight = 0.0;       // λ; 0 = off
  double temperature = 1.0;  // τ
  double crop = 0.6;         // η (0 = never crop)
  double mask = 0.3;         // γ (0 = never mask)
  double reorder = 0.6;      // β (0 = never reorder)
  bool causal = true;        // causal models leave masked events out
  int64_t maskToken = 0;     // bidirectional: V + 1
};

struct ContrastiveViews {
  torch::Tensor first, second;  // (B, L) int64 each, left-padded with 0 like the batch
};

// Two augmented views of each row's sequence. inputs, targets (B, L) are a training batch: the sequence
// is the row's events (a bidirectional batch's masked positions restored from targets).
ContrastiveViews contrastiveViews(const torch::Tensor& inputs, const torch::Tensor& targets, const ContrastiveOptions& options,
                                  uint64_t seed);

// ℓ () from the two views' final states first, second (B, d) at temperature τ.
torch::Tensor infoNce(const torch::Tensor& first, const torch::Tensor& second, double temperature);

}  // namespace seqrec
