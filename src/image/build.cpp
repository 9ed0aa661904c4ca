#include "image/build.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "aws/crypto.hpp"
#include "util/files.hpp"

namespace sagerun::image {
namespace {

bool is_source_tree(const fs::path& dir) {
  return util::is_file(dir / "docker" / "Dockerfile.cpu") && util::is_file(dir / "CMakeLists.txt");
}

std::optional<fs::path> source_tree_above(fs::path dir) {
  std::error_code error;
  dir = fs::weakly_canonical(dir, error);
  for (; !dir.empty(); dir = dir.parent_path()) {
    if (is_source_tree(dir)) return dir;
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

std::string flavor_name(Flavor flavor) { return flavor == Flavor::gpu ? "gpu" : "cpu"; }

std::optional<std::string> arg_value(const std::vector<std::pair<std::string, std::string>>& args,
                                     const std::string& key) {
  std::optional<std::string> value;
  for (const auto& [name, given] : args) {
    if (name == key) value = given;
  }
  return value;
}

Expected<std::string> file_sha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + path.string(), errno));
  aws::Sha256 digest;
  std::string buffer(1 << 20, '\0');
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    digest.update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return util::fail(util::ErrorKind::io, "cannot read " + path.string());
  return digest.hex_digest();
}

// A temporary folder, removed with everything in it when the guard goes.
class TempFolder {
public:
  static Expected<TempFolder> create() {
    const char* tmp = ::getenv("TMPDIR");
    std::string pattern = (fs::path(tmp && *tmp ? tmp : "/tmp") / "sagerun-image-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return util::fail(util::ErrorKind::io, util::errno_message("cannot create a folder like " + pattern, errno));
    }
    TempFolder folder;
    folder.m_path = pattern;
    return folder;
  }
  TempFolder(TempFolder&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  TempFolder& operator=(TempFolder&&) = delete;
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ignored;
    if (!m_path.empty()) fs::remove_all(m_path, ignored);
  }
  const fs::path& path() const { return m_path; }

private:
  TempFolder() = default;
  fs::path m_path;
};

// The prebuilt context: docker/ (Dockerfiles and their scripts) and docker/prebuilt/train. It
// is all a prebuilt build reads, so nothing else of the source tree is sent to the daemon.
Expected<void> stage_prebuilt_context(const BuildPlan& plan, const fs::path& source) {
  std::error_code error;
  const fs::path docker = plan.context / "docker";
  fs::create_directories(docker / "prebuilt", error);
  if (error) return util::fail(util::ErrorKind::io, "cannot create " + docker.string() + ": " + error.message());
  for (const auto& entry : fs::directory_iterator(source / "docker", error)) {
    if (!entry.is_regular_file()) continue;
    fs::copy_file(entry.path(), docker / entry.path().filename(), fs::copy_options::overwrite_existing, error);
    if (error) return util::fail(util::ErrorKind::io, "cannot copy " + entry.path().string() + ": " + error.message());
  }
  if (error)
    return util::fail(util::ErrorKind::io, "cannot list " + (source / "docker").string() + ": " + error.message());
  const fs::path train = docker / "prebuilt" / "train";
  fs::copy_file(*plan.prebuilt_train, train, fs::copy_options::overwrite_existing, error);
  if (error) {
    return util::fail(util::ErrorKind::io,
                      "--train: cannot copy " + plan.prebuilt_train->string() + ": " + error.message());
  }
  ::chmod(train.c_str(), 0755);
  return {};
}

} // namespace

std::string default_tag(Flavor flavor) { return "sagerun-" + flavor_name(flavor) + ":latest"; }

Expected<fs::path> find_source_tree(const std::optional<fs::path>& given, const fs::path& executable,
                                    const fs::path& cwd) {
  if (given) {
    if (is_source_tree(*given)) return fs::absolute(*given);
    return util::fail(util::ErrorKind::not_found, "--source " + given->string() +
                                                      ": not a sagerun source tree (no docker/Dockerfile.cpu and "
                                                      "CMakeLists.txt there)");
  }
  if (!executable.empty()) {
    if (auto found = source_tree_above(executable.parent_path())) return *found;
  }
  if (auto found = source_tree_above(cwd)) return *found;
  return util::fail(util::ErrorKind::not_found,
                    "cannot find the sagerun source tree (docker/Dockerfile.cpu) above " +
                        (executable.empty() ? std::string("this sagerun") : executable.string()) + " or " +
                        cwd.string() + ": run from a checkout, or pass --source DIR");
}

Expected<std::pair<std::string, std::string>> parse_build_arg(const std::string& text) {
  static const std::regex name("[A-Za-z_][A-Za-z0-9_]*");
  const auto equals = text.find('=');
  const std::string key = text.substr(0, equals);
  if (equals == std::string::npos || !std::regex_match(key, name)) {
    return util::fail(util::ErrorKind::invalid_input,
                      "--build-arg " + text + ": give KEY=VALUE, KEY a name such as BASE_IMAGE or PIP_PACKAGES");
  }
  return std::pair{key, text.substr(equals + 1)};
}

