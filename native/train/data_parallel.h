// Data-parallel training across processes on PyTorch's own distributed layer (c10d): ranks meet
// through a TCPStore at the master's address, form a Gloo process group (CPU tensors), start from
// rank 0's parameters, and sum their gradients every step (each rank's loss already weighted by its
// share of the step's targets), so every rank takes the same optimizer step and the parameters stay
// identical without ever being sent again. Gradients travel in buckets as PyTorch's reducer packs
// them: parameters in reverse order (the order backward produces them), the first bucket up to
// 1 MiB, the rest up to 25 MiB, each bucket one flat all-reduce, sent from a gradient hook during
// the step's last backward as soon as all its gradients exist (in bucket order: every rank must
// issue them alike), so the sending overlaps the rest of the backward. Every collective carries
// the group's timeout, so a rank that dies or stalls ends the others' fits with E_DISTRIBUTED
// instead of a hang. CPU models use Gloo, built where Gloo's headers are (Debian's libgloo-dev; the
// symbols are LibTorch's own); CUDA models use NCCL, built where NCCL's headers are (the CUDA
// build: the nvidia-nccl wheel LibTorch depends on). Elsewhere a distributed fit is refused so.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace seqrec {

struct DistributedOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;
  int64_t timeoutMs = 60000;
  bool naiveReduce = false;                 // one blocking all-reduce per parameter (the comparison the benchmark runs)
  int64_t bucketBytes = int64_t{25} << 20;  // buckets after the first (PyTorch's bucket_cap_mb); the first is at most 1 MiB
  torch::Device device = torch::kCPU;       // the model's: CPU tensors go through Gloo, CUDA ones through NCCL
  bool itemRows = false;                    // exchange the item table's gradient as the rows it touched (all-gather) instead of dense
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

  // The parameters whose gradients are averaged, the same list in the same order on every rank: packs
  // them into buckets and hooks each one, so the last backward of a step can send a bucket as soon as
  // its gradients exist. The hooks go when this object does.
  // `rowsParameter` (an index, or -1): the item table, whose gradient goes as touched rows with itemRows.
  void watch(const std::vector<torch::Tensor>& parameters, int64_t rowsParameter = -1);
  // The next backward is a step's last: its gradients are final once it ends, so buckets go out during it.
  void armBackward();
  // After that backward: send what has not gone yet (in bucket order), wait for every bucket, and leave
  // grad = Σ_ranks grad for every watched parameter (an undefined one counts as zeros).
  void finishGradients();

 private:
  struct Group;
  struct Bucket {
    std::vector<size_t> members;  // indexes into parameters_
    torch::Tensor flat;           // (Σ numel) the members' gradients, as sent
    size_t ready = 0;             // members whose gradient is in flat this backward
  };
  void onGradient(size_t parameter, const torch::Tensor& grad);
  void launchReady();  // every ready bucket from launchedUpTo_ on, in order (all ranks send them in one order)
  void launch(Bucket& bucket);
  // grad ← Σ_ranks grad of the item table, sending only the rows with a nonzero gradient and their indexes
  // (all-gathered, padded to the most any rank has), summed back into a dense gradient.
  void exchangeRows(torch::Tensor& parameter);

  DistributedOptions options_;
  std::unique_ptr<Group> group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::pair<size_t, int64_t>> place_;  // per parameter: its bucket and offset in it
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, unsigned>> hooks_;  // (parameter, hook handle)
  size_t launchedUpTo_ = 0;
  int64_t rowsParameter_ = -1;  // the parameter exchanged as rows, or -1
  bool armed_ = false;
};

// Whether this build can train across processes (Gloo's headers were found at build time).
bool distributedAvailable();

}  // namespace seqrec
