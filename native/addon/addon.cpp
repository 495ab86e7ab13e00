// Module entry: registers NativeModel and the free functions (generated glue), and implements
// versions(), shortestDecimals() and the parity-check entry points (thin: the maths is in native/check/).
#include <napi.h>
#include <torch/torch.h>

#include <charconv>

#include "addon/jobs.h"
#include "addon/model_wrap.h"
#include "addon/promise_worker.h"
#include "addon/session_wrap.h"
#include "addon/text_encoder_wrap.h"
#include "check/lora_parity.h"
#include "check/parity.h"
#include "common/device.h"
#include "model/attention.h"
#include "train/data_parallel.h"

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
  v.distributed = distributedAvailable();
  return v;
}

// A float32 score printed as a double takes 17 digits (0.6140552759170532) and V8 a slow path to find them; the shortest
// decimal that reads back as the same float32 (0.6140553) holds the same information in at most 9.
std::vector<double> shortestDecimals(Napi::Env, std::vector<float>&& values) {
  std::vector<double> out(values.size());
  char text[32];
  for (size_t i = 0; i < values.size(); ++i) {
    const auto printed = std::to_chars(text, text + sizeof text, values[i]);  // shortest round trip; "inf", "nan" too
    if (std::from_chars(text, printed.ptr, out[i]).ec != std::errc()) out[i] = values[i];
  }
  return out;
}

Napi::Value parityCrossEntropy(Napi::Env env, ParityCeRequest&& r) {
  return runAsync<ParityCeResult>(env, [r = std::move(r)] { return crossEntropyParity(r); });
}
Napi::Value paritySampledLoss(Napi::Env env, ParitySampledLossRequest&& r) {
  return runAsync<ParitySampledLossResult>(env, [r = std::move(r)] { return sampledLossParity(r); });
}
Napi::Value parityContrastive(Napi::Env env, ParityContrastiveRequest&& r) {
  return runAsync<ParityContrastiveResult>(env, [r = std::move(r)] { return contrastiveParity(r); });
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
Napi::Value parityVectorKernels(Napi::Env env, ParityVectorKernelsRequest&& r) {
  return runAsync<ParityVectorKernelsResult>(env, [r = std::move(r)] { return vectorKernelsParity(r); });
}
Napi::Value parityDropout(Napi::Env env, ParityDropoutRequest&& r) {
  return runAsync<std::vector<float>>(env, [r = std::move(r)] { return dropoutMask(r); });
}

}  // namespace seqrec::glue

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  seqrec::useDefaultThreads();
  seqrec::glue::installJobs(env);
  exports.Set("NativeModel", seqrec::glue::NativeModel::defineClass(env));
  exports.Set("NativeSession", seqrec::glue::NativeSession::defineClass(env));
  exports.Set("NativeTextEncoder", seqrec::glue::NativeTextEncoder::defineClass(env));
  seqrec::glue::registerFunctions(env, exports);
  return exports;
}

NODE_API_MODULE(seqrec, init)
