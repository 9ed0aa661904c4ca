#pragma once
// Small text helpers for ASCII protocol text (header names, AWS identifiers, settings): the
// locale never changes their meaning.

#include <string>
#include <string_view>

namespace sagerun::util {

std::string ascii_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view text);

} // namespace sagerun::util
