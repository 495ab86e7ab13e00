// Reference computations for tests/parity. Inputs are drawn from a seeded generator so a failing
// case can be replayed; every function returns both sides unreduced so the test prints numbers.
#include "check/parity.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/device.h"
#include "common/error.h"
#include "common/rng.h"
#include "common/vector_kernels.h"
#include "model/dropout.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/contrastive.h"
#include "train/fused_ce.h"
#include "train/group_gap.h"
#include "train/lr_schedule.h"
#include "train/sampled_loss.h"

namespace seqrec {

std::vector<double> toDoubles(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kDouble).contiguous().reshape({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

namespace {

std::vector<float> toFloats(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat).contiguous().reshape({-1});
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

// Central differences of lossAt(hidden, weight) at `probes` random coordinates, alternately of hidden and
// of weight, each beside gradAt(inHidden, index), the analytic gradient there.
template <typename LossAt, typename GradAt>
void probeGradients(const torch::Tensor& hidden, const torch::Tensor& weight, int64_t probes, double eps, at::Generator& gen, LossAt lossAt,
                    GradAt gradAt, std::vector<double>& numeric, std::vector<double>& analytic) {
  torch::NoGradGuard noGrad;
  for (int64_t p = 0; p < probes; ++p) {
    const bool inHidden = p % 2 == 0;
    const torch::Tensor& base = inHidden ? hidden : weight;
    const int64_t index = torch::randint(0, base.numel(), {1}, gen, torch::kLong).item<int64_t>();
    torch::Tensor plus = base.clone(), minus = base.clone();
    plus.view({-1})[index] += eps;
    minus.view({-1})[index] -= eps;
    const double difference = inHidden ? lossAt(plus, weight) - lossAt(minus, weight) : lossAt(hidden, plus) - lossAt(hidden, minus);
    numeric.push_back(difference / (2 * eps));
    analytic.push_back(gradAt(inHidden, index));
  }
}

ParityCeResult crossEntropyParity(const ParityCeRequest& r) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
  const auto dtype = r.float64 ? torch::kDouble : torch::kFloat;
  const auto opts = torch::TensorOptions().dtype(dtype);
  torch::Tensor hidden = torch::randn({r.batch, r.length, r.dim}, gen, opts);                      // (B, L, d)
  torch::Tensor weight = torch::randn({r.items, r.dim}, gen, opts) * 0.3;                          // (V, d)
  torch::Tensor targets = torch::randint(1, r.items + 1, {r.batch, r.length}, gen, torch::kLong);  // (B, L)
  torch::Tensor pad = torch::rand({r.batch, r.length}, gen) < r.padShare;                          // (B, L)
  targets.masked_fill_(pad, 0);
  targets.index_put_({0, r.length - 1}, 1);  // at least one target

  ParityCeResult out;
  out.chunkRows = fusedChunkRows(r.items, r.budgetBytes);
  // The group-gap check: sequence b in group b % 2, every third in neither (255).
  std::vector<uint8_t> groups(static_cast<size_t>(r.batch));
  std::vector<int32_t> users(static_cast<size_t>(r.batch));
  for (int32_t b = 0; b < r.batch; ++b) {
    groups[b] = b % 3 == 2 ? 255 : static_cast<uint8_t>(b % 2);
    users[b] = b;
  }
  {  // fused
    torch::Tensor h = hidden.clone().requires_grad_(true), w = weight.clone().requires_grad_(true);
    torch::Tensor loss;
    if (r.groupGapWeight > 0) {
      GroupGapLoss gap(groups, r.groupGapWeight);
      double mean = 0.0;
      gap(hidden, weight, targets, users, r.budgetBytes, &mean);  // the group averages start at this batch's means
      loss = gap(h, w, targets, users, r.budgetBytes, &mean);     // so the sign is this batch's, as autograd's is
    } else {
      loss = sequenceCrossEntropy(h, w, targets, r.budgetBytes, nullptr);
    }
    loss.backward();
    out.fusedLoss = loss.item<double>();
    out.fusedGradHidden = toDoubles(h.grad());
    out.fusedGradWeight = toDoubles(w.grad());
  }
  {  // reference: unfused logits, LibTorch's cross_entropy, autograd
    torch::Tensor h = hidden.clone().requires_grad_(true), w = weight.clone().requires_grad_(true);
    torch::Tensor logits = torch::mm(h.reshape({-1, r.dim}), w.t());  // (B·L, V)
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, targets.reshape({-1}) - 1,
                                                              torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1));
    if (r.groupGapWeight > 0) {  // + λ·|L̄₀ − L̄₁| over each group's targets
      torch::Tensor rows = torch::nn::functional::cross_entropy(
          logits, targets.reshape({-1}) - 1,
          torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kNone));                       // (B·L)
      torch::Tensor group = torch::tensor(std::vector<int64_t>(groups.begin(), groups.end())).repeat_interleave(r.length);  // (B·L)
      torch::Tensor valid = targets.reshape({-1}).ne(0);                                                                    // (B·L)
      auto groupMean = [&](int64_t g) {
        torch::Tensor in = valid & group.eq(g);
        return (rows * in.to(rows.dtype())).sum() / in.sum().to(rows.dtype());
      };
      loss = loss + r.groupGapWeight * (groupMean(0) - groupMean(1)).abs();
    }
    loss.backward();
    out.referenceLoss = loss.item<double>();
    out.referenceGradHidden = toDoubles(h.grad());
    out.referenceGradWeight = toDoubles(w.grad());
  }
  // Central differences of the fused loss at random coordinates of hidden and weight.
  torch::NoGradGuard noGrad;
  const double eps = r.float64 ? 1e-6 : 1e-2;
  auto lossAt = [&](const torch::Tensor& h, const torch::Tensor& w) {
    return sequenceCrossEntropy(h, w, targets, r.budgetBytes, nullptr).item<double>();
  };
  auto gradAt = [&](bool inHidden, int64_t index) { return inHidden ? out.fusedGradHidden[index] : out.fusedGradWeight[index]; };
  probeGradients(hidden, weight, r.probes, eps, gen, lossAt, gradAt, out.probeNumeric, out.probeAnalytic);
  return out;
}

