// Model construction, inference (ranks, top-K) and state export/import for checkpoints.
#include "model/recommender.h"

#include <ATen/autocast_mode.h>

#include <cstring>
#include <limits>

#include "common/cancel.h"
#include "common/device.h"
#include "common/error.h"
#include "common/rng.h"
#include "io/csr_check.h"

namespace seqrec {

Recommender::Recommender(const ModelConfig& config_)
    : config(config_), device(parseDevice(config_.device)), generator(makeGenerator(device, streamSeed(config_.seed, RngStream::Init))) {
  if (config.numItems < 1 || config.dim < 1 || config.layers < 1 || config.heads < 1 || config.maxLen < 1 || config.ffnDim < 0 ||
      config.dim % config.heads != 0 || config.threads < 0 || config.textDim < 0 || (config.startPositions && !config.causal) ||
      config.attributes < 0 || !(config.pointwise.empty() || config.pointwise == "rating" || config.pointwise == "like"))
    throw Error(ErrorCode::InvalidOption,
                "ModelConfig needs positive sizes, heads dividing dim, causal attention for startPositions, attributes >= 0 and "
                "pointwise \"\", \"rating\" or \"like\"");
  useThreads();
  net = TransformerRec(TransformerRecOptions(config.numItems, config.dim, config.layers, config.heads, config.maxLen)
                           .ffnDim(config.ffnDim)
                           .dropout(config.dropout)
                           .attnDropout(config.attnDropout)
                           .causal(config.causal)
                           .useSdpa(config.useSdpa)
                           .textDim(config.textDim)
                           .startPositions(config.startPositions)
                           .pointwise(config.pointwise)
                           .attributes(config.attributes));
  net->resetParameters(generator);
  net->to(device);
}

void Recommender::setItemText(const ItemText& text) {
  if (!net->hasText())
    throw Error(ErrorCode::InvalidOption, "setItemText: the model was created without textDim; item text has nowhere to go");
  const int64_t V = config.numItems, T = config.textDim;
  if (text.dim != T || static_cast<int64_t>(text.data.size()) != (V + 1) * T)
    throw Error(ErrorCode::InvalidData, "setItemText: expected (V+1)·T = " + std::to_string(V + 1) + "·" + std::to_string(T) +
                                            " values of width " + std::to_string(T) + ", got " + std::to_string(text.data.size()) +
                                            " of width " + std::to_string(text.dim));
  for (float x : text.data)
    if (!std::isfinite(x)) throw Error(ErrorCode::InvalidData, "setItemText: the text vectors hold NaN or Infinity");
  torch::NoGradGuard noGrad;
  torch::Tensor rows = torch::from_blob(const_cast<float*>(text.data.data()), {V + 1, T}, torch::kFloat).clone();  // (V+1, T)
  rows[0].zero_();                                                                                                 // padding has no text
  net->itemText.narrow(0, 0, V + 1).copy_(rows.to(device));
}

void Recommender::attachTextEncoder(const TextEncoder& encoder, const TextTuneRequest& r) {
  if (!net->hasText()) throw Error(ErrorCode::InvalidOption, "attachTextEncoder: the model was created without textDim");
  if (textTower) throw Error(ErrorCode::InvalidOption, "attachTextEncoder: a text encoder is already attached");
  if (encoder.config().hiddenSize != config.textDim)
    throw Error(ErrorCode::InvalidOption, "attachTextEncoder: the encoder's width " + std::to_string(encoder.config().hiddenSize) +
                                              " is not the model's textDim " + std::to_string(config.textDim));
  useThreads();
  textTower = std::make_unique<TextTower>(encoder, r, net->itemText.size(0), device, streamSeed(config.seed, RngStream::Text));
  textTower->refresh(net->itemText);  // inference and the first step read the encoder's own vectors
}

AdapterState Recommender::textEncoderAdapter() const {
  if (!textTower) throw Error(ErrorCode::InvalidOption, "no text encoder is attached");
  return textTower->adapterState();
}

AdapterState Recommender::detachTextEncoder() {
  AdapterState state = textEncoderAdapter();
  textTower.reset();
  return state;
}

void Recommender::useThreads() const {
  seqrec::useThreads(config.threads);
}

void Recommender::reseed(int64_t step, int64_t microBatch) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(streamSeed(config.seed, RngStream::Dropout, static_cast<uint64_t>(microBatch), static_cast<uint64_t>(step)));
}

