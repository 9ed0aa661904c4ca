#include "runner/deflate_blocks.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace sagerun::runner::deflate {
namespace {

constexpr size_t k_max_symbols = 288; // deflate's largest alphabet
constexpr unsigned k_max_code_length = 15;
constexpr unsigned k_max_length_code_length = 7;
constexpr size_t k_length_symbols = 19;
constexpr uint64_t k_stored_max = 65535;
// The order in which a dynamic block's header lists the code-length code (RFC 1951 3.2.7).
constexpr std::array<uint8_t, k_length_symbols> k_length_code_order = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                                       11, 4,  12, 3, 13, 2, 14, 1, 15};

// Deflate sends Huffman codes from their first bit, into a stream filled from the low bit up.
uint32_t reversed(uint32_t code, unsigned length) {
  code = (code & 0x5555) << 1 | (code >> 1 & 0x5555);
  code = (code & 0x3333) << 2 | (code >> 2 & 0x3333);
  code = (code & 0x0f0f) << 4 | (code >> 4 & 0x0f0f);
  code = (code & 0x00ff) << 8 | (code >> 8 & 0x00ff);
  return code >> (16 - length);
}

// Canonical codes (RFC 1951 3.2.2) for `lengths`, bit-reversed.
template <size_t N> std::array<uint32_t, N> canonical_codes(const std::array<uint8_t, N>& lengths) {
  std::array<uint32_t, k_max_code_length + 1> per_length{};
  for (const uint8_t length : lengths)
    ++per_length[length];
  per_length[0] = 0;
  std::array<uint32_t, k_max_code_length + 1> next{};
  for (unsigned bits = 1, code = 0; bits <= k_max_code_length; ++bits) {
    code = (code + per_length[bits - 1]) << 1;
    next[bits] = code;
  }
  std::array<uint32_t, N> codes{};
  for (size_t s = 0; s < N; ++s)
    if (lengths[s]) codes[s] = reversed(next[lengths[s]]++, lengths[s]);
  return codes;
}

struct LengthSymbol {
  uint8_t symbol;
  uint8_t extra; // the repeat count's extra bits, for 16, 17 and 18
};

// Code lengths as the code-length alphabet sends them: 16 repeats the previous length 3-6
// times, 17 and 18 give runs of 3-10 and 11-138 zeros.
size_t run_length(std::span<const uint8_t> lengths, std::span<LengthSymbol> out) {
  size_t n = 0;
  for (size_t i = 0; i < lengths.size();) {
    const uint8_t length = lengths[i];
    size_t run = 1;
    while (i + run < lengths.size() && lengths[i + run] == length)
      ++run;
    i += run;
    if (length == 0) {
      for (; run >= 11; run -= std::min<size_t>(run, 138))
        out[n++] = {18, static_cast<uint8_t>(std::min<size_t>(run, 138) - 11)};
      if (run >= 3) {
        out[n++] = {17, static_cast<uint8_t>(run - 3)};
        run = 0;
      }
    } else {
      out[n++] = {length, 0};
      --run;
      for (; run >= 3; run -= std::min<size_t>(run, 6))
        out[n++] = {16, static_cast<uint8_t>(std::min<size_t>(run, 6) - 3)};
    }
    for (; run > 0; --run)
      out[n++] = {length, 0};
  }
  return n;
}

unsigned extra_bits(uint8_t length_symbol) {
  switch (length_symbol) {
  case 16: return 2;
  case 17: return 3;
  case 18: return 7;
  default: return 0;
  }
}

} // namespace

ByteCounts count_bytes(std::span<const uint8_t> data) {
  // Eight tables, one per byte of a word, so that the skewed byte of every float (its exponent)
  // does not wait on the same counter every four bytes.
  std::array<ByteCounts, 8> tables{};
  const uint8_t* p = data.data();
  const uint8_t* const end = p + data.size();
  for (; end - p >= 8; p += 8) {
    uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    for (unsigned i = 0; i < 8; ++i)
      ++tables[i][(word >> (8 * i)) & 0xff];
  }
  for (; p < end; ++p)
    ++tables[0][*p];
  for (unsigned t = 1; t < 8; ++t)
    for (size_t b = 0; b < 256; ++b)
      tables[0][b] += tables[t][b];
  return tables[0];
}

