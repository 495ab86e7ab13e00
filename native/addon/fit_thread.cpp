// Training thread + thread-safe progress function + Promise settlement.
#include "addon/fit_thread.h"

#include <optional>
#include <thread>

#include "addon/generated/glue.h"
#include "train/trainer.h"

namespace seqrec::glue {

namespace {

struct FitContext {
  std::shared_ptr<Recommender> model;
  FitRequest request;
  std::atomic<bool>* abort = nullptr;
  std::function<void()> onDone;
  std::optional<Napi::Promise::Deferred> deferred;
  std::thread thread;
  std::optional<FitResult> result;
  std::optional<ClassifiedError> error;
};

void deliverProgress(Napi::Env env, Napi::Function callback, FitContext*, FitProgress* progress) {
  std::unique_ptr<FitProgress> owned(progress);
  if (!env || !callback) return;  // the environment is shutting down
  try {
    callback.Call({toJs(env, *owned)});
  } catch (const Napi::Error&) {
    // The TypeScript layer catches its users' exceptions; anything else must not kill training.
  }
}

using ProgressFn = Napi::TypedThreadSafeFunction<FitContext, FitProgress, deliverProgress>;

void settle(Napi::Env env, FitContext* data, FitContext*) {
  std::unique_ptr<FitContext> ctx(data);
  if (ctx->thread.joinable()) ctx->thread.join();
  if (ctx->onDone) ctx->onDone();
  if (ctx->error) ctx->deferred->Reject(makeError(env, *ctx->error).Value());
  else ctx->deferred->Resolve(toJs(env, *ctx->result));
}

}  // namespace

Napi::Value startFitThread(Napi::Env env, std::shared_ptr<Recommender> model, FitRequest&& request,
                           Napi::Function onProgress, std::atomic<bool>* abort, std::function<void()> onDone) {
  auto* ctx = new FitContext();
  ctx->model = std::move(model);
  ctx->request = std::move(request);
  ctx->abort = abort;
  ctx->onDone = std::move(onDone);
  ctx->deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = ctx->deferred->Promise();
  ProgressFn progress = ProgressFn::New(env, onProgress, "seqrec-fit", 0, 1, ctx, settle, ctx);
  ctx->thread = std::thread([ctx, progress]() mutable {
    TrainHooks hooks;
    hooks.abort = ctx->abort;
    hooks.onProgress = [&progress](const FitProgress& p) { progress.NonBlockingCall(new FitProgress(p)); };
    try {
      ctx->result = train(*ctx->model, ctx->request, hooks);
    } catch (...) {
      ctx->error = classifyCurrentException();
    }
    progress.Release();  // last reference: the finaliser (settle) runs on the JS thread
  });
  return promise;
}

}  // namespace seqrec::glue
