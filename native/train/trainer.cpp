// One optimizer step = accumSteps micro-batches; micro-batch m of the run is batch
// (m / batchesPerEpoch) of epoch (m % …), so step s always sees the same data and dropout. With
// worldSize ranks a micro-batch holds worldSize × batchSize sequences and rank r takes rows
// [r·batchSize, (r+1)·batchSize) of it: together the ranks train exactly what one process with the
// whole batch trains (train/data_parallel.h).
// train() reads top to bottom: set-up (what trains, the run, the schedule), the step, the report.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_set>

#include <torch/cuda.h>

#include "common/error.h"
#include "common/host_memory.h"
#include "common/rng.h"
#include "io/csr_check.h"
#include "train/contrastive.h"
#include "train/data_parallel.h"
#include "train/fused_ce.h"
#include "train/group_gap.h"
#include "train/lr_schedule.h"
#include "train/sampled_loss.h"
#include "train/sampler.h"
#include "train/task_losses.h"
#include "train/trainable.h"

namespace seqrec {

namespace {

using Clock = std::chrono::steady_clock;

LrDecay decayOf(const std::string& name) {
  if (name == "constant") return LrDecay::Constant;
  if (name == "linear") return LrDecay::Linear;
  if (name == "cosine") return LrDecay::Cosine;
  throw Error(ErrorCode::InvalidOption, "unknown lr decay \"" + name + "\"");
}

// Text models: the softmax covers only the items known to training (trained on in this fit or an
// earlier one); an item absent so far is not a negative either, since that would teach the text
// projection to push down exactly the text features that only cold items have. rows (V_a) are the
// item-table rows in the softmax; remap (R) maps an item id to 1 + its place among them (0: none).
struct SoftmaxItems {
  torch::Tensor rows, remap;
};

SoftmaxItems softmaxItems(const TransformerRec& net, const std::vector<int32_t>& items, const torch::Device& device) {
  torch::Tensor known = net->idActive.to(torch::kCPU).clone();  // (R) 1 = trained on before
  float* k = known.data_ptr<float>();
  for (int32_t item : items) k[item] = 1.0f;
  const int64_t V = net->options.numItems();
  torch::Tensor rows = known.narrow(0, 1, V).nonzero().squeeze(1) + 1;  // (V_a) int64, ascending; never [mask]
  torch::Tensor remap = torch::zeros({known.size(0)}, torch::kLong);
  remap.index_put_({rows}, torch::arange(1, rows.size(0) + 1, torch::kLong));
  return {rows.to(device), remap.to(device)};
}

SamplerOptions samplerOptions(const Recommender& model, const FitRequest& r) {
  SamplerOptions o;
  o.maxLen = model.config.maxLen;
  o.batchSize = r.batchSize * std::max<int64_t>(1, r.worldSize);  // the whole micro-batch; each rank takes its rows
  o.causal = model.config.causal;
  o.maskProb = r.maskProb;
  o.maskToken = model.net->maskToken();
  o.seed = model.config.seed;
  return o;
}

AdamWOptions adamWOptions(const Recommender& model, const FitRequest& r) {
  return AdamWOptions()
      .beta1(r.beta1)
      .beta2(r.beta2)
      .eps(r.eps)
      .weightDecay(r.weightDecay)
      .foreach (r.foreachAdamW || !model.device.is_cpu());
}

// A resumed run must update exactly the tensors this fit would train.
void continueRun(TrainRun& run, const TrainScope& scope, const AdamWOptions& options) {
  if (!run.active()) throw Error(ErrorCode::InvalidOption, "fit({ resume: true }) but the model has no run to resume");
  std::vector<std::string> running, wanted(scope.trainable.keys());
  for (const auto& g : run.optimizer().groups()) running.insert(running.end(), g.names.begin(), g.names.end());
  std::sort(running.begin(), running.end());
  std::sort(wanted.begin(), wanted.end());
  if (running != wanted)
    throw Error(ErrorCode::InvalidOption,
                "fit({ resume: true }) must train the same parameters as the run it resumes; "
                "its adapter or freeze options differ");
  run.optimizer().setOptions(options);
}

// What the result says about the parameters: per trainable tensor, and decay / no-decay / frozen totals.
void describeParameters(const std::vector<ParamGroup>& groups, const TrainScope& scope, FitResult& result) {
  for (const auto& g : groups) {
    int64_t count = 0;
    for (size_t j = 0; j < g.params.size(); ++j) {
      count += g.params[j].numel();
      TrainableTensor t;
      t.name = g.names[j];
      t.parameters = g.params[j].numel();
      t.decay = g.decay;
      result.trainable.push_back(t);
    }
    (g.decay ? result.decayParameters : result.noDecayParameters) += count;
    (g.decay ? result.decayTensors : result.noDecayTensors) += static_cast<int64_t>(g.params.size());
  }
  result.frozenParameters = scope.frozenParameters;
  result.frozenTensors = scope.frozenTensors;
}

// Everything a fit fixes before its first step.
struct FitSetup {
  std::optional<BatchSampler> sampler;
  int64_t perEpoch = 0, totalSteps = 0, stopStep = 0;
  LrSchedule schedule;
  TrainScope scope;
  SoftmaxItems softmax;
  TextTower* tower = nullptr;                     // end-to-end text fit: the encoder's adapter trains too
  std::optional<GroupGapLoss> groupGap;           // fairness-aware training (FitRequest.groupOfUser)
  std::optional<SampledLoss> sampled;             // FitRequest.loss other than "ce"
  torch::Tensor samplingCounts;                   // (V) its items' training frequency, until the output rows are known
  std::optional<ContrastiveOptions> contrastive;  // CL4SRec's auxiliary InfoNCE (FitRequest.contrastiveWeight > 0)
  std::optional<TaskLossOptions> tasks;           // the task heads' losses (pointwise / attribute weight > 0)
  std::unique_ptr<DataParallel> parallel;         // FitRequest.worldSize > 1: the other ranks
  int64_t worldSize = 1;
};

// Rank `rank`'s rows of a micro-batch: [rank·B, (rank+1)·B), fewer or none in an epoch's last, short batch.
Batch rankRows(Batch whole, int64_t rank, int64_t B) {
  const int64_t rows = whole.inputs.size(0), begin = std::min(rows, rank * B), n = std::min(rows, begin + B) - begin;
  whole.inputs = whole.inputs.narrow(0, begin, n);
  whole.targets = whole.targets.narrow(0, begin, n);
  if (whole.targetRatings.defined()) whole.targetRatings = whole.targetRatings.narrow(0, begin, n);
  whole.users = std::vector<int32_t>(whole.users.begin() + begin, whole.users.begin() + begin + n);
  return whole;
}

// Multi-task training: the weights checked against the model's heads and the data's labels.
std::optional<TaskLossOptions> taskLossOptions(const Recommender& model, const FitRequest& r, const Interactions& data) {
  if (r.nextItemWeight < 0.0 || r.pointwiseWeight < 0.0 || r.attributeWeight < 0.0 ||
      r.nextItemWeight + r.pointwiseWeight + r.attributeWeight <= 0.0)
    throw Error(ErrorCode::InvalidOption, "fit: the task weights must be >= 0, at least one above 0");
  if (r.pointwiseWeight == 0.0 && r.attributeWeight == 0.0) return std::nullopt;
  const TaskHeads& heads = model.net->heads;
  if (r.pointwiseWeight > 0.0) {
    if (!model.net->hasHeads() || !heads->hasPointwise())
      throw Error(ErrorCode::InvalidOption, "fit: pointwise training needs a model created with a pointwise head");
    if (data.ratings.size() != data.items.size())
      throw Error(ErrorCode::InvalidData, "fit: pointwise training needs a rating per event (" + std::to_string(data.items.size()) +
                                              "), got " + std::to_string(data.ratings.size()));
  }
  TaskLossOptions o{r.pointwiseWeight, r.likeThreshold, r.attributeWeight, {}};
  if (r.attributeWeight > 0.0) {
    if (!model.net->hasHeads() || !heads->hasAttributes())
      throw Error(ErrorCode::InvalidOption, "fit: attribute training needs a model created with attributes");
    const int64_t rows = model.config.numItems + 1, G = heads->options.attributes();
    if (static_cast<int64_t>(r.attributeLabels.size()) != rows * G)
      throw Error(ErrorCode::InvalidData, "fit: attributeLabels must hold (V+1)·G = " + std::to_string(rows * G) + " values, got " +
                                              std::to_string(r.attributeLabels.size()));
    for (float y : r.attributeLabels)
      if (!(y >= 0.0f && y <= 1.0f)) throw Error(ErrorCode::InvalidData, "fit: attributeLabels must be in [0, 1]");
    torch::Tensor labels = torch::zeros({model.net->itemEmbedding->weight.size(0), G});  // (R, G): BERT4Rec's [mask] has none
    labels.narrow(0, 0, rows).copy_(torch::from_blob(const_cast<float*>(r.attributeLabels.data()), {rows, G}, torch::kFloat));
    o.attributeLabels = labels.to(model.device);
  }
  return o;
}

FitSetup setUp(Recommender& model, TrainRun& run, FitRequest& r, Interactions& data) {
  FitSetup s;
  s.sampler.emplace(data, samplerOptions(model, r));
  if (s.sampler->trainableUsers() == 0)
    throw Error(ErrorCode::InvalidData, "no user has enough interactions to train on (causal mode needs >= 2)");
  s.perEpoch = s.sampler->batchesPerEpoch();
  s.worldSize = std::max<int64_t>(1, r.worldSize);
  s.totalSteps = r.maxSteps > 0 ? r.maxSteps : (r.epochs * s.perEpoch + r.accumSteps - 1) / r.accumSteps;
  s.stopStep = r.untilEpoch > 0 ? std::min(s.totalSteps, (r.untilEpoch * s.perEpoch + r.accumSteps - 1) / r.accumSteps) : s.totalSteps;
  s.schedule = LrSchedule{r.lr, r.warmupSteps, s.totalSteps, decayOf(r.decay), r.minLrRatio};
  // What this fit trains (the base minus frozen parameters, or one adapter), with everything else
  // requires_grad false until the fit ends, so frozen tensors get neither gradients nor moments.
  s.scope = trainScope(model, r);
  s.tower = model.textTower.get();
  if (s.tower)
    for (const auto& item : s.tower->trainable()) s.scope.trainable.insert(item.key(), item.value());
  if (r.idDropout < 0.0 || r.idDropout >= 1.0 || (r.idDropout > 0.0 && !model.net->hasText()))
    throw Error(ErrorCode::InvalidOption, "fit: idDropout must be in [0, 1), and above 0 only for a model with item text");
  if (!r.groupOfUser.empty()) {
    if (static_cast<int64_t>(r.groupOfUser.size()) != data.numUsers())
      throw Error(ErrorCode::InvalidOption, "fit: groupOfUser has " + std::to_string(r.groupOfUser.size()) + " entries for " +
                                                std::to_string(data.numUsers()) + " users");
    for (size_t u = 0; u < r.groupOfUser.size(); ++u)
      if (r.groupOfUser[u] > 1 && r.groupOfUser[u] != 255)
        throw Error(ErrorCode::InvalidOption, "fit: groupOfUser[" + std::to_string(u) + "] is " + std::to_string(r.groupOfUser[u]) +
                                                  "; expected 0, 1 or 255 (no group)");
    if (!(r.groupGapWeight > 0.0)) throw Error(ErrorCode::InvalidOption, "fit: groupGapWeight must be > 0 with groupOfUser");
    s.groupGap.emplace(std::vector<uint8_t>(r.groupOfUser.begin(), r.groupOfUser.end()), r.groupGapWeight);
  }
  if (r.loss != "ce") {
    if (s.groupGap) throw Error(ErrorCode::InvalidOption, "fit: fairness groups train the full cross-entropy (loss \"ce\") only");
    std::vector<int64_t> counts(static_cast<size_t>(model.config.numItems) + 1, 0);  // (V+1) training frequency by item id
    for (int32_t item : data.items) ++counts[item];
    s.samplingCounts = torch::tensor(counts).narrow(0, 1, model.config.numItems);  // (V) rows of the output table
  }
  if (r.contrastiveWeight < 0.0 || !(r.contrastiveTemperature > 0.0))
    throw Error(ErrorCode::InvalidOption, "fit: contrastiveWeight must be >= 0 and contrastiveTemperature > 0");
  s.tasks = taskLossOptions(model, r, data);
  if (s.tasks && s.tasks->pointwiseWeight > 0.0 && model.net->heads->ratingMean.defined() && !r.resume) {
    double sum = 0.0;  // μ of the rating head: the mean rating of this fit's data
    int64_t rated = 0;
    for (float x : data.ratings)
      if (std::isfinite(x)) sum += x, ++rated;
    torch::NoGradGuard noGrad;
    model.net->heads->ratingMean.fill_(sum / static_cast<double>(std::max<int64_t>(rated, 1)));
  }
  if (r.nextItemWeight == 0.0 && (s.groupGap || r.loss != "ce"))
    throw Error(ErrorCode::InvalidOption, "fit: a next-item loss or fairness groups with nextItemWeight 0");
  if (r.contrastiveWeight > 0.0)
    s.contrastive = ContrastiveOptions{r.contrastiveWeight,  r.contrastiveTemperature, r.contrastiveCrop,     r.contrastiveMask,
                                       r.contrastiveReorder, model.config.causal,      model.net->maskToken()};
  const AdamWOptions options = adamWOptions(model, r);
  if (r.resume)
    continueRun(run, s.scope, options);
  else
    run.start(decayGroups(s.scope.trainable), options, r.adapter, s.tower != nullptr);
  // Items this run trains on get their id embedding from now on; the others stay text-only. Not
  // when the item table is frozen: their id rows would join the model untrained.
  s.softmax = model.net->hasText() ? softmaxItems(model.net, data.items, model.device) : SoftmaxItems{};
  if (r.adapter.empty() && !r.freezeEmbeddings && !r.biasAndNormOnly) model.net->activateItems(data.items);
  if (s.samplingCounts.defined()) {  // the output table's rows: all V items, or the text model's active ones
    torch::Tensor counts = s.softmax.rows.defined() ? s.samplingCounts.index_select(0, s.softmax.rows.cpu() - 1) : s.samplingCounts;
    s.sampled.emplace(SampledLossOptions{r.loss, r.negatives, r.gbceT}, counts.to(model.device));
  }
  if (s.worldSize > 1) {
    if (s.groupGap || s.contrastive || s.tasks || r.nextItemWeight != 1.0)
      throw Error(ErrorCode::InvalidOption,
                  "fit: distributed training (worldSize > 1) trains the next-item objective alone for now: no fairness groups, contrastive "
                  "loss or task heads");
    s.parallel = std::make_unique<DataParallel>(DistributedOptions{r.rank, s.worldSize, r.masterAddr, r.masterPort, r.distributedTimeoutMs,
                                                                   r.naiveReduce, r.bucketBytes, model.device, r.itemRows});
    std::vector<torch::Tensor> start;  // everything a rank computes with, as rank 0 has it, each tensor once
    std::unordered_set<const void*> listed;
    const auto add = [&](const torch::Tensor& t) {
      if (listed.insert(t.unsafeGetTensorImpl()).second) start.push_back(t.detach());
    };
    for (const auto& t : model.net->parameters()) add(t);
    for (const auto& t : model.net->buffers()) add(t);
    for (const auto& item : s.scope.trainable) add(item.value());  // adapters and the text tower's, beyond the base
    s.parallel->broadcast(start);
  }
  return s;
}

// With FitRequest.profile: the wall time since the last lap goes to one phase of StepProfile. On CUDA
// the device is synchronised first, so the time is the phase's and not its kernel launches'.
class PhaseClock {
 public:
  PhaseClock(bool on, const torch::Device& device) : on_(on), cuda_(device.is_cuda()) {}
  void lap(double StepProfile::*phase, StepProfile& profile) {
    if (!on_) return;
    if (cuda_) torch::cuda::synchronize();
    const auto now = Clock::now();
    profile.*phase += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  void start() {
    if (on_) last_ = Clock::now();
  }

 private:
  bool on_, cuda_;
  Clock::time_point last_;
};

// The auxiliary InfoNCE of one micro-batch (train/contrastive.h): two augmented views of each sequence
// through the same encoder (dropout on, like the batch), their final states contrasted.
torch::Tensor contrastiveLoss(Recommender& model, const FitRequest& r, const ContrastiveOptions& options, const Batch& batch, int64_t micro,
                              const torch::Tensor& table) {
  const ContrastiveViews views = contrastiveViews(batch.inputs, batch.targets, options,
                                                  streamSeed(model.config.seed, RngStream::Views, 0, static_cast<uint64_t>(micro)));
  auto finalState = [&](const torch::Tensor& view) {
    return model.net->forward(view.to(model.device), model.generator, r.adapter, table, /*lastOnly=*/true).squeeze(1);  // (B, d)
  };
  return infoNce(finalState(views.first), finalState(views.second), options.temperature);
}

// One optimizer step's mean losses: the objective's (what progress reports as loss) and the auxiliary InfoNCE.
struct StepLoss {
  double main = 0.0, contrastive = 0.0, pointwise = 0.0, attributes = 0.0;
};

// Mean loss of one optimizer step's micro-batches, gradients accumulated (not applied); nullopt when
// cancelled part-way (the partial gradients are dropped).
std::optional<StepLoss> accumulate(Recommender& model, const FitRequest& r, FitSetup& s, int64_t step, int64_t& sequences,
                                   const std::function<bool()>& cancelled, PhaseClock& clock, StepProfile& profile) {
  StepLoss stepLoss;
  for (int64_t a = 0; a < r.accumSteps; ++a) {
    if (cancelled()) return std::nullopt;
    const int64_t micro = step * r.accumSteps + a;
    Batch batch = s.sampler->batch(micro / s.perEpoch, micro % s.perEpoch);
    if (s.parallel) {
      batch = rankRows(std::move(batch), r.rank, r.batchSize);
      if (batch.inputs.size(0) == 0) {  // no rows for this rank in an epoch's short last batch: it still joins the sum, weighing 0
        const std::vector<double> all = s.parallel->sum({0.0, 0.0});
        stepLoss.main += all[1] / all[0] / static_cast<double>(r.accumSteps);
        continue;
      }
    }
    model.reseed(step, a * s.worldSize + r.rank);
    torch::Tensor inputs = batch.inputs.to(model.device);    // (B, L)
    torch::Tensor targets = batch.targets.to(model.device);  // (B, L)
    clock.lap(&StepProfile::sampleSec, profile);
    torch::Tensor text = s.tower ? s.tower->text(model.net->itemText, model.generator) : torch::Tensor();  // (R, T) or none
    torch::Tensor table = model.net->itemTable(model.generator, r.idDropout, text);                        // (R, d), one id-dropout draw
    torch::Tensor hidden = model.net->forward(inputs, model.generator, r.adapter, table);                  // (B, L, d)
    torch::Tensor output = table.narrow(0, 1, model.config.numItems);                                      // (V, d) tied
    const torch::Tensor itemTargets = targets;                                                             // (B, L) item ids
    if (s.softmax.rows.defined()) {
      output = table.index_select(0, s.softmax.rows);                                 // (V_a, d)
      targets = s.softmax.remap.index_select(0, targets.flatten()).view_as(targets);  // (B, L) in 0..V_a
    }
    clock.lap(&StepProfile::forwardSec, profile);
    double meanLoss = 0.0;  // what progress reports: the plain mean cross-entropy
    torch::Tensor loss = torch::zeros({}, hidden.options());
    if (r.nextItemWeight > 0.0) {
      loss = s.groupGap  ? (*s.groupGap)(hidden, output, targets, batch.users, r.lossChunkBytes, &meanLoss)
             : s.sampled ? (*s.sampled)(hidden, output, targets, model.generator)
                         : sequenceCrossEntropy(hidden, output, targets, r.lossChunkBytes, nullptr);
      if (!s.groupGap) meanLoss = loss.item<double>();
      if (r.nextItemWeight != 1.0) loss = loss * r.nextItemWeight;
    }
    if (s.tasks) {
      const TaskLossValues heads = taskLosses(model.net->heads, *s.tasks, hidden, table, itemTargets, batch.targetRatings);
      stepLoss.pointwise += heads.pointwise / static_cast<double>(r.accumSteps);
      stepLoss.attributes += heads.attributes / static_cast<double>(r.accumSteps);
      loss = loss + heads.total;
    }
    if (s.contrastive) {
      torch::Tensor views = contrastiveLoss(model, r, *s.contrastive, batch, micro, table);
      stepLoss.contrastive += views.item<double>() / static_cast<double>(r.accumSteps);
      loss = loss + s.contrastive->weight * views;
    }
    clock.lap(&StepProfile::lossSec, profile);
    if (s.parallel) {
      // The mean over every rank's targets, as one process with the whole batch takes it: this rank's
      // mean weighs N_r / ΣN (the gradients are then summed over ranks, train()).
      const double targetCount = static_cast<double>(itemTargets.ne(0).sum().item<int64_t>());
      const std::vector<double> all = s.parallel->sum({targetCount, targetCount * meanLoss});
      meanLoss = all[1] / all[0];
      loss = loss * (targetCount / all[0]);
    }
    if (s.parallel && a == r.accumSteps - 1) s.parallel->armBackward();  // this backward's gradients are the step's
    (loss / static_cast<double>(r.accumSteps)).backward();
    stepLoss.main += meanLoss / static_cast<double>(r.accumSteps);
    sequences += inputs.size(0);
    clock.lap(&StepProfile::backwardSec, profile);
  }
  return stepLoss;
}

// Progress since the last report (or the start), the window's throughput measured over its own time.
struct Reporter {
  Clock::time_point started = Clock::now(), windowStart = started;
  int64_t windowSequences = 0, sequences = 0;

