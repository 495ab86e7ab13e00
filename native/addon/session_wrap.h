// The JS-visible NativeSession: owns one Session (model/session.h). NativeModel.recommendSessions
// and recommendSessionsNow hold the model shared and each session exclusive (the generated glue), so a fit or a load cannot change the
// weights under a step; the session notices a model that changed since its cache was built by the model's generation and rebuilds.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/generated/glue.h"
#include "model/session.h"

namespace seqrec::glue {

class NativeModel;

class NativeSession : public NativeSessionGlue<NativeSession> {
 public:
  explicit NativeSession(const Napi::CallbackInfo& info);

  std::vector<int32_t> history(Napi::Env env);
  SessionInfo info(Napi::Env env);
  void dispose(Napi::Env env);
  // The session, for a job over many (NativeModel.recommendSessions; the gate holds this one meanwhile).
  const std::shared_ptr<Session>& session() const { return session_; }

 private:
  std::shared_ptr<Session> session_;  // null after dispose(); a running job holds its own reference
};

}  // namespace seqrec::glue
