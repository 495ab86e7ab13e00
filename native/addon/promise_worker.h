// Runs a short native job (ranking, top-K, state copies, parity checks) on libuv's pool and
// settles a Promise with its result converted by the generated toJs, or with a coded error.
// Training does not use this: it gets its own thread (fit_thread.h) so it never parks the pool.
#pragma once
#include <napi.h>

#include <functional>
#include <optional>

#include "addon/generated/glue.h"

namespace seqrec::glue {

template <class Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<Result()> job, std::function<void()> onDone)
      : Napi::AsyncWorker(env, "seqrec"), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)),
        onDone_(std::move(onDone)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      if constexpr (std::is_void_v<Result>) job_();
      else result_.emplace(job_());
    } catch (...) {
      error_ = classifyCurrentException();
      SetError(error_->message);
    }
  }
  void OnOK() override {
    if (onDone_) onDone_();
    if constexpr (std::is_void_v<Result>) deferred_.Resolve(Env().Undefined());
    else deferred_.Resolve(toJs(Env(), *result_));
  }
  void OnError(const Napi::Error&) override {
    if (onDone_) onDone_();
    deferred_.Reject(makeError(Env(), *error_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<Result()> job_;
  std::function<void()> onDone_;
  std::optional<std::conditional_t<std::is_void_v<Result>, int, Result>> result_;
  std::optional<ClassifiedError> error_;
};

// Queue job and return its Promise. onDone runs on the JS thread before the Promise settles.
template <class Result>
Napi::Value runAsync(Napi::Env env, std::function<Result()> job, std::function<void()> onDone = {}) {
  auto* worker = new PromiseWorker<Result>(env, std::move(job), std::move(onDone));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace seqrec::glue