void code_lengths(std::span<const uint32_t> counts, unsigned max_length, std::span<uint8_t> lengths) {
  assert(counts.size() >= 2 && counts.size() <= k_max_symbols && lengths.size() == counts.size());
  // Leaves as count << 16 | symbol, so that they sort as plain integers: by count, then symbol.
  std::array<uint64_t, k_max_symbols> leaves;
  size_t m = 0;
  for (size_t s = 0; s < counts.size(); ++s)
    if (counts[s]) leaves[m++] = uint64_t{counts[s]} << 16 | s;
  for (size_t s = 0; m < 2 && s < counts.size(); ++s)
    if (!counts[s]) leaves[m++] = s;
  std::sort(leaves.begin(), leaves.begin() + static_cast<ptrdiff_t>(m));

  // Huffman's merging with two queues: the sorted leaves, and the inner nodes, which are made in
  // order of weight. A node's parent always comes after it.
  std::array<uint64_t, 2 * k_max_symbols> weight;
  std::array<uint16_t, 2 * k_max_symbols> parent;
  for (size_t i = 0; i < m; ++i)
    weight[i] = leaves[i] >> 16;
  size_t leaf = 0, inner = m;
  for (size_t next = m; next < 2 * m - 1; ++next) {
    for (int child = 0; child < 2; ++child) {
      const size_t pick = leaf < m && (inner >= next || weight[leaf] <= weight[inner]) ? leaf++ : inner++;
      parent[pick] = static_cast<uint16_t>(next);
      weight[next] = child ? weight[next] + weight[pick] : weight[pick];
    }
  }
  std::array<uint16_t, 2 * k_max_symbols> depth;
  depth[2 * m - 2] = 0;
  std::array<uint32_t, k_max_symbols> per_length{};
  unsigned longest = 0;
  for (size_t i = 2 * m - 2; i-- > 0;) {
    depth[i] = static_cast<uint16_t>(depth[parent[i]] + 1);
    if (i < m) {
      ++per_length[depth[i]];
      longest = std::max<unsigned>(longest, depth[i]);
    }
  }
  // Too long codes: take two leaves from the deepest level, make one of them a leaf where their
  // parent was, and move the other under a leaf of the longest shorter level (JPEG, Annex K.3).
  // The code stays complete.
  for (unsigned bits = longest; bits > max_length; --bits)
    while (per_length[bits] > 0) {
      unsigned j = bits - 2;
      while (per_length[j] == 0)
        --j;
      per_length[bits] -= 2;
      per_length[bits - 1] += 1;
      per_length[j + 1] += 2;
      per_length[j] -= 1;
    }
  // Only the number of codes of each length matters: the rarest symbols get the longest.
  std::ranges::fill(lengths, 0);
  size_t i = 0;
  for (unsigned bits = std::min(longest, max_length); bits >= 1; --bits)
    for (uint32_t k = 0; k < per_length[bits]; ++k)
      lengths[leaves[i++] & 0xffff] = static_cast<uint8_t>(bits);
}

void BitWriter::flush() {
  uint64_t word = m_bits;
  if constexpr (std::endian::native == std::endian::big) word = std::byteswap(word);
  std::memcpy(m_out, &word, sizeof word);
  const unsigned bytes = m_count / 8;
  m_out += bytes;
  m_bits = bytes == 8 ? 0 : m_bits >> (8 * bytes);
  m_count -= 8 * bytes;
}

void BitWriter::align() {
  m_count = (m_count + 7) & ~7u;
  flush();
}

void BitWriter::copy(std::span<const uint8_t> bytes) {
  assert(m_count == 0);
  if (!bytes.empty()) std::memcpy(m_out, bytes.data(), bytes.size());
  m_out += bytes.size();
}

uint8_t* BitWriter::finish() {
  align();
  return m_out;
}

