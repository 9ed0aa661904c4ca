# Writes OUTPUT: a C++ file defining sagerun::dashboard::find_asset over the files given in
# ASSETS (paths separated by |), each as a raw string literal. Run at build time (cmake -P), so
# editing an asset rebuilds it.
string(REPLACE "|" ";" ASSETS "${ASSETS}")
set(delimiter "sagerun_asset")
set(entries "")
foreach(asset IN LISTS ASSETS)
  get_filename_component(name "${asset}" NAME)
  get_filename_component(extension "${asset}" LAST_EXT)
  file(READ "${asset}" content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${asset} holds the literal's delimiter )${delimiter}\"")
  endif()
  if(extension STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(extension STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(extension STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(extension STREQUAL ".svg")
    set(type "image/svg+xml")
  else()
    message(FATAL_ERROR "${asset}: no content type for ${extension}")
  endif()
  string(APPEND entries "    Asset{\"${name}\", \"${type}\", R\"${delimiter}(${content})${delimiter}\"},\n")
endforeach()
file(WRITE "${OUTPUT}.new" "// Generated from src/dashboard/assets by cmake/embed_assets.cmake: do not edit.
#include \"dashboard/assets.hpp\"

#include <array>

namespace sagerun::dashboard {

std::optional<Asset> find_asset(std::string_view name) {
  static constexpr std::array k_assets{
${entries}  };
  for (const auto& asset : k_assets) {
    if (asset.name == name) return asset;
  }
  return std::nullopt;
}

} // namespace sagerun::dashboard
")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
