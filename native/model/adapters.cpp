// Recommender's LoRA adapter operations: add on chosen layers, remove, merge/unmerge, and the
// factor copies behind the PEFT files (lib/adapters/ writes and reads those files; nothing here
// knows their layout). Target selection by suffix or regex happens in TypeScript over
// linearModules(), so the user's regex is always a JavaScript one. Every mutating operation
// runs as an exclusive job in the addon, so no inference call reads the maps while they change.
#include <set>

#include "common/error.h"
#include "common/rng.h"
#include "io/tensor_bytes.h"
#include "model/lora_state.h"
#include "model/recommender.h"

namespace seqrec {

std::vector<LinearModule> Recommender::linearModules() const {
  std::vector<LinearModule> out;
  for (const auto& [name, layer] : net->loraLayers()) {
    LinearModule m;
    m.name = name;
    m.inFeatures = layer->options.in();
    m.outFeatures = layer->options.out();
    out.push_back(m);
  }
  return out;
}

void Recommender::requireAdapter(const std::string& adapter, const char* what) const {
  if (hasAdapter(adapter)) return;
  std::string known;
  for (const auto& [name, record] : adapters_) known += (known.empty() ? "" : ", ") + inQuotes(name);
  throw invalidOption(std::string(what) + ": unknown adapter " + inQuotes(adapter) + " (adapters: " + (known.empty() ? "none" : known) +
                      ")");
}

void Recommender::checkAdapter(const std::string& adapter, const char* what) const {
  if (!adapter.empty()) requireAdapter(adapter, what);
  if (!merged_.empty() && adapter != merged_)
    throw invalidOption(std::string(what) + ": adapter " + inQuotes(merged_) +
                        " is merged into the weights, so only it can be used; "
                        "unmergeAdapter(" +
                        inQuotes(merged_) + ") first");
}

AdapterInfo Recommender::adapterInfo(const std::string& name) const {
  const AdapterRecord& record = adapters_.at(name);
  AdapterInfo info;
  info.name = name;
  info.lora = loraSettings(record.options);
  info.scale = record.options.scale();
  for (const auto& [module, layer] : net->loraLayers()) {
    if (!layer->adapters.count(name)) continue;
    LinearModule m;
    m.name = module;
    m.inFeatures = layer->options.in();
    m.outFeatures = layer->options.out();
    info.modules.push_back(m);
    info.parameters += record.options.bottleneck() || record.options.prefix()
                           ? 2 * record.options.r() * m.outFeatures
                           : record.options.r() * (m.inFeatures + m.outFeatures) + (record.options.dora() ? m.outFeatures : 0);
  }
  return info;
}

AdapterInfo Recommender::addAdapter(const AddAdapterRequest& r) {
  const LoraOptions options = loraOptions(r.name, r.lora);
  if (hasAdapter(r.name)) throw invalidOption("adapter " + inQuotes(r.name) + " already exists; remove it first or choose another name");
  if (r.modules.empty()) throw invalidOption("adapter " + inQuotes(r.name) + " targets no layer");
  std::set<std::string> wanted;
  for (const auto& m : r.modules) {
    if (!wanted.insert(m.name).second) throw invalidOption("adapter " + inQuotes(r.name) + " lists layer " + inQuotes(m.name) + " twice");
  }
  LoraLayers targets;  // in module order
  for (const auto& [module, layer] : net->loraLayers()) {
    if (wanted.erase(module)) targets.emplace_back(module, layer);
  }
  if (!wanted.empty()) throw invalidOption("adapter " + inQuotes(r.name) + ": the model has no linear layer " + inQuotes(*wanted.begin()));
  if (options.prefix()) return addPrefix(r.name, options, targets);
  AdapterRecord record{options, {}};
  for (const auto& [module, layer] : targets) {
    // One generator per layer, seeded from (model seed, adapter, layer): the initial factors do
    // not depend on which other layers are targeted, nor on the order they were listed in.
    at::Generator gen = cpuGenerator(streamSeed(config.seed, RngStream::Lora, 0, fnv1a(r.name + "/" + module)));
    layer->addAdapter(r.name, options, gen);
    record.modules.push_back(module);
  }
  adapters_.emplace(r.name, std::move(record));
  return adapterInfo(r.name);
}

namespace {

// The block whose attention's key layer is `layer`, or null: where a prefix can go.
TransformerBlockImpl* blockOfKeyLayer(TransformerRecImpl& net, const LoraLinearImpl* layer) {
  for (const auto& module : *net.blocks) {
    auto* block = module->as<TransformerBlock>();
    if (block->attention->key.get() == layer) return block;
  }
  return nullptr;
}

}  // namespace

AdapterInfo Recommender::addPrefix(const std::string& name, const LoraOptions& options, const LoraLayers& targets) {
  std::vector<TransformerBlockImpl*> blocks;  // of each target, in order
  for (const auto& [module, layer] : targets) {
    blocks.push_back(blockOfKeyLayer(*net, layer));
    if (!blocks.back())
      throw invalidOption("adapter " + inQuotes(name) + ": a prefix goes on an attention's key layer, not " + inQuotes(module));
  }
  // It starts as the keys and values of P random items, with no position, in each block (Li & Liang's
  // initialisation from real activations): a few extra events every query sees, not noise.
  torch::NoGradGuard noGrad;
  net->eval();
  const int64_t P = options.r(), V = config.numItems, d = config.dim;
  at::Generator gen = cpuGenerator(streamSeed(config.seed, RngStream::Lora, 0, fnv1a(name + "/prefix")));
  torch::Tensor ids =
      (P <= V ? torch::randperm(V, gen, torch::kLong).narrow(0, 0, P) : torch::randint(V, {P}, gen, torch::kLong)) + 1;  // (P)
  torch::Tensor x = net->inputRows(ids.to(device)) * std::sqrt(static_cast<double>(d));                                  // (P, d)
  AdapterRecord record{options, {}};
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto& [module, layer] = targets[t];
    TransformerBlockImpl* block = blocks[t];
    torch::Tensor a = block->postNorm ? x : block->attnNorm(x);  // (P, d) what the block's attention reads
    layer->setAdapter(name, options, block->attention->key(a, generator, ""), block->attention->value(a, generator, ""));  // (P, d) each
    record.modules.push_back(module);
  }
  adapters_.emplace(name, std::move(record));
  return adapterInfo(name);
}

