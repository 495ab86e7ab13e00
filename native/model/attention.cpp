// Multi-head attention: projections, head split, SDPA or explicit attention, head merge.
// LibTorch 2.x: at::scaled_dot_product_attention; 1.13: at::_scaled_dot_product_attention
// (same maths, returns (out, weights)); anything older takes the explicit path.
#include "model/attention.h"

#include <cmath>

#include "model/dropout.h"

namespace seqrec {

void KeyValueCache::reserve(int64_t capacity) {
  if (keys.size(2) >= capacity) return;
  auto grow = [&](torch::Tensor& t) {
    torch::Tensor bigger = torch::zeros({t.size(0), t.size(1), capacity, t.size(3)}, t.options());  // (1, H, capacity, dh)
    bigger.narrow(2, 0, length).copy_(t.narrow(2, 0, length));
    t = bigger;
  };
  grow(keys);
  grow(values);
}

bool hasSdpa() {
  return TORCH_VERSION_MAJOR >= 2 || (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR >= 13);
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options_) : options(options_) {
  TORCH_CHECK(options.dim() % options.heads() == 0, "dim ", options.dim(), " is not divisible by heads ", options.heads());
  query = register_module("query", LoraLinear(LoraLinearOptions(options.dim(), options.dim())));
  key = register_module("key", LoraLinear(LoraLinearOptions(options.dim(), options.dim())));
  value = register_module("value", LoraLinear(LoraLinearOptions(options.dim(), options.dim())));
  out = register_module("out", LoraLinear(LoraLinearOptions(options.dim(), options.dim())));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keyValid, at::Generator& gen,
                                              const std::string& adapter, bool lastQueryOnly, KeyValueCache* cache) {
  const int64_t B = x.size(0), L = x.size(1), H = options.heads(), dh = options.dim() / H, Lq = lastQueryOnly ? 1 : L;
  auto heads = [&](const torch::Tensor& t, int64_t n) { return t.view({B, n, H, dh}).transpose(1, 2); };  // (B, H, n, dh)
  torch::Tensor xq = lastQueryOnly ? x.narrow(1, L - 1, 1) : x;                                           // (B, Lq, d)
  torch::Tensor q = heads(query(xq, gen, adapter), Lq);                                                   // (B, H, Lq, dh)
  torch::Tensor k = heads(key(x, gen, adapter), L);                                                       // (B, H, L, dh)
  torch::Tensor v = heads(value(x, gen, adapter), L);                                                     // (B, H, L, dh)
  // The last query sees every key in causal mode: no causal mask for it (SDPA would align a 1 × L mask
  // to the top left, showing it key 0 alone). So does a lone query appended to a cache.
  bool causal = options.causal() && !lastQueryOnly;
  if (cache) {
    TORCH_CHECK(B == 1 && options.causal() && !lastQueryOnly && (cache->length == 0 || L == 1),
                "a key/value cache takes one causal sequence");
    TORCH_CHECK(cache->length + L <= cache->keys.size(2), "the key/value cache holds ", cache->keys.size(2), " positions");
    cache->keys.narrow(2, cache->length, L).copy_(k);
    cache->values.narrow(2, cache->length, L).copy_(v);
    cache->length += L;
    k = cache->keys.narrow(2, 0, cache->length);  // (1, H, length, dh)
    v = cache->values.narrow(2, 0, cache->length);
    causal = L > 1;
  }
  c10::optional<torch::Tensor> mask;  // bool, true = may attend: (B, 1, 1, Lk) padding, or (Lq, Lk) causal with a prefix
  if (!options.causal() && keyValid.defined()) mask = keyValid.view({B, 1, 1, L});
  // A prefix adapter (on the key layer, model/lora.h): its P keys and values come first, seen by every query.
  if (auto it = key->adapters.find(adapter); !adapter.empty() && it != key->adapters.end() && it->second.options.prefix()) {
    const int64_t P = it->second.options.r();
    auto prefix = [&](const torch::Tensor& rows, const torch::Tensor& like) {  // (P, d) → (B, H, P, dh)
      return rows.to(like.scalar_type()).view({1, P, H, dh}).transpose(1, 2).expand({B, H, P, dh});
    };
    k = torch::cat({prefix(it->second.A, k), k}, 2);  // (B, H, P + Lk, dh)
    v = torch::cat({prefix(it->second.B, v), v}, 2);
    const int64_t Lk = k.size(2);
    if (causal) {  // query i sees the prefix and keys up to its own: j ≤ i + P
      mask = torch::ones({Lq, Lk}, q.options().dtype(torch::kBool)).triu(P + 1).logical_not();  // (Lq, Lk)
      causal = false;
    } else if (mask) {
      mask = torch::cat({torch::ones({B, P}, keyValid.options()), keyValid}, 1).view({B, 1, 1, Lk});  // (B, 1, 1, Lk)
    }
  }

  const bool attnDropout = is_training() && options.dropout() > 0.0;
  torch::Tensor y;                                                             // (B, H, Lq, dh)
  if (options.useSdpa() && hasSdpa() && !attnDropout && !(cache && L == 1)) {  // one cached query: three small ops beat SDPA's set-up
#if TORCH_VERSION_MAJOR >= 2
    y = at::scaled_dot_product_attention(q, k, v, mask, 0.0, causal);
#else
    y = std::get<0>(at::_scaled_dot_product_attention(q, k, v, mask, 0.0, false, causal));
#endif
  } else {
    y = explicitAttention(q, k, v, mask, gen, causal);
  }
  y = y.transpose(1, 2).reshape({B, Lq, options.dim()});  // (B, Lq, d)
  return out(y, gen, adapter);                            // (B, Lq, d)
}

torch::Tensor MultiHeadAttentionImpl::explicitAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                                        const c10::optional<torch::Tensor>& mask, at::Generator& gen, bool causal) {
  const int64_t L = k.size(2), dh = q.size(3);                                                        // L keys, Lq queries
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));  // (B, H, Lq, L)
  if (causal) {                                                                                       // Lq = L
    torch::Tensor future = torch::ones({L, L}, q.options().dtype(torch::kBool)).triu(1);              // (L, L), true above diagonal
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  } else if (mask) {  // padding keys hidden (bidirectional; causal mode never masks them), or a prefix's causal mask
    scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<float>::infinity());
  }
  torch::Tensor probs = torch::softmax(scores, -1);               // (B, H, Lq, L)
  probs = dropout(probs, options.dropout(), is_training(), gen);  // (B, H, Lq, L)
  return torch::matmul(probs, v);                                 // (B, H, Lq, dh)
}

}  // namespace seqrec
