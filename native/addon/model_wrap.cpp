// NativeModel method bodies: each returns the work to run; the gate has already let the call in.
#include "addon/model_wrap.h"

#include <cstring>

#include "addon/fit_thread.h"
#include "addon/session_wrap.h"
#include "addon/text_encoder_wrap.h"
#include "common/host_memory.h"
#include "model/attention.h"

namespace seqrec::glue {

NativeModel::NativeModel(const Napi::CallbackInfo& info) : NativeModelGlue<NativeModel>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    model_ = std::make_shared<Recommender>(readConstructorArgs(info));
    return info.Env().Undefined();
  });
}

Napi::Value NativeModel::fit(Napi::Env env, FitRequest&& request, Napi::Function onProgress, std::function<void()> release) {
  abort_->store(false);
  return startFitThread(env, model_, run_, std::move(request), onProgress, abort_, std::move(release));
}

bool NativeModel::abortFit(Napi::Env) {
  const char* running = gate_.exclusive();
  if (running == nullptr || std::strcmp(running, "fit") != 0) return false;
  abort_->store(true);
  return true;
}

Job<std::vector<int32_t>> NativeModel::rank(RankRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->ranks(r); };
}

Job<std::vector<float>> NativeModel::scoreItems(ScoreRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->scoreItems(r); };
}
Job<std::vector<float>> NativeModel::pointwiseScores(ScoreRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->pointwiseScores(r); };
}
Job<std::vector<float>> NativeModel::attributeScores(HiddenRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->attributeScores(r); };
}

Job<std::vector<float>> NativeModel::hidden(HiddenRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->hiddenStates(r); };
}

Job<std::vector<float>> NativeModel::scoreRows(std::vector<int32_t>&& items) {
  return [model = model_, i = std::move(items)] { return model->scoreRows(i); };
}

Job<TopKResult> NativeModel::topK(TopKRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->topK(r); };
}

Job<TopKResult> NativeModel::recommendSessions(std::vector<NativeSession*>&& sessions, SessionsRequest&& request) {
  std::vector<std::shared_ptr<Session>> held;
  for (NativeSession* session : sessions) held.push_back(session->session());
  return [model = model_, held = std::move(held), r = std::move(request)] { return Session::recommendAll(*model, held, r); };
}

TopKResult NativeModel::recommendSessionsNow(Napi::Env, std::vector<NativeSession*>&& sessions, SessionsRequest&& request) {
  std::vector<std::shared_ptr<Session>> held;
  for (NativeSession* session : sessions) held.push_back(session->session());
  if (!Session::quickAll(*model_, held, request)) return TopKResult{};  // k = 0: declined, nothing changed
  return Session::recommendAll(*model_, held, request);
}

Job<ModelState> NativeModel::exportState() {
  return [model = model_, run = run_] { return exportTrained(*model, *run); };
}

Job<void> NativeModel::importState(ModelState&& state) {
  return [model = model_, run = run_, s = std::move(state)] { importTrained(*model, *run, s); };
}

ModelInfo NativeModel::info(Napi::Env) {
  ModelInfo out;
  for (const auto& p : model_->net->parameters()) out.parameters += p.numel();
  out.device = model_->device.str();
  out.sdpa = model_->config.useSdpa && hasSdpa();
  out.trainStep = run_->step();
  for (const auto& p : model_->net->parameters()) out.parameterBytes += static_cast<int64_t>(p.nbytes());
  for (const auto& b : model_->net->buffers()) out.parameterBytes += static_cast<int64_t>(b.nbytes());
  out.optimizerBytes = run_->stateBytes();
  return out;
}

std::vector<LinearModule> NativeModel::linearModules(Napi::Env) {
  return model_->linearModules();  // module names and widths never change
}

Job<AdapterInfo> NativeModel::addAdapter(AddAdapterRequest&& request) {
  return [model = model_, r = std::move(request)] { return model->addAdapter(r); };
}

Job<void> NativeModel::removeAdapter(std::string&& name) {
  return [model = model_, run = run_, n = std::move(name)] {
    model->removeAdapter(n);
    run->forgetAdapter(n);
  };
}

Job<void> NativeModel::mergeAdapter(std::string&& name) {
  return [model = model_, n = std::move(name)] { model->mergeAdapter(n); };
}

Job<void> NativeModel::unmergeAdapter(std::string&& name) {
  return [model = model_, n = std::move(name)] { model->unmergeAdapter(n); };
}

Job<AdapterState> NativeModel::exportAdapter(std::string&& name) {
  return [model = model_, n = std::move(name)] { return model->exportAdapter(n); };
}

Job<AdapterInfo> NativeModel::importAdapter(AdapterState&& state, bool&& replace) {
  return [model = model_, run = run_, s = std::move(state), replace] {
    AdapterInfo info = model->importAdapter(s, replace);
    run->forgetAdapter(s.name);  // a replaced adapter's factors are new: a run over the old ones ends
    return info;
  };
}

Job<std::vector<float>> NativeModel::itemRows(std::vector<int32_t>&& items) {
  return [model = model_, i = std::move(items)] { return model->itemRows(i); };
}

Job<void> NativeModel::setItemRows(ItemRows&& rows) {
  return [model = model_, r = std::move(rows)] { model->setItemRows(r); };
}

Job<void> NativeModel::transferFrom(NativeModel& base) {
  return [model = model_, from = base.model_] { model->transferFrom(*from); };
}

Job<void> NativeModel::growItems(int64_t&& items) {
  return [model = model_, run = run_, items] {
    model->growItems(items);
    run->end();  // its moments have the old table's shape
  };
}

Job<void> NativeModel::setItemText(ItemText&& text) {
  return [model = model_, t = std::move(text)] { model->setItemText(t); };
}

Job<std::string> NativeModel::baseHash() {
  return [model = model_] { return model->baseHash(); };
}

Job<void> NativeModel::attachTextEncoder(NativeTextEncoder& encoder, TextTuneRequest&& request) {
  return [model = model_, e = encoder.encoder(), r = std::move(request)] { model->attachTextEncoder(*e, r); };
}

Job<AdapterState> NativeModel::textEncoderAdapter() {
  return [model = model_] { return model->textEncoderAdapter(); };
}

Job<AdapterState> NativeModel::detachTextEncoder() {
  return [model = model_, run = run_] {
    AdapterState state = model->detachTextEncoder();
    run->end();  // its moments include the encoder's factors, which are gone
    return state;
  };
}

void NativeModel::dispose(Napi::Env) {
  model_.reset();  // frees parameters and optimizer state (device memory included)
  run_.reset();
  releaseFreedHostMemory();  // glibc keeps mid-sized frees in its arenas; hand them back now
}

}  // namespace seqrec::glue
