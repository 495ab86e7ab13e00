// The state a run carries from one fit() to the next, and through checkpoints: AdamW with its
// moments, the optimizer steps applied, and what the optimizer updates (the base parameters a
// freeze left trainable, one LoRA adapter, or with an attached text encoder its factors too).
// The model (model/recommender.h) knows nothing of it; a change to the model that takes away what
// the optimizer updates ends the run (forgetAdapter, end), and a later fit starts a new one.
#pragma once
#include <memory>
#include <string>

#include "generated/types.h"
#include "model/recommender.h"
#include "train/adamw.h"

namespace seqrec {

class TrainRun {
 public:
  // Start a new run over `groups` at step 0, updating `adapter` ("" = the base).
  void start(std::vector<ParamGroup> groups, const AdamWOptions& options, const std::string& adapter, bool textEncoder);
  // No run: a resume is refused until a fit starts one.
  void end();
  // End the run if it updates adapter `name` (whose factors are going away).
  void forgetAdapter(const std::string& name);

  bool active() const { return optimizer_ != nullptr; }
  // Bytes of the optimizer moments (0 without a run).
  int64_t stateBytes() const;
  AdamW& optimizer() { return *optimizer_; }
  int64_t step() const { return step_; }
  void setStep(int64_t step) { step_ = step; }

  // Add the run to a model's exported state: "optim.<name>.exp_avg|exp_avg_sq" and trainStep.
  // Only a run over base parameters is exported (adapters are saved apart, in the PEFT layout).
  void exportInto(ModelState& state) const;
  // Rebuild the run from an imported state, over the parameters of `model` that have moments
  // (all of them, unless the run froze some), with the saved groups' layout; hyper-parameters
  // come with the next fit. No run when the state holds none.
  void importFrom(const Recommender& model, const ModelState& state);

 private:
  std::unique_ptr<AdamW> optimizer_;  // null: no run
  int64_t step_ = 0;                  // optimizer steps applied
  std::string adapter_;               // what the optimizer updates: "" = base parameters
  bool textEncoder_ = false;          // it also updates an attached text encoder's factors
};

// The model's state with its run's: what a checkpoint holds.
ModelState exportTrained(const Recommender& model, const TrainRun& run);
// Load both. A bad model part changes nothing; a bad run part leaves the new weights and no run.
void importTrained(Recommender& model, TrainRun& run, const ModelState& state);

}  // namespace seqrec
