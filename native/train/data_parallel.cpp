#include "train/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <utility>

#include "common/error.h"

#ifdef SEQREC_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace seqrec {

namespace {

constexpr int64_t kFirstBucketBytes = int64_t{1} << 20;  // PyTorch's reducer: a small first bucket starts the traffic early
constexpr int64_t kBucketBytes = int64_t{25} << 20;      // then up to 25 MiB per all-reduce

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
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
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
  if (o.masterPort < 1 || o.masterPort > 65535 || o.timeoutMs < 1)
    throw Error(ErrorCode::InvalidOption, "distributed: masterPort must be in [1, 65535] and timeout positive");
  const auto timeout = std::chrono::milliseconds(o.timeoutMs);
  collective(o, ("meeting the master at " + o.masterAddr + ":" + std::to_string(o.masterPort)).c_str(), [&] {
    c10d::TCPStoreOptions store;
    store.port = static_cast<uint16_t>(o.masterPort);
    store.isServer = o.rank == 0;
    store.numWorkers = static_cast<int>(o.worldSize);
    store.waitWorkers = true;
    store.timeout = timeout;
    group_->store = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, store);
    auto options = c10d::ProcessGroupGloo::Options::create_default(timeout);
    // The address the other ranks reach this one at: loopback when the master is local, else the interface
    // GLOO_SOCKET_IFNAME names (as in PyTorch), else this machine's hostname.
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    const bool local = o.masterAddr == "127.0.0.1" || o.masterAddr == "localhost";
    options->devices = {local       ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                        : interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                    : c10d::ProcessGroupGloo::createDefaultDevice()};
    group_->gloo =
        c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, static_cast<int>(o.rank), static_cast<int>(o.worldSize), options);
    return 0;
  });
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  collective(options_, "broadcasting rank 0's parameters", [&] {
    torch::NoGradGuard noGrad;
    for (const auto& t : tensors) {
      std::vector<at::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
      group_->gloo->broadcast(one)->wait();
      if (!t.is_contiguous()) t.copy_(one[0]);
    }
    return 0;
  });
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  return collective(options_, "summing", [&] {
    std::vector<at::Tensor> one{torch::tensor(values, torch::kDouble)};
    group_->gloo->allreduce(one)->wait();
    return std::vector<double>(one[0].data_ptr<double>(), one[0].data_ptr<double>() + one[0].numel());
  });
}

void DataParallel::reduceGradients(const std::vector<torch::Tensor>& parameters, double scale) {
  collective(options_, "averaging gradients", [&] {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> grads;  // reverse order: the last layers' gradients are ready first
    for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
      torch::Tensor p = *it;
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);  // every rank sends the same layout
      grads.push_back(p.grad());
    }
    if (options_.naiveReduce) {
      for (auto& g : grads) {
        std::vector<at::Tensor> one{g};
        group_->gloo->allreduce(one)->wait();
        g.mul_(scale);
      }
      return 0;
    }
    std::vector<std::vector<torch::Tensor>> buckets(1);
    int64_t bytes = 0, limit = kFirstBucketBytes;
    for (const auto& g : grads) {
      const auto size = static_cast<int64_t>(g.nbytes());
      if (!buckets.back().empty() && (bytes + size > limit || g.scalar_type() != buckets.back().front().scalar_type())) {
        buckets.emplace_back();
        bytes = 0;
        limit = kBucketBytes;
      }
      buckets.back().push_back(g);
      bytes += size;
    }
    std::vector<std::vector<at::Tensor>> flats;  // one flat tensor per bucket, alive until its work is done
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    flats.reserve(buckets.size());
    for (const auto& bucket : buckets) {
      std::vector<torch::Tensor> pieces;
      for (const auto& g : bucket) pieces.push_back(g.reshape({-1}));
      flats.push_back({torch::cat(pieces)});
      works.push_back(group_->gloo->allreduce(flats.back()));  // launched now, waited below
    }
    for (size_t b = 0; b < buckets.size(); ++b) {
      works[b]->wait();
      torch::Tensor flat = flats[b][0].mul_(scale);
      int64_t offset = 0;
      for (auto& g : buckets[b]) {
        g.copy_(flat.narrow(0, offset, g.numel()).view_as(g));
        offset += g.numel();
      }
    }
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
void DataParallel::reduceGradients(const std::vector<torch::Tensor>&, double) {}

#endif

}  // namespace seqrec
