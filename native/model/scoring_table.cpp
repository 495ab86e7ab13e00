#include "model/scoring_table.h"

#include <ATen/Parallel.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <mutex>

#include "common/error.h"
#include "common/vector_kernels.h"

namespace seqrec {

namespace {

constexpr int64_t kBlock = 256;  // rows per block: 256·d bytes of int8 and 256 scores stay in L1

// out[i] = Σ_j q[i·d + j] · h[j] for rows [0, n). Portable form, and the AVX2 / AVX-512 forms
// (int8 widened to int32, converted to fp32, one fused multiply-add per 8 or 16 values), picked at
// run time: the compiler will not vectorise a float reduction it may not reassociate.
void int8DotsPortable(const int8_t* q, int64_t n, int64_t d, const float* h, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* row = q + i * d;
    float sum = 0.0f;
    for (int64_t j = 0; j < d; ++j) sum += static_cast<float>(row[j]) * h[j];
    out[i] = sum;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's own _mm256_undefined_si256 (`__m256i __Y = __Y;`) trips -Wmaybe-uninitialized once the reductions
// below are inlined (GCC bug 105593): a false positive inside the compiler's header, silenced for these kernels.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void int8DotsAvx512(const int8_t* q, int64_t n, int64_t d, const float* h, float* out) {
  const int64_t d16 = d / 16 * 16;
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* row = q + i * d;
    _mm_prefetch(reinterpret_cast<const char*>(row + 32 * d), _MM_HINT_T0);  // 32 rows ahead: the table streams from memory
    __m512 acc = _mm512_setzero_ps();
    for (int64_t j = 0; j < d16; j += 16) {
      const __m512 w = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + j))));  // 16 values
      acc = _mm512_fmadd_ps(w, _mm512_loadu_ps(h + j), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    for (int64_t j = d16; j < d; ++j) sum += static_cast<float>(row[j]) * h[j];
    out[i] = sum;
  }
}

// out[i] = Σ_j q_ij · h_j for d a multiple of 64, with h quantised: hu_j = hq_j + 128 (unsigned, as
// vpdpbusd wants), so Σ hu_j q_ij − 128·Σ_j q_ij = Σ hq_j q_ij, exact in int32; times hScale = |h|∞ / 127.
__attribute__((target("avx512f,avx512vnni"))) void int8DotsVnni(const int8_t* q, int64_t n, int64_t d, const uint8_t* hu,
                                                                const int32_t* rowSum, float hScale, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* row = q + i * d;
    _mm_prefetch(reinterpret_cast<const char*>(row + 32 * d), _MM_HINT_T0);
    __m512i acc = _mm512_setzero_si512();
    for (int64_t j = 0; j < d; j += 64)
      acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(hu + j), _mm512_loadu_si512(row + j));  // 64 products, 16 sums of 4
    out[i] = static_cast<float>(_mm512_reduce_add_epi32(acc) - 128 * rowSum[i]) * hScale;
  }
}

bool hasVnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

__attribute__((target("avx2,fma"))) void int8DotsAvx2(const int8_t* q, int64_t n, int64_t d, const float* h, float* out) {
  const int64_t d8 = d / 8 * 8;
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* row = q + i * d;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < d8; j += 8) {
      const __m256 w = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + j))));  // 8 values
      acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(h + j), acc);
    }
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
    float sum = _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)));
    for (int64_t j = d8; j < d; ++j) sum += static_cast<float>(row[j]) * h[j];
    out[i] = sum;
  }
}
#pragma GCC diagnostic pop
#endif

using Int8Dots = void (*)(const int8_t*, int64_t, int64_t, const float*, float*);

Int8Dots pickInt8Dots() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return int8DotsAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return int8DotsAvx2;
#endif
  return int8DotsPortable;
}

const Int8Dots int8Dots = pickInt8Dots();

