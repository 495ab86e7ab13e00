// Recommender::baseHash: the identity of the base model an adapter belongs to. sha256 over, per
// base parameter in module order: name, NUL, safetensors dtype, NUL, shape as comma-separated
// decimals, NUL, then the raw little-endian bytes. Adapters are not base parameters, and a merged
// adapter is left out by hashing the layer's saved unmerged weight. lib/adapters/ documents the
// same recipe, and tests/parity/lora.test.ts recomputes it with node:crypto from exportState().
#include "io/sha256.h"
#include "io/tensor_bytes.h"
#include "model/recommender.h"

namespace seqrec {

std::string Recommender::baseHash() const {
  std::map<std::string, const torch::Tensor*> unmerged;  // "<module>.weight" → weight without the merged adapter
  for (const auto& [module, layer] : net->loraLayers()) unmerged.emplace(module + ".weight", &layer->baseWeight());
  torch::NoGradGuard noGrad;
  Sha256 sha;
  const char nul = '\0';
  for (const auto& p : net->named_parameters()) {
    auto it = unmerged.find(p.key());
    const torch::Tensor& t = it == unmerged.end() ? p.value() : *it->second;
    std::vector<int64_t> shape;
    const std::vector<uint8_t> bytes = tensorToBytes(t.detach(), &shape);
    std::string dims;
    for (size_t i = 0; i < shape.size(); ++i) dims += (i ? "," : "") + std::to_string(shape[i]);
    sha.update(p.key());
    sha.update(&nul, 1);
    sha.update(safetensorsDtype(t.scalar_type()));
    sha.update(&nul, 1);
    sha.update(dims);
    sha.update(&nul, 1);
    sha.update(bytes.data(), bytes.size());
  }
  return sha.hex();
}

}  // namespace seqrec
