// Recommender::exportState / importState: every parameter and buffer (the item text) as
// "model.<name>". The RNG needs no bytes: dropout and batches are pure functions of (config.seed,
// step). LoRA adapters are not part of it (they are saved apart, in the PEFT layout), and the run
// that trains the model adds its own tensors beside these (train/train_run.h).
#include <cmath>

#include "common/error.h"
#include "common/rng.h"
#include "io/csr_check.h"
#include "io/tensor_bytes.h"
#include "model/recommender.h"

namespace seqrec {

ModelState Recommender::exportState() const {
  ModelState state;
  for (const auto& p : net->named_parameters()) state.tensors.push_back(tensorEntry("model." + p.key(), p.value()));
  for (const auto& b : net->named_buffers()) state.tensors.push_back(tensorEntry("model." + b.key(), b.value()));  // item text
  return state;
}

void Recommender::importState(const ModelState& state) {
  // Copying into merged weights would leave the saved unmerged copies stale.
  if (!merged_.empty())
    throw Error(ErrorCode::InvalidOption, "importState: adapter \"" + merged_ + "\" is merged into the weights; unmerge it first");
  const NamedTensors saved(state.tensors);
  // Every tensor is read (and checked) before any is copied, so a bad state leaves the model as it was.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)
  for (const auto& p : net->named_parameters()) copies.emplace_back(p.value(), saved.read("model." + p.key(), p.value().sizes().vec()));
  for (const auto& b : net->named_buffers()) copies.emplace_back(b.value(), saved.read("model." + b.key(), b.value().sizes().vec()));
  torch::NoGradGuard noGrad;
  for (auto& [to, from] : copies) to.copy_(from);
}

// (n) checked ids in 1..V as an int64 index tensor on the model's device.
static torch::Tensor itemIndex(const std::vector<int32_t>& items, int64_t V, const torch::Device& device, const std::string& field) {
  checkItemIds(items, V, field);
  const auto n = static_cast<int64_t>(items.size());
  return torch::from_blob(const_cast<int32_t*>(items.data()), {n}, torch::kInt).to(device, torch::kLong);  // (n)
}

std::vector<float> Recommender::itemRows(const std::vector<int32_t>& items) const {
  torch::Tensor index = itemIndex(items, config.numItems, device, "itemRows.items");                                            // (n)
  torch::Tensor rows = net->itemEmbedding->weight.detach().index_select(0, index).to(torch::kCPU, torch::kFloat).contiguous();  // (n, d)
  return std::vector<float>(rows.data_ptr<float>(), rows.data_ptr<float>() + rows.numel());
}

void Recommender::setItemRows(const ItemRows& r) {
  const int64_t n = static_cast<int64_t>(r.items.size()), d = config.dim;
  if (static_cast<int64_t>(r.rows.size()) != n * d)
    throw Error(ErrorCode::InvalidData,
                "setItemRows: rows holds " + std::to_string(r.rows.size()) + " values, expected n·d = " + std::to_string(n * d));
  for (float x : r.rows)
    if (!std::isfinite(x)) throw Error(ErrorCode::InvalidData, "setItemRows: the rows hold NaN or Infinity");
  if (!merged_.empty())
    throw Error(ErrorCode::InvalidOption, "setItemRows: adapter \"" + merged_ + "\" is merged into the weights; unmerge it first");
  torch::Tensor index = itemIndex(r.items, config.numItems, device, "setItemRows.items");                      // (n)
  torch::Tensor rows = torch::from_blob(const_cast<float*>(r.rows.data()), {n, d}, torch::kFloat).to(device);  // (n, d) copy
  torch::NoGradGuard noGrad;
  net->itemEmbedding->weight.index_copy_(0, index, rows.to(net->itemEmbedding->weight.dtype()));
}

void Recommender::transferFrom(const Recommender& base) {
  if (base.config.causal != config.causal || base.config.dim != config.dim || base.config.layers != config.layers ||
      base.config.heads != config.heads || base.config.maxLen != config.maxLen || base.config.textDim != config.textDim)
    throw Error(ErrorCode::InvalidOption, "transferFrom: the base has another architecture or other sizes");
  if (!base.merged_.empty() || !merged_.empty())
    throw Error(ErrorCode::InvalidOption, "transferFrom: unmerge the adapters of both models first");
  const auto from = base.net->named_parameters();
  torch::NoGradGuard noGrad;
  for (auto& p : net->named_parameters()) {
    if (p.key() == "itemEmbedding.weight") continue;  // per catalogue
    const torch::Tensor* s = from.find(p.key());
    if (s == nullptr || s->sizes() != p.value().sizes())
      throw Error(ErrorCode::InvalidOption,
                  "transferFrom: the base has no parameter \"" + p.key() + "\" of shape " + c10::str(p.value().sizes()));
    p.value().copy_(*s);
  }
  if (!config.causal) {                                                                         // the [mask] row: the table's last
    torch::Tensor mine = net->itemEmbedding->weight, theirs = base.net->itemEmbedding->weight;  // (V+2, d), (V'+2, d)
    mine[mine.size(0) - 1].copy_(theirs[theirs.size(0) - 1]);
  }
}

void Recommender::growItems(int64_t numItems) {
  if (numItems <= config.numItems || numItems > (int64_t{1} << 31) - 3)
    throw Error(ErrorCode::InvalidOption, "growItems: items must be more than the model's " + std::to_string(config.numItems) +
                                              " (and below 2^31 - 2), got " + std::to_string(numItems));
  if (!merged_.empty())
    throw Error(ErrorCode::InvalidOption, "growItems: adapter \"" + merged_ + "\" is merged into the weights; unmerge it first");
  if (textTower) throw Error(ErrorCode::InvalidOption, "growItems: detach the text encoder first (it encodes a fixed catalogue)");
  at::Generator gen = cpuGenerator(streamSeed(config.seed, RngStream::Grow, 0, static_cast<uint64_t>(numItems)));
  net->growItems(numItems, gen);
  config.numItems = numItems;
}

}  // namespace seqrec