// The sampled objectives of train/sampled_loss.h written out again, one target and one negative at a
// time in double, from the negatives SampledLoss drew.
static double sampledLossByLoops(const ParitySampledLossRequest& r, const torch::Tensor& hidden, const torch::Tensor& weight,
                                 const torch::Tensor& targets, const torch::Tensor& negatives, const std::vector<double>& q) {
  const int64_t d = r.dim, V = r.items;
  auto score = [&](int64_t row, int64_t item) {
    double s = 0.0;
    for (int64_t c = 0; c < d; ++c) s += hidden.view({-1, d})[row][c].item<double>() * weight[item][c].item<double>();
    return s;
  };
  auto logSigmoid = [](double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); };
  const auto* t = targets.data_ptr<int64_t>();
  double total = 0.0;
  int64_t n = 0;
  for (int64_t row = 0; row < targets.numel(); ++row) {
    if (t[row] == 0) continue;
    const int64_t y = t[row] - 1;
    if (r.loss == "sampled-softmax") {
      const int64_t S = negatives.size(0);
      const double pos = score(row, y) - std::log(S * q[y]);
      double sum = std::exp(pos);
      for (int64_t j = 0; j < S; ++j) {
        const int64_t i = negatives[j].item<int64_t>();
        if (i != y) sum += std::exp(score(row, i) - std::log(S * q[i]));
      }
      total += std::log(sum) - pos;
    } else {
      const int64_t k = negatives.size(1);
      const double beta = r.loss == "gbce" ? r.gbceT * (static_cast<double>(k) / (V - 1) - 1.0) + 1.0 : 1.0;
      double l = -beta * logSigmoid(score(row, y));
      for (int64_t j = 0; j < k; ++j) l -= logSigmoid(-score(row, negatives[n][j].item<int64_t>()));
      total += l;
    }
    ++n;
  }
  return total / static_cast<double>(n);
}