Expected<BuildPlan> plan_build(const BuildOptions& options, const fs::path& source, const fs::path& prebuilt_context,
                               const std::string& train_sha256) {
  BuildPlan plan;
  plan.tag = options.tag.empty() ? default_tag(options.flavor) : options.tag;
  plan.network = options.network;
  std::vector<std::pair<std::string, std::string>> user;
  for (const auto& text : options.build_args) {
    auto arg = parse_build_arg(text);
    if (!arg) return std::unexpected(arg.error());
    user.push_back(std::move(*arg));
  }
  const std::string dockerfile_name = "Dockerfile." + flavor_name(options.flavor);
  if (options.dockerfile) {
    plan.dockerfile = fs::absolute(*options.dockerfile);
    if (!util::is_file(plan.dockerfile)) {
      return util::fail(util::ErrorKind::not_found, "--dockerfile " + options.dockerfile->string() + ": no such file");
    }
  }
  std::vector<std::pair<std::string, std::string>> own{{"SAGERUN_VERSION", SAGERUN_VERSION}};
  const auto base = options.base ? options.base : arg_value(user, "BASE_IMAGE");
  if (options.base) own.emplace_back("BASE_IMAGE", *options.base);
  if (options.train) {
    if (!util::is_file(*options.train) || !util::is_executable(*options.train)) {
      return util::fail(util::ErrorKind::not_found, "--train " + options.train->string() +
                                                        ": not an executable file (the static train, "
                                                        "e.g. build/src/train)");
    }
    plan.prebuilt_train = fs::absolute(*options.train);
    plan.train_sha256 = train_sha256;
    plan.context = prebuilt_context;
    if (!options.dockerfile) plan.dockerfile = prebuilt_context / "docker" / dockerfile_name;
    own.emplace_back("TRAIN_FROM", "prebuilt");
    own.emplace_back("TRAIN_SHA256", train_sha256);
    // Nothing is compiled: the builder stage needs only a shell, and the base has one (the
    // legacy builder runs that stage even though BuildKit would skip it).
    if (base && !arg_value(user, "BUILDER_IMAGE")) own.emplace_back("BUILDER_IMAGE", *base);
  } else {
    plan.context = source;
    if (!options.dockerfile) plan.dockerfile = source / "docker" / dockerfile_name;
  }
  for (auto& [key, value] : own) {
    if (!arg_value(user, key)) plan.args.emplace_back(std::move(key), std::move(value));
  }
  plan.args.insert(plan.args.end(), user.begin(), user.end());
  return plan;
}

std::vector<std::string> build_arguments(const BuildPlan& plan) {
  // --flag=value throughout: a value can never be taken for a flag.
  std::vector<std::string> args{"build", "--file=" + plan.dockerfile.string(), "--tag=" + plan.tag};
  if (plan.network) args.push_back("--network=" + *plan.network);
  for (const auto& [key, value] : plan.args)
    args.push_back("--build-arg=" + key + "=" + value);
  args.push_back(plan.context.string());
  return args;
}

Expected<BuiltImage> build_image(const ContainerCli& cli, const BuildOptions& options) {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  const fs::path cwd = fs::current_path(error);
  auto source = find_source_tree(options.source, executable, cwd);
  if (!source) return std::unexpected(source.error());

  std::optional<TempFolder> prebuilt_context;
  std::string sha256;
  if (options.train) {
    auto folder = TempFolder::create();
    if (!folder) return std::unexpected(folder.error());
    prebuilt_context.emplace(std::move(*folder));
    if (util::is_file(*options.train)) {
      auto digest = file_sha256(*options.train);
      if (!digest) return std::unexpected(digest.error());
      sha256 = *digest;
    }
  }
  auto plan = plan_build(options, *source, prebuilt_context ? prebuilt_context->path() : fs::path(), sha256);
  if (!plan) return std::unexpected(plan.error());
  if (plan->prebuilt_train) {
    if (auto staged = stage_prebuilt_context(*plan, *source); !staged) return std::unexpected(staged.error());
    std::fprintf(stderr, "sagerun image build: %s from %s with the prebuilt train %s (sha256 %s)\n", plan->tag.c_str(),
                 plan->dockerfile.filename().c_str(), plan->prebuilt_train->c_str(), plan->train_sha256.c_str());
  } else {
    std::fprintf(stderr, "sagerun image build: %s from %s in %s, train compiled in the builder stage\n",
                 plan->tag.c_str(), plan->dockerfile.filename().c_str(), plan->context.c_str());
  }
  auto built = cli.check(build_arguments(*plan), Output::to_stderr,
                         "--base, --build-arg and --network change what the build uses");
  if (!built) return std::unexpected(built.error());
  auto inspected = cli.check({"image", "inspect", "--format={{.Id}} {{.Size}}", plan->tag}, Output::capture, "");
  if (!inspected) return std::unexpected(inspected.error());
  BuiltImage image{plan->tag, {}, 0};
  std::istringstream fields(*inspected);
  fields >> image.id >> image.size_bytes;
  return image;
}

} // namespace sagerun::image
