#include "server/query_form.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <unordered_set>

namespace sagerun::server {
namespace {

std::unexpected<ApiError> malformed(std::string message) {
  return api_error(400, "MalformedQueryString", std::move(message));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `what` names the parameter in the message (the raw name while the name itself is decoded).
ApiResult<std::string> form_decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      const bool whole = i + 2 < text.size();
      const int high = whole ? hex_digit(text[i + 1]) : -1;
      const int low = whole ? hex_digit(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return malformed("The parameter '" + std::string(what) + "' holds '" + std::string(text.substr(i, 3)) +
                         "': in a form, '%' must be followed by two hexadecimal digits (write '%25' for '%')");
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

// One parameter's place in the request: a value, a structure's members, or a list's items.
struct FormNode {
  std::optional<std::string> value;
  std::map<std::string, FormNode, std::less<>> members;
  std::map<size_t, FormNode> items; // member.N
};

// "member.N": N from 1, digits only, no leading zero.
std::optional<size_t> list_index(std::string_view text) {
  size_t index = 0;
  if (text.empty() || text[0] == '0' || text.size() > 6) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return index;
}

ApiResult<void> insert(FormNode& root, const std::string& name, const std::string& value) {
  FormNode* node = &root;
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = name.find('.', start);
    parts.push_back(std::string_view(name).substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return malformed("The parameter name '" + name + "' has an empty part");
    if (parts[i] == "member" && i + 1 < parts.size()) {
      const auto index = list_index(parts[i + 1]);
      if (!index) {
        return malformed("The parameter name '" + name + "' numbers a list member '" + std::string(parts[i + 1]) +
                         "': members are numbered from 1");
      }
      node = &node->items[*index];
      ++i;
    } else {
      node = &node->members[std::string(parts[i])];
    }
  }
  node->value = value;
  return {};
}

bool named(std::initializer_list<std::string_view> names, std::string_view member) {
  return std::ranges::find(names, member) != names.end();
}

ApiResult<nlohmann::json> to_json(const FormNode& node, std::string_view member, const std::string& path,
                                  const FormShape& shape) {
  const int kinds = (node.value ? 1 : 0) + (node.members.empty() ? 0 : 1) + (node.items.empty() ? 0 : 1);
  if (kinds > 1) {
    return malformed("The parameter " + path + " is given both as a value and as a structure or list");
  }
  if (node.value) {
    const std::string& text = *node.value;
    if (named(shape.integer_members, member)) {
      int64_t number = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        return api_error(400, "InvalidParameterValue",
                         "The parameter " + path + " must be a whole number, not '" + text + "'");
      }
      return nlohmann::json(number);
    }
    if (named(shape.boolean_members, member)) {
      if (text != "true" && text != "false") {
        return api_error(400, "InvalidParameterValue",
                         "The parameter " + path + " must be true or false, not '" + text + "'");
      }
      return nlohmann::json(text == "true");
    }
    return nlohmann::json(text);
  }
  if (!node.items.empty()) {
    nlohmann::json list = nlohmann::json::array();
    size_t expected = 1;
    for (const auto& [index, item] : node.items) {
      if (index != expected) {
        return malformed("The parameter " + path + ".member." + std::to_string(index) + " is given without " + path +
                         ".member." + std::to_string(expected) + ": list members are numbered from 1 without gaps");
      }
      ++expected;
      auto value = to_json(item, member, path + ".member." + std::to_string(index), shape);
      if (!value) return value;
      list.push_back(std::move(*value));
    }
    return list;
  }
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, child] : node.members) {
    auto value = to_json(child, name, path.empty() ? name : path + "." + name, shape);
    if (!value) return value;
    object[name] = std::move(*value);
  }
  return object;
}

} // namespace

ApiResult<FormParams> parse_form(std::string_view text) {
  FormParams params;
  std::unordered_set<std::string> seen;
  for (size_t start = 0; start <= text.size();) {
    const size_t amp = std::min(text.find('&', start), text.size());
    const std::string_view pair = text.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue; // "a=1&&b=2", a trailing '&'
    const size_t equals = pair.find('=');
    const std::string_view raw_name = pair.substr(0, equals);
    auto name = form_decode(raw_name, raw_name);
    if (!name) return std::unexpected(name.error());
    if (name->empty()) return malformed("A form parameter has no name ('" + std::string(pair) + "')");
    auto value = form_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), *name);
    if (!value) return std::unexpected(value.error());
    if (!seen.insert(*name).second)
      return malformed("The parameter " + *name + " is given more than once; give it once");
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

const std::string* form_value(const FormParams& params, std::string_view name) {
  for (const auto& [key, value] : params)
    if (key == name) return &value;
  return nullptr;
}

ApiResult<nlohmann::json> form_to_json(const FormParams& params, const FormShape& shape) {
  FormNode root;
  for (const auto& [name, value] : params) {
    if (name == "Action" || name == "Version") continue;
    if (auto added = insert(root, name, value); !added) return std::unexpected(added.error());
  }
  return to_json(root, "", "", shape);
}

} // namespace sagerun::server
