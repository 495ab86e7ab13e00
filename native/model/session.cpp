#include "model/session.h"

#include <algorithm>

#include "common/cancel.h"
#include "common/error.h"
#include "io/csr_check.h"
#include "model/recommender.h"

namespace seqrec {

TopKResult Session::recommendAll(Recommender& model, const std::vector<std::shared_ptr<Session>>& sessions, const SessionsRequest& r) {
  const size_t b = sessions.size();
  if (r.offsets.size() != b + 1 || r.offsets.front() != 0 || r.offsets.back() != static_cast<int32_t>(r.append.size()))
    throw Error(ErrorCode::InvalidOption, "recommendSessions: offsets must be " + std::to_string(b + 1) + " CSR offsets into append");
  std::vector<std::vector<int32_t>> appends;
  for (size_t i = 0; i < b; ++i) {
    if (r.offsets[i + 1] < r.offsets[i]) throw Error(ErrorCode::InvalidOption, "recommendSessions: offsets must not decrease");
    appends.emplace_back(r.append.begin() + r.offsets[i], r.append.begin() + r.offsets[i + 1]);
  }
  const bool one = b == 1;
  for (size_t i = 0; i < b; ++i) {  // every id checked before any session changes
    Session& s = *sessions[i];
    const std::string which = one ? "" : "sessions[" + std::to_string(i) + "] ";
    if (s.model_ != model.id || !s.checked_) {
      checkItemIds(s.history_, model.config.numItems, which + "session history");
      s.checked_ = true;
    }
    checkItemIds(appends[i], model.config.numItems, which + "append");
  }
  const ListPlan plan = model.planList(r.list, "recommendSessions");
  if (plan.bf16Compute)
    throw Error(ErrorCode::InvalidOption,
                "recommendSessions: compute \"bf16\" is for recommend(); a session's one-position steps run in fp32");
  model.useThreads();
  c10::InferenceMode inference;
  std::vector<size_t> before;  // each session's events before this call
  try {
    std::vector<torch::Tensor> states(b);                // b × (1, d)
    std::vector<std::pair<Session*, int64_t>> stepping;  // (session, events new): their steps go through the decode step together
    const bool decodes = DecodeStep::supports(*model.net, plan.adapter, model.mergedAdapter());
    for (size_t i = 0; i < b; ++i) {
      Session& s = *sessions[i];
      const auto& append = appends[i];
      const auto appended = static_cast<int64_t>(append.size());
      before.push_back(s.history_.size());
      s.history_.insert(s.history_.end(), append.begin(), append.end());
      const auto events = static_cast<int64_t>(s.history_.size());
      const bool fresh = decodes && startsEmpty(model, events - appended, appended);
      if (fresh || (decodes && appended > 0 && s.cacheValid(model, events - appended, events, plan.adapter))) {
        if (fresh) s.startEmpty(model, plan.adapter);
        s.reserve(events, model.config.maxLen);
        stepping.emplace_back(&s, appended);
      } else {
        states[i] = s.state(model, appended, plan.adapter);
      }
    }
    if (!stepping.empty()) stepAll(model, stepping);
    for (size_t i = 0; i < b; ++i)
      if (!states[i].defined()) states[i] = sessions[i]->hidden_;
    // The histories as CSR, for excludeSeen: a lone session's own events, several sessions' copied.
    std::vector<int32_t> offsets{0}, items;
    if (!one)
      for (const auto& s : sessions) {
        items.insert(items.end(), s->history_.begin(), s->history_.end());
        offsets.push_back(static_cast<int32_t>(items.size()));
      }
    else
      offsets.push_back(static_cast<int32_t>(sessions[0]->history_.size()));
    TopKResult result;
    result.k = plan.k;
    model.selectTopK(plan, one ? states[0] : torch::cat(states), offsets.data(), one ? sessions[0]->history_.data() : items.data(), 0,
                     static_cast<int64_t>(b), result);
    return result;
  } catch (...) {
    for (size_t i = 0; i < before.size(); ++i) sessions[i]->undo(before[i]);  // the events go back to the caller (JS)
    throw;
  }
}

void Session::undo(size_t length) {
  history_.resize(length);
  model_ = 0;  // the cache may be half-extended: rebuild it next time
  cache_.clear();
}

bool Session::cacheValid(Recommender& model, int64_t cached, int64_t events, const std::string& adapter) const {
  return model_ == model.id && generation_ == model.generation.load() && adapter_ == adapter && events <= model.config.maxLen &&
         hidden_.defined() && !cache_.empty() && cache_[0].length == cached;
}

// A few events (many go through one LibTorch pass over them all, as a history given at the start does).
bool Session::startsEmpty(Recommender& model, int64_t cached, int64_t appended) {
  return cached == 0 && appended > 0 && appended <= std::min<int64_t>(16, model.config.maxLen);
}

void Session::startEmpty(Recommender& model, const std::string& adapter) {
  cache_ = model.net->newCache(16);
  hidden_ = torch::Tensor();  // (the steps give it)
  model_ = model.id;
  generation_ = model.generation.load();
  adapter_ = adapter;
}

// The cache grows by doubling up to L: a session of a few events holds a few positions, not L.
void Session::reserve(int64_t needed, int64_t L) {
  for (auto& layer : cache_)
    if (layer.keys.size(2) < needed) layer.reserve(std::min(L, std::max<int64_t>(needed, 2 * layer.keys.size(2))));
}

void Session::stepAll(Recommender& model, const std::vector<std::pair<Session*, int64_t>>& stepping) {
  throwIfCancelled();
  const auto step = model.decodeStep();
  std::vector<int32_t> items;
  std::vector<std::vector<KeyValueCache>*> caches;
  std::vector<Session*> rows;
  for (int64_t t = 0;; ++t) {  // the t-th new event of every session that has one, as one batch
    items.clear();
    caches.clear();
    rows.clear();
    for (const auto& [s, appended] : stepping)
      if (t < appended) {
        items.push_back(s->history_[s->history_.size() - static_cast<size_t>(appended - t)]);
        caches.push_back(&s->cache_);
        rows.push_back(s);
      }
    if (rows.empty()) return;
    torch::Tensor h = step->append(items.data(), caches.data(), static_cast<int64_t>(rows.size()));       // (rows, d)
    for (size_t r = 0; r < rows.size(); ++r) rows[r]->hidden_ = h.narrow(0, static_cast<int64_t>(r), 1);  // (1, d)
  }
}

torch::Tensor Session::state(Recommender& model, int64_t appended, const std::string& adapter) {
  const int64_t n = static_cast<int64_t>(history_.size()), L = model.config.maxLen;
  const int32_t offsets[2] = {0, static_cast<int32_t>(n)};
  if (!model.config.startPositions) return model.lastHidden(offsets, history_.data(), 0, 1, adapter);  // nothing to cache
  throwIfCancelled();
  model.net->eval();
  if (cacheValid(model, n - appended, n, adapter)) {  // steps LibTorch runs (recommendAll gives the decode step what it supports)
    if (appended == 0) return hidden_;
    reserve(n, L);
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

bool Session::quick(Recommender& model, int64_t appended, const ListRequest& list) const {
  const auto cached = static_cast<int64_t>(history_.size());  // (the events are not appended yet)
  // a new session's first events step from an empty cache, once the model's decode step is built (off this thread)
  const bool fresh = startsEmpty(model, cached, appended) && model.decodeStepReady();
  return (fresh || cacheValid(model, cached, cached + appended, list.adapter)) && appended <= 8 && list.scoring != "bf16" &&
         model.config.numItems * model.config.dim <= (int64_t{1} << 20) &&
         DecodeStep::supports(*model.net, list.adapter, model.mergedAdapter());
}

bool Session::quickAll(Recommender& model, const std::vector<std::shared_ptr<Session>>& sessions, const SessionsRequest& r) {
  const size_t b = sessions.size();
  if (b > 16 || r.append.size() > 16 || r.offsets.size() != b + 1) return false;  // (malformed offsets: recommendAll says so)
  for (size_t i = 0; i < b; ++i)
    if (r.offsets[i + 1] < r.offsets[i] || !sessions[i]->quick(model, r.offsets[i + 1] - r.offsets[i], r.list)) return false;
  return true;
}

SessionInfo Session::info() const {
  SessionInfo out;
  out.events = static_cast<int64_t>(history_.size());
  out.cachedPositions = model_ != 0 && !cache_.empty() ? cache_[0].length : 0;
  for (const auto& layer : cache_) out.cacheBytes += static_cast<int64_t>(layer.keys.nbytes() + layer.values.nbytes());
  return out;
}

}  // namespace seqrec
