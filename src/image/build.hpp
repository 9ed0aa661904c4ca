#pragma once
// `sagerun image build`: docker/Dockerfile.cpu or docker/Dockerfile.gpu built from the sagerun
// source tree, with `train` compiled in the builder stage or, with a prebuilt binary, taken from
// a small context of its own (the binary and docker/).

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "image/container_cli.hpp"
#include "util/error.hpp"

namespace sagerun::image {

namespace fs = std::filesystem;

enum class Flavor { cpu, gpu };

struct BuildOptions {
  Flavor flavor = Flavor::cpu;
  std::string tag;                     // empty: default_tag(flavor)
  std::optional<std::string> base;     // BASE_IMAGE
  std::vector<std::string> build_args; // "KEY=VALUE", passed on (they win over sagerun's own)
  std::optional<fs::path> dockerfile;  // default: <source>/docker/Dockerfile.<flavor>
  std::optional<fs::path> source;      // the sagerun source tree; default: find_source_tree
  std::optional<fs::path> train;       // a prebuilt static train instead of compiling one
  std::optional<std::string> network;  // docker build --network
};

std::string default_tag(Flavor flavor);

// The sagerun source tree (a folder holding docker/Dockerfile.cpu and CMakeLists.txt): `given`,
// else the first such folder above `executable` (a build tree's sagerun), else above `cwd`.
Expected<fs::path> find_source_tree(const std::optional<fs::path>& given, const fs::path& executable,
                                    const fs::path& cwd);

// "KEY=VALUE" → {KEY, VALUE}; KEY must be a shell-style name. Errors name --build-arg.
Expected<std::pair<std::string, std::string>> parse_build_arg(const std::string& text);

// Everything `docker build` gets, decided before anything runs (tested without a daemon).
struct BuildPlan {
  fs::path context;
  fs::path dockerfile;
  std::string tag;
  std::vector<std::pair<std::string, std::string>> args; // in order; the user's last
  std::optional<std::string> network;
  std::optional<fs::path> prebuilt_train; // copied to <context>/docker/prebuilt/train
  std::string train_sha256;               // of prebuilt_train
};

// source: the source tree; prebuilt_context: the folder a prebuilt build would use as its
// context (unused otherwise); train_sha256: the prebuilt binary's digest.
Expected<BuildPlan> plan_build(const BuildOptions& options, const fs::path& source, const fs::path& prebuilt_context,
                               const std::string& train_sha256);

// `build --file … --tag … [--network …] --build-arg K=V … CONTEXT`.
std::vector<std::string> build_arguments(const BuildPlan& plan);

struct BuiltImage {
  std::string tag;
  std::string id;
  int64_t size_bytes = 0;
};

// Plans, stages a prebuilt context when asked, builds (the client's output on stderr) and
// inspects the result.
Expected<BuiltImage> build_image(const ContainerCli& cli, const BuildOptions& options);

} // namespace sagerun::image
