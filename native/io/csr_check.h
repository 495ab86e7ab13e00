// Cheap re-checks of CSR arrays arriving from JS, before any native code indexes with them
// (TypeScript validates first; this guards memory safety and names the field on failure).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace seqrec {

inline void checkItemIds(const std::vector<int32_t>& items, int64_t numItems, const std::string& field) {
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i] < 1 || items[i] > numItems)
      throw Error(ErrorCode::InvalidData, field + "[" + std::to_string(i) + "] = " + std::to_string(items[i]) +
                                              " is outside the catalogue 1.." + std::to_string(numItems));
}

inline void checkCsr(const std::vector<int32_t>& offsets, const std::vector<int32_t>& items, int64_t numItems, const std::string& field) {
  if (offsets.empty() || offsets.front() != 0)
    throw Error(ErrorCode::InvalidData, field + ".offsets must start with 0 and have one entry per user plus one");
  for (size_t u = 1; u < offsets.size(); ++u)
    if (offsets[u] < offsets[u - 1])
      throw Error(ErrorCode::InvalidData,
                  field + ".offsets[" + std::to_string(u) + "] = " + std::to_string(offsets[u]) + " is smaller than the entry before it");
  if (static_cast<size_t>(offsets.back()) != items.size())
    throw Error(ErrorCode::InvalidData, field + ".offsets ends at " + std::to_string(offsets.back()) + " but " + field + ".items has " +
                                            std::to_string(items.size()) + " entries");
  checkItemIds(items, numItems, field + ".items");
}

}  // namespace seqrec
