// Recommender::exportState / importState: parameters as "model.<name>", optimizer moments as
// "optim.<name>.exp_avg|exp_avg_sq", and the run's step counter. The RNG needs no bytes: dropout
// and batches are pure functions of (config.seed, step), both of which travel with the state.
// LoRA adapters are not part of it (they are saved apart, in the PEFT layout): the optimizer is
// exported only while it updates base parameters, and then only for the ones a freeze left
// trainable, which is also the set importState rebuilds it with.
#include <unordered_map>

#include "common/error.h"
#include "io/tensor_bytes.h"
#include "model/recommender.h"

namespace seqrec {

ModelState Recommender::exportState() const {
  ModelState state;
  for (const auto& p : net->named_parameters()) state.tensors.push_back(tensorEntry("model." + p.key(), p.value()));
  for (const auto& b : net->named_buffers()) state.tensors.push_back(tensorEntry("model." + b.key(), b.value()));  // item text
  const bool baseOptimizer = optimizer && optimizerAdapter.empty() && !textTower;  // not the encoder's factors
  if (baseOptimizer)
    for (const auto& [name, t] : optimizer->stateTensors()) state.tensors.push_back(tensorEntry("optim." + name, t));
  state.hasOptimizer = baseOptimizer;
  state.trainStep = trainStep;
  return state;
}

void Recommender::importState(const ModelState& state) {
  std::unordered_map<std::string, const TensorEntry*> byName;
  for (const auto& e : state.tensors) byName[e.name] = &e;
  auto load = [&](const std::string& name, const std::vector<int64_t>& expected) {
    auto it = byName.find(name);
    if (it == byName.end()) throw Error(ErrorCode::Checkpoint, "checkpoint has no tensor \"" + name + "\"");
    const TensorEntry& e = *it->second;
    if (e.shape != expected)
      throw Error(ErrorCode::Checkpoint, "tensor \"" + name + "\" has shape " + c10::str(c10::IntArrayRef(e.shape)) +
                                             ", the model expects " + c10::str(c10::IntArrayRef(expected)));
    return tensorFromBytes(name, e.dtype, e.shape, e.data);
  };
  // Copying into merged weights would leave the saved unmerged copies stale.
  if (!merged_.empty())
    throw Error(ErrorCode::InvalidOption, "importState: adapter \"" + merged_ + "\" is merged into the weights; unmerge it first");
  torch::NoGradGuard noGrad;
  for (auto& p : net->named_parameters()) p.value().copy_(load("model." + p.key(), p.value().sizes().vec()));
  for (auto& b : net->named_buffers()) b.value().copy_(load("model." + b.key(), b.value().sizes().vec()));
  optimizer.reset();
  optimizerAdapter.clear();
  trainStep = 0;
  if (!state.hasOptimizer) return;
  // Recreate the optimizer over the parameters that have moments (all of them, unless the run
  // froze some) with the saved groups' layout; hyper-parameters come with the next fit.
  torch::OrderedDict<std::string, torch::Tensor> trained;
  for (const auto& p : net->named_parameters())
    if (byName.count("optim." + p.key() + ".exp_avg")) trained.insert(p.key(), p.value());
  if (trained.is_empty()) throw Error(ErrorCode::Checkpoint, "checkpoint says it holds optimizer state but has no optim.* tensor");
  optimizer = std::make_unique<AdamW>(decayGroups(trained), AdamWOptions());
  std::vector<std::pair<std::string, torch::Tensor>> moments;
  for (const auto& [name, t] : optimizer->stateTensors()) moments.emplace_back(name, load("optim." + name, t.sizes().vec()));
  optimizer->loadState(state.trainStep, moments);
  trainStep = state.trainStep;
}

}  // namespace seqrec
