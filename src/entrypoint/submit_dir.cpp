#include "entrypoint/submit_dir.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "aws/credentials.hpp"
#include "aws/mini_http.hpp"
#include "aws/s3/client.hpp"
#include "aws/s3/config.hpp"
#include "aws/s3/uri.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/tar_extract.hpp"

namespace sagerun::entrypoint {

namespace fs = std::filesystem;

namespace {

// Downloads s3://bucket/key.tar.gz next to code/ with the credentials the platform gave the
// container (AWS_CONTAINER_CREDENTIALS_*, else the rest of the chain), then extracts it.
Expected<void> fetch_from_s3(const std::string& uri, const fs::path& code_dir, const util::EnvMap& env,
                             uint64_t max_bytes) {
  auto location = aws::s3::parse_uri(uri);
  if (!location) return std::unexpected(location.error());
  auto config = aws::s3::resolve_config(env, std::nullopt, std::nullopt, std::nullopt);
  if (!config) {
    return util::fail(util::ErrorKind::invalid_input,
                      "sagemaker_submit_directory " + uri + ": " + config.error().message);
  }
  auto http = aws::make_minimal_client();
  aws::CredentialsProvider credentials(env, {}, *http);
  aws::s3::Client client(*http, [&credentials] { return credentials.get(); }, *config);
  if (auto made = util::make_directories(code_dir); !made) return made;
  const fs::path archive = code_dir.parent_path() / ".sagerun-sourcedir.tar.gz";
  auto downloaded = client.download(location->bucket, location->key, archive.string());
  if (!downloaded) {
    return util::fail(downloaded.error().kind, "sagemaker_submit_directory " + uri + ": " + downloaded.error().message);
  }
  auto stats = util::extract_tar(archive, code_dir, max_bytes);
  ::unlink(archive.c_str());
  if (!stats) return util::fail(stats.error().kind, "sagemaker_submit_directory " + uri + ": " + stats.error().message);
  util::log::info("downloaded " + uri + " (" + std::to_string(downloaded->size) + " bytes) and extracted it into " +
                  code_dir.string() + " (" + std::to_string(stats->files) + " files)");
  return {};
}

} // namespace

uint64_t extraction_budget(const contract::Paths& paths) {
  if (auto text = util::read_file(paths.training_job_config_file())) {
    const auto config = nlohmann::json::parse(*text, nullptr, false);
    if (config.is_object()) {
      const auto resources = config.find("ResourceConfig");
      if (resources != config.end() && resources->is_object()) {
        const auto volume = resources->find("VolumeSizeInGB");
        if (volume != resources->end() && volume->is_number_unsigned() && volume->get<uint64_t>() > 0)
          return volume->get<uint64_t>() << 30;
      }
    }
  }
  struct statvfs space{};
  fs::path folder = paths.code();
  while (!folder.empty() && ::statvfs(folder.c_str(), &space) != 0 && folder != folder.parent_path())
    folder = folder.parent_path();
  return space.f_frsize > 0 ? static_cast<uint64_t>(space.f_bavail) * space.f_frsize : util::k_no_limit;
}

Expected<void> copy_submit_directory(const fs::path& source, const fs::path& code_dir, uint64_t max_bytes) {
  const std::string uri = source.string();
  if (util::is_dir(source)) {
    std::error_code ec;
    if (fs::equivalent(source, code_dir, ec)) return {};
    const auto inside = fs::weakly_canonical(code_dir, ec).lexically_relative(fs::weakly_canonical(source, ec));
    if (!ec && !inside.empty() && *inside.begin() != "..") {
      return util::fail(util::ErrorKind::invalid_input,
                        "sagemaker_submit_directory " + uri + ": the folder holds " + code_dir.string() +
                            ", where it would be copied (the store of jobs is inside it): give a folder that "
                            "holds the code alone");
    }
    if (auto ok = util::make_directories(code_dir); !ok) return ok;
    fs::copy(source, code_dir,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing, ec);
    if (ec)
      return util::fail(util::ErrorKind::io, "sagemaker_submit_directory " + uri + ": copying into " +
                                                 code_dir.string() + ": " + ec.message());
    util::log::info("copied the submit directory " + uri + " into " + code_dir.string());
    return {};
  }
  const std::string name = source.filename().string();
  if (util::is_file(source) && !name.ends_with(".tar.gz") && !name.ends_with(".tgz") && !name.ends_with(".tar")) {
    // One script, as the SDK uploads an entry_point given without a source_dir.
    std::error_code ec;
    if (auto ok = util::make_directories(code_dir); !ok) return ok;
    fs::copy_file(source, code_dir / name, fs::copy_options::overwrite_existing, ec);
    if (ec)
      return util::fail(util::ErrorKind::io, "sagemaker_submit_directory " + uri + ": copying into " +
                                                 code_dir.string() + ": " + ec.message());
    util::log::info("copied " + uri + " into " + code_dir.string());
    return {};
  }
  if (util::is_file(source)) {
    auto stats = util::extract_tar(source, code_dir, max_bytes);
    if (!stats)
      return util::fail(stats.error().kind, "sagemaker_submit_directory " + uri + ": " + stats.error().message);
    util::log::info("extracted " + uri + " into " + code_dir.string() + " (" + std::to_string(stats->files) +
                    " files)");
    return {};
  }
  return util::fail(util::ErrorKind::not_found, "sagemaker_submit_directory " + uri + ": no such file or folder");
}

Expected<void> fetch_submit_directory(const std::string& uri, const fs::path& code_dir, const util::EnvMap& env,
                                      uint64_t max_bytes) {
  if (uri.starts_with("s3://")) return fetch_from_s3(uri, code_dir, env, max_bytes);
  return copy_submit_directory(uri.starts_with("file://") ? fs::path(uri.substr(7)) : fs::path(uri), code_dir,
                               max_bytes);
}

} // namespace sagerun::entrypoint