namespace {

// Autocast to bf16 on `device` for the scope (on CPUs with AMX, oneDNN's bf16 matmul kernels): linear
// layers, matmuls and attention in bf16, what autocast keeps in fp32 (reductions, norms) in fp32. The
// settings are thread-local and put back on exit.
class Bf16Autocast {
 public:
  Bf16Autocast(bool on, c10::DeviceType device) : on_(on), device_(device) {
    if (!on_) return;
    wasEnabled_ = at::autocast::is_autocast_enabled(device_);
    wasDtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~Bf16Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // the weights' bf16 copies
    at::autocast::set_autocast_enabled(device_, wasEnabled_);
    at::autocast::set_autocast_dtype(device_, wasDtype_);
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  c10::DeviceType device_;
  bool wasEnabled_ = false;
  at::ScalarType wasDtype_ = at::kFloat;
};

}  // namespace

torch::Tensor Recommender::lastHidden(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const std::string& adapter,
                                      bool bf16) {
  const int64_t b = end - begin;
  int64_t L = config.maxLen;
  if (config.startPositions) {  // padding never reaches the events: pad only to the longest history
    int64_t longest = 1;
    for (int64_t i = begin; i < end; ++i) longest = std::max<int64_t>(longest, offsets[i + 1] - offsets[i]);
    L = std::min(L, longest);
  }
  const int64_t keep = config.causal ? L : L - 1;          // bidirectional appends the mask token
  torch::Tensor seq = torch::zeros({b, L}, torch::kLong);  // (b, L) left-padded
  int64_t* row = seq.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i, row += L) {
    const int32_t* hist = items + offsets[begin + i];
    const int64_t n = offsets[begin + i + 1] - offsets[begin + i];
    const int64_t take = std::min(n, keep);
    for (int64_t t = 0; t < take; ++t) row[keep - take + t] = hist[n - take + t];
    if (!config.causal) row[L - 1] = net->maskToken();
  }
  net->eval();
  Bf16Autocast autocast(bf16, device.type());
  return net->forward(seq.to(device), generator, adapter, {}, /*lastOnly=*/true).select(1, 0).to(torch::kFloat);  // (b, d)
}

namespace {

// Users per call up to which exact fp32 top-k on the CPU scans the table (scannedBest) instead of a
// GEMM and bestOfScores: past a few users the GEMM's reuse of each row wins.
constexpr int64_t kScanUsers = 4;

// Score −∞ every item of history rows [begin, end) in s (b, V) CPU fp32, except keep[user] when given.
void excludeHistory(torch::Tensor& s, const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const int32_t* keep) {
  float* data = s.data_ptr<float>();
  const int64_t V = s.size(1);
  for (int64_t i = 0; i < end - begin; ++i)
    for (int32_t e = offsets[begin + i]; e < offsets[begin + i + 1]; ++e) {
      const int32_t item = items[e];
      if (keep && item == keep[begin + i]) continue;
      data[i * V + (item - 1)] = -std::numeric_limits<float>::infinity();
    }
}

}  // namespace

torch::Tensor Recommender::rankScores(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, const int32_t* keep,
                                      const std::string& adapter) {
  torch::Tensor h = lastHidden(offsets, items, begin, end, adapter);                         // (b, d)
  torch::Tensor s = torch::mm(h, net->outputWeight(generator).t()).to(torch::kFloat).cpu();  // (b, V)
  excludeHistory(s, offsets, items, begin, end, keep);
  return s;
}

