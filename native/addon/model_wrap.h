// The JS-visible NativeModel: owns one Recommender, enforces the object's state machine
// (disposed → E_DISPOSED; training → other calls get E_BUSY; dispose with work in flight →
// E_BUSY) and dispatches work off the JS thread. Argument parsing is generated (NativeModelGlue).
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

#include "addon/generated/glue.h"
#include "model/recommender.h"

namespace seqrec::glue {

class NativeModel : public NativeModelGlue<NativeModel> {
 public:
  explicit NativeModel(const Napi::CallbackInfo& info);

  Napi::Value fit(Napi::Env env, FitRequest&& request, Napi::Function onProgress);
  bool abortFit(Napi::Env env);
  Napi::Value rank(Napi::Env env, RankRequest&& request);
  Napi::Value topK(Napi::Env env, TopKRequest&& request);
  Napi::Value exportState(Napi::Env env);
  Napi::Value importState(Napi::Env env, ModelState&& state);
  ModelInfo info(Napi::Env env);
  void dispose(Napi::Env env);
  // LoRA adapters: operations that change weights or the adapter maps are exclusive jobs (no
  // rank/topK in flight reads them meanwhile); exports and the base hash only read.
  std::vector<LinearModule> linearModules(Napi::Env env);
  Napi::Value addAdapter(Napi::Env env, AddAdapterRequest&& request);
  Napi::Value removeAdapter(Napi::Env env, std::string&& name);
  Napi::Value mergeAdapter(Napi::Env env, std::string&& name);
  Napi::Value unmergeAdapter(Napi::Env env, std::string&& name);
  Napi::Value exportAdapter(Napi::Env env, std::string&& name);
  Napi::Value importAdapter(Napi::Env env, AdapterState&& state, bool&& replace);
  Napi::Value baseHash(Napi::Env env);
  Napi::Value setItemText(Napi::Env env, ItemText&& text);
  // End-to-end text encoder: attach and detach are exclusive (they change what fit and rank read).
  Napi::Value attachTextEncoder(Napi::Env env, TextTuneRequest&& request);
  Napi::Value textEncoderAdapter(Napi::Env env);
  Napi::Value detachTextEncoder(Napi::Env env);

 private:
  // The model, checked usable; exclusive work (fit, importState) also needs no job in flight.
  std::shared_ptr<Recommender> usable(const char* what, bool exclusive);
  // Queue job on the pool, keeping this object alive and counted until it settles. An exclusive
  // job (importState) also refuses every other call meanwhile, as fit does.
  template <class Result>
  Napi::Value runJob(Napi::Env env, const char* what, std::function<Result()> job, bool exclusive);

  std::shared_ptr<Recommender> model_;  // null after dispose()
  std::shared_ptr<std::atomic<bool>> abort_ = std::make_shared<std::atomic<bool>>(false);  // shared with the fit thread
  const char* exclusive_ = nullptr;  // name of the running fit/importState, if any (JS-thread state)
  int jobs_ = 0;                     // pool jobs in flight (JS-thread state)
};

}  // namespace seqrec::glue