LiteralBlock::LiteralBlock(const ByteCounts& counts) {
  std::array<uint32_t, k_symbols> frequencies{};
  std::ranges::copy(counts, frequencies.begin());
  frequencies[256] = 1; // end of block
  std::array<uint8_t, k_symbols> lengths{};
  code_lengths(frequencies, k_max_code_length, lengths);
  const auto codes = canonical_codes(lengths);
  uint64_t data_bits = 0;
  for (size_t s = 0; s < k_symbols; ++s) {
    m_codes[s] = uint32_t{lengths[s]} << 16 | codes[s];
    m_longest = std::max<unsigned>(m_longest, lengths[s]);
    data_bits += uint64_t{frequencies[s]} * lengths[s];
  }

  // The header: code lengths of the literals and end of block, then two distance codes of one
  // bit, none used. Deflaters have always sent at least two (zlib does in its Huffman-only
  // mode), so every inflater accepts the block.
  std::array<LengthSymbol, k_symbols + 2> sent{};
  size_t n = run_length(lengths, sent);
  sent[n++] = {1, 0};
  sent[n++] = {1, 0};
  std::array<uint32_t, k_length_symbols> length_counts{};
  for (size_t i = 0; i < n; ++i)
    ++length_counts[sent[i].symbol];
  std::array<uint8_t, k_length_symbols> length_lengths{};
  code_lengths(length_counts, k_max_length_code_length, length_lengths);
  const auto length_codes = canonical_codes(length_lengths);
  size_t listed = k_length_symbols;
  while (listed > 4 && length_lengths[k_length_code_order[listed - 1]] == 0)
    --listed;

  auto add = [&](uint32_t bits, unsigned count) {
    m_header[m_header_puts++] = count << 24 | bits;
    m_bits += count;
  };
  add((uint32_t{0} /* 257 literal/length codes */) | (uint32_t{1} << 5 /* 2 distance codes */) |
          (static_cast<uint32_t>(listed - 4) << 10),
      14);
  for (size_t i = 0; i < listed; ++i)
    add(length_lengths[k_length_code_order[i]], 3);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t symbol = sent[i].symbol;
    add(length_codes[symbol] | uint32_t{sent[i].extra} << length_lengths[symbol],
        length_lengths[symbol] + extra_bits(symbol));
  }
  m_bits += 3 + data_bits; // the block's first three bits, the data and its end
}

namespace {

// The data's codes, `n` between flushes. The writer is a local copy: stores through its byte
// pointer could alias a writer in memory, which would make the compiler reload it every time.
template <unsigned n>
BitWriter put_codes(BitWriter out, const uint8_t* p, const uint8_t* const end, const uint32_t* codes) {
  for (; end - p >= n; p += n) {
    for (unsigned i = 0; i < n; ++i)
      out.put(codes[p[i]] & 0xffff, codes[p[i]] >> 16);
    out.flush();
  }
  for (; p < end; ++p) {
    out.put(codes[*p] & 0xffff, codes[*p] >> 16);
    out.flush();
  }
  return out;
}

} // namespace

void LiteralBlock::write(BitWriter& out, std::span<const uint8_t> data, Last last) const {
  out.put((last == Last::yes ? 1u : 0u) | 2u << 1, 3); // BFINAL, BTYPE 10: dynamic Huffman
  for (size_t i = 0; i < m_header_puts; ++i) {
    out.put(m_header[i] & 0xffffff, m_header[i] >> 24);
    out.flush();
  }
  // Fewer than 8 bits are pending after a flush, so 57 more fit: as many codes as the longest
  // allows (floats' codes are at most 9-10 bits long: five or six).
  const uint8_t* const p = data.data();
  const uint8_t* const end = p + data.size();
  const uint32_t* const codes = m_codes.data();
  switch (std::min(57 / std::max(m_longest, 1u), 7u)) {
  case 3: out = put_codes<3>(out, p, end, codes); break;
  case 4: out = put_codes<4>(out, p, end, codes); break;
  case 5: out = put_codes<5>(out, p, end, codes); break;
  case 6: out = put_codes<6>(out, p, end, codes); break;
  default: out = put_codes<7>(out, p, end, codes); break;
  }
  out.put(m_codes[256] & 0xffff, m_codes[256] >> 16);
  out.flush();
}

uint64_t stored_bytes(uint64_t size) {
  // Per block: three header bits padded to a byte (or into the previous block's last byte), then
  // the length and its complement.
  return size + 5 * std::max<uint64_t>(1, (size + k_stored_max - 1) / k_stored_max);
}

void write_stored(BitWriter& out, std::span<const uint8_t> data, Last last) {
  do {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), k_stored_max));
    const bool final = last == Last::yes && n == data.size();
    out.put(final ? 1u : 0u, 3); // BFINAL, BTYPE 00: stored
    out.align();
    out.put(static_cast<uint32_t>(n) | static_cast<uint32_t>(~n & 0xffff) << 16, 32);
    out.flush();
    out.copy(data.first(n));
    data = data.subspan(n);
  } while (!data.empty());
}

} // namespace sagerun::runner::deflate
