#include "runner/staging.hpp"

#include <algorithm>
#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "aws/s3/uri.hpp"
#include "job/location.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;
using util::ErrorKind;
using util::fail;

// One file of a channel: where it comes from (a local file, or an S3 object) and its path under
// the channel folder ('/'-separated, already checked to stay inside).
struct Item {
  fs::path source;
  aws::s3::ObjectInfo object;
  std::string relative;
};

std::string label(const job::Channel& channel) { return "input channel '" + channel.name + "'"; }

util::Error in_channel(const job::Channel& channel, util::Error error) {
  error.message = label(channel) + ": " + error.message;
  return error;
}

// The path of `relative` inside `folder`, refused when it could land outside (absolute, '.',
// '..', empty segments, NUL).
Expected<fs::path> place(const job::Channel& channel, const fs::path& folder, const std::string& relative) {
  auto path = aws::s3::local_path_for_key(folder, "", relative);
  if (!path) return std::unexpected(in_channel(channel, path.error()));
  return path;
}

// Two entries at one path, or a file where another entry needs a folder ("a" and "a/b" are both
// valid S3 keys) cannot both be staged.
Expected<void> check_layout(const job::Channel& channel, const std::vector<Item>& items) {
  std::set<std::string_view> files, folders;
  for (const auto& item : items) {
    if (!files.insert(item.relative).second)
      return fail(ErrorKind::invalid_input, label(channel) + ": two inputs land at '" + item.relative + "'");
    for (auto slash = item.relative.find('/'); slash != std::string::npos; slash = item.relative.find('/', slash + 1)) {
      folders.insert(std::string_view(item.relative).substr(0, slash));
    }
  }
  for (const auto file : files) {
    if (folders.contains(file)) {
      return fail(ErrorKind::invalid_input, label(channel) + ": '" + std::string(file) +
                                                "' is both a file and a folder among the inputs; rename one of them");
    }
  }
  return {};
}

// A hard link where the file system allows; a copy across devices (EXDEV), where links are
// refused (EPERM: fs.protected_hardlinks on files of other users; ENOTSUP) or the link count is
// full (EMLINK). A file left by an earlier staging is replaced.
Expected<void> link_or_copy(const fs::path& source, const fs::path& destination) {
  if (auto made = util::make_directories(destination.parent_path()); !made) return made;
  std::error_code ec;
  fs::remove(destination, ec);
  if (ec) return fail(ErrorKind::io, destination.string() + ": " + ec.message());
  fs::create_hard_link(source, destination, ec);
  if (!ec) return {};
  const int error = ec.value();
  if (error != EXDEV && error != EPERM && error != EMLINK && error != ENOTSUP)
    return fail(ErrorKind::io, "cannot link " + source.string() + " to " + destination.string() + ": " + ec.message());
  fs::copy_file(source, destination, fs::copy_options::overwrite_existing, ec);
  if (ec)
    return fail(ErrorKind::io, "cannot copy " + source.string() + " to " + destination.string() + ": " + ec.message());
  return {};
}

// True for ShardedByS3Key, false for FullyReplicated.
Expected<bool> is_sharded(const job::Channel& channel) {
  if (channel.distribution == "FullyReplicated") return false;
  if (channel.distribution == "ShardedByS3Key") return true;
  return fail(ErrorKind::invalid_input, label(channel) + ": unknown S3DataDistributionType '" + channel.distribution +
                                            "' (FullyReplicated or ShardedByS3Key)");
}

bool inside(const fs::path& root, const fs::path& path) {
  std::string base = root.string();
  if (!base.ends_with('/')) base += '/';
  return path == root || path.string().starts_with(base);
}

// ---- local sources -------------------------------------------------------------------------

// Walks a local source folder. Symbolic links are followed only when their target stays inside
// the (canonical) source folder: the file or folder they point to is staged under the link's
// name. A link leading outside, a dangling link or a loop of folder links is refused — staging
// must not hand a job files the user did not put in the channel. Sockets, FIFOs and devices are
// skipped with a warning.
class LocalWalk {
public:
  LocalWalk(const job::Channel& channel, fs::path root) : m_channel(channel), m_root(std::move(root)) {}

