#include "server/api_error.hpp"

#include "server/json_text.hpp"

namespace sagerun::server {

std::string error_body(const ApiError& error) {
  return json_text({{"__type", error.type}, {"message", error.message}});
}

} // namespace sagerun::server