std::vector<int32_t> Recommender::ranks(const RankRequest& r) {
  checkCsr(r.offsets, r.items, config.numItems, "evalSet");
  checkItemIds(r.targets, config.numItems, "evalSet.targets");
  if (r.offsets.size() != r.targets.size() + 1 || r.batchSize < 1)
    throw Error(ErrorCode::InvalidData, "evalSet needs one target per history and a positive batch size");
  const int64_t n = static_cast<int64_t>(r.targets.size()), V = config.numItems, C = r.numCandidates;
  if (C < 0 || static_cast<int64_t>(r.candidates.size()) != n * C)
    throw Error(ErrorCode::InvalidData, "candidates must hold numCandidates items per evaluated user");
  checkItemIds(r.candidates, config.numItems, "candidates");
  checkAdapter(r.adapter, "rank");
  useThreads();
  c10::InferenceMode inference;
  std::vector<int32_t> out(n);
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t end = std::min(n, begin + r.batchSize);
    torch::Tensor s = rankScores(r.offsets.data(), r.items.data(), begin, end, r.targets.data(), r.adapter);  // (b, V)
    const float* data = s.data_ptr<float>();
    for (int64_t i = 0; i < end - begin; ++i) {
      const float* row = data + i * V;
      const float target = row[r.targets[begin + i] - 1];
      if (!std::isfinite(target)) {
        out[begin + i] = static_cast<int32_t>(V);
        continue;
      }
      int64_t higherOrTied = 0;  // pessimistic ties: every competitor scoring >= the target
      if (C == 0) {
        for (int64_t v = 0; v < V; ++v) higherOrTied += row[v] >= target;  // includes the target itself
      } else {
        const int32_t* negatives = r.candidates.data() + (begin + i) * C;  // (C) sampled, never the target
        higherOrTied = 1;
        for (int64_t c = 0; c < C; ++c) higherOrTied += row[negatives[c] - 1] >= target;
      }
      out[begin + i] = static_cast<int32_t>(higherOrTied);
    }
  }
  return out;
}

std::shared_ptr<const ScoringTable> Recommender::scoringTable(const std::string& precision) {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  const uint64_t now = generation.load();
  if (!scoring_ || scoring_->generation != now) {
    c10::InferenceMode off(false);  // rows may be a view of the item embedding: a normal tensor, not an inference one
    torch::NoGradGuard noGrad;
    net->eval();
    auto table = std::make_shared<ScoringTable>();
    table->generation = now;
    table->rows = net->outputWeight(generator).detach();  // (V, d)
    if (table->rows.device().is_cpu() && table->rows.scalar_type() == torch::kFloat && table->rows.numel() <= (int64_t{1} << 22)) {
      const int64_t V = table->rows.size(0), d = table->rows.size(1), P = (V + 63) / 64;
      torch::Tensor padded = torch::zeros({P * 64, d}, torch::kFloat);  // (64P, d)
      padded.narrow(0, 0, V).copy_(table->rows);
      table->panels = padded.view({P, 64, d}).transpose(1, 2).contiguous();  // (P, d, 64)
    }
    scoring_ = table;
  }
  if ((precision == "bf16" && !scoring_->bf16.defined()) || (precision == "int8" && !scoring_->int8.defined()))
    scoring_ = std::make_shared<ScoringTable>(scoring_->withPrecision(precision));
  return scoring_;
}

std::shared_ptr<const DecodeStep> Recommender::decodeStep() {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  const uint64_t now = generation.load();
  if (!decode_ || decodeGeneration_ != now) {
    c10::InferenceMode off(false);
    net->eval();
    decode_ = std::make_shared<DecodeStep>(*net);
    decodeGeneration_ = now;
  }
  return decode_;
}

bool Recommender::decodeStepReady() {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  return decode_ && decodeGeneration_ == generation.load();
}

