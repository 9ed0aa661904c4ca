#include "entrypoint/submit_dir.hpp"

#include "util/files.hpp"
#include "util/log.hpp"
#include "util/tar_extract.hpp"

namespace sagerun::entrypoint {

namespace fs = std::filesystem;

Expected<void> fetch_submit_directory(const std::string& uri, const fs::path& code_dir) {
  if (uri.starts_with("s3://")) {
    return util::fail(
        util::ErrorKind::unsupported,
        "sagemaker_submit_directory " + uri +
            ": s3:// submit directories are not supported by this "
            "build of train yet; use a local folder or .tar.gz, or put the script in a channel's script/ folder");
  }
  fs::path source = uri.starts_with("file://") ? fs::path(uri.substr(7)) : fs::path(uri);
  if (util::is_dir(source)) {
    std::error_code ec;
    if (fs::equivalent(source, code_dir, ec)) return {};
    if (auto ok = util::make_directories(code_dir); !ok) return ok;
    fs::copy(source, code_dir,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing, ec);
    if (ec)
      return util::fail(util::ErrorKind::io, "sagemaker_submit_directory " + uri + ": copying into " +
                                                 code_dir.string() + ": " + ec.message());
    util::log::info("copied the submit directory " + uri + " into " + code_dir.string());
    return {};
  }
  if (util::is_file(source)) {
    auto stats = util::extract_tar(source, code_dir);
    if (!stats) return util::fail(stats.error().kind, "sagemaker_submit_directory: " + stats.error().message);
    util::log::info("extracted " + uri + " into " + code_dir.string() + " (" + std::to_string(stats->files) +
                    " files)");
    return {};
  }
  return util::fail(util::ErrorKind::not_found, "sagemaker_submit_directory " + uri + ": no such file or folder");
}

} // namespace sagerun::entrypoint
