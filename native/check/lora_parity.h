// Numeric check of LoraLinear (native/model/lora.h) for tests/parity/lora.test.ts: the adapter
// path y = x·Wᵀ + b + s·B(A·x) against the explicit merged-weight form y = x·(W + s·B·A)ᵀ + b,
// both under LibTorch autograd, plus merge (one weight) and unmerge (bit-identical restore).
#pragma once
#include "generated/types.h"

namespace seqrec {

ParityLoraResult loraParity(const ParityLoraRequest& request);

}  // namespace seqrec
