#include "common/cancel.h"

#include "common/error.h"

namespace seqrec {

namespace {
thread_local const std::atomic<bool>* currentFlag = nullptr;
}

void throwIfCancelled() {
  if (currentFlag && currentFlag->load(std::memory_order_relaxed))
    throw Error(ErrorCode::Aborted, "the call was cancelled because its JavaScript environment is shutting down");
}

CancelScope::CancelScope(const std::atomic<bool>* flag) : previous_(currentFlag) {
  currentFlag = flag;
}
CancelScope::~CancelScope() {
  currentFlag = previous_;
}

}  // namespace seqrec
