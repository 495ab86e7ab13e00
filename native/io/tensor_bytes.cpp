// Dtype naming follows the safetensors spec, so state crosses to lib/io/safetensors.ts unchanged.
#include "io/tensor_bytes.h"

#include <cmath>
#include <cstring>

#include "common/error.h"

namespace seqrec {

std::string safetensorsDtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat:
      return "F32";
    case torch::kDouble:
      return "F64";
    case torch::kHalf:
      return "F16";
    case torch::kBFloat16:
      return "BF16";
    case torch::kLong:
      return "I64";
    case torch::kInt:
      return "I32";
    case torch::kByte:
      return "U8";
    case torch::kBool:
      return "BOOL";
    default:
      throw Error(ErrorCode::Native, std::string("no safetensors dtype for ") + c10::toString(type));
  }
}

torch::ScalarType scalarTypeOf(const std::string& dtype) {
  if (dtype == "F32") return torch::kFloat;
  if (dtype == "F64") return torch::kDouble;
  if (dtype == "F16") return torch::kHalf;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "I64") return torch::kLong;
  if (dtype == "I32") return torch::kInt;
  if (dtype == "U8") return torch::kByte;
  if (dtype == "BOOL") return torch::kBool;
  throw Error(ErrorCode::Checkpoint, "unsupported tensor dtype \"" + dtype + "\"");
}

std::vector<uint8_t> tensorToBytes(const torch::Tensor& t, std::vector<int64_t>* shape) {
  torch::Tensor cpu = t.detach().to(torch::kCPU).contiguous();
  if (shape) *shape = cpu.sizes().vec();
  const auto* begin = static_cast<const uint8_t*>(cpu.data_ptr());
  return std::vector<uint8_t>(begin, begin + cpu.nbytes());
}

torch::Tensor tensorFromBytes(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
                              const std::vector<uint8_t>& bytes) {
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(scalarTypeOf(dtype)));
  if (t.nbytes() != bytes.size())
    throw Error(ErrorCode::Checkpoint, "tensor \"" + name + "\" has " + std::to_string(bytes.size()) + " bytes, its dtype and shape need " +
                                           std::to_string(t.nbytes()));
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  // A NaN or Inf weight would load silently and turn every score it reaches into NaN.
  if (t.is_floating_point() && t.numel() > 0) {
    torch::Tensor bad = torch::isfinite(t).logical_not_().flatten();  // (n) bool
    const int64_t count = bad.sum().item<int64_t>();
    if (count > 0) {
      const int64_t first = bad.nonzero().index({0, 0}).item<int64_t>();
      const double value = t.flatten()[first].item<double>();
      throw Error(ErrorCode::Checkpoint, "tensor \"" + name + "\" holds " + std::to_string(count) +
                                             " non-finite value(s); the first, at flat index " + std::to_string(first) + ", is " +
                                             (std::isnan(value) ? "NaN"
                                              : value > 0       ? "Inf"
                                                                : "-Inf"));
    }
  }
  return t;
}

TensorEntry tensorEntry(const std::string& name, const torch::Tensor& t) {
  TensorEntry e;
  e.name = name;
  e.dtype = safetensorsDtype(t.scalar_type());
  e.data = tensorToBytes(t.detach(), &e.shape);
  return e;
}

NamedTensors::NamedTensors(const std::vector<TensorEntry>& entries) {
  for (const auto& e : entries) byName_[e.name] = &e;
}

torch::Tensor NamedTensors::read(const std::string& name, const std::vector<int64_t>& expected) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) throw Error(ErrorCode::Checkpoint, "checkpoint has no tensor \"" + name + "\"");
  const TensorEntry& e = *it->second;
  if (e.shape != expected)
    throw Error(ErrorCode::Checkpoint, "tensor \"" + name + "\" has shape " + c10::str(c10::IntArrayRef(e.shape)) + ", the model expects " +
                                           c10::str(c10::IntArrayRef(expected)));
  return tensorFromBytes(name, e.dtype, e.shape, e.data);
}

}  // namespace seqrec
