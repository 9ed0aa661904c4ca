#pragma once
// Data of the three kinds packing tells apart, and zlib's inflate to read back what was written:
// the decoder every Python tarfile and most tools use, not our own.

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace sagerun::test {

// float32 N(0, 0.02), as weights are: the exponent byte is skewed, the mantissa noise.
inline std::vector<uint8_t> float_weights(size_t bytes, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i + 4 <= bytes; i += 4) {
    const float value = normal(rng);
    std::memcpy(&out[i], &value, 4);
  }
  return out;
}

inline std::vector<uint8_t> random_bytes(size_t bytes, uint32_t seed = 2) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(bytes);
  for (auto& b : out)
    b = static_cast<uint8_t>(rng() >> 24);
  return out;
}

// A training log: lines that repeat all but their numbers.
inline std::vector<uint8_t> log_text(size_t bytes, uint32_t seed = 3) {
  std::mt19937 rng(seed);
  std::string text;
  for (size_t step = 0; text.size() < bytes; ++step)
    text += "step=" + std::to_string(step) + " loss=" + std::to_string(rng() % 100000) + " lr=1.0e-04\n";
  text.resize(bytes);
  return {text.begin(), text.end()};
}

inline std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Inflates `in`: raw deflate (window_bits -15), or gzip members one after another (31).
// Nothing when zlib rejects the stream or it ends early.
inline std::optional<std::vector<uint8_t>> inflate_all(std::span<const uint8_t> in, int window_bits) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) return std::nullopt;
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  z.next_in = const_cast<uint8_t*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int ret = Z_OK;
  for (;;) {
    z.next_out = buffer;
    z.avail_out = sizeof buffer;
    ret = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), buffer, buffer + (sizeof buffer - z.avail_out));
    if (ret == Z_STREAM_END) {
      if (z.avail_in == 0 || window_bits < 0) break;
      inflateReset(&z); // the next gzip member
    } else if (ret != Z_OK) {
      break;
    }
  }
  const bool whole = ret == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

} // namespace sagerun::test