ParitySampledLossResult sampledLossParity(const ParitySampledLossRequest& r) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  torch::Tensor hidden = torch::randn({r.batch, r.length, r.dim}, gen, opts);                      // (B, L, d)
  torch::Tensor weight = torch::randn({r.items, r.dim}, gen, opts) * 0.3;                          // (V, d)
  torch::Tensor targets = torch::randint(1, r.items + 1, {r.batch, r.length}, gen, torch::kLong);  // (B, L)
  targets.masked_fill_(torch::rand({r.batch, r.length}, gen) < 0.3, 0);
  targets.index_put_({0, r.length - 1}, 1);
  torch::Tensor counts = torch::randint(0, 50, {r.items}, gen, torch::kLong);  // (V) a skewed popularity
  SampledLoss loss(SampledLossOptions{r.loss, r.negatives, r.gbceT}, counts);
  const torch::Tensor c = (counts.to(torch::kDouble) + 1.0) / (counts.to(torch::kDouble) + 1.0).sum();
  const std::vector<double> q(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());

  ParitySampledLossResult out;
  torch::Tensor h = hidden.clone().requires_grad_(true), w = weight.clone().requires_grad_(true);
  torch::Tensor value = loss(h, w, targets, gen);
  value.backward();
  out.loss = value.item<double>();
  const torch::Tensor negatives = loss.lastNegatives();
  out.referenceLoss = sampledLossByLoops(r, hidden, weight, targets, negatives, q);
  auto lossAt = [&](const torch::Tensor& hs, const torch::Tensor& ws) { return sampledLossByLoops(r, hs, ws, targets, negatives, q); };
  auto gradAt = [&](bool inHidden, int64_t index) { return (inHidden ? h.grad() : w.grad()).view({-1})[index].item<double>(); };
  probeGradients(hidden, weight, r.probes, 1e-6, gen, lossAt, gradAt, out.probeNumeric, out.probeAnalytic);
  return out;
}

// InfoNCE of train/contrastive.h (cosine similarity) written out again in double loops over the 2B views.
static double infoNceByLoops(const torch::Tensor& first, const torch::Tensor& second, double temperature) {
  const torch::Tensor z = torch::cat({first, second}, 0).contiguous();  // (2B, d)
  const int64_t n = z.size(0), B = n / 2, d = z.size(1);
  const double* zp = z.data_ptr<double>();
  auto dot = [&](int64_t i, int64_t j) {
    double s = 0.0;
    for (int64_t c = 0; c < d; ++c) s += zp[i * d + c] * zp[j * d + c];
    return s;
  };
  auto similarity = [&](int64_t i, int64_t j) { return dot(i, j) / std::sqrt(dot(i, i) * dot(j, j)) / temperature; };
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double top = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j)
      if (j != i) top = std::max(top, similarity(i, j));
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j)
      if (j != i) sum += std::exp(similarity(i, j) - top);
    total += top + std::log(sum) - similarity(i, (i + B) % n);
  }
  return total / static_cast<double>(n);
}

static std::vector<int32_t> toInts(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kInt).contiguous().reshape({-1});
  return std::vector<int32_t>(c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel());
}

ParityContrastiveResult contrastiveParity(const ParityContrastiveRequest& r) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
  // A batch as the sampler makes it: row b holds a random 1..L events, right-aligned; a bidirectional
  // batch masks a share of them ([mask] = V + 1 in inputs, the item in targets).
  torch::Tensor inputs = torch::zeros({r.batch, r.length}, torch::kLong), targets = torch::zeros_like(inputs);  // (B, L)
  for (int64_t b = 0; b < r.batch; ++b) {
    const int64_t n = torch::randint(1, r.length + 1, {1}, gen).item<int64_t>();
    torch::Tensor events = torch::randint(1, r.items + 1, {n}, gen, torch::kLong);  // (n)
    inputs[b].narrow(0, r.length - n, n).copy_(events);
    if (!r.causal) {
      torch::Tensor hide = torch::rand({n}, gen) < 0.2;  // (n)
      targets[b].narrow(0, r.length - n, n).copy_(events * hide);
      inputs[b].narrow(0, r.length - n, n).masked_fill_(hide, r.items + 1);
    }
  }
  ContrastiveOptions options;
  options.temperature = r.temperature;
  options.crop = r.crop;
  options.mask = r.mask;
  options.reorder = r.reorder;
  options.causal = r.causal;
  options.maskToken = r.items + 1;
  const ContrastiveViews views = contrastiveViews(inputs, targets, options, static_cast<uint64_t>(r.seed));

  ParityContrastiveResult out;
  out.inputs = toInts(inputs);
  out.targets = toInts(targets);
  out.first = toInts(views.first);
  out.second = toInts(views.second);
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  torch::Tensor first = torch::randn({r.batch, r.dim}, gen, opts) * 0.5,
                second = torch::randn({r.batch, r.dim}, gen, opts) * 0.5;  // (B, d)
  torch::Tensor a = first.clone().requires_grad_(true), b = second.clone().requires_grad_(true);
  torch::Tensor value = infoNce(a, b, r.temperature);
  value.backward();
  out.loss = value.item<double>();
  out.referenceLoss = infoNceByLoops(first, second, r.temperature);
  auto lossAt = [&](const torch::Tensor& x, const torch::Tensor& y) { return infoNceByLoops(x, y, r.temperature); };
  auto gradAt = [&](bool inFirst, int64_t index) { return (inFirst ? a.grad() : b.grad()).view({-1})[index].item<double>(); };
  probeGradients(first, second, r.probes, 1e-6, gen, lossAt, gradAt, out.probeNumeric, out.probeAnalytic);
  return out;
}

