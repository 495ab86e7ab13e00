#include "train/train_run.h"

#include "common/error.h"
#include "io/tensor_bytes.h"

namespace seqrec {

void TrainRun::start(std::vector<ParamGroup> groups, const AdamWOptions& options, const std::string& adapter, bool textEncoder) {
  optimizer_ = std::make_unique<AdamW>(std::move(groups), options);
  step_ = 0;
  adapter_ = adapter;
  textEncoder_ = textEncoder;
}

void TrainRun::end() {
  optimizer_.reset();
  step_ = 0;
  adapter_.clear();
  textEncoder_ = false;
}

int64_t TrainRun::stateBytes() const {
  int64_t bytes = 0;
  if (active())
    for (const auto& [name, t] : optimizer_->stateTensors()) bytes += static_cast<int64_t>(t.nbytes());
  return bytes;
}

void TrainRun::forgetAdapter(const std::string& name) {
  if (active() && adapter_ == name) end();
}

void TrainRun::exportInto(ModelState& state) const {
  const bool base = active() && adapter_.empty() && !textEncoder_;
  if (base)
    for (const auto& [name, t] : optimizer_->stateTensors()) state.tensors.push_back(tensorEntry("optim." + name, t));
  state.hasOptimizer = base;
  state.trainStep = step_;
}

void TrainRun::importFrom(const Recommender& model, const ModelState& state) {
  end();
  if (!state.hasOptimizer) return;
  const NamedTensors saved(state.tensors);
  torch::OrderedDict<std::string, torch::Tensor> trained;
  for (const auto& p : model.net->named_parameters())
    if (saved.has("optim." + p.key() + ".exp_avg")) trained.insert(p.key(), p.value());
  if (trained.is_empty()) throw Error(ErrorCode::Checkpoint, "checkpoint says it holds optimizer state but has no optim.* tensor");
  auto optimizer = std::make_unique<AdamW>(decayGroups(trained), AdamWOptions());
  std::vector<std::pair<std::string, torch::Tensor>> moments;
  for (const auto& [name, t] : optimizer->stateTensors()) moments.emplace_back(name, saved.read("optim." + name, t.sizes().vec()));
  optimizer->loadState(state.trainStep, moments);
  optimizer_ = std::move(optimizer);
  step_ = state.trainStep;
}

ModelState exportTrained(const Recommender& model, const TrainRun& run) {
  ModelState state = model.exportState();
  run.exportInto(state);
  return state;
}

void importTrained(Recommender& model, TrainRun& run, const ModelState& state) {
  model.importState(state);      // all or nothing: a failure leaves the model and its run as they were
  run.importFrom(model, state);  // the run ends first, so a failure here leaves none
}

}  // namespace seqrec
