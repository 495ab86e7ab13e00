// One optimizer step = accumSteps micro-batches; micro-batch m of the run is batch
// (m / batchesPerEpoch) of epoch (m % …), so step s always sees the same data and dropout.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/error.h"
#include "common/host_memory.h"
#include "io/csr_check.h"
#include "train/fused_ce.h"
#include "train/lr_schedule.h"
#include "train/sampler.h"
#include "train/trainable.h"

namespace seqrec {

namespace {

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

}  // namespace

FitResult train(Recommender& model, FitRequest& r, const TrainHooks& hooks) {
  model.useThreads();
  checkCsr(r.offsets, r.items, model.config.numItems, "train");
  if (r.batchSize < 1 || r.accumSteps < 1 || r.progressEvery < 1 || r.lossChunkBytes < 1 || (r.maxSteps < 1 && r.epochs < 1))
    throw Error(ErrorCode::InvalidOption, "fit needs positive batchSize, accumSteps, progressEvery, lossChunkBytes and steps or epochs");
  Interactions data{std::move(r.offsets), std::move(r.items)};
  SamplerOptions samplerOptions;
  samplerOptions.maxLen = model.config.maxLen;
  samplerOptions.batchSize = r.batchSize;
  samplerOptions.causal = model.config.causal;
  samplerOptions.maskProb = r.maskProb;
  samplerOptions.maskToken = model.net->maskToken();
  samplerOptions.seed = static_cast<uint64_t>(model.config.seed);
  BatchSampler sampler(data, samplerOptions);
  if (sampler.trainableUsers() == 0)
    throw Error(ErrorCode::InvalidData, "no user has enough interactions to train on (causal mode needs >= 2)");

  const int64_t perEpoch = sampler.batchesPerEpoch();
  const int64_t totalSteps = r.maxSteps > 0 ? r.maxSteps : (r.epochs * perEpoch + r.accumSteps - 1) / r.accumSteps;
  const AdamWOptions adamOptions = AdamWOptions()
                                       .beta1(r.beta1)
                                       .beta2(r.beta2)
                                       .eps(r.eps)
                                       .weightDecay(r.weightDecay)
                                       .foreach(r.foreachAdamW || !model.device.is_cpu());
  // What this fit trains (the base minus frozen parameters, or one adapter), with everything else
  // requires_grad false until the fit ends, so frozen tensors get neither gradients nor moments.
  TrainScope scope = trainScope(model, r);
  TextTower* tower = model.textTower.get();  // end-to-end: the encoder's adapter trains too
  if (tower)
    for (const auto& item : tower->trainable()) scope.trainable.insert(item.key(), item.value());
  if (r.idDropout < 0.0 || r.idDropout >= 1.0 || (r.idDropout > 0.0 && !model.net->hasText()))
    throw Error(ErrorCode::InvalidOption, "fit: idDropout must be in [0, 1), and above 0 only for a model with item text");
  // Items this run trains on get their id embedding from now on; the others stay text-only. Not
  // when the item table is frozen: their id rows would join the model untrained.
  const SoftmaxItems softmax = model.net->hasText() ? softmaxItems(model.net, data.items, model.device) : SoftmaxItems{};
  if (r.adapter.empty() && !r.freezeEmbeddings && !r.biasAndNormOnly) model.net->activateItems(data.items);
  RequiresGradScope requiresGrad(model, scope);
  if (r.resume) {
    if (!model.optimizer) throw Error(ErrorCode::InvalidOption, "fit({ resume: true }) but the model has no run to resume");
    std::vector<std::string> running, wanted(scope.trainable.keys());
    for (const auto& g : model.optimizer->groups()) running.insert(running.end(), g.names.begin(), g.names.end());
    std::sort(running.begin(), running.end());
    std::sort(wanted.begin(), wanted.end());
    if (running != wanted)
      throw Error(ErrorCode::InvalidOption, "fit({ resume: true }) must train the same parameters as the run it resumes; "
                                            "its adapter or freeze options differ");
    model.optimizer->setOptions(adamOptions);
  } else {
    model.optimizer = std::make_unique<AdamW>(decayGroups(scope.trainable), adamOptions);
    model.optimizerAdapter = r.adapter;
    model.trainStep = 0;
  }
  const LrSchedule schedule{r.lr, r.warmupSteps, totalSteps, decayOf(r.decay), r.minLrRatio};
  const int64_t stopStep = r.untilEpoch > 0 ? std::min(totalSteps, (r.untilEpoch * perEpoch + r.accumSteps - 1) / r.accumSteps)
                                            : totalSteps;

  FitResult result;
  for (const auto& g : model.optimizer->groups()) {
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
  result.totalSteps = totalSteps;

  keepFreedHostMemory();
  struct Release {
    ~Release() { releaseFreedHostMemory(); }
  } releaseAtEnd;  // also when a step throws
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto windowStart = started;
  int64_t windowSequences = 0, sequences = 0;
  const auto cancelled = [&hooks] { return hooks.abort && hooks.abort->load(); };
  model.net->train();
  for (int64_t step = model.trainStep; step < stopStep; ++step) {
    if (cancelled()) {
      result.aborted = true;
      break;
    }
    model.optimizer->zeroGrad();
    double stepLoss = 0.0;
    for (int64_t a = 0; a < r.accumSteps && !cancelled(); ++a) {
      const int64_t micro = step * r.accumSteps + a;
      Batch batch = sampler.batch(micro / perEpoch, micro % perEpoch);
      model.reseed(step, a);
      torch::Tensor inputs = batch.inputs.to(model.device);    // (B, L)
      torch::Tensor targets = batch.targets.to(model.device);  // (B, L)
      torch::Tensor text = tower ? tower->text(model.net->itemText, model.generator) : torch::Tensor();  // (R, T) or none
      torch::Tensor table = model.net->itemTable(model.generator, r.idDropout, text);  // (R, d), one id-dropout draw
      torch::Tensor hidden = model.net->forward(inputs, model.generator, r.adapter, table);  // (B, L, d)
      torch::Tensor output = table.narrow(0, 1, model.config.numItems);               // (V, d) tied
      if (softmax.rows.defined()) {
        output = table.index_select(0, softmax.rows);                                 // (V_a, d)
        targets = softmax.remap.index_select(0, targets.flatten()).view_as(targets);   // (B, L) in 0..V_a
      }
      torch::Tensor loss = sequenceCrossEntropy(hidden, output, targets, r.lossChunkBytes, nullptr);
      (loss / static_cast<double>(r.accumSteps)).backward();
      stepLoss += loss.item<double>() / static_cast<double>(r.accumSteps);
      windowSequences += inputs.size(0);
    }
    if (cancelled()) {  // cancelled mid-accumulation: drop the partial gradients
      model.optimizer->zeroGrad();
      result.aborted = true;
      break;
    }
    const double gradNorm = clipGradNorm(model.optimizer->groups(), r.clipNorm);
    if (!std::isfinite(stepLoss) || !std::isfinite(gradNorm)) {
      model.optimizer->zeroGrad();
      throw Error(ErrorCode::NonFinite, "non-finite " + std::string(std::isfinite(stepLoss) ? "gradient norm" : "loss") +
                                            " at step " + std::to_string(step) + "; the step was not applied");
    }
    const double lr = schedule.at(step);
    model.optimizer->step(lr);
    model.trainStep = step + 1;
    result.losses.push_back(static_cast<float>(stepLoss));

    if (hooks.onProgress && (model.trainStep % r.progressEvery == 0 || model.trainStep == stopStep)) {
      const auto now = Clock::now();
      const double window = std::chrono::duration<double>(now - windowStart).count();
      sequences += windowSequences;
      FitProgress p;
      p.step = model.trainStep;
      p.totalSteps = totalSteps;
      p.epoch = (model.trainStep * r.accumSteps) / perEpoch;
      p.loss = stepLoss;
      p.lr = lr;
      p.gradNorm = gradNorm;
      p.sequencesPerSec = window > 0 ? static_cast<double>(windowSequences) / window : 0.0;
      p.elapsedSec = std::chrono::duration<double>(now - started).count();
      hooks.onProgress(p);
      windowStart = now;
      windowSequences = 0;
    }
  }
  model.optimizer->zeroGrad();
  model.net->eval();
  if (tower) tower->refresh(model.net->itemText);  // what inference and validation read
  sequences += windowSequences;
  result.steps = model.trainStep;
  result.paused = !result.aborted && model.trainStep < totalSteps;
  result.elapsedSec = std::chrono::duration<double>(Clock::now() - started).count();
  result.sequencesPerSec = result.elapsedSec > 0 ? static_cast<double>(sequences) / result.elapsedSec : 0.0;
  return result;
}

}  // namespace seqrec
