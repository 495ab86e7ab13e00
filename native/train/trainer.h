// The training loop: sample a batch (C++), forward, fused cross-entropy, backward, clip, AdamW,
// with warmup + decay and gradient accumulation. Runs on whatever thread calls it (the addon
// gives it a dedicated one); reports progress through a callback and stops between steps when
// `abort` is set, leaving the model exactly as after its last completed step.
#pragma once
#include <atomic>
#include <functional>

#include "generated/types.h"
#include "model/recommender.h"
#include "train/train_run.h"

namespace seqrec {

struct TrainHooks {
  std::function<void(const FitProgress&)> onProgress;  // called on the training thread
  const std::atomic<bool>* abort = nullptr;
};

// Validates the CSR arrays, then trains `model` in place, starting `run` or (request.resume)
// continuing it. Throws seqrec::Error (NonFinite with the step; InvalidData for bad arrays;
// InvalidOption for a resume with nothing to resume or other parameters than the run's).
FitResult train(Recommender& model, TrainRun& run, FitRequest& request, const TrainHooks& hooks);

}  // namespace seqrec
