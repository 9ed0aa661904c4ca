#pragma once
// The dashboard's pages, script and style, embedded in the binary when it is built (from
// src/dashboard/assets/ by cmake/embed_assets.cmake): nothing is fetched from anywhere else, so
// the dashboard works offline.

#include <optional>
#include <string_view>

namespace sagerun::dashboard {

struct Asset {
  std::string_view name; // "dashboard.js"
  std::string_view content_type;
  std::string_view body;
};

std::optional<Asset> find_asset(std::string_view name);

} // namespace sagerun::dashboard
