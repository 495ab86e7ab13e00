// Where and on how many threads native work runs: device names as users write them, and the
// intra-op thread count (an OpenMP setting of the calling thread, so every entry point that
// runs LibTorch work on a pool thread applies it first).
#pragma once
#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace seqrec {

// "cpu", "cuda" or "cuda:N"; InvalidOption for anything else or for CUDA without a device.
c10::Device parseDevice(const std::string& device);

// Use `threads` intra-op threads on the calling thread (0: leave the current setting).
void useThreads(int64_t threads);

// At addon load: every core this process may run on, unless OMP_NUM_THREADS says otherwise.
void useDefaultThreads();

}  // namespace seqrec
