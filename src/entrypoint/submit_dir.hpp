#pragma once
// Script mode's sagemaker_submit_directory: a local folder or tarball, copied or safely extracted
// into code/. (s3:// needs the S3 client and reports so clearly.)

#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace sagerun::entrypoint {

Expected<void> fetch_submit_directory(const std::string& uri, const std::filesystem::path& code_dir);

} // namespace sagerun::entrypoint
