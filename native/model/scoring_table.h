// The item table as top-K reads it, and the two ways of finding a user's best items in it:
// exact (fp32 scores of every item: a GEMM and bestOfScores for many users, panelBest for many
// over a small CPU table, for a few on the CPU the fp32 form of the int8 scan below, scannedBest)
// or reduced precision, where a cheaper copy of the table proposes candidates and their exact fp32
// scores decide the list (so a list differs from the exact one only when a true top item fails to
// reach the candidates at all).
//   bf16: the table in bfloat16, scored by one GEMM (any device);
//   int8: one int8 row and one fp32 scale per item (row_i ≈ scale_i · q_i), scanned on the CPU in
//         blocks that stay in L1 while a running threshold keeps the C best candidates, so the
//         V scores are never written out; with AVX-512 VNNI the user state is quantised to 8 bits
//         too and one instruction multiplies-adds 64 pairs (a 1M × 64 table in ~8 ms, one core,
//         bounded by memory bandwidth).
// Shapes: V items, d width, b users, C candidates per user.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace seqrec {

struct ScoringTable {
  uint64_t generation = 0;  // the model's generation it was built at (model/recommender.h)
  torch::Tensor rows;       // (V, d) exact rows, the model's dtype and device
  torch::Tensor
      panels;  // (⌈V/64⌉, d, 64) the rows transposed in panels of 64 items, zero-padded; fp32 CPU tables of V·d ≤ 2^22 only (panelBest)
  torch::Tensor bf16;    // (V, d) bfloat16 copy, or undefined until first asked for
  torch::Tensor int8;    // (V, d) int8 on the CPU, or undefined until first asked for
  torch::Tensor scale;   // (V) fp32: row_i ≈ scale_i · int8_i
  torch::Tensor rowSum;  // (V) int32: Σ_j int8_ij (the VNNI kernel's offset correction)

  // A copy of this table with the copy `precision` ("bf16" or "int8") needs built.
  ScoringTable withPrecision(const std::string& precision) const;
};

// Which items a list may hold: everything but excluded ids (0-based), per user.
struct ItemFilter {
  const bool* allowed = nullptr;               // (V) shared by every user, or null = all
  std::vector<std::vector<int32_t>> excluded;  // per user, sorted 0-based ids (its history)
  bool admits(int64_t user, int32_t item) const;
};

// Per user, (score, 0-based id) pairs, best first.
using BestLists = std::vector<std::vector<std::pair<float, int32_t>>>;

// How many candidates a reduced-precision copy proposes for a list of k: 4k, at least k + 64, at most V.
int64_t candidateCount(int64_t V, int64_t k);

// Each user's k best admitted items, best first as (exact fp32 score, 0-based id), fewer when fewer
// are admitted, for a few users on the CPU, where a scan beats a GEMV, a masked copy of V scores and
// torch::topk: precision "fp32" scans the fp32 rows; "int8" scans the int8 copy for candidateCount
// candidates and scores those exactly (a quarter of the bytes read). h (b, d) fp32 on the CPU.
BestLists scannedBest(const ScoringTable& table, const std::string& precision, const torch::Tensor& h, const ItemFilter& filter, int64_t k);

// Each row's k best admitted items of scores (b rows of V, `stride` floats apart; fp32 on the CPU),
// best first (ties: the higher id first), fewer when fewer are admitted. Each row's excluded ids
// (excluded[u], any order; excluded may be null) are first written −∞ in place, so only `allowed`
// (null = all) is looked up: one pass per row against a running bar, sixteen scores at a time
// (torch::topk, which keeps a partial heap of every row, took about 4× as long at V = 3,706,
// k = 10, by profile).
BestLists bestOfScores(float* scores, int64_t b, int64_t V, int64_t stride, const bool* allowed, const std::vector<int32_t>* excluded,
                       int64_t k);

// Each of b users' k best admitted items by exact fp32 score, as bestOfScores gives them, scored
// from table.panels sixteen users at a time into a buffer reused across calls: for a batch of
// users over a small table, a GEMM's packing of the table and a (b, V) matrix cost more than the
// arithmetic. filter.excluded holds b lists, in any order. h (b, d) contiguous fp32 CPU.
BestLists panelBest(const ScoringTable& table, const float* h, int64_t b, const ItemFilter& filter, int64_t k);

// Candidates (b, C) int64, 0-based ids, best first by reduced-precision score; −1 fills a row when
// fewer than C items are admitted. h (b, d) on the table's device.
torch::Tensor reducedCandidates(const ScoringTable& table, const std::string& precision, const torch::Tensor& h, const ItemFilter& filter,
                                int64_t C);

}  // namespace seqrec
