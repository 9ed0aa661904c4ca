// Signs one request described as JSON on stdin, for the cross-check against botocore
// (tests/e2e/test_aws_sigv4_botocore.py).
//   sigv4_tool            {"method","url","headers":[[k,v],...],"body","region","service","access_key",
//                          "secret_key","session_token","time":"20240101T000000Z","s3":bool}
//                         → {"headers":[[k,v],...]}, the request's headers once signed
//   sigv4_tool --presign  the same fields (no headers or body) plus "expires" (seconds, default 3600)
//                         → the presigned URL on one line

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"

namespace {

using namespace sagerun::aws;

std::chrono::system_clock::time_point parse_amz_date(const std::string& text) {
  int year = 0, hour = 0, minute = 0, second = 0;
  unsigned month = 0, day = 0;
  char zone = 0;
  if (text.size() != 16 ||
      std::sscanf(text.c_str(), "%4d%2u%2uT%2d%2d%2d%c", &year, &month, &day, &hour, &minute, &second, &zone) != 7 ||
      zone != 'Z') {
    throw std::invalid_argument("time must look like 20240101T000000Z, got \"" + text + "\"");
  }
  return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day)) +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

int run(bool presign) {
  const auto input = nlohmann::json::parse(std::cin);
  const Credentials credentials{input.at("access_key"), input.at("secret_key"), input.value("session_token", "")};
  const SigningScope scope{input.at("region"), input.at("service"), parse_amz_date(input.at("time"))};
  if (presign) {
    std::cout << presign_url(input.value("method", "GET"), input.at("url"), credentials, scope,
                             std::chrono::seconds(input.value("expires", 3600)))
              << "\n";
    return 0;
  }
  HttpRequest request;
  request.method = input.value("method", "GET");
  request.url = input.at("url");
  for (const auto& header : input.value("headers", nlohmann::json::array())) {
    request.headers.emplace_back(header.at(0), header.at(1));
  }
  request.body = input.value("body", "");
  const bool s3 = input.value("s3", false);
  sign_request(request, credentials, scope, sha256_hex(request.body),
               s3 ? PayloadSigning::sha256_header : PayloadSigning::plain);
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : request.headers)
    headers.push_back({name, value});
  std::cout << nlohmann::json{{"headers", headers}}.dump() << "\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (argc > 2 || (!mode.empty() && mode != "--presign")) {
    std::cerr << "usage: sigv4_tool [--presign] < request.json\n";
    return 2;
  }
  try {
    return run(mode == "--presign");
  } catch (const std::exception& error) {
    std::cerr << "sigv4_tool: error: " << error.what() << "\n";
    return 1;
  }
}
