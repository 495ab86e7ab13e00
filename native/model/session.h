// A user's live session over one model: the events so far and, for causal models with start-anchored
// positions, every block's keys and values for them, so appending an event costs one position
// instead of a pass over the whole history. The cache is used only while it is exactly what a full
// recompute would build: same model, same generation (model/recommender.h), same adapter, and no
// more events than the window (L) holds. Otherwise the session rebuilds it from its events: once a
// session outgrows L, each append moves the window and costs a full pass, as a recompute does.
// Models that cannot cache (end-anchored positions, bidirectional) recompute on every call.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "generated/types.h"
#include "model/attention.h"

namespace seqrec {

class Recommender;

class Session {
 public:
  explicit Session(std::vector<int32_t> history) : history_(std::move(history)) {}

  // Append each session's events (every id checked first: nothing changes on a bad one), then the
  // top-K list of each of these distinct sessions, one list request for all: the sessions' steps
  // together (model/decode_step.h), then one scoring pass over their b states (b rows of the
  // result). Any failure leaves every session as it was. Runs while the model is held shared.
  static TopKResult recommendAll(Recommender& model, const std::vector<std::shared_ptr<Session>>& sessions, const SessionsRequest& request);
  // Whether recommendAll would cost no more than a fraction of a millisecond, what may run on the JS
  // thread: every session quick (below), at most 16 of them and 16 new events in all (the steps of a
  // batch share each weight read).
  static bool quickAll(Recommender& model, const std::vector<std::shared_ptr<Session>>& sessions, const SessionsRequest& request);
  const std::vector<int32_t>& history() const { return history_; }
  SessionInfo info() const;

 private:
  // Whether appending `appended` events and listing would cost no more than a few one-position steps
  // on a valid cache (or a new session's empty one) and an exact scoring pass over a small table
  // (V·d ≤ 2^20): tens of µs.
  bool quick(Recommender& model, int64_t appended, const ListRequest& list) const;
  // (1, d) the state after the last event, from the cache when it is valid, `appended` events new.
  torch::Tensor state(Recommender& model, int64_t appended, const std::string& adapter);
  // Whether the cache is exactly what a recompute of the first `cached` events would build, for this
  // model, generation and adapter, and `events` events (those and the new ones) still fit the window.
  bool cacheValid(Recommender& model, int64_t cached, int64_t events, const std::string& adapter) const;
  // Whether `appended` new events (a few) on no earlier ones step from an empty cache (startEmpty), as
  // later events step from a full one: a new session's first events, with no pass through LibTorch.
  static bool startsEmpty(Recommender& model, int64_t cached, int64_t appended);
  // An empty cache for this model, generation and adapter, its first events still to step into it.
  void startEmpty(Recommender& model, const std::string& adapter);
  // Room in every block's cache for `needed` positions (at most L).
  void reserve(int64_t needed, int64_t L);
  // The new events of each (session, events new) pair through the model's decode step, the t-th event
  // of every session in one batch: each session's cache and state (hidden_) move to its last event.
  static void stepAll(Recommender& model, const std::vector<std::pair<Session*, int64_t>>& stepping);
  // Forget the events past the first `length` and the cache (a failed call keeps none of its events).
  void undo(size_t length);

  std::vector<int32_t> history_;
  std::vector<KeyValueCache> cache_;  // one per block; empty when not cached
  torch::Tensor hidden_;              // (1, d) state after history_, valid with the cache
  uint64_t model_ = 0;                // Recommender::id of the model the cache was built by (0 = none)
  uint64_t generation_ = 0;           // … at which generation
  std::string adapter_;               // … with which adapter
  bool checked_ = false;              // history_ checked against model_'s catalogue
};

}  // namespace seqrec
