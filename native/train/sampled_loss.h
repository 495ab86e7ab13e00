// The objectives besides full-softmax cross-entropy (train/fused_ce.h), each over a few sampled items
// instead of the whole catalogue. For the N targets of a batch, h_n (d) the hidden state before target
// y_n, s(n, i) = h_n · w_i with w the output table (V', d), and σ the logistic function:
//   bce              −log σ(s(n, y_n)) − Σ_{j<k} log σ(−s(n, neg_nj))       k uniform negatives ≠ y_n per target
//                    (k = 1 is the original SASRec objective, Kang & McAuley 2018)
//   gbce             −β·log σ(s(n, y_n)) − Σ_{j<k} log σ(−s(n, neg_nj)),   β = t·(α − 1) + 1, α = k / (V' − 1)
//                    (gSASRec, Petrov & Macdonald, RecSys 2023: t ∈ [0, 1] calibrates the overconfidence that
//                    negative sampling causes; t = 0 is bce with k negatives)
//   sampled-softmax  −log softmax over {y_n} ∪ S of (s(n, i) − log(|S|·q_i)), S = |S| negatives drawn once per
//                    batch from q ∝ the training frequency of each item (+1), shared by every target, a
//                    negative equal to y_n removed (the logQ correction makes the sampled softmax an
//                    unbiased estimate of the full one's gradient: Bengio & Senécal 2008, Yi et al. 2019)
// Each is the mean over the N targets, built from LibTorch ops and differentiated by autograd: at k or
// |S| in the hundreds the (N, k) scores are small and need no fusing. The negatives of the last call are
// kept for checks (native/check/parity.cpp).
#pragma once
#include <torch/torch.h>

#include <string>

namespace seqrec {

struct SampledLossOptions {
  std::string kind;   // "bce", "gbce" or "sampled-softmax"
  int64_t negatives;  // k, or |S|
  double gbceT;       // t of gbce
};

class SampledLoss {
 public:
  // itemCounts (V') the training frequency of each output row, for sampled-softmax's q, on the model's device.
  SampledLoss(const SampledLossOptions& options, const torch::Tensor& itemCounts);

  // loss () from hidden (B, L, d), the output table (V', d), targets (B, L) (0 = none, else row + 1).
  torch::Tensor operator()(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& targets, at::Generator& gen);

  // The loss on given target rows and negatives: h (N, d), y (N) rows, negatives (N, k) or (|S|).
  torch::Tensor loss(const torch::Tensor& h, const torch::Tensor& output, const torch::Tensor& y, const torch::Tensor& negatives) const;

  const torch::Tensor& lastNegatives() const { return lastNegatives_; }
  const SampledLossOptions& options() const { return options_; }

 private:
  SampledLossOptions options_;
  torch::Tensor logQ_;  // (V') log q_i in double, sampled-softmax only
  torch::Tensor q_;     // (V') q_i in float
  torch::Tensor lastNegatives_;
};

}  // namespace seqrec
