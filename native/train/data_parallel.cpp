#include "train/data_parallel.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "common/error.h"

#ifdef SEQREC_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef SEQREC_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace seqrec {

namespace {

constexpr int64_t kFirstBucketBytes = int64_t{1} << 20;  // PyTorch's reducer: a small first bucket starts the traffic early

}  // namespace

bool distributedAvailable() {
#ifdef SEQREC_WITH_GLOO
  return true;
#else
  return false;
#endif
}

#ifdef SEQREC_WITH_GLOO

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::Backend> backend;          // Gloo for CPU tensors, NCCL for CUDA ones
  std::vector<c10::intrusive_ptr<c10d::Work>> works;  // buckets sent this step, not yet waited for
};

namespace {

// Runs a c10d call, turning its failures (a peer gone, a timeout, an unreachable master) into E_DISTRIBUTED.
template <typename F>
auto collective(const DistributedOptions& o, const char* what, F&& run) -> decltype(run()) {
  try {
    return run();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (const auto cut = message.find("\nException raised from"); cut != std::string::npos) message.resize(cut);  // c10's C++ trace
    throw Error(ErrorCode::Distributed, "distributed training, rank " + std::to_string(o.rank) + " of " + std::to_string(o.worldSize) +
                                            ": " + what + " failed (another rank stopped, stalled past the " + std::to_string(o.timeoutMs) +
                                            " ms timeout, or is unreachable): " + message);
  }
}

}  // namespace

DataParallel::DataParallel(const DistributedOptions& o) : options_(o), group_(std::make_unique<Group>()) {
  if (o.worldSize < 2 || o.rank < 0 || o.rank >= o.worldSize)
    throw Error(ErrorCode::InvalidOption, "distributed: rank must be in [0, worldSize) with worldSize >= 2, got rank " +
                                              std::to_string(o.rank) + " of " + std::to_string(o.worldSize));
  if (o.masterPort < 1 || o.masterPort > 65535 || o.timeoutMs < 1 || o.bucketBytes < 1)
    throw Error(ErrorCode::InvalidOption, "distributed: masterPort must be in [1, 65535], timeout and bucketBytes positive");
  const auto timeout = std::chrono::milliseconds(o.timeoutMs);
  collective(o, ("meeting the master at " + o.masterAddr + ":" + std::to_string(o.masterPort)).c_str(), [&] {
    c10d::TCPStoreOptions store;
    store.port = static_cast<uint16_t>(o.masterPort);
    store.isServer = o.rank == 0;
    store.numWorkers = static_cast<int>(o.worldSize);
    store.waitWorkers = true;
    store.timeout = timeout;
    group_->store = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, store);
    const int rank = static_cast<int>(o.rank), size = static_cast<int>(o.worldSize);
    if (o.device.is_cuda()) {
#ifdef SEQREC_WITH_NCCL
      c10::cuda::set_device(o.device.index() < 0 ? 0 : o.device.index());
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group_->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(group_->store, rank, size, options);
      return 0;
#else
      throw Error(ErrorCode::Distributed, "distributed training on " + o.device.str() + " needs seqrec built with NCCL's headers");
#endif
    }
    auto options = c10d::ProcessGroupGloo::Options::create_default(timeout);
    // The address the other ranks reach this one at: loopback when the master is local, else the interface
    // GLOO_SOCKET_IFNAME names (as in PyTorch), else this machine's hostname.
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    const bool local = o.masterAddr == "127.0.0.1" || o.masterAddr == "localhost";
    options->devices = {local       ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                        : interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                    : c10d::ProcessGroupGloo::createDefaultDevice()};
    group_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, rank, size, options);
    return 0;
  });
}