ListPlan Recommender::planList(const ListRequest& r, const char* what) {
  const std::string name = what;
  if (r.k < 1) throw Error(ErrorCode::InvalidOption, name + " needs k >= 1, got " + std::to_string(r.k));
  if (r.scoring != "fp32" && r.scoring != "bf16" && r.scoring != "int8")
    throw Error(ErrorCode::InvalidOption, name + ": scoring must be \"fp32\", \"bf16\" or \"int8\", got \"" + r.scoring + "\"");
  if (r.compute != "fp32" && r.compute != "bf16")
    throw Error(ErrorCode::InvalidOption, name + ": compute must be \"fp32\" or \"bf16\", got \"" + r.compute + "\"");
  if (r.scoring == "int8" && !device.is_cpu())
    throw Error(ErrorCode::InvalidOption, name + ": int8 scoring runs on the CPU; use \"bf16\" on " + device.str());
  checkItemIds(r.allow, config.numItems, "allow");
  checkItemIds(r.deny, config.numItems, "deny");
  checkAdapter(r.adapter, what);
  ListPlan plan;
  plan.bf16Compute = r.compute == "bf16";
  plan.k = std::min<int64_t>(r.k, config.numItems);
  plan.excludeSeen = r.excludeSeen;
  plan.adapter = r.adapter;
  plan.scoring = r.scoring;
  if (!r.allow.empty() || !r.deny.empty()) {
    plan.allowed = torch::full({config.numItems}, r.allow.empty(), torch::kBool);  // (V)
    bool* c = plan.allowed.data_ptr<bool>();
    for (int32_t item : r.allow) c[item - 1] = true;
    for (int32_t item : r.deny) c[item - 1] = false;
  }
  if (!r.query.empty()) {  // (1, d): the text query in the model's space, where items' text rows live too
    const int64_t T = config.textDim;
    if (!net->hasText() || static_cast<int64_t>(r.query.size()) != T)
      throw Error(ErrorCode::InvalidOption, name + ": a query needs a model with item text and a vector of its textDim " +
                                                std::to_string(T) + " values, got " + std::to_string(r.query.size()));
    for (float x : r.query)
      if (!std::isfinite(x)) throw Error(ErrorCode::InvalidData, name + ": the query vector holds NaN or Infinity");
    c10::InferenceMode inference;
    torch::Tensor q = torch::from_blob(const_cast<float*>(r.query.data()), {1, T}, torch::kFloat).to(device);  // (1, T)
    torch::Tensor direction = net->textProjection(q.to(net->itemText.dtype()));                                // (1, d)
    const double norm = direction.norm().item<double>();
    if (norm > 0) plan.shift = direction * (r.queryWeight / norm);  // (1, d): unit length times the weight
  }
  plan.table = scoringTable(plan.scoring);
  return plan;
}