  FitProgress report(int64_t step, const FitSetup& s, const FitRequest& r, const StepLoss& loss, double lr, double gradNorm) {
    const auto now = Clock::now();
    const double window = std::chrono::duration<double>(now - windowStart).count();
    FitProgress p;
    p.step = step;
    p.totalSteps = s.totalSteps;
    p.epoch = (step * r.accumSteps) / s.perEpoch;
    p.loss = loss.main;
    p.contrastiveLoss = loss.contrastive;
    p.pointwiseLoss = loss.pointwise;
    p.attributeLoss = loss.attributes;
    p.lr = lr;
    p.gradNorm = gradNorm;
    p.sequencesPerSec = window > 0 ? static_cast<double>(windowSequences) / window : 0.0;
    p.elapsedSec = std::chrono::duration<double>(now - started).count();
    sequences += windowSequences;
    windowSequences = 0;
    windowStart = now;
    return p;
  }
  void finish(FitResult& result) {
    sequences += windowSequences;
    result.elapsedSec = std::chrono::duration<double>(Clock::now() - started).count();
    result.sequencesPerSec = result.elapsedSec > 0 ? static_cast<double>(sequences) / result.elapsedSec : 0.0;
  }
};

}  // namespace

FitResult train(Recommender& model, TrainRun& run, FitRequest& r, const TrainHooks& hooks) {
  model.useThreads();
  checkCsr(r.offsets, r.items, model.config.numItems, "train");
  if (r.batchSize < 1 || r.accumSteps < 1 || r.progressEvery < 1 || r.lossChunkBytes < 1 || (r.maxSteps < 1 && r.epochs < 1))
    throw Error(ErrorCode::InvalidOption, "fit needs positive batchSize, accumSteps, progressEvery, lossChunkBytes and steps or epochs");
  if (!r.ratings.empty() && r.ratings.size() != r.items.size())
    throw Error(ErrorCode::InvalidData, "fit: ratings must hold one value per event (" + std::to_string(r.items.size()) + "), got " +
                                            std::to_string(r.ratings.size()));
  Interactions data{std::move(r.offsets), std::move(r.items), std::move(r.ratings)};
  FitSetup s = setUp(model, run, r, data);
  RequiresGradScope requiresGrad(model, s.scope);
  if (s.parallel) {  // what the ranks average: every tensor this fit trains (now requiring grad), in one order on every rank
    std::vector<torch::Tensor> trained;
    int64_t itemTable = -1;  // its index, for FitRequest.itemRows
    for (const auto& item : s.scope.trainable) {
      if (item.key() == "itemEmbedding.weight") itemTable = static_cast<int64_t>(trained.size());
      trained.push_back(item.value());
    }
    s.parallel->watch(trained, itemTable);
  }
  FitResult result;
  describeParameters(run.optimizer().groups(), s.scope, result);
  result.totalSteps = s.totalSteps;

  keepFreedHostMemory();
  struct Release {
    ~Release() { releaseFreedHostMemory(); }
  } releaseAtEnd;  // also when a step throws
  const std::function<bool()> cancelled = [&hooks] { return hooks.abort && hooks.abort->load(); };
  Reporter reporter;
  AdamW& optimizer = run.optimizer();
  PhaseClock clock(r.profile, model.device);
  model.net->train();
  for (int64_t step = run.step(); step < s.stopStep; ++step) {
    optimizer.zeroGrad();
    clock.start();
    const std::optional<StepLoss> loss = accumulate(model, r, s, step, reporter.windowSequences, cancelled, clock, result.profile);
    if (!loss || cancelled()) {
      result.aborted = true;
      break;
    }
    if (s.parallel) s.parallel->finishGradients();  // Σ_r N_r·g_r / ΣN: every rank the same
    const double gradNorm = clipGradNorm(optimizer.groups(), r.clipNorm);
    const bool finiteLoss =
        std::isfinite(loss->main) && std::isfinite(loss->contrastive) && std::isfinite(loss->pointwise) && std::isfinite(loss->attributes);
    if (!finiteLoss || !std::isfinite(gradNorm)) {
      optimizer.zeroGrad();
      throw Error(ErrorCode::NonFinite, "non-finite " + std::string(finiteLoss ? "gradient norm" : "loss") + " at step " +
                                            std::to_string(step) + "; the step was not applied");
    }
    const double lr = s.schedule.at(step);
    optimizer.step(lr);
    clock.lap(&StepProfile::optimizerSec, result.profile);  // clipping and the update
    run.setStep(step + 1);
    result.losses.push_back(static_cast<float>(loss->main));
    if (hooks.onProgress && (run.step() % r.progressEvery == 0 || run.step() == s.stopStep))
      hooks.onProgress(reporter.report(run.step(), s, r, *loss, lr, gradNorm));
  }
  optimizer.zeroGrad();  // also drops the partial gradients of a cancelled step
  model.net->eval();
  if (s.tower) s.tower->refresh(model.net->itemText);  // what inference and validation read
  result.steps = run.step();
  result.paused = !result.aborted && run.step() < s.totalSteps;
  reporter.finish(result);
  return result;
}

}  // namespace seqrec
