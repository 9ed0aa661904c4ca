#pragma once
// Hashes, HMAC and encodings for signing requests and checking transfers, over OpenSSL's EVP API.
// Raw digests are returned as byte strings; hex() and base64_encode() render them.
// The functions throw std::runtime_error only when OpenSSL itself fails (out of memory, or an
// algorithm disabled by the system's crypto policy, such as MD5 under FIPS).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sagerun::aws {

std::string sha256_raw(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string md5_raw(std::string_view data);
// The Content-MD5 header's value.
std::string md5_base64(std::string_view data);
// HMAC-SHA256 of `data` under `key`, as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// `bytes` random bytes from OpenSSL's generator, in hex (tokens); nullopt when it fails.
std::optional<std::string> random_hex(size_t bytes);

// Lowercase hex of raw bytes.
std::string hex(std::string_view raw);
// Standard base64 with padding (RFC 4648 §4), no line breaks.
std::string base64_encode(std::string_view raw);
// Strict inverse of base64_encode: nullopt on any character outside the alphabet, missing or
// misplaced padding, or a length that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);

// An incremental digest, for data that arrives in pieces (large files, streamed bodies).
// A digest call ends the hash and starts a new one.
class Digest {
public:
  enum class Algorithm { sha256, md5 };
  explicit Digest(Algorithm algorithm);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(std::string_view data);
  std::string raw_digest();
  std::string hex_digest() { return hex(raw_digest()); }
  std::string base64_digest() { return base64_encode(raw_digest()); }

private:
  struct State;
  std::unique_ptr<State> m_state;
};

class Sha256 : public Digest {
public:
  Sha256() : Digest(Algorithm::sha256) {}
};

class Md5 : public Digest {
public:
  Md5() : Digest(Algorithm::md5) {}
};

} // namespace sagerun::aws