DataParallel::~DataParallel() {
  for (const auto& [i, hook] : hooks_) parameters_[i].remove_hook(hook);
  if (group_)
    for (auto& work : group_->works) {
      try {
        work->wait();  // a step that failed part-way: let the sends in flight end before their buffers go
      } catch (...) {
      }
    }
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  collective(options_, "broadcasting rank 0's parameters", [&] {
    torch::NoGradGuard noGrad;
    for (const auto& t : tensors) {
      std::vector<at::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
      group_->backend->broadcast(one)->wait();
      if (!t.is_contiguous()) t.copy_(one[0]);
    }
    return 0;
  });
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  return collective(options_, "summing", [&] {
    std::vector<at::Tensor> one{torch::tensor(values, torch::kDouble).to(options_.device)};
    group_->backend->allreduce(one)->wait();
    const torch::Tensor sums = one[0].cpu();
    return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
  });
}

void DataParallel::watch(const std::vector<torch::Tensor>& parameters, int64_t rowsParameter) {
  parameters_ = parameters;
  if (options_.naiveReduce) return;  // the comparison: no buckets, no hooks; one all-reduce per parameter afterwards
  rowsParameter_ = options_.itemRows ? rowsParameter : -1;
  place_.assign(parameters.size(), {0, 0});
  int64_t bytes = 0, limit = std::min(kFirstBucketBytes, options_.bucketBytes);
  for (size_t i = parameters.size(); i-- > 0;) {  // reverse order: the last layers' gradients are ready first
    if (static_cast<int64_t>(i) == rowsParameter_) continue;
    const torch::Tensor& p = parameters[i];
    const auto size = static_cast<int64_t>(p.nbytes());
    if (buckets_.empty() || (!buckets_.back().members.empty() &&
                             (bytes + size > limit || p.scalar_type() != parameters_[buckets_.back().members.front()].scalar_type()))) {
      if (!buckets_.empty()) limit = options_.bucketBytes;
      buckets_.emplace_back();
      bytes = 0;
    }
    place_[i] = {buckets_.size() - 1, bytes / static_cast<int64_t>(p.element_size())};
    buckets_.back().members.push_back(i);
    bytes += size;
  }
  for (auto& bucket : buckets_) {
    int64_t numel = 0;
    for (size_t i : bucket.members) numel += parameters_[i].numel();
    bucket.flat = torch::empty({numel}, parameters_[bucket.members.front()].options().requires_grad(false));  // (Σ numel)
  }
  for (size_t i = 0; i < parameters_.size(); ++i)
    if (static_cast<int64_t>(i) != rowsParameter_)
      hooks_.emplace_back(i, parameters_[i].register_hook([this, i](const torch::Tensor& grad) { onGradient(i, grad); }));
}

void DataParallel::armBackward() {
  armed_ = true;
}

// Called by autograd with this backward's gradient of parameter i, before it joins .grad: the final
// gradient is .grad (earlier micro-batches of the step) + grad.
void DataParallel::onGradient(size_t i, const torch::Tensor& grad) {
  if (!armed_) return;
  torch::NoGradGuard noGrad;
  const auto [b, offset] = place_[i];
  Bucket& bucket = buckets_[b];
  torch::Tensor slot = bucket.flat.narrow(0, offset, grad.numel()).view_as(grad);
  const torch::Tensor& earlier = parameters_[i].grad();
  if (earlier.defined())
    torch::add_out(slot, earlier, grad);
  else
    slot.copy_(grad);
  if (++bucket.ready == bucket.members.size()) launchReady();
}

void DataParallel::launchReady() {
  while (launchedUpTo_ < buckets_.size() && buckets_[launchedUpTo_].ready == buckets_[launchedUpTo_].members.size())
    launch(buckets_[launchedUpTo_++]);
}

void DataParallel::launch(Bucket& bucket) {
  std::vector<at::Tensor> one{bucket.flat};
  group_->works.push_back(group_->backend->allreduce(one));
}

