// The state machine of every JS-visible native object, in one place: which calls may overlap.
// bindings/spec.ts declares each method's access and the generated glue (addon/generated/glue.h)
// runs it through this gate, so hand-written methods never count jobs or check disposal:
//   shared     may run alongside other shared calls (ranking, top-K, encoding, exports)
//   exclusive  runs alone: refused while anything is in flight, and refuses everything while it
//              runs (fit, loading weights, adding or merging adapters)
//   any        always allowed, even after dispose (abortFit)
//   dispose    idempotent; refused while anything is in flight
// All of it is JS-thread state: jobs enter when called and leave when their Promise settles.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "addon/promise_worker.h"
#include "common/error.h"

namespace seqrec::glue {

enum class Access { Shared, Exclusive, Any, Dispose };

class JobGate {
 public:
  explicit JobGate(const char* cls) : cls_(cls) {}

  // Throws E_DISPOSED after dispose, E_BUSY when a call of this access may not start now.
  void check(const char* method, Access access) const {
    if (access == Access::Any) return;
    if (closed_) throw Error(ErrorCode::Disposed, name(method) + " after dispose()");
    if (exclusive_) throw Error(ErrorCode::Busy, name(method) + " while " + exclusive_ + "() is running");
    if ((access == Access::Exclusive || access == Access::Dispose) && jobs_ > 0)
      throw Error(ErrorCode::Busy, name(method) + " while " + std::to_string(jobs_) + " call(s) are in flight");
  }
  void enter(const char* method, Access access) {
    check(method, access);
    ++jobs_;
    if (access == Access::Exclusive) exclusive_ = method;
  }
  void leave(Access access) {
    --jobs_;
    if (access == Access::Exclusive) exclusive_ = nullptr;
  }
  // false when already disposed (dispose is idempotent); E_BUSY while calls are in flight.
  bool close(const char* method) {
    if (closed_) return false;
    check(method, Access::Dispose);
    closed_ = true;
    return true;
  }
  // The exclusive call running now, or nullptr.
  const char* exclusive() const { return exclusive_; }

 private:
  std::string name(const char* method) const { return std::string(cls_) + "." + method + "()"; }
  const char* cls_;
  const char* exclusive_ = nullptr;
  int jobs_ = 0;
  bool closed_ = false;
};

// Whether value is an object tagged `tag` (napi_type_tag_object): what makes an object argument safe to unwrap.
inline bool hasTypeTag(const Napi::Value& value, const napi_type_tag& tag) {
  bool tagged = false;
  return value.IsObject() && napi_check_object_type_tag(value.Env(), value, &tag, &tagged) == napi_ok && tagged;
}

// Base of every generated <Class>Glue: the ObjectWrap plus its gate, and the two ways a gated call
// runs off the JS thread. The object stays referenced (alive) until each of its jobs settles.
template <class Derived>
class GatedObject : public Napi::ObjectWrap<Derived> {
 public:
  // Count a job of another object that reads this one as a shared call of this one (E_DISPOSED /
  // E_BUSY as for a call of its own named `by`), until the returned function runs (JS thread).
  // Called when an exclusive call is let in (before its work starts); objects with caches override it.
  void exclusiveStarted() {}

  std::function<void()> holdShared(const char* by) { return hold(by, Access::Shared); }
  // The same as an exclusive call of this one: for a job over many such objects (each of them alone).
  std::function<void()> holdExclusive(const char* by) {
    auto release = hold(by, Access::Exclusive);
    static_cast<Derived*>(this)->exclusiveStarted();
    return release;
  }

 protected:
  GatedObject(const Napi::CallbackInfo& info, const char* cls, const napi_type_tag& tag) : Napi::ObjectWrap<Derived>(info), gate_(cls) {
    NAPI_THROW_IF_FAILED_VOID(info.Env(), napi_type_tag_object(info.Env(), info.This(), &tag));
  }

  // A pool job: make() (JS thread, after the gate let the call in) returns the work to run.
  // `held` (another object this job reads, held shared) is released with it.
  template <class Result, class Make>
  Napi::Value runGated(Napi::Env env, const char* method, Access access, Make&& make, std::function<void()> held = {}) {
    std::function<Result()> job;
    try {
      gate_.enter(method, access);
      if (access == Access::Exclusive) static_cast<Derived*>(this)->exclusiveStarted();
      try {
        job = make();
      } catch (...) {
        gate_.leave(access);
        throw;
      }
    } catch (...) {
      if (held) held();
      throw;
    }
    this->Ref();
    return runAsync<Result>(env, std::move(job), [this, access, held = std::move(held)] {
      gate_.leave(access);
      this->Unref();
      if (held) held();
    });
  }
  // Work on a thread of its own (fit): start(release) starts it and calls release on the JS thread
  // when it has ended.
  template <class Start>
  Napi::Value runGatedThread(const char* method, Access access, Start&& start) {
    gate_.enter(method, access);
    if (access == Access::Exclusive) static_cast<Derived*>(this)->exclusiveStarted();
    this->Ref();
    std::function<void()> release = [this, access] {
      gate_.leave(access);
      this->Unref();
    };
    try {
      return start(release);
    } catch (...) {
      release();
      throw;
    }
  }

  JobGate gate_;

 private:
  std::function<void()> hold(const char* by, Access access) {
    gate_.enter(by, access);
    this->Ref();
    return [this, access] {
      gate_.leave(access);
      this->Unref();
    };
  }
};

// What a hand-written async method returns: the work, to run on the job pool.
template <class Result>
using Job = std::function<Result()>;

}  // namespace seqrec::glue
