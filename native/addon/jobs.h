// Where native work runs, and how it ends when its JavaScript environment ends.
//
// Short calls (ranking, top-K, state copies, encoding) run on a small process-wide pool of threads
// and settle their Promise on the JS thread through the environment's thread-safe function; a fit
// runs on its own thread (fit_thread.h). Every job holds a JobTicket: a cancel flag registered with
// its environment.
//
// Why not libuv's pool (Napi::AsyncWorker): when a worker thread is terminated, Node waits for each
// of its libuv jobs to finish before any addon hook runs, so a long ranking would hold terminate()
// up with no way to cancel it. And on the main thread process.exit() runs no addon hook at all: it
// calls exit(), whose static destructors take LibTorch down under a thread still using it (SIGSEGV;
// an atexit handler is too late, as LibTorch's lazily built statics are destroyed before it runs).
// So an environment that ends (its thread-safe function is finalised during teardown) raises the
// flag of each of its jobs and waits for them, and so does stopJobs(), which the loader calls from
// the process 'exit' event. Jobs poll the flag between units of work (common/cancel.h), so either
// wait is one unit (one training step, one batch) long.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

namespace seqrec::glue {

class EnvJobs;

// A job's registration with its environment; releasing it (destruction) tells a waiting shutdown
// that the job is done with every native resource.
class JobTicket {
 public:
  JobTicket(std::shared_ptr<EnvJobs> jobs, std::shared_ptr<std::atomic<bool>> cancel);
  ~JobTicket();
  JobTicket(const JobTicket&) = delete;
  JobTicket& operator=(const JobTicket&) = delete;
  const std::atomic<bool>* cancelFlag() const { return cancel_.get(); }

 private:
  std::shared_ptr<EnvJobs> jobs_;
  std::shared_ptr<std::atomic<bool>> cancel_;
};

// On the JS thread, once the work is done: settle the Promise. Never runs if the environment ends first.
using Completion = std::function<void(Napi::Env)>;
// On a pool thread: the work itself; returns what to do on the JS thread.
using Work = std::function<Completion()>;

// Once per environment, from the module's init: the thread-safe function and the teardown hook.
void installJobs(Napi::Env env);

// A ticket for a job of this environment whose cancel flag is `cancel` (raised at teardown).
std::unique_ptr<JobTicket> registerJob(Napi::Env env, std::shared_ptr<std::atomic<bool>> cancel);

// Cancel and wait for every job of this environment (JS thread: the 'exit' event of process.exit()).
// Also the generated free function stopJobs() of bindings/spec.ts.
void stopJobs(Napi::Env env);

// True once the environment's jobs were stopped: JavaScript may no longer run, so callbacks still
// queued (progress, completions) must not touch it (creating even an error object would be fatal).
bool jobsStopped(Napi::Env env);

// Run `work` on the pool with the environment's shutdown flag as its cancel flag (JS thread only).
void submitJob(Napi::Env env, Work work);

}  // namespace seqrec::glue
