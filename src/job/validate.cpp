// validate_request: a walk over CreateTrainingJobRequest's shape tree (job/shapes.hpp), then the
// checks the model cannot express. Messages follow the service (AWS's Coral validation):
//   Value '<value>' at '<path>' failed to satisfy constraint: <constraint>
// with lowerCamelCase paths, list members as `inputDataConfig.1.member.channelName`, and map or
// scalar-list contents reported once at the map/list as "Map keys must satisfy constraint: [...]",
// "Map value must satisfy constraint: [...]" or "Member must satisfy constraint: [...]", listing
// every constraint of the key/value/element shape. Values print as Java's toString would:
// strings as given, maps as {k=v, …}, lists as [a, …], a missing value as `Value null`.
// The service answers a wrongly typed or unknown member with a SerializationException before it
// validates anything; here those are errors in the same list ("Member must be a string",
// "Unknown parameter 'X' …"), so one message says everything that is wrong.
#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "contract/hyperparameters.hpp"
#include "job/location.hpp"
#include "job/request.hpp"
#include "job/shapes.hpp"
#include "job/spot.hpp"
#include "job/tags.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;
using shapes::PatternKind;
using shapes::Shape;
using shapes::ShapeType;

std::string lower_camel(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string child_path(const std::string& path, std::string_view member) {
  return path.empty() ? lower_camel(member) : path + "." + lower_camel(member);
}

// UTF-8 to code points; a malformed sequence becomes U+FFFD.
std::wstring code_points(std::string_view text) {
  std::wstring out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t point = c;
    if ((c & 0xE0) == 0xC0)
      extra = 1, point = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0)
      extra = 2, point = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0)
      extra = 3, point = c & 0x07u;
    bool ok = c < 0x80 || (extra > 0 && i + extra < text.size());
    for (size_t k = 1; ok && k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = (next & 0xC0) == 0x80;
      point = (point << 6) | (next & 0x3Fu);
    }
    out.push_back(static_cast<wchar_t>(ok ? point : 0xFFFD));
    i += ok ? extra + 1 : 1;
  }
  return out;
}

// Java's String.length(): UTF-16 code units.
int64_t java_length(const std::wstring& points) {
  auto length = static_cast<int64_t>(points.size());
  for (const wchar_t c : points)
    if (static_cast<uint32_t>(c) > 0xFFFF) ++length;
  return length;
}

