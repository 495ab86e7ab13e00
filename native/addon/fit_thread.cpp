// Training thread + thread-safe progress function + Promise settlement.
#include "addon/fit_thread.h"

#include <optional>
#include <thread>

#include "addon/generated/glue.h"
#include "addon/jobs.h"
#include "train/trainer.h"

namespace seqrec::glue {

namespace {

struct FitContext {
  std::shared_ptr<Recommender> model;
  std::shared_ptr<TrainRun> run;
  FitRequest request;
  std::shared_ptr<std::atomic<bool>> abort;
  std::unique_ptr<JobTicket> ticket;
  std::function<void()> onDone;
  std::optional<Napi::Promise::Deferred> deferred;
  std::thread thread;
  std::optional<FitResult> result;
  std::optional<ClassifiedError> error;
  std::atomic<bool> finished{false};  // train() returned; false in settle means environment teardown
};

void deliverProgress(Napi::Env env, Napi::Function callback, FitContext*, FitProgress* progress) {
  std::unique_ptr<FitProgress> owned(progress);
  if (!env || !callback || jobsStopped(env)) return;  // the environment is shutting down
  // A raw call: the callback may end the environment itself (process.exit() in a worker), and then
  // Napi::Function::Call would build an Error object where none can be built any more (fatal).
  napi_value arg = toJs(env, *owned);
  napi_value ignored;
  if (napi_call_function(env, env.Undefined(), callback, 1, &arg, &ignored) == napi_pending_exception) {
    // The TypeScript layer catches its users' exceptions; anything else must not kill training.
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

using ProgressFn = Napi::TypedThreadSafeFunction<FitContext, FitProgress, deliverProgress>;

// Normally the thread has ended (its Release was the last reference); at environment teardown
// Node calls this while training still runs: stop it (within one step) and leave JavaScript alone.
void settle(Napi::Env env, FitContext* data, FitContext*) {
  std::unique_ptr<FitContext> ctx(data);
  const bool teardown = !ctx->finished.load();
  ctx->abort->store(true);
  if (ctx->thread.joinable()) ctx->thread.join();
  if (teardown || jobsStopped(env)) return;  // JavaScript is gone (worker.terminate(), process.exit())
  if (ctx->onDone) ctx->onDone();
  if (ctx->error)
    ctx->deferred->Reject(makeError(env, *ctx->error).Value());
  else
    ctx->deferred->Resolve(toJs(env, *ctx->result));
}

}  // namespace

Napi::Value startFitThread(Napi::Env env, std::shared_ptr<Recommender> model, std::shared_ptr<TrainRun> run, FitRequest&& request,
                           Napi::Function onProgress, std::shared_ptr<std::atomic<bool>> abort, std::function<void()> onDone) {
  auto* ctx = new FitContext();
  ctx->model = std::move(model);
  ctx->run = std::move(run);
  ctx->request = std::move(request);
  ctx->ticket = registerJob(env, abort);
  ctx->abort = std::move(abort);
  ctx->onDone = std::move(onDone);
  ctx->deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = ctx->deferred->Promise();
  ProgressFn progress = ProgressFn::New(env, onProgress, "seqrec-fit", 0, 1, ctx, settle, ctx);
  ctx->thread = std::thread([ctx, progress]() mutable {
    TrainHooks hooks;
    hooks.abort = ctx->abort.get();
    hooks.onProgress = [&progress](const FitProgress& p) { progress.NonBlockingCall(new FitProgress(p)); };
    try {
      ctx->result = train(*ctx->model, *ctx->run, ctx->request, hooks);
    } catch (...) {
      ctx->error = classifyCurrentException();
    }
    ctx->finished.store(true);
    progress.Release();   // last reference: the finaliser (settle) runs on the JS thread and joins
    ctx->ticket.reset();  // last: an exit handler waiting for this fit may now let the process go
  });
  return promise;
}

}  // namespace seqrec::glue