void DataParallel::exchangeRows(torch::Tensor& parameter) {
  const int64_t W = options_.worldSize, d = parameter.size(1);
  if (!parameter.grad().defined()) parameter.mutable_grad() = torch::zeros_like(parameter);
  torch::Tensor grad = parameter.mutable_grad();                   // (R, d)
  torch::Tensor touched = grad.abs().sum(1).nonzero().squeeze(1);  // (n) int64: rows with a gradient
  const auto gather = [&](const torch::Tensor& mine) {             // every rank's tensor of mine's shape
    std::vector<std::vector<at::Tensor>> all(1);
    for (int64_t r = 0; r < W; ++r) all[0].push_back(torch::empty_like(mine));
    std::vector<at::Tensor> in{mine};
    group_->backend->allgather(all, in)->wait();
    return all[0];
  };
  const std::vector<at::Tensor> counts = gather(torch::full({1}, touched.numel(), touched.options()));  // (1) each
  int64_t most = 0;
  for (const auto& c : counts) most = std::max(most, c.item<int64_t>());
  torch::Tensor indexes = torch::zeros({most}, touched.options());  // (most), padded
  torch::Tensor rows = torch::zeros({most, d}, grad.options());     // (most, d), padded
  indexes.narrow(0, 0, touched.numel()).copy_(touched);
  rows.narrow(0, 0, touched.numel()).copy_(grad.index_select(0, touched));
  const std::vector<at::Tensor> allIndexes = gather(indexes), allRows = gather(rows);
  grad.zero_();
  for (int64_t r = 0; r < W; ++r) {
    const int64_t n = counts[static_cast<size_t>(r)].item<int64_t>();
    grad.index_add_(0, allIndexes[static_cast<size_t>(r)].narrow(0, 0, n), allRows[static_cast<size_t>(r)].narrow(0, 0, n));
  }
}

void DataParallel::finishGradients() {
  collective(options_, "averaging gradients", [&] {
    torch::NoGradGuard noGrad;
    armed_ = false;
    if (options_.naiveReduce) {
      for (auto& p : parameters_) {
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        std::vector<at::Tensor> one{p.grad()};
        group_->backend->allreduce(one)->wait();
      }
      return 0;
    }
    // Buckets not sent yet: some parameter's hook did not run (this rank had no rows, or the parameter no
    // gradient this step); after backward .grad is each member's whole gradient, so that is what goes.
    for (size_t b = launchedUpTo_; b < buckets_.size(); ++b) {
      Bucket& bucket = buckets_[b];
      if (bucket.ready < bucket.members.size())
        for (size_t i : bucket.members) {
          const torch::Tensor& g = parameters_[i].grad();
          torch::Tensor slot = bucket.flat.narrow(0, place_[i].second, parameters_[i].numel());
          if (g.defined())
            slot.copy_(g.reshape({-1}));
          else
            slot.zero_();
        }
      bucket.ready = bucket.members.size();
    }
    launchReady();
    if (rowsParameter_ >= 0) exchangeRows(parameters_[static_cast<size_t>(rowsParameter_)]);  // while the buckets travel
    for (auto& work : group_->works) work->wait();
    group_->works.clear();
    for (auto& bucket : buckets_)
      for (size_t i : bucket.members) {
        torch::Tensor p = parameters_[i];
        torch::Tensor sum = bucket.flat.narrow(0, place_[i].second, p.numel()).view_as(p);
        if (p.grad().defined())
          p.mutable_grad().copy_(sum);
        else
          p.mutable_grad() = sum.clone();
      }
    launchedUpTo_ = 0;  // the next step starts with nothing sent
    for (auto& bucket : buckets_) bucket.ready = 0;
    return 0;
  });
}

#else

struct DataParallel::Group {};

DataParallel::DataParallel(const DistributedOptions& o) : options_(o) {
  throw Error(ErrorCode::Distributed,
              "distributed training needs seqrec built with Gloo's headers (Debian/Ubuntu: apt install libgloo-dev, then rebuild)");
}
DataParallel::~DataParallel() = default;
void DataParallel::broadcast(const std::vector<torch::Tensor>&) {}
std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  return values;
}
void DataParallel::watch(const std::vector<torch::Tensor>&, int64_t) {}
void DataParallel::armBackward() {}
void DataParallel::finishGradients() {}

#endif

}  // namespace seqrec
