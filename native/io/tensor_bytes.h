// Tensor ↔ raw little-endian bytes with safetensors dtype names ("F32", "BF16", "I64", …).
// Bytes always cross to JS as copies (V8-owned buffers); nothing here aliases tensor memory.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "generated/types.h"

namespace seqrec {

std::string safetensorsDtype(torch::ScalarType type);
torch::ScalarType scalarTypeOf(const std::string& dtype);

// Contiguous CPU copy of t as bytes; shape through `shape`.
std::vector<uint8_t> tensorToBytes(const torch::Tensor& t, std::vector<int64_t>* shape);
// A new CPU tensor of dtype/shape holding a copy of bytes; throws Checkpoint on a size mismatch or
// on a NaN/Inf value (named: checkpoints, adapters and BERT weights all load through here).
torch::Tensor tensorFromBytes(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
                              const std::vector<uint8_t>& bytes);
// A named copy of t (detached) as a TensorEntry.
TensorEntry tensorEntry(const std::string& name, const torch::Tensor& t);

// The tensors of a ModelState by name, read back with their shapes checked (Checkpoint errors).
class NamedTensors {
 public:
  explicit NamedTensors(const std::vector<TensorEntry>& entries);
  bool has(const std::string& name) const { return byName_.count(name) > 0; }
  // A CPU tensor of `name`; Checkpoint when it is absent or not of shape `expected`.
  torch::Tensor read(const std::string& name, const std::vector<int64_t>& expected) const;

 private:
  std::unordered_map<std::string, const TensorEntry*> byName_;
};

}  // namespace seqrec