ParityAdamWResult adamWParity(const ParityAdamWRequest& r) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
  // A small model's worth of tensors: two matrices (decay) and two vectors (no decay).
  std::vector<torch::Tensor> init = {torch::randn({8, 4}, gen), torch::randn({10, 3}, gen), torch::randn({4}, gen), torch::randn({3}, gen)};
  std::vector<torch::Tensor> targets;
  for (const auto& t : init) targets.push_back(torch::randn(t.sizes(), gen));
  std::vector<torch::Tensor> ours, theirs;
  for (const auto& t : init) {
    ours.push_back(t.clone().requires_grad_(true));
    theirs.push_back(t.clone().requires_grad_(true));
  }
  ParamGroup decay{{"w0", "w1"}, {ours[0], ours[1]}, true};
  ParamGroup noDecay{{"b0", "b1"}, {ours[2], ours[3]}, false};
  AdamW mine({decay, noDecay}, AdamWOptions().beta1(0.9).beta2(0.98).eps(1e-8).weightDecay(0.1).foreach (r.foreach));

  using TorchOpts = torch::optim::AdamWOptions;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{theirs[0], theirs[1]},
                      std::make_unique<TorchOpts>(TorchOpts(1e-3).betas({0.9, 0.98}).eps(1e-8).weight_decay(0.1)));
  groups.emplace_back(std::vector<torch::Tensor>{theirs[2], theirs[3]},
                      std::make_unique<TorchOpts>(TorchOpts(1e-3).betas({0.9, 0.98}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW reference(groups);

  const LrSchedule schedule{1e-2, 10, r.steps, LrDecay::Cosine, 0.1};
  // Gradient of Σ ½‖p − target‖² + sin(p)·(step noise): depends on each side's own parameters.
  auto setGrads = [&](std::vector<torch::Tensor>& params, int64_t step) {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params.size(); ++i)
      params[i].mutable_grad() = (params[i] - targets[i]) + torch::sin(params[i]) * std::cos(0.37 * static_cast<double>(step + i));
  };
  ParityAdamWResult out;
  for (int64_t step = 0; step < r.steps; ++step) {
    const double lr = schedule.at(step);
    setGrads(ours, step);
    setGrads(theirs, step);
    clipGradNorm(mine.groups(), r.clipNorm);
    if (r.clipNorm > 0) torch::nn::utils::clip_grad_norm_(theirs, r.clipNorm);
    mine.step(lr);
    for (auto& g : reference.param_groups()) static_cast<TorchOpts&>(g.options()).lr(lr);
    reference.step();
    double worst = 0.0;
    for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, (ours[i] - theirs[i]).abs().max().item<double>());
    out.maxAbsDiffPerStep.push_back(worst);
  }
  std::vector<torch::Tensor> flatOurs, flatTheirs;
  for (size_t i = 0; i < ours.size(); ++i) {
    flatOurs.push_back(ours[i].detach().reshape({-1}));
    flatTheirs.push_back(theirs[i].detach().reshape({-1}));
  }
  out.ours = toFloats(torch::cat(flatOurs));
  out.reference = toFloats(torch::cat(flatTheirs));
  return out;
}

