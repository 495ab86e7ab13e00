// Runs a short native job (ranking, top-K, state copies, parity checks) on the job pool (jobs.h)
// and settles a Promise with its result converted by the generated toJs, or with a coded error.
// Training does not use this: it gets its own thread (fit_thread.h) so it never parks the pool.
#pragma once
#include <napi.h>

#include <functional>
#include <memory>

#include "addon/generated/records.h"
#include "addon/jobs.h"

namespace seqrec::glue {

// Queue job and return its Promise. onDone runs on the JS thread before the Promise settles; if the
// environment ends first, neither runs (nothing is left to tell).
template <class Result>
Napi::Value runAsync(Napi::Env env, std::function<Result()> job, std::function<void()> onDone = {}) {
  auto deferred = std::make_shared<Napi::Promise::Deferred>(Napi::Promise::Deferred::New(env));
  submitJob(env, [deferred, job = std::move(job), onDone = std::move(onDone)]() -> Completion {
    try {
      if constexpr (std::is_void_v<Result>) {
        job();
        return [deferred, onDone](Napi::Env env) {
          if (onDone) onDone();
          deferred->Resolve(env.Undefined());
        };
      } else {
        auto result = std::make_shared<Result>(job());
        return [deferred, onDone, result](Napi::Env env) {
          if (onDone) onDone();
          deferred->Resolve(toJs(env, *result));
        };
      }
    } catch (...) {
      ClassifiedError error = classifyCurrentException();
      return [deferred, onDone, error](Napi::Env env) {
        if (onDone) onDone();
        deferred->Reject(makeError(env, error).Value());
      };
    }
  });
  return deferred->Promise();
}

}  // namespace seqrec::glue
