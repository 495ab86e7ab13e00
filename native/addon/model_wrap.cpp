// NativeModel method bodies. All state checks happen here on the JS thread; the work itself runs
// on the training thread (fit) or libuv's pool (everything else that touches tensors).
#include "addon/model_wrap.h"

#include "addon/fit_thread.h"
#include "common/host_memory.h"
#include "addon/promise_worker.h"
#include "model/attention.h"

namespace seqrec::glue {

NativeModel::NativeModel(const Napi::CallbackInfo& info) : NativeModelGlue<NativeModel>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    model_ = std::make_shared<Recommender>(readConstructorArgs(info));
    return info.Env().Undefined();
  });
}

std::shared_ptr<Recommender> NativeModel::usable(const char* what, bool exclusive) {
  if (!model_) throw Error(ErrorCode::Disposed, std::string("NativeModel.") + what + "() after dispose()");
  if (exclusive_)
    throw Error(ErrorCode::Busy, std::string("NativeModel.") + what + "() while " + exclusive_ + "() is running");
  if (exclusive && jobs_ > 0)
    throw Error(ErrorCode::Busy, std::string("NativeModel.") + what + "() while " + std::to_string(jobs_) + " call(s) are in flight");
  return model_;
}

template <class Result>
Napi::Value NativeModel::runJob(Napi::Env env, const char* what, std::function<Result()> job, bool exclusive) {
  ++jobs_;
  if (exclusive) exclusive_ = what;
  Ref();  // keep the JS object (and so this wrapper) alive until the job settles
  return runAsync<Result>(env, std::move(job), [this, exclusive] {
    --jobs_;
    if (exclusive) exclusive_ = nullptr;
    Unref();
  });
}

Napi::Value NativeModel::fit(Napi::Env env, FitRequest&& request, Napi::Function onProgress) {
  std::shared_ptr<Recommender> model = usable("fit", true);
  abort_->store(false);
  exclusive_ = "fit";
  Ref();
  return startFitThread(env, model, std::move(request), onProgress, abort_, [this] {
    exclusive_ = nullptr;
    Unref();
  });
}

bool NativeModel::abortFit(Napi::Env) {
  if (!exclusive_ || std::string(exclusive_) != "fit") return false;
  abort_->store(true);
  return true;
}

Napi::Value NativeModel::rank(Napi::Env env, RankRequest&& request) {
  std::shared_ptr<Recommender> model = usable("rank", false);
  return runJob<std::vector<int32_t>>(env, "rank", [model, r = std::move(request)] { return model->ranks(r); }, false);
}

Napi::Value NativeModel::topK(Napi::Env env, TopKRequest&& request) {
  std::shared_ptr<Recommender> model = usable("topK", false);
  return runJob<TopKResult>(env, "topK", [model, r = std::move(request)] { return model->topK(r); }, false);
}

Napi::Value NativeModel::exportState(Napi::Env env) {
  std::shared_ptr<Recommender> model = usable("exportState", false);
  return runJob<ModelState>(env, "exportState", [model] { return model->exportState(); }, false);
}

Napi::Value NativeModel::importState(Napi::Env env, ModelState&& state) {
  std::shared_ptr<Recommender> model = usable("importState", true);
  return runJob<void>(env, "importState", [model, s = std::move(state)] { model->importState(s); }, true);
}

ModelInfo NativeModel::info(Napi::Env) {
  std::shared_ptr<Recommender> model = usable("info", false);
  ModelInfo out;
  for (const auto& p : model->net->parameters()) out.parameters += p.numel();
  out.device = model->device.str();
  out.sdpa = model->config.useSdpa && hasSdpa();
  out.trainStep = model->trainStep;
  return out;
}

std::vector<LinearModule> NativeModel::linearModules(Napi::Env) {
  return usable("linearModules", false)->linearModules();  // module names and widths never change
}

Napi::Value NativeModel::addAdapter(Napi::Env env, AddAdapterRequest&& request) {
  std::shared_ptr<Recommender> model = usable("addAdapter", true);
  return runJob<AdapterInfo>(env, "addAdapter", [model, r = std::move(request)] { return model->addAdapter(r); }, true);
}

Napi::Value NativeModel::removeAdapter(Napi::Env env, std::string&& name) {
  std::shared_ptr<Recommender> model = usable("removeAdapter", true);
  return runJob<void>(env, "removeAdapter", [model, n = std::move(name)] { model->removeAdapter(n); }, true);
}

Napi::Value NativeModel::mergeAdapter(Napi::Env env, std::string&& name) {
  std::shared_ptr<Recommender> model = usable("mergeAdapter", true);
  return runJob<void>(env, "mergeAdapter", [model, n = std::move(name)] { model->mergeAdapter(n); }, true);
}

Napi::Value NativeModel::unmergeAdapter(Napi::Env env, std::string&& name) {
  std::shared_ptr<Recommender> model = usable("unmergeAdapter", true);
  return runJob<void>(env, "unmergeAdapter", [model, n = std::move(name)] { model->unmergeAdapter(n); }, true);
}

Napi::Value NativeModel::exportAdapter(Napi::Env env, std::string&& name) {
  std::shared_ptr<Recommender> model = usable("exportAdapter", false);
  return runJob<AdapterState>(env, "exportAdapter", [model, n = std::move(name)] { return model->exportAdapter(n); }, false);
}

Napi::Value NativeModel::importAdapter(Napi::Env env, AdapterState&& state, bool&& replace) {
  std::shared_ptr<Recommender> model = usable("importAdapter", true);
  return runJob<AdapterInfo>(env, "importAdapter",
                             [model, s = std::move(state), replace] { return model->importAdapter(s, replace); }, true);
}

Napi::Value NativeModel::baseHash(Napi::Env env) {
  std::shared_ptr<Recommender> model = usable("baseHash", false);
  return runJob<std::string>(env, "baseHash", [model] { return model->baseHash(); }, false);
}

Napi::Value NativeModel::setItemText(Napi::Env env, ItemText&& text) {
  std::shared_ptr<Recommender> model = usable("setItemText", true);
  return runJob<void>(env, "setItemText", [model, t = std::move(text)] { model->setItemText(t); }, true);
}

Napi::Value NativeModel::attachTextEncoder(Napi::Env env, TextTuneRequest&& request) {
  std::shared_ptr<Recommender> model = usable("attachTextEncoder", true);
  return runJob<void>(env, "attachTextEncoder", [model, r = std::move(request)] { model->attachTextEncoder(r); }, true);
}

Napi::Value NativeModel::textEncoderAdapter(Napi::Env env) {
  std::shared_ptr<Recommender> model = usable("textEncoderAdapter", false);
  return runJob<AdapterState>(env, "textEncoderAdapter", [model] { return model->textEncoderAdapter(); }, false);
}

Napi::Value NativeModel::detachTextEncoder(Napi::Env env) {
  std::shared_ptr<Recommender> model = usable("detachTextEncoder", true);
  return runJob<AdapterState>(env, "detachTextEncoder", [model] { return model->detachTextEncoder(); }, true);
}

void NativeModel::dispose(Napi::Env) {
  if (!model_) return;  // idempotent
  usable("dispose", true);
  model_.reset();  // frees parameters and optimizer state (device memory included)
  releaseFreedHostMemory();  // glibc keeps mid-sized frees in its arenas; hand them back now
}

}  // namespace seqrec::glue