ParityAttentionResult attentionParity(const ParityAttentionRequest& r) {
  const int64_t V = 50;
  auto build = [&](bool sdpa) {
    TransformerRec net(TransformerRecOptions(V, r.dim, 2, r.heads, r.length).causal(r.causal).useSdpa(sdpa).dropout(0.0));
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed));
    net->resetParameters(gen);
    net->eval();
    return net;
  };
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r.seed) + 1);
  torch::Tensor seq = torch::randint(1, V + 1, {r.batch, r.length}, gen, torch::kLong);                   // (B, L)
  for (int64_t b = 0; b < r.batch; ++b) seq.index_put_({b, torch::indexing::Slice(0, b % r.length)}, 0);  // left padding
  torch::Tensor probe = torch::randn({r.batch, r.length, r.dim}, gen);  // (B, L, d) fixed projection for a scalar loss

  ParityAttentionResult out;
  out.sdpaUsed = hasSdpa();
  for (bool sdpa : {true, false}) {
    TransformerRec net = build(sdpa);
    torch::Tensor hidden = net->forward(seq, gen);  // (B, L, d); eval mode: gen unused
    (hidden * probe).sum().backward();
    (sdpa ? out.sdpa : out.explicitPath) = toFloats(hidden);
    (sdpa ? out.sdpaGrad : out.explicitGrad) = toFloats(net->itemEmbedding->weight.grad());
    torch::NoGradGuard noGrad;
    (sdpa ? out.sdpaLast : out.explicitLast) = toFloats(net->forward(seq, gen, "", {}, /*lastOnly=*/true).select(1, 0));  // (B, d)
  }
  return out;
}

std::vector<float> dropoutMask(const ParityDropoutRequest& r) {
  if (r.numel < 0 || !(r.p > 0.0 && r.p < 1.0)) throw invalidOption("parityDropout: numel >= 0 and p in (0, 1)");
  useThreads(r.threads);
  at::Generator gen = cpuGenerator(static_cast<uint64_t>(r.seed));
  torch::Tensor mask = cpuDropoutMask(torch::empty({r.numel}), r.p, gen);  // (n)
  return std::vector<float>(mask.data_ptr<float>(), mask.data_ptr<float>() + r.numel);
}

