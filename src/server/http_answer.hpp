#pragma once
// What the front answers a request with: the status, the error type (empty on success), the
// body, its type (empty: application/x-amz-json-1.1) and any more headers (an x-amzn-RequestId
// among them is sent instead of a fresh one). Separate from the sockets so the fuzzer drives
// the dispatch directly.

#include <string>

#include "aws/http.hpp"

namespace sagerun::server {

struct HttpAnswer {
  int status = 200;
  std::string error_type;
  std::string body;
  std::string content_type;
  aws::Headers headers;
};

} // namespace sagerun::server
