// Data-parallel training across processes on PyTorch's own distributed layer (c10d): ranks meet
// through a TCPStore at the master's address, form a Gloo process group (CPU tensors), start from
// rank 0's parameters, and after each step's backward average their gradients, so every rank takes
// the same optimizer step and the parameters stay identical without ever being sent again.
// Gradients travel in buckets as PyTorch's reducer packs them: parameters in reverse order (the
// order backward produces them), the first bucket up to 1 MiB, the rest up to 25 MiB, each bucket
// one flat all-reduce, all buckets launched before the first is waited on. Every collective carries
// the group's timeout, so a rank that dies or stalls ends the others' fits with E_DISTRIBUTED
// instead of a hang. Built where Gloo's headers are (Debian's libgloo-dev; the symbols are
// LibTorch's own); elsewhere a distributed fit is refused with that reason.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace seqrec {

struct DistributedOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  int64_t timeoutMs = 60000;
  bool naiveReduce = false;  // one blocking all-reduce per parameter (the comparison the benchmark runs)
};

class DataParallel {
 public:
  // Rendezvous (rank 0 hosts the store) and the process group; throws Error(Distributed) naming the
  // master when it cannot be reached within the timeout.
  explicit DataParallel(const DistributedOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int64_t rank() const { return options_.rank; }
  int64_t worldSize() const { return options_.worldSize; }

  // Every rank's tensors become rank 0's (in place).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Σ over ranks of each value (small control values: target counts, losses).
  std::vector<double> sum(const std::vector<double>& values);
  // grad ← Σ_ranks grad · scale for each parameter (an undefined grad counts as zeros and becomes them).
  void reduceGradients(const std::vector<torch::Tensor>& parameters, double scale);

 private:
  struct Group;
  DistributedOptions options_;
  std::unique_ptr<Group> group_;
};

// Whether this build can train across processes (Gloo's headers were found at build time).
bool distributedAvailable();

}  // namespace seqrec
