// loraOptions / readLoraFactors / loraState: see lora_state.h.
#include "model/lora_state.h"

#include "common/error.h"
#include "io/tensor_bytes.h"

namespace seqrec {

namespace {

bool endsWith(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}
Error bad(const std::string& message) {
  return Error(ErrorCode::Checkpoint, message);
}

}  // namespace

LoraOptions loraOptions(const std::string& name, const LoraSettings& settings) {
  const auto& [r, alpha, dropout, rslora, dora, bottleneck, prefix] = settings;
  if (name.empty()) throw Error(ErrorCode::InvalidOption, "an adapter name must not be empty");
  if (r < 1) throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + " needs r >= 1, got " + std::to_string(r));
  if (!(alpha > 0.0) || !std::isfinite(alpha))
    throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + " needs a positive finite alpha");
  if (!(dropout >= 0.0 && dropout < 1.0)) throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + " needs dropout in [0, 1)");
  if (dora && bottleneck)
    throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + ": DoRA is a low-rank update, not a bottleneck");
  if (prefix && (dora || bottleneck || dropout > 0.0))
    throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + ": a prefix has no DoRA, bottleneck or dropout");
  return LoraOptions(r, alpha).dropout(dropout).rslora(rslora).dora(dora).bottleneck(bottleneck).prefix(prefix);
}

LoraOptions textEncoderLoraOptions(const std::string& name, const LoraSettings& settings) {
  if (settings.prefix) throw Error(ErrorCode::InvalidOption, "adapter " + inQuotes(name) + ": the text encoder takes no prefix adapter");
  return loraOptions(name, settings);
}

LoraSettings loraSettings(const LoraOptions& options) {
  LoraSettings s;
  s.r = options.r();
  s.alpha = options.alpha();
  s.dropout = options.dropout();
  s.rslora = options.rslora();
  s.dora = options.dora();
  s.bottleneck = options.bottleneck();
  s.prefix = options.prefix();
  return s;
}

std::map<std::string, LoraFactors> readLoraFactors(const AdapterState& s, const LoraLayers& layers) {
  std::map<std::string, LoraLinearImpl*> byName(layers.begin(), layers.end());
  std::map<std::string, LoraFactors> out;
  for (const auto& e : s.tensors) {
    const bool isA = endsWith(e.name, ".lora_A"), isB = endsWith(e.name, ".lora_B"), isM = endsWith(e.name, ".lora_magnitude");
    if (!isA && !isB && !(isM && s.lora.dora))
      throw bad("adapter tensor " + inQuotes(e.name) + " is neither <module>.lora_A nor <module>.lora_B" +
                (s.lora.dora ? " nor <module>.lora_magnitude" : ""));
    const std::string module = e.name.substr(0, e.name.size() - (isM ? 15 : 7));
    auto layer = byName.find(module);
    if (layer == byName.end()) throw bad("adapter tensor " + inQuotes(e.name) + " names no linear layer of this model");
    const LoraLinearOptions& o = layer->second->options;
    const std::vector<int64_t> expected = isM             ? std::vector<int64_t>{o.out()}
                                          : s.lora.prefix ? std::vector<int64_t>{s.lora.r, o.out()}  // keys (A) or values (B)
                                          : isA           ? std::vector<int64_t>{s.lora.r, s.lora.bottleneck ? o.out() : o.in()}
                                                          : std::vector<int64_t>{o.out(), s.lora.r};
    if (e.shape != expected)
      throw bad("adapter tensor " + inQuotes(e.name) + " has shape " + c10::str(c10::IntArrayRef(e.shape)) + ", expected " +
                c10::str(c10::IntArrayRef(expected)) + " (r = " + std::to_string(s.lora.r) + ")");
    torch::Tensor& slot = isM ? out[module].magnitude : isA ? out[module].A : out[module].B;
    if (slot.defined()) throw bad("adapter tensor " + inQuotes(e.name) + " appears twice");
    slot = tensorFromBytes(e.name, e.dtype, e.shape, e.data);
  }
  if (out.empty()) throw bad("adapter " + inQuotes(s.name) + " has no tensors");
  for (const auto& [module, f] : out) {
    if (!f.A.defined() || !f.B.defined())
      throw bad("adapter tensor " + inQuotes(module + (f.A.defined() ? ".lora_B" : ".lora_A")) + " is missing");
    if (s.lora.dora && !f.magnitude.defined()) throw bad("adapter tensor " + inQuotes(module + ".lora_magnitude") + " is missing (DoRA)");
  }
  return out;
}

AdapterState loraState(const std::string& name, const LoraOptions& options, const LoraLayers& layers) {
  AdapterState s;
  s.name = name;
  s.lora = loraSettings(options);
  for (const auto& [module, layer] : layers) {
    auto it = layer->adapters.find(name);
    if (it == layer->adapters.end()) continue;
    s.tensors.push_back(tensorEntry(module + ".lora_A", it->second.A));                                      // (r, in)
    s.tensors.push_back(tensorEntry(module + ".lora_B", it->second.B));                                      // (out, r)
    if (options.dora()) s.tensors.push_back(tensorEntry(module + ".lora_magnitude", it->second.magnitude));  // (out)
  }
  return s;
}

}  // namespace seqrec
