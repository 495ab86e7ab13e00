// Model construction, inference (ranks, top-K) and state export/import for checkpoints.
#include "model/recommender.h"

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
      config.dim % config.heads != 0 || config.threads < 0 || config.textDim < 0)
    throw Error(ErrorCode::InvalidOption, "ModelConfig needs positive sizes and heads dividing dim");
  useThreads();
  net = TransformerRec(TransformerRecOptions(config.numItems, config.dim, config.layers, config.heads, config.maxLen)
                           .ffnDim(config.ffnDim)
                           .dropout(config.dropout)
                           .attnDropout(config.attnDropout)
                           .causal(config.causal)
                           .useSdpa(config.useSdpa)
                           .textDim(config.textDim));
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

torch::Tensor Recommender::lastHidden(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end,
                                      const std::string& adapter) {
  const int64_t L = config.maxLen, b = end - begin;
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
  return net->forward(seq.to(device), generator, adapter, {}, /*lastOnly=*/true).select(1, 0);  // (b, d)
}

torch::Tensor Recommender::scores(const int32_t* offsets, const int32_t* items, int64_t begin, int64_t end, bool excludeSeen,
                                  const int32_t* keep, const std::string& adapter, const torch::Tensor& shift) {
  torch::Tensor h = lastHidden(offsets, items, begin, end, adapter);  // (b, d)
  if (shift.defined()) h = h + shift * h.norm(2, 1, true);            // (b, d): the query counts weight × as much as the history
  torch::Tensor s = torch::mm(h, net->outputWeight(generator).t()).to(torch::kFloat).cpu();  // (b, V)
  if (!excludeSeen) return s;
  float* data = s.data_ptr<float>();
  const int64_t V = config.numItems;
  for (int64_t i = 0; i < end - begin; ++i)
    for (int32_t e = offsets[begin + i]; e < offsets[begin + i + 1]; ++e) {
      const int32_t item = items[e];
      if (keep && item == keep[begin + i]) continue;
      data[i * V + (item - 1)] = -std::numeric_limits<float>::infinity();
    }
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
    torch::Tensor s = scores(r.offsets.data(), r.items.data(), begin, end, true, r.targets.data(), r.adapter);  // (b, V)
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

TopKResult Recommender::topK(const TopKRequest& r) {
  checkCsr(r.offsets, r.items, config.numItems, "histories");
  if (r.k < 1 || r.batchSize < 1) throw Error(ErrorCode::InvalidOption, "topK needs k >= 1 and a positive batch size");
  checkItemIds(r.allow, config.numItems, "allow");
  checkItemIds(r.deny, config.numItems, "deny");
  checkAdapter(r.adapter, "topK");
  // (V) bool, true = may be returned; undefined when every item may
  torch::Tensor candidate;
  if (!r.allow.empty() || !r.deny.empty()) {
    candidate = torch::full({config.numItems}, r.allow.empty(), torch::kBool);
    bool* c = candidate.data_ptr<bool>();
    for (int32_t item : r.allow) c[item - 1] = true;
    for (int32_t item : r.deny) c[item - 1] = false;
  }
  // (1, d): the text query in the model's space, where items' text rows live too
  torch::Tensor shift;
  if (!r.query.empty()) {
    const int64_t T = config.textDim;
    if (!net->hasText() || static_cast<int64_t>(r.query.size()) != T)
      throw Error(ErrorCode::InvalidOption, "topK: a query needs a model with item text and a vector of its textDim " + std::to_string(T) +
                                                " values, got " + std::to_string(r.query.size()));
    for (float x : r.query)
      if (!std::isfinite(x)) throw Error(ErrorCode::InvalidData, "topK: the query vector holds NaN or Infinity");
    c10::InferenceMode inference;
    torch::Tensor q = torch::from_blob(const_cast<float*>(r.query.data()), {1, T}, torch::kFloat).to(device);  // (1, T)
    torch::Tensor direction = net->textProjection(q.to(net->itemText.dtype()));                                // (1, d)
    const double norm = direction.norm().item<double>();
    if (norm > 0) shift = direction * (r.queryWeight / norm);  // (1, d): unit length times the weight
  }
  useThreads();
  c10::InferenceMode inference;
  const int64_t n = static_cast<int64_t>(r.offsets.size()) - 1, k = std::min<int64_t>(r.k, config.numItems);
  TopKResult result;
  result.items.reserve(n * k);
  result.scores.reserve(n * k);
  for (int64_t begin = 0; begin < n; begin += r.batchSize) {
    throwIfCancelled();
    const int64_t end = std::min(n, begin + r.batchSize);
    torch::Tensor s = scores(r.offsets.data(), r.items.data(), begin, end, r.excludeSeen, nullptr, r.adapter, shift);  // (b, V)
    if (candidate.defined()) s.masked_fill_(candidate.logical_not().unsqueeze(0), -std::numeric_limits<float>::infinity());
    auto [values, indices] = s.topk(k, 1);  // (b, K), (b, K)
    const float* vp = values.contiguous().data_ptr<float>();
    const int64_t* ip = indices.contiguous().data_ptr<int64_t>();
    for (int64_t j = 0; j < (end - begin) * k; ++j) {
      const bool excluded = std::isinf(vp[j]) && vp[j] < 0;  // fewer than K unseen items
      result.items.push_back(excluded ? 0 : static_cast<int32_t>(ip[j] + 1));
      result.scores.push_back(vp[j]);
    }
  }
  result.k = k;
  return result;
}

std::vector<float> Recommender::scoreItems(const ScoreRequest& r) {
  checkCsr(r.offsets, r.items, config.numItems, "histories");
  const int64_t n = static_cast<int64_t>(r.offsets.size()) - 1;
  const int64_t c = n > 0 ? static_cast<int64_t>(r.candidates.size()) / n : 0;
  if (r.batchSize < 1 || static_cast<int64_t>(r.candidates.size()) != n * c)
    throw Error(ErrorCode::InvalidData, "scoreItems: candidates must hold the same number of items for each history, and batchSize >= 1");
  checkItemIds(r.candidates, config.numItems, "candidates");
  checkAdapter(r.adapter, "scoreItems");
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
    torch::Tensor rows = table.index_select(0, ids).view({b, c, -1});                                    // (b, c, d)
    torch::Tensor s = torch::bmm(rows, h.unsqueeze(2)).squeeze(2).to(torch::kFloat).cpu().contiguous();  // (b, c)
    std::memcpy(out.data() + begin * c, s.data_ptr<float>(), static_cast<size_t>(b * c) * sizeof(float));
  }
  return out;
}

}  // namespace seqrec
