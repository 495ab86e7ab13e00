// Recommender::exportState / importState: every parameter and buffer (the item text) as
// "model.<name>". The RNG needs no bytes: dropout and batches are pure functions of (config.seed,
// step). LoRA adapters are not part of it (they are saved apart, in the PEFT layout), and the run
// that trains the model adds its own tensors beside these (train/train_run.h).
#include "common/error.h"
#include "io/tensor_bytes.h"
#include "model/recommender.h"

namespace seqrec {

ModelState Recommender::exportState() const {
  ModelState state;
  for (const auto& p : net->named_parameters()) state.tensors.push_back(tensorEntry("model." + p.key(), p.value()));
  for (const auto& b : net->named_buffers()) state.tensors.push_back(tensorEntry("model." + b.key(), b.value()));  // item text
  return state;
}

void Recommender::importState(const ModelState& state) {
  // Copying into merged weights would leave the saved unmerged copies stale.
  if (!merged_.empty())
    throw Error(ErrorCode::InvalidOption, "importState: adapter \"" + merged_ + "\" is merged into the weights; unmerge it first");
  const NamedTensors saved(state.tensors);
  // Every tensor is read (and checked) before any is copied, so a bad state leaves the model as it was.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)
  for (const auto& p : net->named_parameters()) copies.emplace_back(p.value(), saved.read("model." + p.key(), p.value().sizes().vec()));
  for (const auto& b : net->named_buffers()) copies.emplace_back(b.value(), saved.read("model." + b.key(), b.value().sizes().vec()));
  torch::NoGradGuard noGrad;
  for (auto& [to, from] : copies) to.copy_(from);
}

}  // namespace seqrec
