// The JS-visible NativeModel: owns one Recommender and the run that trains it (train/train_run.h). Which calls may overlap is declared in
// bindings/spec.ts and enforced by the generated gate (NativeModelGlue, addon/gated_object.h);
// each method here only says what work to run, on the training thread (fit) or libuv's pool.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

#include "addon/generated/glue.h"
#include "model/recommender.h"
#include "train/train_run.h"

namespace seqrec::glue {

class NativeModel : public NativeModelGlue<NativeModel> {
 public:
  explicit NativeModel(const Napi::CallbackInfo& info);

  Napi::Value fit(Napi::Env env, FitRequest&& request, Napi::Function onProgress, std::function<void()> release);
  bool abortFit(Napi::Env env);
  Job<std::vector<int32_t>> rank(RankRequest&& request);
  Job<std::vector<float>> scoreItems(ScoreRequest&& request);
  Job<std::vector<float>> pointwiseScores(ScoreRequest&& request);
  Job<std::vector<float>> attributeScores(HiddenRequest&& request);
  Job<std::vector<float>> hidden(HiddenRequest&& request);
  Job<std::vector<float>> scoreRows(std::vector<int32_t>&& items);
  Job<TopKResult> topK(TopKRequest&& request);
  Job<TopKResult> recommendSessions(std::vector<NativeSession*>&& sessions, SessionsRequest&& request);
  TopKResult recommendSessionsNow(Napi::Env env, std::vector<NativeSession*>&& sessions, SessionsRequest&& request);
  Job<ModelState> exportState();
  Job<void> importState(ModelState&& state);
  ModelInfo info(Napi::Env env);
  void dispose(Napi::Env env);
  std::vector<LinearModule> linearModules(Napi::Env env);
  Job<AdapterInfo> addAdapter(AddAdapterRequest&& request);
  Job<void> removeAdapter(std::string&& name);
  Job<void> mergeAdapter(std::string&& name);
  Job<void> unmergeAdapter(std::string&& name);
  Job<AdapterState> exportAdapter(std::string&& name);
  Job<AdapterInfo> importAdapter(AdapterState&& state, bool&& replace);
  Job<std::vector<float>> itemRows(std::vector<int32_t>&& items);
  Job<void> setItemRows(ItemRows&& rows);
  Job<void> transferFrom(NativeModel& base);
  Job<void> growItems(int64_t&& items);
  Job<void> setItemText(ItemText&& text);
  Job<std::string> baseHash();
  Job<void> attachTextEncoder(NativeTextEncoder& encoder, TextTuneRequest&& request);
  Job<AdapterState> textEncoderAdapter();
  Job<AdapterState> detachTextEncoder();

  // Every exclusive call may change what the model computes: caches keyed by its generation go stale.
  void exclusiveStarted() {
    if (model_) ++model_->generation;
  }
  // The model, for another object's job that reads it (held shared by the gate meanwhile).
  const std::shared_ptr<Recommender>& recommender() const { return model_; }

 private:
  std::shared_ptr<Recommender> model_;                            // null after dispose(); jobs hold their own reference
  std::shared_ptr<TrainRun> run_ = std::make_shared<TrainRun>();  // what fit carries to the next fit and to checkpoints
  std::shared_ptr<std::atomic<bool>> abort_ = std::make_shared<std::atomic<bool>>(false);  // shared with the fit thread
};

}  // namespace seqrec::glue
