// NativeSession method bodies: each returns the work to run; the gate has already let the call in.
#include "addon/session_wrap.h"

#include "addon/model_wrap.h"

namespace seqrec::glue {

NativeSession::NativeSession(const Napi::CallbackInfo& info) : NativeSessionGlue<NativeSession>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    session_ = std::make_shared<Session>(readConstructorArgs(info).history);
    return info.Env().Undefined();
  });
}

std::vector<int32_t> NativeSession::history(Napi::Env) {
  return session_->history();
}

SessionInfo NativeSession::info(Napi::Env) {
  return session_->info();
}

void NativeSession::dispose(Napi::Env) {
  session_.reset();
}

}  // namespace seqrec::glue
