#pragma once
// HttpClient over libcurl: a pool of easy handles, each keeping its connections alive between
// requests, so parallel transfers reuse TCP/TLS connections.

#include <memory>

#include "aws/http.hpp"

namespace sagerun::aws {

std::unique_ptr<HttpClient> make_curl_client();

} // namespace sagerun::aws
