// Numeric checks of the maths this project writes by hand, each against an independent
// reference computed in the same process: the fused loss vs LibTorch autograd over unfused
// logits and central finite differences; AdamW vs torch::optim::AdamW; SDPA vs explicit
// attention; the dropout mask is checked statistically. The tests (tests/parity/) call these through the addon and compare the arrays.
#pragma once
#include <torch/torch.h>

#include "generated/types.h"

namespace seqrec {

ParityCeResult crossEntropyParity(const ParityCeRequest& request);
ParitySampledLossResult sampledLossParity(const ParitySampledLossRequest& request);
ParityContrastiveResult contrastiveParity(const ParityContrastiveRequest& request);
ParityAdamWResult adamWParity(const ParityAdamWRequest& request);
ParityAttentionResult attentionParity(const ParityAttentionRequest& request);
ParityVectorKernelsResult vectorKernelsParity(const ParityVectorKernelsRequest& request);
// A tensor's values, flattened, as the doubles a check result carries.
std::vector<double> toDoubles(const torch::Tensor& t);
// The CPU dropout mask itself, for the statistical checks of tests/parity/dropout.test.ts.
std::vector<float> dropoutMask(const ParityDropoutRequest& request);

}  // namespace seqrec
