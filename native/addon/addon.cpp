// Module entry: registers NativeModel and the free functions (generated glue), and implements
// versions() and the parity-check entry points (thin: the maths is in native/check/).
#include <napi.h>
#include <torch/torch.h>

#include <cstdlib>
#ifdef __linux__
#include <sched.h>
#endif
#include <mutex>
#include <thread>

#include "addon/model_wrap.h"
#include "addon/jobs.h"
#include "addon/promise_worker.h"
#include "addon/text_encoder_wrap.h"
#include "check/lora_parity.h"
#include "check/parity.h"
#include "model/attention.h"

#ifdef SEQREC_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace seqrec::glue {

Versions versions(Napi::Env env) {
  Versions v;
  v.seqrec = SEQREC_VERSION;
  v.torch = TORCH_VERSION;
  v.cuda = torch::cuda::is_available();
  v.cudaDevices = static_cast<int64_t>(torch::cuda::device_count());
  v.deviceName = "cpu";
#ifdef SEQREC_WITH_CUDA
  if (v.cuda) v.deviceName = at::cuda::getDeviceProperties(0)->name;
#endif
  v.threads = at::get_num_threads();
  uint32_t napi = 0;
  napi_get_version(env, &napi);
  v.napi = napi;
  v.sdpa = hasSdpa();
  return v;
}

Napi::Value parityCrossEntropy(Napi::Env env, ParityCeRequest&& r) {
  return runAsync<ParityCeResult>(env, [r = std::move(r)] { return crossEntropyParity(r); });
}
Napi::Value parityAdamW(Napi::Env env, ParityAdamWRequest&& r) {
  return runAsync<ParityAdamWResult>(env, [r = std::move(r)] { return adamWParity(r); });
}
Napi::Value parityAttention(Napi::Env env, ParityAttentionRequest&& r) {
  return runAsync<ParityAttentionResult>(env, [r = std::move(r)] { return attentionParity(r); });
}
Napi::Value parityLora(Napi::Env env, ParityLoraRequest&& r) {
  return runAsync<ParityLoraResult>(env, [r = std::move(r)] { return loraParity(r); });
}

}  // namespace seqrec::glue

// LibTorch's intra-op thread count starts as OpenMP's default, which inside Node is 1 (libgomp is
// first initialised from a thread of Node's); a model created without `threads` uses every core
// (availableParallelism() in TypeScript), so start LibTorch there too, unless OMP_NUM_THREADS says otherwise.
static void defaultThreads() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OMP_NUM_THREADS") != nullptr) return;
    unsigned cores = std::thread::hardware_concurrency();
#ifdef __linux__
    cpu_set_t allowed;  // the CPUs this process may run on, as libuv's availableParallelism() counts them
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) cores = static_cast<unsigned>(CPU_COUNT(&allowed));
#endif
    if (cores > 0) at::set_num_threads(static_cast<int>(cores));
  });
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  defaultThreads();
  seqrec::glue::installJobs(env);
  exports.Set("NativeModel", seqrec::glue::NativeModel::defineClass(env));
  exports.Set("NativeTextEncoder", seqrec::glue::NativeTextEncoder::defineClass(env));
  seqrec::glue::registerFunctions(env, exports);
  return exports;
}

NODE_API_MODULE(seqrec, init)
