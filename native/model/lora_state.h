// LoRA factors to and from AdapterState tensors, "<module>.lora_A" (r, in) and "<module>.lora_B"
// (out, r), and DoRA's "<module>.lora_magnitude" (out), for any tree of LoraLinear layers: the recommender's adapters (model/adapters.cpp)
// and the text encoder's (model/text_tower.cpp). The PEFT file layout itself is TypeScript's business.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "generated/types.h"
#include "model/lora.h"

namespace seqrec {

struct LoraFactors {
  torch::Tensor A;          // (r, in)
  torch::Tensor B;          // (out, r)
  torch::Tensor magnitude;  // (out) DoRA's m; undefined without DoRA
};

// Options of adapter `name`, checked: r >= 1, alpha positive and finite, dropout in [0, 1) (E_INVALID_OPTION).
LoraOptions loraOptions(const std::string& name, const LoraSettings& settings);
// loraOptions for the BERT text encoder's layers, which take no prefix (E_INVALID_OPTION).
LoraOptions textEncoderLoraOptions(const std::string& name, const LoraSettings& settings);
// The settings of options, as records carry them.
LoraSettings loraSettings(const LoraOptions& options);

// The factors of state.tensors by module, every tensor checked against `layers` and state.lora.r first
// (a name that is not <module>.lora_A|B of a layer, a wrong shape, a repeat, a missing half, no
// tensors at all): E_CHECKPOINT naming the tensor, before anything changes.
std::map<std::string, LoraFactors> readLoraFactors(const AdapterState& state, const LoraLayers& layers);

// Adapter `name` as an AdapterState: its options and copies of its factors on every layer that has
// it, in module order (baseHash left empty: what it covers is the owner's business).
AdapterState loraState(const std::string& name, const LoraOptions& options, const LoraLayers& layers);

}  // namespace seqrec
