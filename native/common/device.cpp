#include "common/device.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <mutex>
#include <thread>
#ifdef __linux__
#include <sched.h>
#endif

#include "common/error.h"

namespace seqrec {

c10::Device parseDevice(const std::string& device) {
  if (device == "cpu") return c10::kCPU;
  if (device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(ErrorCode::InvalidOption, "device \"" + device + "\" requested but this LibTorch build sees no CUDA device");
    return c10::Device(device);
  }
  throw Error(ErrorCode::InvalidOption, "unknown device \"" + device + "\" (expected \"cpu\", \"cuda\" or \"cuda:N\")");
}

void useThreads(int64_t threads) {
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(static_cast<int>(threads));
}

// LibTorch's intra-op thread count starts as OpenMP's default, which inside Node is 1 (libgomp is
// first initialised from a thread of Node's); a model created without `threads` uses every core
// (availableParallelism() in TypeScript), so start LibTorch there too.
void useDefaultThreads() {
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

}  // namespace seqrec
