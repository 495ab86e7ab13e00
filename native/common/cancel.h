// Cancellation of native work in progress. The addon points each job's thread at the job's flag
// (CancelScope); long loops (ranking batches, encoding batches) call throwIfCancelled() between
// units of work, so a job whose JavaScript environment is ending (worker.terminate(), process exit)
// stops within one unit instead of running to its end. No Node dependency: model/ calls it.
#pragma once
#include <atomic>

namespace seqrec {

// Throws Error(ErrorCode::Aborted) if the flag of the job running on this thread is raised.
void throwIfCancelled();

class CancelScope {
 public:
  explicit CancelScope(const std::atomic<bool>* flag);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  const std::atomic<bool>* previous_;
};

}  // namespace seqrec
