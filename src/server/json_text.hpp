#pragma once
// JSON as response text. Job output and failure files may hold bytes that are not UTF-8; they
// are sent with U+FFFD in their place rather than failing the request.

#include <string>

#include <nlohmann/json.hpp>

namespace sagerun::server {

inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace sagerun::server
