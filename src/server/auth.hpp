#pragma once
// SigV4 verification of API requests: the signature is computed again from the request as
// received (aws/sigv4's canonical request, string to sign and signature) under the secret of
// the access key it names, and compared in constant time. Errors are the services' own:
//   no Authorization header           403 MissingAuthenticationTokenException
//   a malformed one                   403 IncompleteSignatureException
//   host, the date header or (when sent) X-Amz-Target left unsigned: the same
//   an unknown access key (or token)  403 UnrecognizedClientException
//   a date more than 15 min off       403 InvalidSignatureException "Signature expired: …"
//   any other mismatch                403 InvalidSignatureException
// Only header signatures (Authorization) are taken; the region of the credential scope is not
// checked (any region signs for this server), its service must be the one the target names.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials_types.hpp"
#include "aws/http.hpp"
#include "server/api_error.hpp"

namespace sagerun::server {

struct IncomingRequest {
  std::string method;
  std::string target; // the raw request target: path[?query], as sent
  aws::Headers headers;
  std::string_view body;
};

struct VerifiedCaller {
  std::string access_key_id;
  std::string region;
  std::string service; // of the credential scope
};

class Verifier {
public:
  explicit Verifier(std::vector<aws::Credentials> keys, std::chrono::seconds max_skew = std::chrono::minutes(15))
      : m_keys(std::move(keys)), m_max_skew(max_skew) {}

  ApiResult<VerifiedCaller> verify(const IncomingRequest& request, std::chrono::system_clock::time_point now) const;

private:
  const aws::Credentials* find_key(std::string_view access_key_id) const;

  std::vector<aws::Credentials> m_keys;
  std::chrono::seconds m_max_skew;
};

// "20150830T123600Z" → the time; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text);

} // namespace sagerun::server
