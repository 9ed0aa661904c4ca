#include "server/auth.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>

#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"
#include "util/text.hpp"

namespace sagerun::server {
namespace {

using WallClock = std::chrono::system_clock;

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

std::unexpected<ApiError> forbidden(std::string type, std::string message) {
  return api_error(403, std::move(type), std::move(message));
}

std::unexpected<ApiError> invalid_signature(std::string message) {
  return forbidden("InvalidSignatureException", std::move(message));
}

std::unexpected<ApiError> unrecognized_client() {
  return forbidden("UnrecognizedClientException", "The security token included in the request is invalid.");
}

using util::trim;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

struct Authorization {
  std::string_view credential, signed_headers, signature;
};

// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…"; the message lists what is
// missing, as the services do.
ApiResult<Authorization> parse_authorization(std::string_view header, bool has_date) {
  Authorization out;
  const std::string_view value = trim(header);
  const size_t space = value.find(' ');
  const std::string_view algorithm = value.substr(0, space);
  if (algorithm.starts_with("AWS4-") && algorithm != k_algorithm) {
    return forbidden("IncompleteSignatureException", "Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'");
  }
  if (algorithm == k_algorithm && space != std::string_view::npos) {
    for (const auto part : split(value.substr(space + 1), ',')) {
      const std::string_view item = trim(part);
      const size_t equals = item.find('=');
      if (equals == std::string_view::npos) continue;
      const std::string_view name = item.substr(0, equals), content = item.substr(equals + 1);
      if (name == "Credential") out.credential = content;
      if (name == "SignedHeaders") out.signed_headers = content;
      if (name == "Signature") out.signature = content;
    }
  }
  std::string missing;
  if (out.credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (out.signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (out.signed_headers.empty()) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!has_date) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  if (!missing.empty()) {
    return forbidden("IncompleteSignatureException", missing + "Authorization=" + std::string(value));
  }
  return out;
}

// The years a WallClock time point (nanoseconds since 1970 in 64 bits, to 2262) can hold, with
// room: a date outside them is no date a signer could mean.
bool representable_year(int year) { return year >= 1970 && year <= 2200; }

// RFC 1123 ("Sun, 06 Nov 1994 08:49:37 GMT"), the Date header's form.
std::optional<WallClock::time_point> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0' || !representable_year(tm.tm_year + 1900)) return std::nullopt;
  return WallClock::from_time_t(timegm(&tm));
}

bool same_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

} // namespace

std::optional<WallClock::time_point> parse_amz_date(std::string_view text) {
  int year = 0;
  unsigned month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  auto number = [&](size_t at, size_t digits, auto& target) {
    const auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + at + digits, target);
    return ec == std::errc() && ptr == text.data() + at + digits;
  };
  if (!number(0, 4, year) || !number(4, 2, month) || !number(6, 2, day) || !number(9, 2, hour) ||
      !number(11, 2, minute) || !number(13, 2, second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok() || !representable_year(year) || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

const aws::Credentials* Verifier::find_key(std::string_view access_key_id) const {
  for (const auto& key : m_keys) {
    if (key.access_key_id == access_key_id) return &key;
  }
  return nullptr;
}

ApiResult<VerifiedCaller> Verifier::verify(const IncomingRequest& request, WallClock::time_point now) const {
  const auto header = aws::find_header(request.headers, "Authorization");
  if (!header) return forbidden("MissingAuthenticationTokenException", "Missing Authentication Token");
  const auto amz_date = aws::find_header(request.headers, "X-Amz-Date");
  const auto http_date = amz_date ? std::nullopt : aws::find_header(request.headers, "Date");
  auto authorization = parse_authorization(*header, amz_date || http_date);
  if (!authorization) return std::unexpected(authorization.error());

  // Credential=AKID/20240101/region/service/aws4_request
  const auto scope = split(authorization->credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[1].size() != 8) {
    return forbidden("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. "
                                                     "keyid/date/region/service/term, got '" +
                                                         std::string(authorization->credential) + "'");
  }
  const aws::Credentials* key = find_key(scope[0]);
  if (key == nullptr) return unrecognized_client();
  const std::string token = aws::find_header(request.headers, "X-Amz-Security-Token").value_or("");
  if (!same_secret(token, key->session_token)) return unrecognized_client();

  const auto time = amz_date ? parse_amz_date(trim(*amz_date)) : parse_http_date(std::string(trim(*http_date)));
  if (!time) {
    return invalid_signature("Invalid date format: '" + (amz_date ? *amz_date : *http_date) +
                             "'. Use the ISO 8601 basic format (20150830T123600Z) in X-Amz-Date.");
  }
  const std::string iso = aws::amz_date(*time);
  if (scope[1] != std::string_view(iso).substr(0, 8)) {
    return invalid_signature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                             "HTTP: '" +
                             std::string(scope[1]) + "' != '" + iso.substr(0, 8) + "', from '" + iso + "'.");
  }
  if (*time < now - m_max_skew) {
    return invalid_signature("Signature expired: " + iso + " is now earlier than " + aws::amz_date(now - m_max_skew) +
                             " (" + aws::amz_date(now) + " - " + std::to_string(m_max_skew.count() / 60) + " min.)");
  }
  if (*time > now + m_max_skew) {
    return invalid_signature("Signature not yet current: " + iso + " is still later than " +
                             aws::amz_date(now + m_max_skew) + " (" + aws::amz_date(now) + " + " +
                             std::to_string(m_max_skew.count() / 60) + " min.)");
  }

  aws::CanonicalInput input;
  input.method = request.method;
  const size_t question = request.target.find('?');
  input.path = request.target.substr(0, question);
  if (question != std::string::npos) input.query = request.target.substr(question + 1);
  const auto signed_names = split(authorization->signed_headers, ';');
  const auto is_signed = [&](std::string_view name) {
    return std::ranges::find(signed_names, name) != signed_names.end();
  };
  // What says when and what: a signature that leaves them out could be replayed later, or as
  // another operation (X-Amz-Target names it in the JSON protocols).
  if (!is_signed("host")) {
    return forbidden("IncompleteSignatureException",
                     "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const std::string_view date_header = amz_date ? "x-amz-date" : "date";
  if (!is_signed(date_header)) {
    return forbidden("IncompleteSignatureException", "'" + std::string(amz_date ? "X-Amz-Date" : "Date") +
                                                         "' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (aws::find_header(request.headers, "X-Amz-Target") && !is_signed("x-amz-target")) {
    return forbidden("IncompleteSignatureException",
                     "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
  }
  for (const auto name : signed_names) {
    bool found = false;
    for (const auto& [header_name, value] : request.headers) {
      if (header_name.size() != name.size()) continue;
      bool equal = true;
      for (size_t i = 0; i < name.size() && equal; ++i) {
        const char c =
            header_name[i] >= 'A' && header_name[i] <= 'Z' ? static_cast<char>(header_name[i] + 32) : header_name[i];
        equal = c == name[i];
      }
      if (!equal) continue;
      input.headers.emplace_back(std::string(name), value);
      found = true;
    }
    if (!found) input.headers.emplace_back(std::string(name), "");
  }
  input.payload_hash = aws::sha256_hex(request.body);
  const aws::SigningScope signing{std::string(scope[2]), std::string(scope[3]), *time};
  std::string signed_headers;
  const std::string canonical = aws::canonical_request(input, /*normalize_path=*/true, &signed_headers);
  const std::string expected = aws::signature(key->secret_access_key, signing, aws::string_to_sign(canonical, signing));
  if (signed_headers != authorization->signed_headers || !same_secret(authorization->signature, expected)) {
    return invalid_signature("The request signature we calculated does not match the signature you provided. Check "
                             "your AWS Secret Access Key and signing method. Consult the service documentation for "
                             "details.");
  }
  return VerifiedCaller{key->access_key_id, signing.region, signing.service};
}

} // namespace sagerun::server
