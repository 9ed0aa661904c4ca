#include "contract/hyperparameters.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sagerun::contract {
namespace {

// The toolkit's params.SAGEMAKER_HYPERPARAMETERS: used by the platform, given to no one.
constexpr std::array<std::string_view, 9> k_reserved = {
    "sagemaker_program",        "sagemaker_submit_directory",    "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region",         "sagemaker_container_log_level", "sagemaker_job_name",
    "default_user_module_name", "_tuning_objective_metric",      "sagemaker_s3_output",
};

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return text;
}

} // namespace

bool is_reserved_key(const std::string& key) {
  return std::find(k_reserved.begin(), k_reserved.end(), key) != k_reserved.end();
}

OrderedJson decode_value(const OrderedJson& raw) {
  if (!raw.is_string()) return raw;
  const auto& text = raw.get_ref<const std::string&>();
  const auto trimmed = trim(text);
  // Python's json module accepts these three non-standard literals.
  if (trimmed == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (trimmed == "Infinity") return std::numeric_limits<double>::infinity();
  if (trimmed == "-Infinity") return -std::numeric_limits<double>::infinity();
  try {
    return OrderedJson::parse(text);
  } catch (const OrderedJson::out_of_range&) {
    // A number beyond a double ("1e999"): Python's json.loads gives inf.
    const std::string number(trimmed);
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str() + number.size()) return value;
    return raw;
  } catch (const OrderedJson::exception&) {
    return raw;
  }
}

Hyperparameters split_hyperparameters(const OrderedJson& raw) {
  Hyperparameters out;
  for (const auto& [key, value] : raw.items()) {
    auto decoded = decode_value(value);
    if (is_reserved_key(key))
      out.reserved[key] = std::move(decoded);
    else if (key.starts_with("sagemaker_"))
      out.framework[key] = std::move(decoded);
    else
      out.user[key] = std::move(decoded);
  }
  return out;
}

std::vector<std::string> to_cmd_args(const OrderedJson& user) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : user.items())
    keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> args;
  args.reserve(keys.size() * 2);
  for (const auto& key : keys) {
    args.push_back(key.empty() ? "" : key.size() == 1 ? "-" + key : "--" + key);
    const auto& value = user.at(key);
    if (value.is_object()) {
      std::vector<std::string> inner;
      for (const auto& [k, v] : value.items())
        inner.push_back(k);
      std::sort(inner.begin(), inner.end());
      std::string joined;
      for (const auto& k : inner) {
        if (!joined.empty()) joined += ',';
        joined += k + "=" + util::python_str(value.at(k));
      }
      args.push_back(std::move(joined));
    } else if (value.is_null()) {
      args.emplace_back(); // _decode(None) is the empty string
    } else {
      args.push_back(util::python_str(value));
    }
  }
  return args;
}

std::string reserved_string(const Hyperparameters& hps, const std::string& key) {
  const auto it = hps.reserved.find(key);
  if (it == hps.reserved.end() || it->is_null()) return {};
  return util::python_str(*it);
}

} // namespace sagerun::contract
