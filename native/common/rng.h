// Seeds of every random stream: one model seed, split by SplitMix64 into independent streams.
// Training randomness is a pure function of (seed, stream, counters), which is what makes a
// resumed run repeat the uninterrupted one and an adapter's initial factors independent of which
// other layers it targets. The stream numbers are part of the checkpoint contract: never renumber.
#pragma once
#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace seqrec {

enum class RngStream : uint64_t {
  Init = 0,            // parameter initialisation (the model's generator at creation)
  EpochOrder = 1,      // (epoch): the user permutation of an epoch
  Mask = 2,            // + epoch, (batch index): BERT4Rec's masked positions
  Dropout = 3,         // + micro-batch, (step): dropout of one micro-batch
  Lora = 0x4C6F5241,   // "LoRA", (fnv1a(adapter/layer)): an adapter's initial factors
  Text = 0x54657874,   // "Text": the end-to-end text encoder's LoRA factors and dropout
  Grow = 0x47726F77,   // "Grow", (V'): the id rows of items that join the catalogue
  Views = 0x56696577,  // "View", (micro-batch): the contrastive views of a micro-batch (train/contrastive.h)
};

// SplitMix64 finaliser: decorrelates (seed, a, b) into the seed of one stream.
uint64_t mixSeed(uint64_t seed, uint64_t a, uint64_t b = 0);
inline uint64_t streamSeed(int64_t seed, RngStream stream, uint64_t offset = 0, uint64_t b = 0) {
  return mixSeed(static_cast<uint64_t>(seed), static_cast<uint64_t>(stream) + offset, b);
}

// FNV-1a: a 64-bit id of a string that, unlike std::hash, is the same in every build.
uint64_t fnv1a(const std::string& s);

// A generator for `device` seeded with `seed`: a fresh CPU generator, or the device's default one.
at::Generator makeGenerator(const c10::Device& device, uint64_t seed);
at::Generator cpuGenerator(uint64_t seed);

}  // namespace seqrec
