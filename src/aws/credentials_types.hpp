#pragma once
// The three strings that sign a request; the session token is empty for long-term keys.

#include <string>

namespace sagerun::aws {

struct Credentials {
  std::string access_key_id, secret_access_key, session_token;
};

} // namespace sagerun::aws
