#include "runner/outputs.hpp"

#include <system_error>

#include "job/lifecycle.hpp"
#include "runner/host_tree.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

// One folder holding every host's files: hard links, algo-1's first so it wins a clash.
Expected<fs::path> merged_folder(const std::vector<fs::path>& sources, const fs::path& target) {
  if (sources.size() == 1) return sources.front();
  std::error_code error;
  fs::remove_all(target, error);
  if (auto made = util::make_directories(target); !made) return std::unexpected(made.error());
  for (const auto& source : sources) {
    if (!util::is_dir(source)) continue;
    for (fs::recursive_directory_iterator it(source, error), end; !error && it != end; it.increment(error)) {
      const fs::path destination = target / fs::relative(it->path(), source);
      if (it->is_directory() && !it->is_symlink()) {
        fs::create_directories(destination, error);
      } else if (!fs::exists(fs::symlink_status(destination))) {
        fs::create_directories(destination.parent_path(), error);
        fs::create_hard_link(it->path(), destination, error);
        if (error) fs::copy(it->path(), destination, fs::copy_options::copy_symlinks, error);
      }
      if (error) break;
    }
    if (error) return util::fail(util::ErrorKind::io, "cannot merge " + source.string() + ": " + error.message());
  }
  return target;
}

} // namespace

Expected<OutputPaths> upload_outputs(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts,
                                     const fs::path& work, Storage& storage) {
  auto base = parse_location(request.output_path, "OutputDataConfig.S3OutputPath");
  if (!base) return std::unexpected(base.error());
  const Location output = base->child(request.job_name).child("output");

  std::vector<fs::path> models, datas;
  for (const auto& host : hosts) {
    models.push_back(host.model());
    datas.push_back(host.output_data());
  }
  auto model = merged_folder(models, work / "model");
  if (!model) return std::unexpected(model.error());
  OutputPaths paths;
  if (request.output_compression == "NONE") {
    const Location destination = output.child("model");
    if (auto put = storage.put_folder(*model, destination); !put) return std::unexpected(put.error());
    paths.model_artifacts = destination.uri() + "/";
  } else {
    auto uri = storage.put_archive(*model, output.child("model.tar.gz"), work / "model.tar.gz");
    if (!uri) return std::unexpected(uri.error());
    paths.model_artifacts = *uri;
  }
  auto data = merged_folder(datas, work / "output-data");
  if (!data) return std::unexpected(data.error());
  if (auto uri = storage.put_archive(*data, output.child("output.tar.gz"), work / "output.tar.gz"); !uri) {
    return std::unexpected(uri.error());
  }
  return paths;
}

Expected<void> download_checkpoints(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts,
                                    Storage& storage) {
  if (!request.checkpoint) return {};
  auto location = parse_location(request.checkpoint->s3_uri, "CheckpointConfig.S3Uri");
  if (!location) return std::unexpected(location.error());
  for (const auto& host : hosts) {
    if (auto got = storage.get_folder(*location, checkpoint_folder(request, host)); !got) {
      return std::unexpected(got.error());
    }
  }
  return {};
}

std::string read_failure_reason(const contract::Paths& host) {
  auto text = util::read_file(host.failure_file());
  if (!text) return "";
  // SageMaker puts the container's words after its own prefix, whoever wrote the file.
  constexpr std::string_view k_prefix = "AlgorithmError: ";
  std::string reason = job::bounded_failure_reason(text->starts_with(k_prefix) ? *text : std::string(k_prefix) + *text);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
    reason.pop_back();
  return reason;
}

} // namespace sagerun::runner