ParityVectorKernelsResult vectorKernelsParity(const ParityVectorKernelsRequest& r) {
  if (r.rows < 1 || r.dim < 1 || r.outputs < 1)
    throw Error(ErrorCode::InvalidOption, "parityVectorKernels needs rows, dim and outputs >= 1");
  at::Generator gen = cpuGenerator(static_cast<uint64_t>(r.seed));
  const auto values = [&](int64_t n) {
    torch::Tensor t = torch::randn({n}, gen);  // (n)
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + n);
  };
  const std::vector<float> rows = values(r.rows * r.dim), h = values(r.dim), wT = values(r.rows * r.outputs), bias = values(r.outputs),
                           x = values(r.rows);
  ParityVectorKernelsResult out;
  for (int64_t i = 0; i < r.rows; ++i) {
    double sum = 0.0;
    for (int64_t j = 0; j < r.dim; ++j) sum += static_cast<double>(rows[i * r.dim + j]) * h[j];
    out.rowDotsReference.push_back(sum);
  }
  for (int64_t o = 0; o < r.outputs; ++o) {
    double sum = bias[o];
    for (int64_t i = 0; i < r.rows; ++i) sum += static_cast<double>(x[i]) * wT[i * r.outputs + o];
    out.linearReference.push_back(sum);
  }
  // linearBatch: 5 input rows (a group of four and one more), each of r.rows inputs
  constexpr int64_t kBatch = 5;
  const std::vector<float> X = values(kBatch * r.rows);
  for (int64_t b = 0; b < kBatch; ++b)
    for (int64_t o = 0; o < r.outputs; ++o) {
      double sum = bias[o];
      for (int64_t i = 0; i < r.rows; ++i) sum += static_cast<double>(X[b * r.rows + i]) * wT[i * r.outputs + o];
      out.linearBatchReference.push_back(sum);
    }
  // panelScores: 5 users of width dim against P panels of 64 columns
  const int64_t P = (r.outputs + 63) / 64;
  const std::vector<float> panels = values(P * r.dim * 64), users = values(kBatch * r.dim);
  for (int64_t u = 0; u < kBatch; ++u)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t j = 0; j < 64; ++j) {
        double sum = 0.0;
        for (int64_t i = 0; i < r.dim; ++i) sum += static_cast<double>(users[u * r.dim + i]) * panels[(p * r.dim + i) * 64 + j];
        out.panelReference.push_back(sum);
      }
  // softmax of 0.7 × the row dots' reference values (as floats)
  double top = -1e300, total = 0.0;
  for (double v : out.rowDotsReference) top = std::max(top, 0.7 * static_cast<float>(v));
  for (double v : out.rowDotsReference) total += std::exp(0.7 * static_cast<float>(v) - top);
  for (double v : out.rowDotsReference) out.softmaxReference.push_back(std::exp(0.7 * static_cast<float>(v) - top) / total);
  // gelu of the rows' values spread to ±12 and beyond, where erf saturates
  std::vector<float> spread(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    spread[i] = 3.0f * rows[i];
    out.geluReference.push_back(0.5 * spread[i] * (1.0 + std::erf(spread[i] * M_SQRT1_2)));
  }
  // firstAbove chains over `rows` for bars at four quantiles (and +∞: an empty chain)
  std::vector<float> sorted = rows;
  std::sort(sorted.begin(), sorted.end());
  const int64_t n = static_cast<int64_t>(rows.size());
  const std::vector<float> bars = {sorted[0], sorted[n / 2], sorted[n - 1 - n / 10], std::numeric_limits<float>::infinity()};
  for (float bar : bars) {
    for (int64_t i = 0; i < n; ++i)
      if (rows[i] > bar) out.aboveReference.push_back(static_cast<int32_t>(i));
    out.aboveReference.push_back(-1);
  }
  for (const VectorKernelForm& form : vectorKernelForms()) {
    out.forms += (out.forms.empty() ? "" : ",") + std::string(form.name);
    std::vector<float> dots(r.rows), y(r.outputs), Y(kBatch * r.outputs), alone(kBatch * r.outputs), S(kBatch * 64 * P);
    form.rowDots(rows.data(), r.rows, r.dim, h.data(), dots.data());
    form.linearRows(wT.data(), bias.data(), x.data(), r.rows, r.outputs, y.data());
    form.linearBatch(wT.data(), bias.data(), X.data(), kBatch, r.rows, r.outputs, Y.data());
    for (int64_t b = 0; b < kBatch; ++b)
      form.linearRows(wT.data(), bias.data(), X.data() + b * r.rows, r.rows, r.outputs, alone.data() + b * r.outputs);
    form.panelScores(panels.data(), users.data(), kBatch, r.dim, P, S.data());
    std::vector<float> weights(out.rowDotsReference.size());
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<float>(out.rowDotsReference[i]);
    form.softmax(weights.data(), static_cast<int64_t>(weights.size()), 0.7f);
    std::vector<float> activated = spread;
    form.gelu(activated.data(), static_cast<int64_t>(activated.size()));
    for (float bar : bars) {
      for (int64_t i = form.firstAbove(rows.data(), n, bar); i < n; i += 1 + form.firstAbove(rows.data() + i + 1, n - i - 1, bar))
        out.above.push_back(static_cast<int32_t>(i));
      out.above.push_back(-1);
    }
    out.rowDots.insert(out.rowDots.end(), dots.begin(), dots.end());
    out.linearRows.insert(out.linearRows.end(), y.begin(), y.end());
    out.linearBatch.insert(out.linearBatch.end(), Y.begin(), Y.end());
    out.linearBatchAlone.insert(out.linearBatchAlone.end(), alone.begin(), alone.end());
    out.panelScores.insert(out.panelScores.end(), S.begin(), S.end());
    out.softmax.insert(out.softmax.end(), weights.begin(), weights.end());
    out.gelu.insert(out.gelu.end(), activated.begin(), activated.end());
  }
  return out;
}

}  // namespace seqrec