// A JSON value as Java's toString prints the service's deserialized value.
std::string render(const json& value) {
  switch (value.type()) {
  case json::value_t::null: return "null";
  case json::value_t::string: return value.get_ref<const std::string&>();
  case json::value_t::object: {
    std::string out = "{";
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (out.size() > 1) out += ", ";
      out += it.key() + "=" + render(it.value());
    }
    return out + "}";
  }
  case json::value_t::array: {
    std::string out = "[";
    for (const auto& item : value) {
      if (out.size() > 1) out += ", ";
      out += render(item);
    }
    return out + "]";
  }
  default: return value.dump();
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

bool is_scalar(const Shape& shape) {
  return shape.type != ShapeType::structure && shape.type != ShapeType::list && shape.type != ShapeType::map;
}

// Every constraint of a scalar shape, in the service's order, as listed in "[...]".
std::string constraint_list(const Shape& shape) {
  std::vector<std::string> parts;
  const bool numeric = shape.type == ShapeType::integer || shape.type == ShapeType::long_;
  const std::string what = numeric ? "value" : "length";
  if (shape.max) parts.push_back("Member must have " + what + " less than or equal to " + std::to_string(*shape.max));
  if (shape.min)
    parts.push_back("Member must have " + what + " greater than or equal to " + std::to_string(*shape.min));
  if (shape.pattern_kind != PatternKind::none)
    parts.push_back("Member must satisfy regular expression pattern: " + std::string(shape.pattern));
  if (!shape.enums.empty()) {
    std::vector<std::string> values(shape.enums.begin(), shape.enums.end());
    parts.push_back("Member must satisfy enum value set: [" + join(values, ", ") + "]");
  }
  return "[" + join(parts, ", ") + "]";
}

// Why a value does not have the shape's type, or empty when it does.
std::string type_mismatch(const json& value, const Shape& shape) {
  switch (shape.type) {
  case ShapeType::structure: return value.is_object() ? "" : "Member must be a structure (a JSON object)";
  case ShapeType::map: return value.is_object() ? "" : "Member must be a map (a JSON object)";
  case ShapeType::list: return value.is_array() ? "" : "Member must be a list (a JSON array)";
  case ShapeType::string: return value.is_string() ? "" : "Member must be a string";
  case ShapeType::boolean: return value.is_boolean() ? "" : "Member must be a boolean";
  case ShapeType::integer:
  case ShapeType::long_: {
    const bool is_long = shape.type == ShapeType::long_;
    const char* text = is_long ? "Member must be a 64-bit integer" : "Member must be a 32-bit integer";
    if (value.is_number_unsigned())
      return value.get<uint64_t>() <= (is_long ? uint64_t{std::numeric_limits<int64_t>::max()}
                                               : uint64_t{std::numeric_limits<int32_t>::max()})
                 ? ""
                 : text;
    if (!value.is_number_integer()) return text;
    return is_long || value.get<int64_t>() >= std::numeric_limits<int32_t>::min() ? "" : text;
  }
  }
  return "";
}

class Walker {
public:
  explicit Walker(UriPolicy policy) : m_policy(policy) {}

  void check(const json& value, const Shape& shape, const std::string& path, uint8_t flags) {
    if (auto mismatch = type_mismatch(value, shape); !mismatch.empty()) return fail(value, path, mismatch);
    switch (shape.type) {
    case ShapeType::structure: return structure(value, shape, path);
    case ShapeType::list: return list(value, shape, path);
    case ShapeType::map: return map(value, shape, path);
    default:
      for (const auto& failure : scalar_failures(value, shape, flags))
        fail(value, path, failure);
    }
  }

  void fail(const json& value, const std::string& path, const std::string& constraint) {
    const std::string shown = value.is_null() ? "null" : "'" + render(value) + "'";
    m_errors.push_back("Value " + shown + " at '" + path + "' failed to satisfy constraint: " + constraint);
    m_failed.insert(path);
  }
  // Whether a value already failed (the checks after the model's add at most one error a value).
  bool failed(const std::string& path) const { return m_failed.contains(path); }

  void add(std::string error) { m_errors.push_back(std::move(error)); }
  const std::vector<std::string>& errors() const { return m_errors; }

private:
  void structure(const json& value, const Shape& shape, const std::string& path) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      const auto known = std::ranges::any_of(shape.members, [&](const auto& m) { return m.name == it.key(); });
      if (known) continue;
      std::vector<std::string> names;
      for (const auto& member : shape.members)
        names.emplace_back(member.name);
      m_errors.push_back("Unknown parameter '" + it.key() + "'" + (path.empty() ? "" : " at '" + path + "'") +
                         ": must be one of " + join(names, ", "));
    }
    for (const auto& member : shape.members) {
      const auto it = value.find(member.name);
      const std::string member_path = child_path(path, member.name);
      if (it == value.end() || it->is_null()) {
        if (member.flags & shapes::k_required) fail(json(), member_path, "Member must not be null");
        continue;
      }
      check(*it, shapes::shape(member.shape), member_path, member.flags);
    }
  }

  void size_checks(const json& value, const Shape& shape, const std::string& path) {
    const auto size = static_cast<int64_t>(value.size());
    if (shape.max && size > *shape.max)
      fail(value, path, "Member must have length less than or equal to " + std::to_string(*shape.max));
    if (shape.min && size < *shape.min)
      fail(value, path, "Member must have length greater than or equal to " + std::to_string(*shape.min));
  }

  void list(const json& value, const Shape& shape, const std::string& path) {
    size_checks(value, shape, path);
    const Shape& element = shapes::shape(shape.element);
    bool element_failed = false;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string element_path = path + "." + std::to_string(i + 1) + ".member";
      const json& item = value[i];
      if (!is_scalar(element) || !type_mismatch(item, element).empty())
        check(item, element, element_path, 0);
      else
        element_failed = element_failed || !scalar_failures(item, element, 0).empty();
    }
    if (element_failed) fail(value, path, "Member must satisfy constraint: " + constraint_list(element));
  }

  void map(const json& value, const Shape& shape, const std::string& path) {
    size_checks(value, shape, path);
    const Shape& key = shapes::shape(shape.key);
    const Shape& mapped = shapes::shape(shape.value);
    bool key_failed = false;
    bool value_failed = false;
    for (auto it = value.begin(); it != value.end(); ++it) {
      key_failed = key_failed || !scalar_failures(json(it.key()), key, 0).empty();
      if (!is_scalar(mapped) || !type_mismatch(it.value(), mapped).empty())
        check(it.value(), mapped, path + "." + it.key(), 0);
      else
        value_failed = value_failed || !scalar_failures(it.value(), mapped, 0).empty();
    }
    if (key_failed) fail(value, path, "Map keys must satisfy constraint: " + constraint_list(key));
    if (value_failed) fail(value, path, "Map value must satisfy constraint: " + constraint_list(mapped));
  }

  // The constraints a well-typed scalar breaks, in the order constraint_list gives them.
  std::vector<std::string> scalar_failures(const json& value, const Shape& shape, uint8_t flags) const {
    std::vector<std::string> out;
    if (shape.type == ShapeType::integer || shape.type == ShapeType::long_) {
      const int64_t number = value.get<int64_t>();
      if (shape.max && number > *shape.max)
        out.push_back("Member must have value less than or equal to " + std::to_string(*shape.max));
      if (shape.min && number < *shape.min)
        out.push_back("Member must have value greater than or equal to " + std::to_string(*shape.min));
      return out;
    }
    if (shape.type != ShapeType::string) return out;
    const auto& text = value.get_ref<const std::string&>();
    const std::wstring points = code_points(text);
    const int64_t length = java_length(points);
    if (shape.max && length > *shape.max)
      out.push_back("Member must have length less than or equal to " + std::to_string(*shape.max));
    if (shape.min && length < *shape.min)
      out.push_back("Member must have length greater than or equal to " + std::to_string(*shape.min));
    const bool local_uri = (flags & shapes::k_local_uri) && m_policy == UriPolicy::local &&
                           job::location_kind(text) == job::LocationKind::local;
    if ((flags & shapes::k_local_uri) && m_policy == UriPolicy::local && text.starts_with("file://") && !local_uri) {
      out.push_back("Member must be an absolute file:// URI (file:///path/to/folder); a relative folder is taken "
                    "on the command line only (--input training=./data)");
      return out;
    }
    if (shape.pattern_kind != PatternKind::none && !local_uri && points.size() <= shapes::k_regex_input_limit &&
        !shapes::matches_pattern(shape, points))
      out.push_back("Member must satisfy regular expression pattern: " + std::string(shape.pattern));
    if (!shape.enums.empty() && std::ranges::find(shape.enums, text) == shape.enums.end()) {
      std::vector<std::string> values(shape.enums.begin(), shape.enums.end());
      out.push_back("Member must satisfy enum value set: [" + join(values, ", ") + "]");
    }
    return out;
  }

  UriPolicy m_policy;
  std::vector<std::string> m_errors;
  std::set<std::string> m_failed; // the paths of the values in m_errors
};

