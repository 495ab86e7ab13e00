#include "model/decode_step.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

torch::Tensor DecodeStep::append(int32_t item, std::vector<KeyValueCache>& cache) const {
  const int64_t d = d_, H = H_, dh = dh_, pos = cache.at(0).length, F = blocks_.at(0).ffnIn.out;
  TORCH_CHECK(pos < positions_.size(0), "the key/value cache holds ", positions_.size(0), " positions");
  std::vector<float> buffer(4 * d + F + pos + 1);  // one position's activations, in one allocation
  float *x = buffer.data(), *a = x + d, *q = a + d, *y = q + d, *f = y + d, *scores = f + F;
  const float* row = itemRows_.data_ptr<float>() + item * d;
  const float* p = positions_.data_ptr<float>() + pos * d;
  const float scale = std::sqrt(static_cast<float>(d));
  for (int64_t i = 0; i < d; ++i) x[i] = row[i] * scale + p[i];
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const Block& b = blocks_[l];
    KeyValueCache& kv = cache[l];
    const int64_t capacity = kv.keys.size(2);
    TORCH_CHECK(pos < capacity, "the key/value cache holds ", capacity, " positions");
    float* keys = kv.keys.data_ptr<float>();      // (H, capacity, dh)
    float* values = kv.values.data_ptr<float>();  // (H, capacity, dh)
    // attention: a = LN(x); q, k, v; this position's k and v join the cache; softmax(q·Kᵀ/√dh)·V per head
    layerNorm(x, b.attnNorm.weight.data(), b.attnNorm.bias.data(), d, eps_, a);
    linearRows(b.query.weightT.data(), b.query.bias.data(), a, d, d, q);
    linearRows(b.key.weightT.data(), b.key.bias.data(), a, d, d, y);
    for (int64_t h = 0; h < H; ++h) std::copy_n(y + h * dh, dh, keys + (h * capacity + pos) * dh);
    linearRows(b.value.weightT.data(), b.value.bias.data(), a, d, d, y);
    for (int64_t h = 0; h < H; ++h) std::copy_n(y + h * dh, dh, values + (h * capacity + pos) * dh);
    const float invSqrt = 1.0f / std::sqrt(static_cast<float>(dh));
    for (int64_t h = 0; h < H; ++h) {
      const float* qh = q + h * dh;
      rowDots(keys + h * capacity * dh, pos + 1, dh, qh, scores);
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j <= pos; ++j) top = std::max(top, scores[j] *= invSqrt);
      float total = 0.0f;
      for (int64_t j = 0; j <= pos; ++j) total += (scores[j] = std::exp(scores[j] - top));
      for (int64_t j = 0; j <= pos; ++j) scores[j] /= total;
      linearRows(values + h * capacity * dh, nullptr, scores, pos + 1, dh, a + h * dh);  // a is free again: the heads' outputs (d)
    }
    linearRows(b.out.weightT.data(), b.out.bias.data(), a, d, d, y);
    for (int64_t i = 0; i < d; ++i) x[i] += y[i];
    // feed-forward: x += W2·GELU(W1·LN(x))
    layerNorm(x, b.ffnNorm.weight.data(), b.ffnNorm.bias.data(), d, eps_, a);
    linearRows(b.ffnIn.weightT.data(), b.ffnIn.bias.data(), a, d, F, f);
    for (int64_t i = 0; i < F; ++i) f[i] = 0.5f * f[i] * (1.0f + std::erf(f[i] * static_cast<float>(M_SQRT1_2)));
    linearRows(b.ffnOut.weightT.data(), b.ffnOut.bias.data(), f, F, d, y);
    for (int64_t i = 0; i < d; ++i) x[i] += y[i];
  }
  for (auto& layer : cache) layer.length = pos + 1;
  torch::Tensor h = torch::empty({1, d}, torch::kFloat);  // (1, d)
  layerNorm(x, finalNorm_.weight.data(), finalNorm_.bias.data(), d, finalEps_, h.data_ptr<float>());
  return h;
}

}  // namespace seqrec
