// Test tool for the job model: reads a CreateTrainingJob request (JSON) on stdin.
//   job_tool validate [--local]    prints validate_request's message (an empty line when valid);
//                                  exit 0 valid, 1 invalid
//   job_tool normalize [--local]   prints to_json(parse_request(request)); exit 1 with the message
// --local uses UriPolicy::local. Unparsable JSON: "ERROR <why>" and exit 2.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "job/request.hpp"

int main(int argc, char** argv) {
  using namespace sagerun;
  if (argc < 2) return std::fprintf(stderr, "usage: job_tool validate|normalize [--local]\n"), 2;
  const std::string command = argv[1];
  const auto policy = argc > 2 && std::string(argv[2]) == "--local" ? job::UriPolicy::local : job::UriPolicy::sagemaker;
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const auto request = nlohmann::json::parse(input, nullptr, false);
  if (request.is_discarded()) return std::printf("ERROR the input is not JSON\n"), 2;
  if (command == "validate") {
    const auto message = job::validate_request(request, policy);
    std::printf("%s\n", message.c_str());
    return message.empty() ? 0 : 1;
  }
  if (command == "normalize") {
    const auto parsed = job::parse_request(request, policy);
    if (!parsed) return std::printf("%s\n", parsed.error().message.c_str()), 1;
    std::printf("%s\n", job::to_json(*parsed).dump(2).c_str());
    return 0;
  }
  return std::fprintf(stderr, "job_tool: unknown command '%s'\n", command.c_str()), 2;
}
