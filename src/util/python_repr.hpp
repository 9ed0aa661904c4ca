#pragma once
// Python's str() and repr() of JSON-decoded values, so hyperparameters reach scripts exactly as
// the official training toolkit renders them ("True", "[1, 'a']", "1e-05").

#include <string>

#include <nlohmann/json.hpp>

namespace sagerun::util {

// Insertion-ordered JSON, as Python's json.loads keeps dict order.
using OrderedJson = nlohmann::ordered_json;

std::string python_str(const OrderedJson& value);
std::string python_repr(const OrderedJson& value);
std::string python_float_repr(double value);
std::string python_string_repr(const std::string& text);

// json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
std::string python_json_dumps(const OrderedJson& value);

} // namespace sagerun::util
