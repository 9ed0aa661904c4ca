#include "server/api_error.hpp"

#include "server/json_text.hpp"

namespace sagerun::server {

std::string error_body(const ApiError& error) {
  return json_text({{"__type", error.type}, {"message", error.message}});
}

ApiError to_api_error(const util::Error& error) {
  if (error.code.empty()) return {500, "InternalFailure", error.message};
  return {error.http_status != 0 ? error.http_status : 400, error.code, error.message};
}

} // namespace sagerun::server
