// Forward pass of the transformer recommender. Backward is LibTorch autograd for the encoder;
// the hand-written backward is only the fused output loss (native/train/fused_ce.cpp).
#include "model/transformer.h"

#include <cmath>

#include "model/dropout.h"

namespace seqrec {

TransformerBlockImpl::TransformerBlockImpl(const TransformerBlockOptions& o)
    : dropoutP(o.dropout()), postNorm(o.postNorm()), activation(o.activation()) {
  const int64_t F = o.ffnDim() > 0 ? o.ffnDim() : 4 * o.dim();
  TORCH_CHECK(activation == "gelu" || activation == "gelu_tanh" || activation == "relu", "unknown activation ", activation);
  attnNorm = register_module("attnNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()}).eps(o.normEps())));
  attention = register_module(
      "attention",
      MultiHeadAttention(MultiHeadAttentionOptions(o.dim(), o.heads()).dropout(o.attnDropout()).causal(o.causal()).useSdpa(o.useSdpa())));
  ffnNorm = register_module("ffnNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()}).eps(o.normEps())));
  ffnIn = register_module("ffnIn", LoraLinear(LoraLinearOptions(o.dim(), F)));
  ffnOut = register_module("ffnOut", LoraLinear(LoraLinearOptions(F, o.dim())));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& keyValid, at::Generator& gen,
                                            const std::string& adapter, bool lastOnly, KeyValueCache* cache) {
  auto act = [&](const torch::Tensor& t) {
    return activation == "relu" ? torch::relu(t) : activation == "gelu_tanh" ? torch::gelu(t, "tanh") : torch::gelu(t);
  };
  if (postNorm) {
    torch::Tensor h = attnNorm(x + dropout(attention(x, keyValid, gen, adapter), dropoutP, is_training(), gen));  // (B, L, d)
    torch::Tensor f = ffnOut(act(ffnIn(h, gen, adapter)), gen, adapter);                                          // (B, L, d)
    return ffnNorm(h + dropout(f, dropoutP, is_training(), gen));                                                 // (B, L, d)
  }
  TORCH_CHECK(!lastOnly || !postNorm, "lastOnly is for pre-LN blocks");
  torch::Tensor a = attention(attnNorm(x), keyValid, gen, adapter, lastOnly, cache);                            // (B, L or 1, d)
  torch::Tensor h = (lastOnly ? x.narrow(1, x.size(1) - 1, 1) : x) + dropout(a, dropoutP, is_training(), gen);  // (B, L or 1, d)
  torch::Tensor f = act(ffnIn(ffnNorm(h), gen, adapter));                                                       // (B, L, F)
  f = ffnOut(dropout(f, dropoutP, is_training(), gen), gen, adapter);                                           // (B, L, d)
  return h + dropout(f, dropoutP, is_training(), gen);                                                          // (B, L, d)
}

TransformerRecImpl::TransformerRecImpl(const TransformerRecOptions& options_) : options(options_) {
  const int64_t rows = options.numItems() + (options.causal() ? 1 : 2);
  itemEmbedding = register_module("itemEmbedding", torch::nn::Embedding(rows, options.dim()));
  positionEmbedding = register_module("positionEmbedding", torch::nn::Embedding(options.maxLen(), options.dim()));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) blocks->push_back(TransformerBlock(options.block()));
  finalNorm = register_module("finalNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()})));
  TORCH_CHECK(options.causal() || !options.startPositions(), "startPositions is for causal models");
  if (hasText()) addText(rows);
  // Registered last, so the other parameters draw the same initial values as without them.
  if (!options.pointwise().empty() || options.attributes() > 0)
    heads = register_module("heads",
                            TaskHeads(TaskHeadsOptions(options.dim()).pointwise(options.pointwise()).attributes(options.attributes())));
}

void TransformerRecImpl::addText(int64_t rows) {
  // Registered after the encoder, so its parameters draw the same initial values as without text.
  textProjection =
      register_module("textProjection", torch::nn::Linear(torch::nn::LinearOptions(options.textDim(), options.dim()).bias(false)));
  itemText = register_buffer("itemText", torch::zeros({rows, options.textDim()}));  // (R, T)
  idActive = register_buffer("idActive", torch::zeros({rows}));                     // (R)
  // BERT4Rec's [mask] token has no text: its input row is its id embedding, always.
  if (!options.causal()) idActive[maskToken()] = 1.0;
}

torch::Tensor TransformerRecImpl::itemTable(at::Generator& gen, double idDropout, const torch::Tensor& text) {
  if (!hasText()) return itemEmbedding->weight;  // (R, d)
  torch::Tensor idScale = idActive;              // (R)
  if (is_training() && idDropout > 0.0) {
    torch::Tensor keep = torch::empty_like(idActive).bernoulli_(1.0 - idDropout, gen);  // (R)
    if (!options.causal()) keep[maskToken()] = 1.0;
    idScale = idScale * keep;
  }
  return itemEmbedding->weight * idScale.unsqueeze(1) + textProjection(text.defined() ? text : itemText);  // (R, d)
}

void TransformerRecImpl::activateItems(const std::vector<int32_t>& items) {
  if (!hasText()) return;
  torch::NoGradGuard noGrad;
  torch::Tensor marks = torch::zeros({idActive.size(0)});  // (R) on the CPU, one copy to the device
  float* m = marks.data_ptr<float>();
  for (int32_t item : items) m[item] = 1.0f;  // ids checked by the caller (checkCsr)
  idActive.copy_(torch::maximum(idActive, marks.to(idActive.device())));
}

void TransformerRecImpl::growItems(int64_t numItems, at::Generator& gen) {
  const int64_t V = options.numItems(), added = numItems - V;
  TORCH_CHECK(added > 0, "growItems: ", numItems, " items is not more than ", V);
  torch::NoGradGuard noGrad;
  // set_data swaps the storage of the registered tensor itself, so parameters(), buffers() and
  // every member that refers to it see the larger table.
  auto grow = [&](torch::Tensor& t, const torch::Tensor& fresh) {  // (R, ...) -> (R + added, ...)
    std::vector<torch::Tensor> parts{t.narrow(0, 0, V + 1), fresh.to(t.device(), t.dtype())};
    if (!options.causal()) parts.push_back(t.narrow(0, V + 1, 1));  // [mask]
    t.set_data(torch::cat(parts));
  };
  grow(itemEmbedding->weight, torch::empty({added, options.dim()}).normal_(0.0, 0.02, gen));  // (added, d)
  if (hasText()) {
    grow(itemText, torch::zeros({added, options.textDim()}));  // (added, T)
    grow(idActive, torch::zeros({added}));                     // (added)
  }
  options.numItems(numItems);
  itemEmbedding->options.num_embeddings(itemEmbedding->weight.size(0));
}

torch::Tensor TransformerRecImpl::inputRows(const torch::Tensor& ids) {
  if (!hasText()) return itemEmbedding(ids);                                                                  // (..., d)
  torch::Tensor active = idActive.index_select(0, ids.flatten()).view(ids.sizes()).unsqueeze(-1);             // (..., 1)
  return itemEmbedding(ids) * active + textProjection(torch::embedding(itemText, ids).to(itemText.dtype()));  // (..., d)
}

torch::Tensor TransformerRecImpl::forward(const torch::Tensor& seq, at::Generator& gen, const std::string& adapter,
                                          const torch::Tensor& table, bool lastOnly) {
  const int64_t B = seq.size(0), L = seq.size(1), d = options.dim();
  TORCH_CHECK(L <= options.maxLen(), "sequence length ", L, " exceeds maxLen ", options.maxLen());
  // Start-anchored positions: row b's p_b pads move from its start to its end (gather), so event j
  // is at position j and causal attention never sees a pad. Skipped when inference has no padding.
  const bool wantLast = lastOnly;
  torch::Tensor pads;  // (B, 1) int64, defined when the rows are moved
  torch::Tensor input = seq;
  if (options.startPositions() && (!lastOnly || seq.select(1, 0).eq(0).any().item<bool>())) {
    pads = seq.eq(0).sum(1, true);                                                                         // (B, 1)
    input = seq.gather(1, (torch::arange(L, seq.options().dtype(torch::kLong)).unsqueeze(0) + pads) % L);  // (B, L) events first
    lastOnly = false;
  }
  torch::Tensor valid = input.ne(0);                                                                       // (B, L) bool
  torch::Tensor positions = torch::arange(L, seq.options().dtype(torch::kLong));                           // (L)
  torch::Tensor items = table.defined() && hasText() ? torch::embedding(table, input) : inputRows(input);  // (B, L, d)
  torch::Tensor x = items * std::sqrt(static_cast<double>(d)) + positionEmbedding(positions);              // (B, L, d)
  x = dropout(x, options.dropout(), is_training(), gen);
  x = x * valid.unsqueeze(-1).to(x.dtype());  // padding positions start as zero vectors (SASRec)
  for (size_t i = 0; i < blocks->size(); ++i)
    x = blocks[i]->as<TransformerBlock>()->forward(x, valid, gen, adapter, lastOnly && i + 1 == blocks->size());  // (B, L or 1, d)
  x = finalNorm(x);  // (B, L, d), or (B, 1, d) with lastOnly
  if (!pads.defined()) return x;
  torch::Tensor back = (torch::arange(L, pads.options()).unsqueeze(0) + L - pads) % L;  // (B, L): where each original position went
  if (wantLast) back = back.narrow(1, L - 1, 1);                                        // (B, 1): the newest event
  return x.gather(1, back.unsqueeze(-1).expand({B, back.size(1), d}));                  // (B, L or 1, d)
}

std::vector<KeyValueCache> TransformerRecImpl::newCache(int64_t capacity) const {
  const int64_t H = options.heads(), dh = options.dim() / H;
  std::vector<KeyValueCache> cache(blocks->size());
  for (auto& layer : cache) {
    layer.keys =
        torch::zeros({1, H, std::min(capacity, options.maxLen()), dh}, positionEmbedding->weight.options());  // (1, H, capacity, dh)
    layer.values = torch::zeros_like(layer.keys);
  }
  return cache;
}

torch::Tensor TransformerRecImpl::extend(const torch::Tensor& items, std::vector<KeyValueCache>& cache, at::Generator& gen,
                                         const std::string& adapter) {
  TORCH_CHECK(options.startPositions() && !is_training(), "extend is for start-anchored models in eval mode");
  const int64_t start = cache.at(0).length, m = items.size(0);
  TORCH_CHECK(m > 0 && start + m <= options.maxLen(), "extend: ", start, " + ", m, " events exceed maxLen ", options.maxLen());
  if (start > 0 && m > 1) {  // the cached attention takes one new position at a time after the first call
    torch::Tensor h;
    for (int64_t i = 0; i < m; ++i) h = extend(items.narrow(0, i, 1), cache, gen, adapter);
    return h;
  }
  torch::Tensor positions = torch::arange(start, start + m, items.options().dtype(torch::kLong));  // (m)
  torch::Tensor x =
      inputRows(items.unsqueeze(0)) * std::sqrt(static_cast<double>(options.dim())) + positionEmbedding(positions);  // (1, m, d)
  for (size_t i = 0; i < blocks->size(); ++i)
    x = blocks[i]->as<TransformerBlock>()->forward(x, {}, gen, adapter, false, &cache[i]);  // (1, m, d)
  return finalNorm(x.select(1, m - 1));                                                     // (1, d)
}

LoraLayers TransformerRecImpl::loraLayers() const {
  return loraLayersOf(*this);
}

torch::Tensor TransformerRecImpl::outputWeight(at::Generator& gen) {
  return itemTable(gen).narrow(0, 1, options.numItems());  // (V, d)
}

void TransformerRecImpl::resetParameters(at::Generator& gen) {
  torch::NoGradGuard noGrad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<LoraLinear>()) {  // same draws, in the same order, as when these were nn::Linear
      linear->weight.normal_(0.0, 0.02, gen);
      linear->bias.zero_();
    } else if (auto* norm = module->as<torch::nn::LayerNorm>()) {
      norm->weight.fill_(1.0);
      norm->bias.zero_();
    } else if (auto* embedding = module->as<torch::nn::Embedding>()) {
      embedding->weight.normal_(0.0, 0.02, gen);
    } else if (auto* projection = module->as<torch::nn::Linear>()) {  // textProjection, the task heads
      projection->weight.normal_(0.0, 0.02, gen);
      if (projection->bias.defined()) projection->bias.zero_();
    }
  }
  itemEmbedding->weight[0].zero_();
}

}  // namespace seqrec
