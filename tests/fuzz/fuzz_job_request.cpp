// libFuzzer target: CreateTrainingJob requests (validation, the typed view, back to JSON) and
// the stored status record — what `sagerun local` and the API server read from users.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "job/request.hpp"
#include "job/status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sagerun;
  const auto json = nlohmann::json::parse(reinterpret_cast<const char*>(data),
                                          reinterpret_cast<const char*>(data) + size, nullptr, false);
  if (json.is_discarded()) return 0;
  for (auto policy : {job::UriPolicy::sagemaker, job::UriPolicy::local}) {
    if (auto request = job::parse_request(json, policy)) {
      const auto again = job::parse_request(job::to_json(*request), policy);
      if (!again || again->job_name != request->job_name) __builtin_trap(); // round trip must hold
    }
  }
  if (auto status = job::status_from_json(json)) (void)job::to_json(*status);
  return 0;
}