  Expected<std::vector<Item>> run() {
    m_stack.push_back(m_root);
    if (auto walked = walk(m_root, ""); !walked) return std::unexpected(walked.error());
    return std::move(m_items);
  }

private:
  Expected<void> walk(const fs::path& folder, const std::string& relative) {
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      const auto name = it->path().filename().string();
      const std::string child = relative.empty() ? name : relative + "/" + name;
      const auto status = it->symlink_status(ec);
      if (ec) break;
      fs::path real = it->path();
      if (fs::is_symlink(status)) {
        real = fs::canonical(it->path(), ec);
        if (ec) return refuse(it->path(), "is a symbolic link whose target does not exist");
        if (!inside(m_root, real)) {
          return refuse(it->path(), "is a symbolic link to " + real.string() + ", outside the channel's folder " +
                                        m_root.string() + "; put the file itself there or remove the link");
        }
      }
      const auto target = fs::status(real, ec);
      if (ec) break;
      if (fs::is_directory(target)) {
        if (std::find(m_stack.begin(), m_stack.end(), real) != m_stack.end())
          return refuse(it->path(), "is a symbolic link that loops back to " + real.string());
        m_stack.push_back(real);
        if (auto walked = walk(real, child); !walked) return walked;
        m_stack.pop_back();
      } else if (fs::is_regular_file(target)) {
        m_items.push_back({real, {child, fs::file_size(real, ec), "", ""}, child});
        if (ec) break;
      } else {
        util::log::warn(label(m_channel) + ": skipping " + it->path().string() + ": not a regular file or folder");
      }
    }
    if (ec) return fail(ErrorKind::io, label(m_channel) + ": cannot read " + folder.string() + ": " + ec.message());
    return {};
  }

  util::Error error(const fs::path& path, const std::string& why) const {
    return {ErrorKind::invalid_input, label(m_channel) + ": " + path.string() + " " + why};
  }
  std::unexpected<util::Error> refuse(const fs::path& path, const std::string& why) const {
    return std::unexpected(error(path, why));
  }

  const job::Channel& m_channel;
  fs::path m_root;
  std::vector<fs::path> m_stack; // the folders being walked, to catch link loops
  std::vector<Item> m_items;
};

Expected<std::vector<Item>> local_items(const job::Channel& channel, const std::string& path) {
  if (!fs::path(path).is_absolute()) {
    return fail(ErrorKind::invalid_input,
                label(channel) + ": '" + path + "' is not an absolute path (use file:///abs/path or /abs/path)");
  }
  std::error_code ec;
  const auto root = fs::canonical(path, ec);
  if (ec) return fail(ErrorKind::not_found, label(channel) + ": " + path + ": " + ec.message());
  if (fs::is_regular_file(root, ec)) {
    const auto name = fs::path(path).filename().string();
    return std::vector<Item>{{root, {name, fs::file_size(root, ec), "", ""}, name}};
  }
  if (!fs::is_directory(root, ec))
    return fail(ErrorKind::invalid_input, label(channel) + ": " + path + " is neither a file nor a folder");
  return LocalWalk(channel, root).run();
}

// ---- S3 sources ----------------------------------------------------------------------------

// The part of `key` that names the file under the channel, for a channel URI s3://b/<prefix>.
// S3Prefix matches keys as a raw string prefix, as SageMaker does ("ml/input" also matches
// "ml/input2/x"). What lands in the channel:
//   - a key inside the prefix taken as a folder ("ml/input/" + rest, or any key when the prefix
//     ends with '/') → rest: s3://b/ml/input with ml/input/script/train.py → script/train.py;
//   - any other match (the prefix names an object, or ends mid-name) → the key minus the
//     prefix's folder part, everything up to its last '/': s3://b/data/train with
//     data/train.csv → train.csv, data/train-2/x.csv → train-2/x.csv.
std::string folder_part(const std::string& prefix, const std::string& key) {
  if (prefix.empty() || prefix.ends_with('/')) return prefix;
  if (key.size() > prefix.size() && key.starts_with(prefix) && key[prefix.size()] == '/') return prefix + "/";
  const auto slash = prefix.rfind('/');
  return slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
}

Expected<std::vector<Item>> prefix_items(const job::Channel& channel, const aws::s3::Location& location,
                                         aws::s3::Client& client) {
  auto listing = client.list(location.bucket, location.key);
  if (!listing) return std::unexpected(in_channel(channel, listing.error()));
  std::vector<Item> items;
  for (auto& object : listing->objects) {
    if (object.key.ends_with('/') && object.size == 0) continue; // a "folder" marker
    const auto strip = folder_part(location.key, object.key);
    // Checked with local_path_for_key against a stand-in root; the real root comes later.
    auto path = aws::s3::local_path_for_key("/", strip, object.key);
    if (!path) return std::unexpected(in_channel(channel, path.error()));
    std::string relative = object.key.substr(strip.size());
    items.push_back({{}, std::move(object), std::move(relative)});
  }
  if (items.empty()) {
    return fail(ErrorKind::not_found,
                label(channel) + ": No S3 objects found under S3 URL \"" + channel.uri +
                    "\" given in input data source. Please ensure that the bucket exists in the selected region, "
                    "that objects exist under that S3 prefix, and that the role has \"s3:ListBucket\" permissions "
                    "on bucket \"" +
                    location.bucket + "\".");
  }
  return items;
}

