#include "model/session.h"

#include "common/cancel.h"
#include "common/error.h"
#include "io/csr_check.h"
#include "model/recommender.h"

namespace seqrec {

TopKResult Session::recommend(Recommender& model, const SessionRequest& r) {
  if (model_ != model.id || !checked_) {
    checkItemIds(history_, model.config.numItems, "session history");
    checked_ = true;
  }
  checkItemIds(r.append, model.config.numItems, "append");
  const ListPlan plan = model.planList(r.list, "session.recommend");
  if (plan.bf16Compute)
    throw Error(ErrorCode::InvalidOption,
                "session.recommend: compute \"bf16\" is for recommend(); a session's one-position steps run in fp32");
  model.useThreads();
  c10::InferenceMode inference;
  const size_t before = history_.size();
  history_.insert(history_.end(), r.append.begin(), r.append.end());
  try {
    torch::Tensor h = state(model, static_cast<int64_t>(r.append.size()), plan.adapter);  // (1, d)
    TopKResult result;
    result.k = plan.k;
    const int32_t offsets[2] = {0, static_cast<int32_t>(history_.size())};
    model.selectTopK(plan, h, offsets, history_.data(), 0, 1, result);
    return result;
  } catch (...) {
    history_.resize(before);  // a failed call leaves the events to the caller (JS gives them back to its next call)
    model_ = 0;               // the cache may be half-extended: rebuild it next time
    cache_.clear();
    throw;
  }
}

torch::Tensor Session::state(Recommender& model, int64_t appended, const std::string& adapter) {
  const int64_t n = static_cast<int64_t>(history_.size()), L = model.config.maxLen;
  const int32_t offsets[2] = {0, static_cast<int32_t>(n)};
  if (!model.config.startPositions) return model.lastHidden(offsets, history_.data(), 0, 1, adapter);  // nothing to cache
  throwIfCancelled();
  const bool valid = model_ == model.id && generation_ == model.generation.load() && adapter_ == adapter && n <= L && hidden_.defined() &&
                     !cache_.empty() && cache_[0].length == n - appended;
  model.net->eval();
  // The cache grows by doubling up to L: a session of a few events holds a few positions, not L.
  const auto reserve = [&](int64_t needed) {
    for (auto& layer : cache_)
      if (layer.keys.size(2) < needed) layer.reserve(std::min(L, std::max<int64_t>(needed, 2 * layer.keys.size(2))));
  };
  if (valid) {
    if (appended == 0) return hidden_;
    reserve(n);
    if (DecodeStep::supports(*model.net, adapter, model.mergedAdapter())) {
      const auto step = model.decodeStep();
      for (int64_t i = n - appended; i < n; ++i) hidden_ = step->append(history_[static_cast<size_t>(i)], cache_);
      return hidden_;
    }
    torch::Tensor fresh =
        torch::from_blob(history_.data() + (n - appended), {appended}, torch::kInt).to(model.device, torch::kLong);  // (m)
    hidden_ = model.net->extend(fresh, cache_, model.generator, adapter);                                            // (1, d)
    return hidden_;
  }
  const int64_t take = std::min(n, L);  // the window a recompute reads
  model_ = 0;
  cache_ = model.net->newCache(std::max<int64_t>(16, 2 * take));
  if (take == 0) {
    hidden_ = model.lastHidden(offsets, history_.data(), 0, 1, adapter);  // an empty history: the model's prior; the cache stays empty
  } else {
    torch::Tensor window = torch::from_blob(history_.data() + (n - take), {take}, torch::kInt).to(model.device, torch::kLong);  // (take)
    hidden_ = model.net->extend(window, cache_, model.generator, adapter);                                                      // (1, d)
  }
  if (DecodeStep::supports(*model.net, adapter, model.mergedAdapter())) model.decodeStep();  // built here, off the JS thread
  model_ = model.id;
  generation_ = model.generation.load();
  adapter_ = adapter;
  return hidden_;
}

bool Session::quick(Recommender& model, const SessionRequest& r) const {
  const auto appended = static_cast<int64_t>(r.append.size()), n = static_cast<int64_t>(history_.size()) + appended;
  return model_ == model.id && generation_ == model.generation.load() && adapter_ == r.list.adapter && hidden_.defined() &&
         !cache_.empty() && cache_[0].length == static_cast<int64_t>(history_.size()) && n <= model.config.maxLen && appended <= 8 &&
         r.list.scoring != "bf16" && model.config.numItems * model.config.dim <= (int64_t{1} << 20) &&
         DecodeStep::supports(*model.net, r.list.adapter, model.mergedAdapter());
}

SessionInfo Session::info() const {
  SessionInfo out;
  out.events = static_cast<int64_t>(history_.size());
  out.cachedPositions = model_ != 0 && !cache_.empty() ? cache_[0].length : 0;
  for (const auto& layer : cache_) out.cacheBytes += static_cast<int64_t>(layer.keys.nbytes() + layer.values.nbytes());
  return out;
}

}  // namespace seqrec
