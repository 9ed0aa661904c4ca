#pragma once
// Deflate blocks written by hand (RFC 1951) for data that repeated strings do not shrink: a
// dynamic Huffman block of literals only, its code built from the data's byte counts, and stored
// blocks. Float weights gain only from entropy coding, so a match finder searches them in vain;
// these blocks keep that gain at a fraction of the cost. libdeflate does the rest.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sagerun::runner::deflate {

using ByteCounts = std::array<uint32_t, 256>;

ByteCounts count_bytes(std::span<const uint8_t> data);

// Huffman code lengths for `counts` (0 for unused symbols), none longer than `max_length`, written
// to `lengths` (as long as `counts`). Fewer than two used symbols get a second one, so the code
// is always complete, as every inflater requires.
void code_lengths(std::span<const uint32_t> counts, unsigned max_length, std::span<uint8_t> lengths);

// Appends bits least significant first, as deflate packs them. Writes up to 8 bytes past the
// last byte it keeps: the output needs that much room beyond its bound.
class BitWriter {
public:
  explicit BitWriter(uint8_t* out) : m_out(out) {}

  // `count` ≤ 32; at most 64 bits may be pending, and a flush leaves fewer than 8.
  void put(uint32_t bits, unsigned count) {
    m_bits |= uint64_t{bits} << m_count;
    m_count += count;
  }
  void flush();
  // Pads to a byte boundary with zero bits and flushes: what stored blocks start with.
  void align();
  void copy(std::span<const uint8_t> bytes);
  // Flushes what is pending (padded to a byte); the end of the output.
  uint8_t* finish();

private:
  uint8_t* m_out;
  uint64_t m_bits = 0;
  unsigned m_count = 0;
};

enum class Last : bool { no, yes };

// A literal-only dynamic Huffman block planned from byte counts: its codes and exact size.
class LiteralBlock {
public:
  LiteralBlock() = default;
  explicit LiteralBlock(const ByteCounts& counts);

  uint64_t bits() const { return m_bits; } // the whole block, header included
  void write(BitWriter& out, std::span<const uint8_t> data, Last last) const;

private:
  static constexpr size_t k_symbols = 257; // literals 0-255 and end of block

  // The header after the block type, as puts of up to 24 bits: count << 24 | bits.
  static constexpr size_t k_max_header_puts = 1 + 19 + k_symbols + 2;

  std::array<uint32_t, k_symbols> m_codes{}; // length << 16 | bit-reversed code
  unsigned m_longest = 0;
  std::array<uint32_t, k_max_header_puts> m_header{};
  size_t m_header_puts = 0;
  uint64_t m_bits = 0;
};

// Bytes that `size` bytes take as stored blocks (65 535 bytes each, at least one).
uint64_t stored_bytes(uint64_t size);
void write_stored(BitWriter& out, std::span<const uint8_t> data, Last last);

} // namespace sagerun::runner::deflate
