#include "util/python_repr.hpp"

#include <cmath>
#include <cstdio>

namespace sagerun::util {
namespace {

// Decodes one UTF-8 sequence at `i`; invalid bytes come back as themselves.
char32_t next_code_point(const std::string& text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
  if (i + static_cast<size_t>(length) > text.size()) length = 1;
  char32_t cp = length == 1 ? lead : length == 2 ? (lead & 0x1Fu) : length == 3 ? (lead & 0x0Fu) : (lead & 0x07u);
  for (int k = 1; k < length; ++k)
    cp = (cp << 6) | (byte(i + static_cast<size_t>(k)) & 0x3Fu);
  i += static_cast<size_t>(length);
  return cp;
}

std::string hex_escape(char32_t cp) {
  char buffer[16];
  if (cp <= 0xFF)
    std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
  else if (cp <= 0xFFFF)
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
  else
    std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
  return buffer;
}

// Python's str.isprintable() for the code points that matter in practice: controls, C1
// controls, the no-break and soft-hyphen spaces, and the line/paragraph separators.
bool printable(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return false;
  if (cp == 0x2028 || cp == 0x2029 || (cp >= 0x200B && cp <= 0x200F)) return false;
  if (cp == 0xFEFF) return false;
  return true;
}

} // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // nlohmann's shortest round-trip format follows the same rules as Python's repr:
  // fixed notation for exponents in [-4, 16), otherwise "1e-05" / "1e+16".
  return OrderedJson(value).dump();
}

std::string python_string_repr(const std::string& text) {
  const bool has_single = text.find('\'') != std::string::npos;
  const bool has_double = text.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(text, i);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n')
      out += "\\n";
    else if (cp == '\r')
      out += "\\r";
    else if (cp == '\t')
      out += "\\t";
    else if (!printable(cp))
      out += hex_escape(cp);
    else
      out.append(text, start, i - start);
  }
  out.push_back(quote);
  return out;
}

std::string python_repr(const OrderedJson& value) {
  switch (value.type()) {
  case OrderedJson::value_t::string: return python_string_repr(value.get<std::string>());
  case OrderedJson::value_t::array: {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ", ";
      out += python_repr(value[i]);
    }
    return out + "]";
  }
  case OrderedJson::value_t::object: {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (!first) out += ", ";
      first = false;
      out += python_string_repr(key) + ": " + python_repr(item);
    }
    return out + "}";
  }
  default: return python_str(value);
  }
}

std::string python_str(const OrderedJson& value) {
  switch (value.type()) {
  case OrderedJson::value_t::null: return "None";
  case OrderedJson::value_t::boolean: return value.get<bool>() ? "True" : "False";
  case OrderedJson::value_t::string: return value.get<std::string>();
  case OrderedJson::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
  case OrderedJson::value_t::number_unsigned: return std::to_string(value.get<std::uint64_t>());
  case OrderedJson::value_t::number_float: return python_float_repr(value.get<double>());
  default: return python_repr(value);
  }
}

namespace {

nlohmann::json sorted_copy(const OrderedJson& value) {
  switch (value.type()) {
  case OrderedJson::value_t::array: {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value)
      out.push_back(sorted_copy(item));
    return out;
  }
  case OrderedJson::value_t::object: {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items())
      out[key] = sorted_copy(item);
    return out;
  }
  case OrderedJson::value_t::string: return value.get<std::string>();
  case OrderedJson::value_t::boolean: return value.get<bool>();
  case OrderedJson::value_t::number_integer: return value.get<std::int64_t>();
  case OrderedJson::value_t::number_unsigned: return value.get<std::uint64_t>();
  case OrderedJson::value_t::number_float: return value.get<double>();
  default: return nullptr;
  }
}

} // namespace

std::string python_json_dumps(const OrderedJson& value) {
  return sorted_copy(value).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

} // namespace sagerun::util