Expected<std::vector<Item>> manifest_items(const job::Channel& channel, const aws::s3::Location& location,
                                           aws::s3::Client& client) {
  std::string body;
  auto got = client.get(
      location.bucket, location.key,
      [&](std::string_view piece) {
        body.append(piece);
        return true;
      },
      [&] { body.clear(); });
  if (!got) return std::unexpected(in_channel(channel, got.error()));
  auto manifest = parse_manifest(body, channel.uri);
  if (!manifest) return std::unexpected(in_channel(channel, manifest.error()));
  const auto prefix = aws::s3::parse_uri(manifest->prefix_uri);
  std::vector<Item> items;
  for (auto& relative : manifest->relative_keys) {
    // Not listed, so the size is unknown (0): the object comes in one request.
    aws::s3::ObjectInfo object{aws::transfer::join_key(prefix->key, relative), 0, "", ""};
    items.push_back({{}, std::move(object), std::move(relative)});
  }
  if (items.empty()) {
    return fail(ErrorKind::invalid_input,
                label(channel) + ": the manifest " + channel.uri + " lists no objects, only its prefix");
  }
  return items;
}

// ---- placing the items in the hosts' folders ------------------------------------------------

uint64_t size_of(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Each file linked (or copied) from its source into the first host that gets it; further hosts
// link to that first placement, so a source on another device is copied once, not per host.
Expected<StagingStats> place_local(const job::Channel& channel, const std::vector<Item>& items,
                                   const std::vector<fs::path>& hosts, bool sharded) {
  StagingStats stats;
  for (size_t i = 0; i < items.size(); ++i) {
    fs::path from = items[i].source;
    bool first = true;
    for (size_t host = 0; host < hosts.size(); ++host) {
      if (sharded && !shard_includes(i, host, hosts.size())) continue;
      auto destination = place(channel, hosts[host], items[i].relative);
      if (!destination) return std::unexpected(destination.error());
      if (auto linked = link_or_copy(from, *destination); !linked)
        return std::unexpected(in_channel(channel, linked.error()));
      if (first) from = *destination;
      first = false;
    }
    ++stats.files;
    stats.bytes += items[i].object.size;
  }
  return stats;
}

// Sharded: each object straight into its host's folder. Replicated: each object downloaded once,
// into the first host's folder, then linked into the others.
Expected<StagingStats> place_s3(const job::Channel& channel, const std::string& bucket, std::vector<Item>& items,
                                const std::vector<fs::path>& hosts, bool sharded, aws::transfer::Manager& transfer) {
  std::vector<std::pair<aws::s3::ObjectInfo, fs::path>> downloads;
  downloads.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto destination = place(channel, hosts[sharded ? i % hosts.size() : 0], items[i].relative);
    if (!destination) return std::unexpected(destination.error());
    items[i].source = *destination;
    downloads.emplace_back(items[i].object, *destination);
  }
  if (auto done = transfer.download_objects(bucket, downloads); !done)
    return std::unexpected(in_channel(channel, done.error()));
  StagingStats stats;
  for (const auto& item : items) {
    ++stats.files;
    stats.bytes += size_of(item.source);
    if (sharded) continue;
    for (size_t host = 1; host < hosts.size(); ++host) {
      auto destination = place(channel, hosts[host], item.relative);
      if (!destination) return std::unexpected(destination.error());
      if (auto linked = link_or_copy(item.source, *destination); !linked)
        return std::unexpected(in_channel(channel, linked.error()));
    }
  }
  return stats;
}

} // namespace

bool shard_includes(size_t object_index, size_t host_index, size_t host_count) {
  return host_count > 0 && object_index % host_count == host_index;
}

