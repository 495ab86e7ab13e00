#include "addon/jobs.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>  // multiset: pool jobs share their environment's flag
#include <vector>

#include "common/cancel.h"
#include "common/openmp_team.h"

namespace seqrec::glue {

// External linkage, not file-local: EnvJobs holds a CompletionFn, and a class outside the anonymous
// namespace may not hold a type built on one inside it (in a unity batch GCC enforces this).
void runCompletion(Napi::Env env, Napi::Function, EnvJobs* jobs, Completion* completion);
using CompletionFn = Napi::TypedThreadSafeFunction<EnvJobs, Completion, runCompletion>;

// The jobs of one environment. Shared by its tickets, so a pool thread finishing a job never
// touches freed memory, whatever the order of teardown.
class EnvJobs {
 public:
  // Raise every job's flag and wait until each ticket is released. Idempotent; any thread.
  void stop() {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_->store(true);
    for (auto* flag : live_) flag->store(true);
    idle_.wait(lock, [this] { return live_.empty(); });
  }
  void add(std::atomic<bool>* flag) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_->load()) flag->store(true);  // a job started during teardown stops at once
    live_.insert(flag);
  }
  void remove(std::atomic<bool>* flag) {
    std::lock_guard<std::mutex> lock(mutex_);
    live_.erase(live_.find(flag));
    if (live_.empty()) idle_.notify_all();
  }
  // Queue a completion for the JS thread unless the environment is ending (the function may be gone).
  void complete(Completion&& completion) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_->load()) return;
    completions_.NonBlockingCall(new Completion(std::move(completion)));
  }

  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  CompletionFn completions_;
  int pending_ = 0;  // submitted, not yet completed (JS-thread state): the function is ref'd while > 0

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_multiset<std::atomic<bool>*> live_;  // the flag of each ticket held
};

namespace {

// A fixed set of threads (libuv's default of 4) shared by all environments.
class Pool {
 public:
  void push(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (threads_.empty())
        for (int i = 0; i < 4; ++i) threads_.emplace_back([this] { loop(); }).detach();
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
      releaseOpenMpTeam();  // see common/openmp_team.h: idle teams on these threads would slow every other
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
};
Pool& pool() {
  static auto* p = new Pool();
  return *p;
}

}  // namespace

void runCompletion(Napi::Env env, Napi::Function, EnvJobs* jobs, Completion* completion) {
  std::unique_ptr<Completion> owned(completion);
  if (!env || jobs->stopping_->load()) return;  // the environment is ending; the Promise can no longer settle
  if (--jobs->pending_ == 0) jobs->completions_.Unref(env);
  try {
    (*owned)(env);
  } catch (const Napi::Error&) {
    // Settling failed because JavaScript can no longer run here; nothing is left to tell.
  }
}

namespace {

// Instance data: the environment's jobs, kept alive by the tickets after the environment goes.
struct EnvData {
  std::shared_ptr<EnvJobs> jobs;
};

std::shared_ptr<EnvJobs> jobsOf(Napi::Env env) {
  return env.GetInstanceData<EnvData>()->jobs;
}

}  // namespace

JobTicket::JobTicket(std::shared_ptr<EnvJobs> jobs, std::shared_ptr<std::atomic<bool>> cancel)
    : jobs_(std::move(jobs)), cancel_(std::move(cancel)) {
  jobs_->add(cancel_.get());
}
JobTicket::~JobTicket() {
  jobs_->remove(cancel_.get());
}

void installJobs(Napi::Env env) {
  auto jobs = std::make_shared<EnvJobs>();
  // Finalised when the environment is torn down (worker.terminate(), the end of a worker or of the
  // main thread's loop): cancel and wait for the jobs before the environment's memory goes.
  jobs->completions_ = CompletionFn::New(
      env, "seqrec-jobs", 0, 1, jobs.get(), [](Napi::Env, EnvJobs* j, EnvJobs*) { j->stop(); }, jobs.get());
  jobs->completions_.Unref(env);  // idle jobs must not keep the process alive
  env.SetInstanceData(new EnvData{std::move(jobs)});
}

std::unique_ptr<JobTicket> registerJob(Napi::Env env, std::shared_ptr<std::atomic<bool>> cancel) {
  return std::make_unique<JobTicket>(jobsOf(env), std::move(cancel));
}

void stopJobs(Napi::Env env) {
  jobsOf(env)->stop();
}

bool jobsStopped(Napi::Env env) {
  return jobsOf(env)->stopping_->load();
}

void submitJob(Napi::Env env, Work work) {
  std::shared_ptr<EnvJobs> jobs = jobsOf(env);
  if (jobs->pending_++ == 0) jobs->completions_.Ref(env);
  auto ticket = std::make_shared<JobTicket>(jobs, jobs->stopping_);
  pool().push([jobs, ticket, work = std::move(work)]() mutable {
    Completion completion;
    {
      CancelScope scope(ticket->cancelFlag());
      completion = work();
    }
    jobs->complete(std::move(completion));
    ticket.reset();  // last: after this the environment may be freed
  });
}

}  // namespace seqrec::glue
