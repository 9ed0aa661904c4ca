#pragma once
// Script mode's sagemaker_submit_directory: a local folder or tarball, or an s3:// tarball fetched
// with the container's credentials, copied or safely extracted into code/.

#include <filesystem>
#include <string>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::entrypoint {

Expected<void> fetch_submit_directory(const std::string& uri, const std::filesystem::path& code_dir,
                                      const util::EnvMap& env);

} // namespace sagerun::entrypoint