#if defined(__x86_64__) && defined(__GNUC__)
const bool kVnni = hasVnni();
#else
const bool kVnni = false;
#endif

// The C best (score, id) pairs seen so far, in a min-heap once C are in: its least score is the bar
// a new item must clear, raised by every item that enters.
class BestC {
 public:
  explicit BestC(int64_t C) : C_(static_cast<size_t>(C)) { heap_.reserve(C_); }
  float bar() const { return bar_; }
  void add(float score, int32_t item) {
    const std::pair<float, int32_t> entry{score, item};
    if (heap_.size() < C_) {
      heap_.push_back(entry);
      std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
      if (heap_.size() == C_) bar_ = heap_.front().first;
      return;
    }
    // The least pair (the root) makes way: the new one sinks from the root past every lesser child, one pass
    // down where a pop and a push take two.
    const size_t n = heap_.size();
    size_t at = 0;
    for (size_t child = 1; child < n; child = 2 * at + 1) {
      if (child + 1 < n && heap_[child + 1] < heap_[child]) ++child;
      if (!(heap_[child] < entry)) break;
      heap_[at] = heap_[child];
      at = child;
    }
    heap_[at] = entry;
    bar_ = heap_.front().first;
  }
  void merge(const BestC& other) {
    for (const auto& [score, item] : other.heap_)
      if (score > bar_) add(score, item);
  }
  // Best first, at most C.
  std::vector<std::pair<float, int32_t>> sorted() {
    std::sort(heap_.begin(), heap_.end(), std::greater<>());
    return std::move(heap_);
  }

 private:
  size_t C_;
  float bar_ = -std::numeric_limits<float>::infinity();
  std::vector<std::pair<float, int32_t>> heap_;
};

// Offer best the admitted items among scores[0, n) (items first, first + 1, …) of user u that clear its bar.
void offer(BestC& best, const float* scores, int64_t n, int32_t first, int64_t u, const ItemFilter& filter) {
  for (int64_t i = firstAbove(scores, n, best.bar()); i < n; i += 1 + firstAbove(scores + i + 1, n - i - 1, best.bar()))
    if (filter.admits(u, first + static_cast<int32_t>(i))) best.add(scores[i], first + static_cast<int32_t>(i));
}

// The C best admitted items of each of b users, best first, scanning V items in blocks of kBlock:
// blockScores(u, begin, n, scores) writes user u's scores of items [begin, begin + n). A block's
// rows are read once for all b users while they sit in L1, and only scores above a user's running
// bar reach the filter.
template <typename BlockScores>
BestLists scanBest(int64_t V, int64_t b, int64_t C, const ItemFilter& filter, const BlockScores& blockScores) {
  std::vector<BestC> best(static_cast<size_t>(b), BestC(C));
  std::mutex mergeLock;
  at::parallel_for(0, (V + kBlock - 1) / kBlock, 64, [&](int64_t firstBlock, int64_t endBlock) {
    std::vector<BestC> local(static_cast<size_t>(b), BestC(C));
    float scores[kBlock];
    for (int64_t blk = firstBlock; blk < endBlock; ++blk) {
      const int64_t begin = blk * kBlock, n = std::min(kBlock, V - begin);
      for (int64_t u = 0; u < b; ++u) {
        blockScores(u, begin, n, scores);
        offer(local[static_cast<size_t>(u)], scores, n, static_cast<int32_t>(begin), u, filter);
      }
    }
    std::lock_guard<std::mutex> lock(mergeLock);
    for (int64_t u = 0; u < b; ++u) best[static_cast<size_t>(u)].merge(local[static_cast<size_t>(u)]);
  });
  BestLists out;
  for (auto& one : best) out.push_back(one.sorted());
  return out;
}

