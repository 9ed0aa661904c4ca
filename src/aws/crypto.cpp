#include "aws/crypto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/random.h>

#include <cerrno>

#include <array>
#include <memory>
#include <stdexcept>

namespace sagerun::aws {
namespace {

[[noreturn]] void throw_openssl(const char* what) {
  std::array<char, 256> reason{};
  ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
  ERR_clear_error();
  throw std::runtime_error(std::string("OpenSSL: ") + what + " failed: " + reason.data());
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Fetched once: OpenSSL 3 looks an algorithm up by name (under a lock) on every implicit fetch,
// which made hashing and HMAC the server's busiest lock. The fetched objects live as long as the
// process and are shared read-only across threads.
const EVP_MD* fetch_digest(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw_openssl("EVP_MD_fetch");
  return md;
}

const EVP_MD* message_digest(Digest::Algorithm algorithm) {
  static const EVP_MD* const sha256 = fetch_digest("SHA256");
  static const EVP_MD* const md5 = fetch_digest("MD5");
  return algorithm == Digest::Algorithm::sha256 ? sha256 : md5;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// An HMAC-SHA256 context with its digest already set; each call works on a copy of it.
const EVP_MAC_CTX& hmac_sha256_template() {
  static const MacCtx ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) throw_openssl("EVP_MAC_fetch(HMAC)");
    MacCtx made(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac); // the context holds its own reference
    if (!made) throw_openssl("EVP_MAC_CTX_new");
    std::array<char, 7> digest{"SHA256"};
    const std::array<OSSL_PARAM, 2> params{OSSL_PARAM_construct_utf8_string("digest", digest.data(), 0),
                                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(made.get(), params.data()) != 1) throw_openssl("EVP_MAC_CTX_set_params");
    return made;
  }();
  return *ctx;
}

std::string one_shot(Digest::Algorithm algorithm, std::string_view data) {
  Digest digest(algorithm);
  digest.update(data);
  return digest.raw_digest();
}

constexpr std::string_view k_base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

} // namespace

struct Digest::State {
  Algorithm algorithm;
  MdCtx ctx;
};

Digest::Digest(Algorithm algorithm) : m_state(std::make_unique<State>(State{algorithm, MdCtx(EVP_MD_CTX_new())})) {
  if (!m_state->ctx) throw_openssl("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(m_state->ctx.get(), message_digest(algorithm), nullptr) != 1) {
    throw_openssl("EVP_DigestInit_ex");
  }
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(std::string_view data) {
  if (EVP_DigestUpdate(m_state->ctx.get(), data.data(), data.size()) != 1) throw_openssl("EVP_DigestUpdate");
}

std::string Digest::raw_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(m_state->ctx.get(), out.data(), &size) != 1) throw_openssl("EVP_DigestFinal_ex");
  if (EVP_DigestInit_ex(m_state->ctx.get(), message_digest(m_state->algorithm), nullptr) != 1) {
    throw_openssl("EVP_DigestInit_ex");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string sha256_raw(std::string_view data) { return one_shot(Digest::Algorithm::sha256, data); }
std::string sha256_hex(std::string_view data) { return hex(sha256_raw(data)); }
std::string md5_raw(std::string_view data) { return one_shot(Digest::Algorithm::md5, data); }
std::string md5_base64(std::string_view data) { return base64_encode(md5_raw(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  const MacCtx ctx(EVP_MAC_CTX_dup(&hmac_sha256_template()));
  if (!ctx) throw_openssl("EVP_MAC_CTX_dup");
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size_t size = 0;
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &size, out.size()) != 1) {
    throw_openssl("HMAC-SHA256");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

std::string base64_encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    const uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8 |
                       static_cast<unsigned char>(raw[i + 2]);
    out.push_back(k_base64_alphabet[n >> 18 & 63]);
    out.push_back(k_base64_alphabet[n >> 12 & 63]);
    out.push_back(k_base64_alphabet[n >> 6 & 63]);
    out.push_back(k_base64_alphabet[n & 63]);
  }
  const size_t rest = raw.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
    out.push_back(k_base64_alphabet[n >> 18 & 63]);
    out.push_back(k_base64_alphabet[n >> 12 & 63]);
    out.push_back(rest == 2 ? k_base64_alphabet[n >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    uint32_t n = 0;
    for (size_t j = 0; j < 4 - padding; ++j) {
      const int value = base64_value(text[i + j]);
      if (value < 0) return std::nullopt;
      n = n << 6 | static_cast<uint32_t>(value);
    }
    n <<= 6 * padding;
    out.push_back(static_cast<char>(n >> 16 & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>(n >> 8 & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

// The kernel's generator (getrandom): the same quality as OpenSSL's, without setting up OpenSSL's
// generator on the start path of every job.
std::optional<std::string> random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  for (size_t got = 0; got < raw.size();) {
    const ssize_t n = ::getrandom(raw.data() + got, raw.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<size_t>(n);
  }
  return hex(raw);
}

} // namespace sagerun::aws