void Recommender::removeAdapter(const std::string& name) {
  requireAdapter(name, "removeAdapter");
  if (merged_ == name) throw invalidOption("removeAdapter: adapter " + inQuotes(name) + " is merged; unmergeAdapter it first");
  for (const auto& [module, layer] : net->loraLayers()) layer->removeAdapter(name);
  adapters_.erase(name);
}

void Recommender::mergeAdapter(const std::string& name) {
  requireAdapter(name, "mergeAdapter");
  const LoraOptions& options = adapters_.at(name).options;
  if (options.bottleneck() || options.prefix())
    throw invalidOption("mergeAdapter: adapter " + inQuotes(name) + " is a " + (options.prefix() ? "prefix" : "bottleneck adapter") +
                        ", which is not a low-rank update of a weight and cannot be merged");
  if (merged_ == name) throw invalidOption("mergeAdapter: adapter " + inQuotes(name) + " is already merged");
  if (!merged_.empty())
    throw invalidOption("mergeAdapter: adapter " + inQuotes(merged_) + " is merged; unmerge it before merging " + inQuotes(name));
  for (const auto& [module, layer] : net->loraLayers())
    if (layer->adapters.count(name)) layer->merge(name);
  merged_ = name;
}

void Recommender::unmergeAdapter(const std::string& name) {
  requireAdapter(name, "unmergeAdapter");
  if (merged_ != name)
    throw invalidOption("unmergeAdapter: adapter " + inQuotes(name) + " is not merged" +
                        (merged_.empty() ? "" : " (" + inQuotes(merged_) + " is)"));
  for (const auto& [module, layer] : net->loraLayers()) layer->unmerge();
  merged_.clear();
}

AdapterState Recommender::exportAdapter(const std::string& name) const {
  requireAdapter(name, "exportAdapter");
  AdapterState state = loraState(name, adapters_.at(name).options, net->loraLayers());
  state.baseHash = baseHash();
  return state;
}

AdapterInfo Recommender::importAdapter(const AdapterState& s, bool replace) {
  const LoraOptions options = loraOptions(s.name, s.lora);
  if (merged_ == s.name) throw invalidOption("importAdapter: adapter " + inQuotes(s.name) + " is merged; unmergeAdapter it first");
  if (hasAdapter(s.name) && !replace)
    throw invalidOption("adapter " + inQuotes(s.name) + " already exists; remove it first or load under another name");
  if (!s.baseHash.empty()) {
    const std::string mine = baseHash();
    if (mine != s.baseHash)
      throw Error(ErrorCode::Checkpoint, "adapter " + inQuotes(s.name) + " was trained on the base with sha256 " + s.baseHash +
                                             ", but this model's base has sha256 " + mine + "; load it onto the model it was made for");
  }
  // Every tensor is checked before anything changes, so a bad file leaves the model as it was.
  const std::map<std::string, LoraFactors> byModule = readLoraFactors(s, net->loraLayers());
  if (options.prefix())
    for (const auto& [module, layer] : net->loraLayers())
      if (byModule.count(module) && !blockOfKeyLayer(*net, layer))
        throw Error(ErrorCode::Checkpoint,
                    "adapter " + inQuotes(s.name) + ": a prefix goes on an attention's key layer, not " + inQuotes(module));
  if (hasAdapter(s.name)) {  // replace: the old factors go
    for (const auto& [module, layer] : net->loraLayers()) layer->removeAdapter(s.name);
    adapters_.erase(s.name);
  }
  AdapterRecord record{options, {}};
  for (const auto& [module, layer] : net->loraLayers()) {
    auto f = byModule.find(module);
    if (f == byModule.end()) continue;
    layer->setAdapter(s.name, options, f->second.A, f->second.B, f->second.magnitude);
    record.modules.push_back(module);
  }
  adapters_.emplace(s.name, std::move(record));
  return adapterInfo(s.name);
}

}  // namespace seqrec