// A checkpoint folder is a path inside the host: absolute, with no '.' or '..' to climb by, and
// not one of the folders the contract fills (the configs, the data, the code, the model).
std::string checkpoint_path_problem(const std::string& path) {
  const std::filesystem::path given(path);
  if (!given.is_absolute()) return "Member must be an absolute path (like /opt/ml/checkpoints)";
  for (const auto& part : given) {
    if (part == "." || part == "..") return "Member must be a path without '.' or '..' components";
  }
  const std::string folder = given.lexically_normal().generic_string();
  const std::string normal = folder.size() > 1 && folder.ends_with('/') ? folder.substr(0, folder.size() - 1) : folder;
  const auto reserved = [](const std::string& what) {
    return "Member must not be " + what +
           ": the training contract fills that folder; use /opt/ml/checkpoints or a folder of your own";
  };
  for (const std::string whole : {"/", "/opt/ml"}) {
    if (normal == whole) return reserved(whole);
  }
  for (const std::string tree : {"/opt/ml/input", "/opt/ml/code", "/opt/ml/model", "/opt/ml/output"}) {
    if (normal == tree || normal.starts_with(tree + "/")) return reserved(tree + " or inside it");
  }
  return "";
}

// Script mode's code location: the local runner copies a file:// folder or archive into code/
// (runner/submit_staging.hpp), so it must name one absolutely; the service cannot read one.
std::string submit_directory_problem(const std::string& value, UriPolicy policy) {
  const auto decoded = contract::decode_value(value);
  if (!decoded.is_string()) return "";
  const auto& text = decoded.get_ref<const std::string&>();
  if (!text.starts_with("file://")) return "";
  if (policy == UriPolicy::sagemaker)
    return "Member must not be a local location (file://): a local folder is for the local runner (sagerun local, "
           "or sagerun server --allow-local-uris); give the s3:// URI of a sourcedir.tar.gz";
  if (!text.starts_with("file:///"))
    return "Member must be an absolute file:// URI (file:///path/to/folder); a relative folder is taken on the "
           "command line only (--script ./src)";
  return "";
}