Expected<Manifest> parse_manifest(const std::string& body, const std::string& manifest_uri) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorKind::invalid_input, "manifest " + manifest_uri + ": " + why);
  };
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return bad("not valid JSON");
  if (!json.is_array()) return bad(R"(must be a JSON array: [{"prefix": "s3://bucket/prefix/"}, "relative/key", ...])");
  if (json.empty() || !json[0].is_object() || !json[0].contains("prefix") || !json[0]["prefix"].is_string())
    return bad(R"(the first element must be {"prefix": "s3://bucket/prefix/"})");
  Manifest manifest;
  manifest.prefix_uri = json[0]["prefix"].get<std::string>();
  const auto prefix = aws::s3::parse_uri(manifest.prefix_uri);
  if (!prefix) return bad("prefix: " + prefix.error().message);
  const auto own = aws::s3::parse_uri(manifest_uri);
  if (own && own->bucket != prefix->bucket) {
    return bad("the prefix " + manifest.prefix_uri + " is in bucket '" + prefix->bucket +
               "'; the objects must be in the manifest's bucket '" + own->bucket + "'");
  }
  for (size_t i = 1; i < json.size(); ++i) {
    if (!json[i].is_string()) return bad("element " + std::to_string(i) + " is not a string (a relative key)");
    auto key = json[i].get<std::string>();
    // The relative key is also the file's path under the channel: it must stay inside.
    if (auto path = aws::s3::local_path_for_key("the channel folder", "", key); !path)
      return bad("element " + std::to_string(i) + ": " + path.error().message);
    manifest.relative_keys.push_back(std::move(key));
  }
  return manifest;
}

Expected<StagingStats> stage_channel(const job::Channel& channel, const std::vector<fs::path>& host_folders,
                                     aws::transfer::Manager* transfer) {
  if (host_folders.empty()) return fail(ErrorKind::internal, label(channel) + ": no host folders to stage into");
  const auto sharded = is_sharded(channel);
  if (!sharded) return std::unexpected(sharded.error());
  const auto& type = channel.s3_data_type;
  if (type == "AugmentedManifestFile")
    return fail(ErrorKind::unsupported, label(channel) + ": AugmentedManifestFile is not supported (Pipe mode only)");
  if (type != "S3Prefix" && type != "ManifestFile") {
    return fail(ErrorKind::invalid_input, label(channel) + ": unknown S3DataType '" + type +
                                              "' (S3Prefix, ManifestFile or AugmentedManifestFile)");
  }
  for (const auto& folder : host_folders) {
    if (auto made = util::make_directories(folder); !made) return std::unexpected(made.error());
  }

  const auto& uri = channel.uri;
  const auto kind = job::location_kind(uri);
  if (kind == job::LocationKind::s3) {
    if (!transfer) return fail(ErrorKind::internal, label(channel) + ": " + uri + " needs S3 access, none was set up");
    const auto location = aws::s3::parse_uri(uri);
    if (!location) return std::unexpected(in_channel(channel, location.error()));
    auto items = type == "ManifestFile" ? manifest_items(channel, *location, transfer->client())
                                        : prefix_items(channel, *location, transfer->client());
    if (!items) return std::unexpected(items.error());
    std::sort(items->begin(), items->end(), [](const Item& a, const Item& b) { return a.object.key < b.object.key; });
    // A manifest may list a key twice; it is one object.
    items->erase(std::unique(items->begin(), items->end(),
                             [](const Item& a, const Item& b) { return a.object.key == b.object.key; }),
                 items->end());
    if (auto checked = check_layout(channel, *items); !checked) return std::unexpected(checked.error());
    // A manifest's objects are in its own bucket (parse_manifest checks).
    return place_s3(channel, location->bucket, *items, host_folders, *sharded, *transfer);
  }
  if (kind == job::LocationKind::https) {
    return fail(ErrorKind::unsupported,
                label(channel) + ": " + uri + ": HTTP(S) data sources are not supported; use s3:// or a local path");
  }
  if (kind == job::LocationKind::other && uri.find("://") != std::string::npos) {
    return fail(ErrorKind::invalid_input,
                label(channel) + ": unsupported URI '" + uri + "' (s3://bucket/prefix, file:///abs/path or /abs/path)");
  }
  const std::string path = job::local_path(uri).value_or(uri);
  if (type == "ManifestFile")
    return fail(ErrorKind::unsupported, label(channel) + ": a ManifestFile must be an s3:// object, not " + uri);
  auto items = local_items(channel, path);
  if (!items) return std::unexpected(items.error());
  std::sort(items->begin(), items->end(), [](const Item& a, const Item& b) { return a.relative < b.relative; });
  return place_local(channel, *items, host_folders, *sharded);
}

} // namespace sagerun::runner
