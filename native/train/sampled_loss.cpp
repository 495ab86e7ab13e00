// SampledLoss: see sampled_loss.h for the three objectives.
#include "train/sampled_loss.h"

#include "common/error.h"
#include "train/fused_ce.h"

namespace seqrec {

SampledLoss::SampledLoss(const SampledLossOptions& options, const torch::Tensor& itemCounts) : options_(options) {
  if (options_.kind != "bce" && options_.kind != "gbce" && options_.kind != "sampled-softmax")
    throw Error(ErrorCode::InvalidOption,
                "fit: loss must be \"ce\", \"bce\", \"gbce\" or \"sampled-softmax\", got \"" + options_.kind + "\"");
  if (options_.negatives < 1)
    throw Error(ErrorCode::InvalidOption, "fit: negatives must be >= 1, got " + std::to_string(options_.negatives));
  if (options_.gbceT < 0.0 || options_.gbceT > 1.0) throw Error(ErrorCode::InvalidOption, "fit: gbceT must be in [0, 1]");
  if (options_.kind == "sampled-softmax") {
    torch::Tensor counts = itemCounts.to(torch::kDouble) + 1.0;  // (V') +1: every item can be drawn
    torch::Tensor q = counts / counts.sum();                     // (V')
    q_ = q.to(torch::kFloat);                                    // (V') what multinomial draws from
    logQ_ = q.log();                                             // (V') double; the drawn entries are cast at use
  }
}

torch::Tensor SampledLoss::operator()(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& targets,
                                      at::Generator& gen) {
  const SequenceTargets t = sequenceTargets(targets);
  torch::Tensor h = t.hiddenRows(hidden);  // (N, d)
  const int64_t N = t.rows.size(0), V = output.size(0), k = options_.negatives;
  torch::Tensor negatives;
  if (options_.kind == "sampled-softmax") {
    negatives = torch::multinomial(q_, k, /*replacement=*/true, gen);  // (|S|) on the model's device
  } else {
    TORCH_CHECK(V >= 2, "bce needs at least 2 items");
    // uniform over the V' − 1 rows other than the target: draw from V' − 1, skip over y
    torch::Tensor draw =
        torch::randint(0, V - 1, {N, k}, gen, torch::TensorOptions().dtype(torch::kLong).device(output.device()));  // (N, k)
    negatives = draw + draw.ge(t.items.unsqueeze(1)).to(torch::kLong);                                              // (N, k)
  }
  lastNegatives_ = negatives;
  return loss(h, output, t.items, negatives);
}

torch::Tensor SampledLoss::loss(const torch::Tensor& h, const torch::Tensor& output, const torch::Tensor& y,
                                const torch::Tensor& negatives) const {
  const int64_t V = output.size(0);
  torch::Tensor positive = (h * output.index_select(0, y)).sum(1);  // (N)
  if (options_.kind == "sampled-softmax") {
    const double logS = std::log(static_cast<double>(negatives.size(0)));
    auto logQ = [&](const torch::Tensor& items) { return logQ_.index_select(0, items).to(h.scalar_type()); };    // (n)
    torch::Tensor pos = positive - logQ(y) - logS;                                                               // (N)
    torch::Tensor neg = torch::mm(h, output.index_select(0, negatives).t()) - logQ(negatives) - logS;            // (N, |S|)
    neg = neg.masked_fill(negatives.unsqueeze(0).eq(y.unsqueeze(1)), -std::numeric_limits<double>::infinity());  // accidental hits
    torch::Tensor logits = torch::cat({pos.unsqueeze(1), neg}, 1);                                               // (N, 1 + |S|)
    return (logits.logsumexp(1) - pos).mean();
  }
  // The negatives' scores by the cheaper route: gathering k rows per target materialises (N, k, d); scoring
  // every item is one GEMM into (N, V'), smaller once V' <= k·d (gbce's 256 negatives on ML-1M: 3,416 vs 16,384).
  torch::Tensor negative;  // (N, k)
  if (V <= negatives.size(1) * h.size(1)) {
    negative = torch::mm(h, output.t()).gather(1, negatives);  // (N, V') → (N, k)
  } else {
    torch::Tensor negRows = output.index_select(0, negatives.reshape({-1})).view({negatives.size(0), negatives.size(1), -1});  // (N, k, d)
    negative = torch::bmm(negRows, h.unsqueeze(2)).squeeze(2);                                                                 // (N, k)
  }
  double beta = 1.0;
  if (options_.kind == "gbce") {
    const double alpha = static_cast<double>(negatives.size(1)) / static_cast<double>(V - 1);
    beta = options_.gbceT * (alpha - 1.0) + 1.0;
  }
  // −β·log σ(s⁺) − Σ log σ(−s⁻) = β·softplus(−s⁺) + Σ softplus(s⁻)
  return (beta * torch::softplus(-positive) + torch::softplus(negative).sum(1)).mean();
}

}  // namespace seqrec
