// Training scope: names follow the checkpoint ("blocks.0.ffnIn.weight") for base tensors and
// PEFT's parameter names without the wrapper prefix ("blocks.0.ffnIn.lora_A.<adapter>.weight")
// for adapter factors, so optimizer state and fit reports read the same as PEFT's.
#include "train/trainable.h"

#include <set>

#include "common/error.h"

namespace seqrec {

namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Index of the transformer block a parameter belongs to ("blocks.3.…" → 3), -1 for others.
int64_t blockIndex(const std::string& name) {
  if (!startsWith(name, "blocks.")) return -1;
  return std::stoll(name.substr(7, name.find('.', 7) - 7));
}

// Parameters of LayerNorm modules, found by module type rather than by name.
std::set<std::string> normParameters(const TransformerRec& net) {
  std::set<std::string> out;
  for (const auto& m : net->named_modules("", /*include_self=*/false))
    if (m.value()->as<torch::nn::LayerNorm>())
      for (const auto& p : m.value()->named_parameters(/*recurse=*/false)) out.insert(m.key() + "." + p.key());
  return out;
}

}  // namespace

TrainScope trainScope(const Recommender& model, const FitRequest& r) {
  if (!model.mergedAdapter().empty())
    throw invalidOption("fit: adapter \"" + model.mergedAdapter() + "\" is merged into the weights; unmergeAdapter it before training");
  const bool freezing = r.freezeEmbeddings || r.freezeBlocks != 0 || r.biasAndNormOnly;
  TrainScope scope;
  if (!r.adapter.empty()) {
    if (freezing)
      throw invalidOption("fit: freeze options are for base training; training adapter \"" + r.adapter +
                          "\" already freezes the whole base");
    model.checkAdapter(r.adapter, "fit");
    for (const auto& p : model.net->named_parameters()) {
      scope.frozenParameters += p.value().numel();
      ++scope.frozenTensors;
    }
    for (const auto& [module, layer] : model.net->loraLayers()) {
      auto it = layer->adapters.find(r.adapter);
      if (it == layer->adapters.end()) continue;
      scope.trainable.insert(module + ".lora_A." + r.adapter + ".weight", it->second.A);  // (r, in)
      scope.trainable.insert(module + ".lora_B." + r.adapter + ".weight", it->second.B);  // (out, r)
      if (it->second.magnitude.defined())
        scope.trainable.insert(module + ".lora_magnitude_vector." + r.adapter, it->second.magnitude);  // (out) DoRA
    }
    return scope;
  }
  if (r.freezeBlocks < 0 || r.freezeBlocks > model.config.layers)
    throw invalidOption("fit: freezeBlocks must be in [0, " + std::to_string(model.config.layers) + "], got " +
                        std::to_string(r.freezeBlocks));
  const std::set<std::string> norms = r.biasAndNormOnly ? normParameters(model.net) : std::set<std::string>();
  for (const auto& p : model.net->named_parameters()) {
    const std::string& name = p.key();
    const bool frozen = (r.freezeEmbeddings && (startsWith(name, "itemEmbedding.") || startsWith(name, "positionEmbedding.") ||
                                                startsWith(name, "textProjection."))) ||
                        (blockIndex(name) >= 0 && blockIndex(name) < r.freezeBlocks) ||
                        (r.biasAndNormOnly && !endsWith(name, ".bias") && !norms.count(name));
    if (frozen) {
      scope.frozenParameters += p.value().numel();
      ++scope.frozenTensors;
    } else {
      scope.trainable.insert(name, p.value());
    }
  }
  if (scope.trainable.is_empty()) throw invalidOption("fit: the freeze options leave no parameter to train");
  return scope;
}

RequiresGradScope::RequiresGradScope(Recommender& model, const TrainScope& scope) {
  for (const auto& p : model.net->named_parameters()) all_.push_back(p.value());
  for (const auto& [module, layer] : model.net->loraLayers())
    for (auto& [name, adapter] : layer->adapters) {
      all_.push_back(adapter.A);
      all_.push_back(adapter.B);
      if (adapter.magnitude.defined()) all_.push_back(adapter.magnitude);
    }
  for (auto& t : all_) t.requires_grad_(false);
  for (const auto& item : scope.trainable) item.value().requires_grad_(true);
}

RequiresGradScope::~RequiresGradScope() {
  for (auto& t : all_) t.requires_grad_(true);
}

}  // namespace seqrec
