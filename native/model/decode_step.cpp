#include "model/decode_step.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace seqrec {

namespace {

// y (out) = b + xᵀ·Wᵀ with W stored transposed (in, out): an axpy per input, contiguous over the
// outputs, which the compiler vectorises without reassociating a sum.
void linear(const float* wT, const float* b, const float* x, int64_t in, int64_t out, float* y) {
  for (int64_t o = 0; o < out; ++o) y[o] = b[o];
  for (int64_t i = 0; i < in; ++i) {
    const float xi = x[i];
    const float* row = wT + i * out;
    for (int64_t o = 0; o < out; ++o) y[o] += xi * row[o];
  }
}

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
  std::vector<float> x(d), a(d), q(d), y(d), f(F), scores(pos + 1);  // one position's activations
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
    layerNorm(x.data(), b.attnNorm.weight.data(), b.attnNorm.bias.data(), d, eps_, a.data());
    linear(b.query.weightT.data(), b.query.bias.data(), a.data(), d, d, q.data());
    linear(b.key.weightT.data(), b.key.bias.data(), a.data(), d, d, y.data());
    for (int64_t h = 0; h < H; ++h) std::copy_n(y.data() + h * dh, dh, keys + (h * capacity + pos) * dh);
    linear(b.value.weightT.data(), b.value.bias.data(), a.data(), d, d, y.data());
    for (int64_t h = 0; h < H; ++h) std::copy_n(y.data() + h * dh, dh, values + (h * capacity + pos) * dh);
    const float invSqrt = 1.0f / std::sqrt(static_cast<float>(dh));
    for (int64_t h = 0; h < H; ++h) {
      const float* qh = q.data() + h * dh;
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j <= pos; ++j) {
        const float* kj = keys + (h * capacity + j) * dh;
        float s = 0.0f;
        for (int64_t c = 0; c < dh; ++c) s += qh[c] * kj[c];
        scores[j] = s * invSqrt;
        top = std::max(top, scores[j]);
      }
      float total = 0.0f;
      for (int64_t j = 0; j <= pos; ++j) total += (scores[j] = std::exp(scores[j] - top));
      float* out = a.data() + h * dh;  // a is free again: the heads' outputs, merged (d)
      std::fill_n(out, dh, 0.0f);
      for (int64_t j = 0; j <= pos; ++j) {
        const float w = scores[j] / total;
        const float* vj = values + (h * capacity + j) * dh;
        for (int64_t c = 0; c < dh; ++c) out[c] += w * vj[c];
      }
    }
    linear(b.out.weightT.data(), b.out.bias.data(), a.data(), d, d, y.data());
    for (int64_t i = 0; i < d; ++i) x[i] += y[i];
    // feed-forward: x += W2·GELU(W1·LN(x))
    layerNorm(x.data(), b.ffnNorm.weight.data(), b.ffnNorm.bias.data(), d, eps_, a.data());
    linear(b.ffnIn.weightT.data(), b.ffnIn.bias.data(), a.data(), d, F, f.data());
    for (float& v : f) v = 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2)));
    linear(b.ffnOut.weightT.data(), b.ffnOut.bias.data(), f.data(), F, d, y.data());
    for (int64_t i = 0; i < d; ++i) x[i] += y[i];
  }
  for (auto& layer : cache) layer.length = pos + 1;
  torch::Tensor h = torch::empty({1, d}, torch::kFloat);  // (1, d)
  layerNorm(x.data(), finalNorm_.weight.data(), finalNorm_.bias.data(), d, finalEps_, h.data_ptr<float>());
  return h;
}

}  // namespace seqrec