// Each user's C best admitted items by int8 score, best first.
BestLists int8Scan(const ScoringTable& table, const torch::Tensor& h, const ItemFilter& filter, int64_t C) {
  const int64_t V = table.int8.size(0), d = table.int8.size(1), b = h.size(0);
  torch::Tensor hc = h.to(torch::kCPU, torch::kFloat).contiguous();  // (b, d)
  const int8_t* q = table.int8.data_ptr<int8_t>();
  const float* scale = table.scale.data_ptr<float>();
  const float* hp = hc.data_ptr<float>();
  // With VNNI: each user's state quantised to 8 bits (hu = hq + 128) and its scale.
  const bool vnni = kVnni && d % 64 == 0;
  std::vector<uint8_t> hu(vnni ? static_cast<size_t>(b * d) : 0);
  std::vector<float> hScale(static_cast<size_t>(b), 0.0f);
  for (int64_t u = 0; vnni && u < b; ++u) {
    float top = 0.0f;
    for (int64_t j = 0; j < d; ++j) top = std::max(top, std::abs(hp[u * d + j]));
    hScale[static_cast<size_t>(u)] = top / 127.0f;
    for (int64_t j = 0; j < d; ++j)
      hu[static_cast<size_t>(u * d + j)] = static_cast<uint8_t>(std::lround(top > 0.0f ? hp[u * d + j] / top * 127.0f : 0.0f) + 128);
  }
  const int32_t* rowSum = table.rowSum.data_ptr<int32_t>();
  return scanBest(V, b, C, filter, [&](int64_t u, int64_t begin, int64_t n, float* scores) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (vnni)
      int8DotsVnni(q + begin * d, n, d, hu.data() + u * d, rowSum + begin, hScale[static_cast<size_t>(u)], scores);
    else
#endif
      int8Dots(q + begin * d, n, d, hp + u * d, scores);
    for (int64_t i = 0; i < n; ++i) scores[i] *= scale[begin + i];
  });
}

// The lists' ids as a (b, C) int64 tensor, −1 past a list's end.
torch::Tensor asIds(const BestLists& best, int64_t C) {
  const auto b = static_cast<int64_t>(best.size());
  torch::Tensor out = torch::full({b, C}, -1, torch::kLong);  // (b, C)
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t u = 0; u < b; ++u)
    for (size_t j = 0; j < best[static_cast<size_t>(u)].size(); ++j)
      o[u * C + static_cast<int64_t>(j)] = best[static_cast<size_t>(u)][j].second;
  return out;
}

// (b, C) ids best first by the bf16 table's scores, −1 where fewer than C are admitted.
torch::Tensor bf16Candidates(const ScoringTable& table, const torch::Tensor& h, const ItemFilter& filter, int64_t C) {
  torch::Tensor s = torch::mm(h.to(torch::kBFloat16), table.bf16.t()).to(torch::kCPU, torch::kFloat).contiguous();  // (b, V)
  return asIds(bestOfScores(s.data_ptr<float>(), s.size(0), s.size(1), s.size(1), filter.allowed, filter.excluded.data(), C), C);
}

}  // namespace

BestLists panelBest(const ScoringTable& table, const float* h, int64_t b, const ItemFilter& filter, int64_t k) {
  TORCH_CHECK(table.panels.defined(), "panelBest needs the table's panels");
  constexpr int64_t kUsers = 16;  // users scored per pass over the table
  const int64_t P = table.panels.size(0), d = table.panels.size(1), V = table.rows.size(0);
  thread_local std::vector<float> buffer;  // (≤ 16, 64P): ≤ 4 MB per thread, kept for the next call
  buffer.resize(static_cast<size_t>(std::min(b, kUsers) * 64 * P));
  BestLists out;
  for (int64_t first = 0; first < b; first += kUsers) {
    const int64_t n = std::min(kUsers, b - first);
    panelScores(table.panels.data_ptr<float>(), h + first * d, n, d, P, buffer.data());  // (n, 64P), items past V padding
    BestLists part = bestOfScores(buffer.data(), n, V, 64 * P, filter.allowed, filter.excluded.data() + first, k);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  return out;
}

BestLists bestOfScores(float* scores, int64_t b, int64_t V, int64_t stride, const bool* allowed, const std::vector<int32_t>* excluded,
                       int64_t k) {
  ItemFilter admits;  // the excluded items are −∞ below: only `allowed` is left to look up
  admits.allowed = allowed;
  admits.excluded.resize(1);
  BestLists out(static_cast<size_t>(b));
  at::parallel_for(0, b, 16, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      float* row = scores + u * stride;
      if (excluded)
        for (int32_t item : excluded[u]) row[item] = -std::numeric_limits<float>::infinity();
      BestC best(k);
      offer(best, row, V, 0, 0, admits);
      out[static_cast<size_t>(u)] = best.sorted();
    }
  });
  return out;
}

