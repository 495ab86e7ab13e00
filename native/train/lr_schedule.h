// Learning-rate schedule: linear warmup to the peak, then constant, linear or cosine decay to
// minRatio·peak at the last step. step is the 0-based index of the update about to be applied.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace seqrec {

enum class LrDecay { Constant, Linear, Cosine };

struct LrSchedule {
  double peak = 1e-3;
  int64_t warmupSteps = 0;
  int64_t totalSteps = 1;
  LrDecay decay = LrDecay::Cosine;
  double minRatio = 0.0;

  double at(int64_t step) const {
    if (step < warmupSteps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmupSteps);
    if (decay == LrDecay::Constant) return peak;
    const int64_t span = std::max<int64_t>(1, totalSteps - warmupSteps);
    const double progress = std::min(1.0, static_cast<double>(step - warmupSteps) / static_cast<double>(span));
    const double low = peak * minRatio;
    if (decay == LrDecay::Linear) return peak - (peak - low) * progress;
    return low + (peak - low) * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
};

}  // namespace seqrec
