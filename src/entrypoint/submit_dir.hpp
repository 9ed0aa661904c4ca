#pragma once
// Script mode's sagemaker_submit_directory: a local folder or tarball, or an s3:// tarball fetched
// with the container's credentials, copied or safely extracted into code/.

#include <filesystem>
#include <string>

#include "contract/paths.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"
#include "util/tar_extract.hpp"

namespace sagerun::entrypoint {

// A local folder (copied), tarball (.tar.gz, .tgz or .tar: extracted) or single script (copied)
// into code/; nothing to do when it is code/. A folder that holds code/ is refused.
Expected<void> copy_submit_directory(const std::filesystem::path& source, const std::filesystem::path& code_dir,
                                     uint64_t max_bytes = util::k_no_limit);

// An archive may unpack to at most `max_bytes` (extraction_budget: the job's volume).
Expected<void> fetch_submit_directory(const std::string& uri, const std::filesystem::path& code_dir,
                                      const util::EnvMap& env, uint64_t max_bytes = util::k_no_limit);

// What code/ may take: ResourceConfig.VolumeSizeInGB of trainingjobconfig.json when the platform
// wrote one, else the space free where code/ lies.
uint64_t extraction_budget(const contract::Paths& paths);

} // namespace sagerun::entrypoint
