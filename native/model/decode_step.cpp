#include "model/decode_step.h"

#include <algorithm>
#include <cmath>

#include "common/vector_kernels.h"

namespace seqrec {

namespace {

void layerNorm(const float* x, const float* w, const float* b, int64_t d, double eps, float* y) {
  double mean = 0.0, var = 0.0;
  for (int64_t i = 0; i < d; ++i) mean += x[i];
  mean /= static_cast<double>(d);
  for (int64_t i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
  const double inv = 1.0 / std::sqrt(var / static_cast<double>(d) + eps);
  for (int64_t i = 0; i < d; ++i) y[i] = static_cast<float>((x[i] - mean) * inv) * w[i] + b[i];
}

std::vector<float> toVector(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

bool DecodeStep::supports(TransformerRecImpl& net, const std::string& adapter, const std::string& merged) {
  if (!(adapter.empty() || adapter == merged) || !net.options.causal() || !net.options.startPositions()) return false;
  if (!net.itemEmbedding->weight.device().is_cpu() || net.itemEmbedding->weight.scalar_type() != torch::kFloat) return false;
  for (const auto& block : *net.blocks)
    if (block->as<TransformerBlock>()->postNorm || block->as<TransformerBlock>()->activation != "gelu") return false;
  return true;
}

DecodeStep::Norm DecodeStep::copyNorm(const torch::nn::LayerNorm& norm) {
  return {toVector(norm->weight), toVector(norm->bias)};
}

DecodeStep::Linear DecodeStep::copyLinear(const torch::Tensor& weight, const torch::Tensor& bias) {
  return {toVector(weight.t()), toVector(bias), weight.size(1), weight.size(0)};  // weight (out, in)
}

DecodeStep::DecodeStep(TransformerRecImpl& net)
    : d_(net.options.dim()), H_(net.options.heads()), dh_(net.options.dim() / net.options.heads()) {
  torch::NoGradGuard noGrad;
  for (const auto& module : *net.blocks) {
    auto* block = module->as<TransformerBlock>();
    eps_ = block->attnNorm->options.eps();
    auto& attention = block->attention;
    blocks_.push_back({copyNorm(block->attnNorm), copyNorm(block->ffnNorm), copyLinear(attention->query->weight, attention->query->bias),
                       copyLinear(attention->key->weight, attention->key->bias),
                       copyLinear(attention->value->weight, attention->value->bias),
                       copyLinear(attention->out->weight, attention->out->bias), copyLinear(block->ffnIn->weight, block->ffnIn->bias),
                       copyLinear(block->ffnOut->weight, block->ffnOut->bias)});
  }
  finalNorm_ = copyNorm(net.finalNorm);
  finalEps_ = net.finalNorm->options.eps();
  const auto all = torch::arange(net.itemEmbedding->weight.size(0), torch::kLong);
  itemRows_ = net.inputRows(all).to(torch::kFloat).contiguous();                       // (R, d)
  positions_ = net.positionEmbedding->weight.detach().to(torch::kFloat).contiguous();  // (L, d)
}

torch::Tensor DecodeStep::append(const int32_t* items, std::vector<KeyValueCache>* const* caches, int64_t b) const {
  const int64_t d = d_, H = H_, dh = dh_, F = blocks_.at(0).ffnIn.out;
  int64_t longest = 0;  // the most positions one row attends over
  for (int64_t r = 0; r < b; ++r) {
    const int64_t pos = caches[r]->at(0).length;
    TORCH_CHECK(pos < positions_.size(0), "the key/value cache holds ", positions_.size(0), " positions");
    for (const auto& layer : *caches[r])
      TORCH_CHECK(pos < layer.keys.size(2), "the key/value cache holds ", layer.keys.size(2), " positions");
    longest = std::max(longest, pos + 1);
  }
  // The b rows' activations, in one buffer kept for the thread's next step: allocating ~30 KB on every step costs
  // glibc a consolidation of its small free chunks each time.
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(b * (4 * d + F) + longest));
  float *x = buffer.data(), *a = x + b * d, *q = a + b * d, *y = q + b * d, *f = y + b * d, *scores = f + b * F;  // (b, d) ×4, (b, F)
  const float scale = std::sqrt(static_cast<float>(d));
  for (int64_t r = 0; r < b; ++r) {
    const float* row = itemRows_.data_ptr<float>() + items[r] * d;
    const float* p = positions_.data_ptr<float>() + caches[r]->at(0).length * d;
    for (int64_t i = 0; i < d; ++i) x[r * d + i] = row[i] * scale + p[i];
  }
  const float invSqrt = 1.0f / std::sqrt(static_cast<float>(dh));
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const Block& blk = blocks_[l];
    // attention: a = LN(x); q, k, v; each row's k and v join its cache; softmax(q·Kᵀ/√dh)·V per row and head
    for (int64_t r = 0; r < b; ++r) layerNorm(x + r * d, blk.attnNorm.weight.data(), blk.attnNorm.bias.data(), d, eps_, a + r * d);
    linearBatch(blk.query.weightT.data(), blk.query.bias.data(), a, b, d, d, q);
    for (int pass = 0; pass < 2; ++pass) {  // keys, then values
      const Linear& w = pass == 0 ? blk.key : blk.value;
      linearBatch(w.weightT.data(), w.bias.data(), a, b, d, d, y);
      for (int64_t r = 0; r < b; ++r) {
        KeyValueCache& kv = (*caches[r])[l];
        const int64_t pos = kv.length, capacity = kv.keys.size(2);
        float* store = (pass == 0 ? kv.keys : kv.values).data_ptr<float>();  // (H, capacity, dh)
        for (int64_t h = 0; h < H; ++h) std::copy_n(y + r * d + h * dh, dh, store + (h * capacity + pos) * dh);
      }
    }
    // The next row's keys and values are asked of memory while this row's are used: a server's sessions are many and
    // their caches cold (1,000 sessions of ~120 events, batches of 16: 34.6 → 31.4 µs a session with the buffer above).
    const auto prefetchRow = [&](int64_t r) {
      const KeyValueCache& kv = (*caches[r])[l];
      const int64_t capacity = kv.keys.size(2), bytes = (kv.length + 1) * dh * static_cast<int64_t>(sizeof(float));
      for (const torch::Tensor* t : {&kv.keys, &kv.values}) {
        const float* cache = t->data_ptr<float>();  // (H, capacity, dh)
        for (int64_t h = 0; h < H; ++h) {
          const char* start = reinterpret_cast<const char*>(cache + h * capacity * dh);
          for (int64_t at = 0; at < bytes; at += 64) __builtin_prefetch(start + at);
        }
      }
    };
    prefetchRow(0);
    for (int64_t r = 0; r < b; ++r) {
      if (r + 1 < b) prefetchRow(r + 1);
      const KeyValueCache& kv = (*caches[r])[l];
      const int64_t pos = kv.length, capacity = kv.keys.size(2);
      const float* keys = kv.keys.data_ptr<float>();      // (H, capacity, dh)
      const float* values = kv.values.data_ptr<float>();  // (H, capacity, dh)
      for (int64_t h = 0; h < H; ++h) {
        rowDots(keys + h * capacity * dh, pos + 1, dh, q + r * d + h * dh, scores);
        softmax(scores, pos + 1, invSqrt);
        linearRows(values + h * capacity * dh, nullptr, scores, pos + 1, dh, a + r * d + h * dh);  // a is free again: the heads' outputs
      }
    }
    linearBatch(blk.out.weightT.data(), blk.out.bias.data(), a, b, d, d, y);
    for (int64_t i = 0; i < b * d; ++i) x[i] += y[i];
    // feed-forward: x += W2·GELU(W1·LN(x))
    for (int64_t r = 0; r < b; ++r) layerNorm(x + r * d, blk.ffnNorm.weight.data(), blk.ffnNorm.bias.data(), d, eps_, a + r * d);
    linearBatch(blk.ffnIn.weightT.data(), blk.ffnIn.bias.data(), a, b, d, F, f);
    gelu(f, b * F);
    linearBatch(blk.ffnOut.weightT.data(), blk.ffnOut.bias.data(), f, b, F, d, y);
    for (int64_t i = 0; i < b * d; ++i) x[i] += y[i];
  }
  torch::Tensor out = torch::empty({b, d}, torch::kFloat);  // (b, d)
  for (int64_t r = 0; r < b; ++r) {
    for (auto& layer : *caches[r]) ++layer.length;
    layerNorm(x + r * d, finalNorm_.weight.data(), finalNorm_.bias.data(), d, finalEps_, out.data_ptr<float>() + r * d);
  }
  return out;
}

}  // namespace seqrec