void Recommender::selectTopK(const ListPlan& plan, const torch::Tensor& hidden, const int32_t* offsets, const int32_t* items, int64_t begin,
                             int64_t end, TopKResult& out) {
  const int64_t b = end - begin, V = config.numItems, k = plan.k;
  const float minusInf = -std::numeric_limits<float>::infinity();
  torch::Tensor h =
      plan.shift.defined() ? hidden + plan.shift * hidden.norm(2, 1, true) : hidden;  // (b, d): the query counts weight × as much
  const auto filterOf = [&](bool sorted = true) {  // (only ItemFilter::admits needs the excluded ids sorted)
    ItemFilter filter;
    filter.allowed = plan.allowed.defined() ? plan.allowed.data_ptr<bool>() : nullptr;
    filter.excluded.resize(static_cast<size_t>(b));
    if (plan.excludeSeen)
      for (int64_t i = 0; i < b; ++i) {
        auto& ex = filter.excluded[static_cast<size_t>(i)];
        for (int32_t e = offsets[begin + i]; e < offsets[begin + i + 1]; ++e) ex.push_back(items[e] - 1);
        if (sorted) std::sort(ex.begin(), ex.end());
      }
    return filter;
  };
  BestLists best;
  if (plan.scoring != "bf16" && b <= kScanUsers && plan.table->rows.device().is_cpu() && plan.table->rows.scalar_type() == torch::kFloat) {
    best = scannedBest(*plan.table, plan.scoring, h, filterOf(), k);  // a few users: one scan keeps the best k as it goes
  } else if (plan.scoring == "fp32" && plan.table->panels.defined()) {
    torch::Tensor hc = h.to(torch::kFloat).contiguous();  // (b, d)
    best = panelBest(*plan.table, hc.data_ptr<float>(), b, filterOf(false), k);
  } else if (plan.scoring == "fp32") {
    torch::Tensor s = torch::mm(h, plan.table->rows.t()).to(torch::kCPU, torch::kFloat).contiguous();  // (b, V)
    const ItemFilter filter = filterOf(false);
    best = bestOfScores(s.data_ptr<float>(), b, V, V, filter.allowed, filter.excluded.data(), k);
  } else {
    const int64_t C = candidateCount(V, k);
    torch::Tensor candidates = reducedCandidates(*plan.table, plan.scoring, h, filterOf(), C);  // (b, C) CPU, −1 = none
    torch::Tensor ids = candidates.clamp_min(0).to(device);
    torch::Tensor rows = plan.table->rows.index_select(0, ids.flatten()).view({b, C, -1});      // (b, C, d)
    torch::Tensor exact = torch::bmm(rows, h.unsqueeze(2)).squeeze(2).to(torch::kFloat).cpu();  // (b, C)
    exact.masked_fill_(candidates.lt(0), minusInf);
    exact = exact.contiguous();
    best = bestOfScores(exact.data_ptr<float>(), b, C, C, nullptr, nullptr, k);  // (score, candidate slot) pairs
    const int64_t* c = candidates.data_ptr<int64_t>();
    for (int64_t i = 0; i < b; ++i)
      for (auto& [score, slot] : best[static_cast<size_t>(i)]) slot = static_cast<int32_t>(c[i * C + slot]);
  }
  for (const auto& list : best)
    for (int64_t j = 0; j < k; ++j) {
      const bool found = j < static_cast<int64_t>(list.size());  // fewer than k admitted items: 0 and −∞ fill the list
      out.items.push_back(found ? list[static_cast<size_t>(j)].second + 1 : 0);
      out.scores.push_back(found ? list[static_cast<size_t>(j)].first : minusInf);
    }
}

TopKResult Recommender::topK(const TopKRequest& r) {
  checkCsr(r.offsets, r.items, config.numItems, "histories");
  if (r.batchSize < 1) throw Error(ErrorCode::InvalidOption, "topK needs a positive batch size");
  const ListPlan plan = planList(r.list, "topK");
  useThreads();
  c10::InferenceMode inference;
  const int64_t n = static_cast<int64_t>(r.offsets.size()) - 1;
  TopKResult result;
  result.k = plan.k;
  result.items.reserve(n * plan.k);
  result.scores.reserve(n * plan.k);
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t end = std::min(n, begin + r.batchSize);
    selectTopK(plan, lastHidden(r.offsets.data(), r.items.data(), begin, end, plan.adapter, plan.bf16Compute), r.offsets.data(),
               r.items.data(), begin, end, result);
  }
  return result;
}

std::vector<float> Recommender::scoreRows(const std::vector<int32_t>& items) {
  checkItemIds(items, config.numItems, "items");
  const auto table = scoringTable("fp32");
  c10::InferenceMode inference;
  torch::Tensor ids =
      torch::from_blob(const_cast<int32_t*>(items.data()), {static_cast<int64_t>(items.size())}, torch::kInt).to(device, torch::kLong) - 1;
  torch::Tensor rows = table->rows.index_select(0, ids).to(torch::kCPU, torch::kFloat).contiguous();  // (n, d)
  return std::vector<float>(rows.data_ptr<float>(), rows.data_ptr<float>() + rows.numel());
}