bool ItemFilter::admits(int64_t user, int32_t item) const {
  if (allowed && !allowed[item]) return false;
  const auto& ex = excluded[static_cast<size_t>(user)];
  return !std::binary_search(ex.begin(), ex.end(), item);
}

ScoringTable ScoringTable::withPrecision(const std::string& precision) const {
  ScoringTable out = *this;
  torch::NoGradGuard noGrad;
  if (precision == "bf16" && !bf16.defined()) {
    out.bf16 = rows.to(torch::kBFloat16).contiguous();  // (V, d)
  } else if (precision == "int8" && !int8.defined()) {
    torch::Tensor cpu = rows.to(torch::kCPU, torch::kFloat);                          // (V, d)
    out.scale = cpu.abs().amax(1).clamp_min(1e-30) / 127.0;                           // (V)
    out.int8 = (cpu / out.scale.unsqueeze(1)).round().to(torch::kChar).contiguous();  // (V, d), |q| <= 127
    out.rowSum = out.int8.sum(1, false, torch::kInt).contiguous();                    // (V)
  }
  return out;
}

torch::Tensor reducedCandidates(const ScoringTable& table, const std::string& precision, const torch::Tensor& h, const ItemFilter& filter,
                                int64_t C) {
  if (precision == "int8") return asIds(int8Scan(table, h, filter, C), C);
  if (precision == "bf16") return bf16Candidates(table, h, filter, C);
  throw Error(ErrorCode::InvalidOption, "scoring must be \"fp32\", \"bf16\" or \"int8\", got \"" + precision + "\"");
}

int64_t candidateCount(int64_t V, int64_t k) {
  return std::min(V, std::max(4 * k, k + 64));
}

BestLists scannedBest(const ScoringTable& table, const std::string& precision, const torch::Tensor& h, const ItemFilter& filter,
                      int64_t k) {
  TORCH_CHECK(table.rows.device().is_cpu() && table.rows.scalar_type() == torch::kFloat, "scannedBest reads an fp32 CPU table");
  const int64_t V = table.rows.size(0), d = table.rows.size(1);
  torch::Tensor hc = h.to(torch::kFloat).contiguous();  // (b, d)
  const float* rows = table.rows.data_ptr<float>();
  const float* hp = hc.data_ptr<float>();
  if (precision == "fp32")
    return scanBest(V, hc.size(0), k, filter,
                    [&](int64_t u, int64_t begin, int64_t n, float* scores) { rowDots(rows + begin * d, n, d, hp + u * d, scores); });
  TORCH_CHECK(precision == "int8", "scannedBest scans \"fp32\" or \"int8\" rows");
  BestLists best = int8Scan(table, hc, filter, candidateCount(V, k));
  for (size_t u = 0; u < best.size(); ++u) {  // the candidates' exact scores decide
    auto& list = best[u];
    for (auto& [score, item] : list) rowDots(rows + item * d, 1, d, hp + static_cast<int64_t>(u) * d, &score);
    const auto keep = std::min<size_t>(list.size(), static_cast<size_t>(k));
    std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep), list.end(), std::greater<>());
    list.resize(keep);
  }
  return best;
}

}  // namespace seqrec