const json* find_object(const json& parent, const char* key) {
  const auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? &*it : nullptr;
}

// What the model cannot say of a list of tags (CreateTrainingJob's and AddTags' Tags): keys differ,
// and none takes the prefix AWS keeps for its own tags.
void tag_checks(const json& request, Walker& walker) {
  const auto tags = request.find("Tags");
  if (tags == request.end() || !tags->is_array()) return;
  std::set<std::string> seen;
  for (size_t i = 0; i < tags->size(); ++i) {
    const json& tag = (*tags)[i];
    const auto key = tag.is_object() ? tag.find("Key") : tag.end();
    if (!tag.is_object() || key == tag.end() || !key->is_string()) continue;
    const std::string path = "tags." + std::to_string(i + 1) + ".member.key";
    if (walker.failed(path)) continue;
    const auto& text = key->get_ref<const std::string&>();
    if (text.starts_with("aws:"))
      walker.fail(*key, path, "Member must not begin with 'aws:': that prefix is reserved for AWS's own tags");
    else if (!seen.insert(text).second)
      walker.fail(*key, path,
                  "Member must be unique: a tag key may be given once (its value replaces any earlier one)");
  }
}

std::string message_of(const Walker& walker) {
  const auto& errors = walker.errors();
  if (errors.empty()) return "";
  const std::string count = std::to_string(errors.size());
  return count + (errors.size() == 1 ? " validation error detected: " : " validation errors detected: ") +
         join(errors, "; ");
}

