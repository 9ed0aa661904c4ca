#include "aws/http.hpp"

#include <cctype>
#include <charconv>

#include "util/text.hpp"

namespace sagerun::aws {
namespace {

using util::iequals;

// ASCII only, whatever the locale: bytes >= 0x80 are always encoded.
bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

} // namespace

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string UrlParts::authority() const {
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? shown_host : shown_host + ":" + std::to_string(port);
}

std::optional<UrlParts> parse_url(std::string_view url) {
  UrlParts parts;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  parts.scheme = std::string(url.substr(0, scheme_end));
  if (parts.scheme != "http" && parts.scheme != "https") return std::nullopt;
  url.remove_prefix(scheme_end + 3);
  const auto path_start = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_start);
  std::string_view rest = path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
  if (authority.empty()) return std::nullopt;
  parts.port = parts.scheme == "https" ? 443 : 80;
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    parts.host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
  } else {
    parts.host = std::string(authority);
  }
  if (!port_text.empty()) {
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), parts.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || parts.port <= 0 || parts.port > 65535) {
      return std::nullopt;
    }
  }
  if (parts.host.empty()) return std::nullopt;
  const auto question = rest.find('?');
  parts.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) parts.query = std::string(rest.substr(question + 1));
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      int value = 0;
      std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

} // namespace sagerun::aws
