#pragma once
// A minimal HTTP/1.1 client over sockets, with TLS from OpenSSL: one connection per request,
// Content-Length or chunked responses. It exists so the static `train` can fetch its credentials
// and an s3:// submit directory without libcurl; the sagerun command uses the libcurl client.

#include <memory>

#include "aws/http.hpp"

namespace sagerun::aws {

std::unique_ptr<HttpClient> make_minimal_client();

// Where TLS trust comes from: SSL_CERT_FILE, else the first bundle that exists among Debian/
// Ubuntu's, Amazon Linux/RHEL's, Alpine's and SUSE's usual paths.
std::string ca_bundle_path();

} // namespace sagerun::aws