std::vector<float> Recommender::perHistory(const HiddenRequest& r, const char* what, int64_t width,
                                           const std::function<torch::Tensor(const torch::Tensor&)>& map) {
  checkCsr(r.offsets, r.items, config.numItems, "histories");
  if (r.batchSize < 1) throw Error(ErrorCode::InvalidOption, std::string(what) + " needs a positive batch size");
  checkAdapter(r.adapter, what);
  useThreads();
  c10::InferenceMode inference;
  const int64_t n = static_cast<int64_t>(r.offsets.size()) - 1;
  std::vector<float> out(static_cast<size_t>(n * width));
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t end = std::min(n, begin + r.batchSize);
    torch::Tensor h = lastHidden(r.offsets.data(), r.items.data(), begin, end, r.adapter);  // (b, d)
    torch::Tensor v = map(h).to(torch::kCPU, torch::kFloat).contiguous();                   // (b, width)
    std::memcpy(out.data() + begin * width, v.data_ptr<float>(), static_cast<size_t>((end - begin) * width) * sizeof(float));
  }
  return out;
}

std::vector<float> Recommender::hiddenStates(const HiddenRequest& r) {
  return perHistory(r, "hidden", config.dim, [](const torch::Tensor& h) { return h; });
}

// Each history's state h (b, d) against its c candidates' rows (b, c, d) of the output table, batch by
// batch: `score` turns them into (b, c) values. What scoreItems and pointwiseScores share.
std::vector<float> Recommender::perCandidate(const ScoreRequest& r, const char* what,
                                             const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& score) {
  checkCsr(r.offsets, r.items, config.numItems, "histories");
  const int64_t n = static_cast<int64_t>(r.offsets.size()) - 1;
  const int64_t c = n > 0 ? static_cast<int64_t>(r.candidates.size()) / n : 0;
  if (r.batchSize < 1 || static_cast<int64_t>(r.candidates.size()) != n * c)
    throw Error(ErrorCode::InvalidData,
                std::string(what) + ": candidates must hold the same number of items for each history, and batchSize >= 1");
  checkItemIds(r.candidates, config.numItems, "candidates");
  checkAdapter(r.adapter, what);
  useThreads();
  c10::InferenceMode inference;
  net->eval();
  torch::Tensor table = net->outputWeight(generator);  // (V, d)
  std::vector<float> out(static_cast<size_t>(n * c));
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t end = std::min(n, begin + r.batchSize), b = end - begin;
    torch::Tensor h = lastHidden(r.offsets.data(), r.items.data(), begin, end, r.adapter);  // (b, d)
    torch::Tensor ids =
        torch::from_blob(const_cast<int32_t*>(r.candidates.data()) + begin * c, {b * c}, torch::kInt).to(device, torch::kLong) - 1;
    torch::Tensor rows = table.index_select(0, ids).view({b, c, -1});       // (b, c, d)
    torch::Tensor s = score(h, rows).to(torch::kFloat).cpu().contiguous();  // (b, c)
    std::memcpy(out.data() + begin * c, s.data_ptr<float>(), static_cast<size_t>(b * c) * sizeof(float));
  }
  return out;
}

std::vector<float> Recommender::scoreItems(const ScoreRequest& r) {
  return perCandidate(r, "scoreItems", [](const torch::Tensor& h, const torch::Tensor& rows) {
    return torch::bmm(rows, h.unsqueeze(2)).squeeze(2);  // (b, c)
  });
}

std::vector<float> Recommender::pointwiseScores(const ScoreRequest& r) {
  if (!net->hasHeads() || !net->heads->hasPointwise())
    throw Error(ErrorCode::InvalidOption, "pointwiseScores: the model was created without a pointwise head");
  return perCandidate(r, "pointwiseScores", [this](const torch::Tensor& h, const torch::Tensor& rows) {
    return net->heads->pointwisePrediction(h.unsqueeze(1), rows);  // (b, c)
  });
}

std::vector<float> Recommender::attributeScores(const HiddenRequest& r) {
  if (!net->hasHeads() || !net->heads->hasAttributes())
    throw Error(ErrorCode::InvalidOption, "attributeScores: the model was created without an attribute head");
  return perHistory(r, "attributeScores", net->heads->options.attributes(), [this](const torch::Tensor& h) {
    return torch::sigmoid(net->heads->attributeLogits(h));  // (b, G)
  });
}

}  // namespace seqrec