// What the model cannot say: unique channel names, one data source per channel, and (for the
// service) an image or algorithm to run.
void semantic_checks(const json& request, UriPolicy policy, Walker& walker) {
  if (const auto channels = request.find("InputDataConfig"); channels != request.end() && channels->is_array()) {
    std::set<std::string> seen;
    for (size_t i = 0; i < channels->size(); ++i) {
      const json& channel = (*channels)[i];
      if (!channel.is_object()) continue;
      const std::string path = "inputDataConfig." + std::to_string(i + 1) + ".member";
      if (const auto name = channel.find("ChannelName"); name != channel.end() && name->is_string()) {
        const auto& text = name->get_ref<const std::string&>();
        if (text == "." || text == "..") {
          walker.fail(*name, path + ".channelName",
                      "Member must not be '.' or '..': a channel name is the name of its folder under "
                      "/opt/ml/input/data");
        } else if (!seen.insert(text).second) {
          walker.fail(*name, path + ".channelName", "Member must be unique: channel names must differ");
        }
      }
      if (const json* source = find_object(channel, "DataSource")) {
        const auto given = std::ranges::count_if(std::array{"S3DataSource", "FileSystemDataSource", "DatasetSource"},
                                                 [&](const char* key) {
                                                   const auto it = source->find(key);
                                                   return it != source->end() && !it->is_null();
                                                 });
        if (given != 1)
          walker.fail(*source, path + ".dataSource",
                      "Member must have exactly one of s3DataSource, fileSystemDataSource, datasetSource");
      }
    }
  }
  if (const json* checkpoint = find_object(request, "CheckpointConfig")) {
    if (const auto local = checkpoint->find("LocalPath"); local != checkpoint->end() && local->is_string()) {
      const std::string path = "checkpointConfig.localPath";
      if (!walker.failed(path)) {
        if (auto problem = checkpoint_path_problem(local->get_ref<const std::string&>()); !problem.empty())
          walker.fail(*local, path, problem);
      }
    }
  }
  if (const json* hyperparameters = find_object(request, "HyperParameters")) {
    if (const auto directory = hyperparameters->find("sagemaker_submit_directory");
        directory != hyperparameters->end() && directory->is_string()) {
      if (auto problem = submit_directory_problem(directory->get_ref<const std::string&>(), policy); !problem.empty())
        walker.fail(*directory, "hyperParameters.sagemaker_submit_directory", problem);
    }
  }
  if (policy == UriPolicy::sagemaker) {
    if (const json* spec = find_object(request, "AlgorithmSpecification")) {
      const auto image = spec->find("TrainingImage");
      const bool has_image =
          image != spec->end() && image->is_string() && !image->get_ref<const std::string&>().empty();
      const auto algorithm = spec->find("AlgorithmName");
      if (!has_image && (algorithm == spec->end() || algorithm->is_null()))
        walker.fail(image == spec->end() ? json() : *image, "algorithmSpecification.trainingImage",
                    "Member must not be null or empty when algorithmSpecification.algorithmName is not given");
    }
  }
}

} // namespace

std::string validate_request(const json& request, UriPolicy policy) {
  Walker walker(policy);
  if (!request.is_object()) {
    walker.add("The request must be a JSON object (CreateTrainingJob's input), not " +
               std::string(request.type_name()));
  } else {
    walker.check(request, shapes::request_shape(), "", 0);
    semantic_checks(request, policy, walker);
    tag_checks(request, walker);
  }
  // The service checks the spot rules once the shapes are sound, and answers them alone.
  if (walker.errors().empty() && request.is_object()) return spot_problem(request);
  return message_of(walker);
}

std::string validate_input(std::string_view input_shape, const json& body) {
  const shapes::Shape* shape = shapes::input_shape(input_shape);
  if (shape == nullptr) return "sagerun: no input shape '" + std::string(input_shape) + "'";
  Walker walker(UriPolicy::sagemaker);
  if (!body.is_object()) {
    walker.add("The request must be a JSON object (" + std::string(input_shape) + "), not " +
               std::string(body.type_name()));
  } else {
    walker.check(body, *shape, "", 0);
  }
  return message_of(walker);
}

std::string validate_tags_input(std::string_view operation, const json& body) {
  const shapes::Shape* shape = shapes::input_shape(std::string(operation) + "Input");
  if (shape == nullptr) return "sagerun: no input shape for '" + std::string(operation) + "'";
  Walker walker(UriPolicy::sagemaker);
  if (!body.is_object()) {
    walker.add("The request must be a JSON object (" + std::string(operation) + "'s input), not " +
               std::string(body.type_name()));
  } else {
    walker.check(body, *shape, "", 0);
    tag_checks(body, walker);
  }
  return message_of(walker);
}

} // namespace sagerun::job
