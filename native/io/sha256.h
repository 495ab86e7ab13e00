// SHA-256 (FIPS 180-4), incremental. Used for the base-model hash that adapter files record;
// small enough to own rather than link OpenSSL into the addon for one digest. Checked against
// node:crypto in tests/parity/lora.test.ts.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace seqrec {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest; the object must not be updated afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);  // one 64-byte block
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace seqrec
