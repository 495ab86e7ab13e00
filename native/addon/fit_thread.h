// Runs train() on a dedicated std::thread (not libuv's small shared pool, which the evaluation
// and file I/O of the same process need). Progress is queued to the JS thread through a
// thread-safe function; when the thread ends, the TSFN finaliser joins it on the JS thread and
// settles the Promise, so no JS object is touched from the training thread. The fit holds a
// JobTicket (jobs.h) on its abort flag, so an ending environment stops it within one step: the
// finaliser, which Node also runs at teardown, raises the flag before it joins.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "generated/types.h"
#include "model/recommender.h"
#include "train/train_run.h"

namespace seqrec::glue {

// onDone runs on the JS thread just before the Promise settles.
Napi::Value startFitThread(Napi::Env env, std::shared_ptr<Recommender> model, std::shared_ptr<TrainRun> run, FitRequest&& request,
                           Napi::Function onProgress, std::shared_ptr<std::atomic<bool>> abort, std::function<void()> onDone);

}  // namespace seqrec::glue
