#include "dashboard/access.hpp"

#include <openssl/crypto.h>

#include <boost/asio/ip/address.hpp>

#include "util/text.hpp"

namespace sagerun::dashboard {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

} // namespace

std::optional<std::string> find_cookie(const aws::Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (!util::iequals(field, "Cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto end = rest.find(';');
      const auto pair = trimmed(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
      const auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name)
        return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto end = query.find('&');
    const auto pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    const auto equals = pair.find('=');
    const auto key = pair.substr(0, equals);
    if (key == name)
      return percent_decoded(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
  }
  return std::nullopt;
}

bool names_this_server(std::string_view host, int port) {
  const auto colon = host.rfind(':');
  if (colon == std::string_view::npos || host.substr(colon + 1) != std::to_string(port)) return false;
  std::string_view name = host.substr(0, colon);
  if (name == "localhost") return true;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    boost::system::error_code error;
    const auto address = boost::asio::ip::make_address_v6(std::string(name.substr(1, name.size() - 2)), error);
    return !error && !address.is_unspecified();
  }
  boost::system::error_code error;
  static_cast<void>(boost::asio::ip::make_address_v4(std::string(name), error));
  return !error;
}

std::optional<std::string> cross_origin_refusal(const aws::Headers& headers) {
  const auto host = aws::find_header(headers, "Host");
  const auto origin = aws::find_header(headers, "Origin");
  if (!origin) return "the request names no Origin; changes are taken only from the dashboard's own pages";
  if (!host || *origin != "http://" + *host)
    return "the request comes from " + *origin + ", not from this dashboard; changes are taken only from its own pages";
  if (const auto site = aws::find_header(headers, "Sec-Fetch-Site"); site && *site != "same-origin")
    return "the request comes from another site (Sec-Fetch-Site: " + *site + ")";
  return std::nullopt;
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string token_cookie(std::string_view token) {
  return std::string(k_cookie_name) + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Strict";
}

} // namespace sagerun::dashboard
