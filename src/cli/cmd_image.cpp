// sagerun image build|push: the generic training image (docker/Dockerfile.cpu, .gpu), built
// with docker or podman, pushed to ECR (repository created when missing, docker logged in with
// ECR's authorization token) or to any registry. docs/images.md is the reference.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "aws/curl/session.hpp"
#include "aws/endpoints.hpp"
#include "aws/json_client.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "image/build.hpp"
#include "image/ecr.hpp"
#include "image/push.hpp"

namespace sagerun::cli {
namespace {

struct ImageBuildFlags {
  bool gpu = false;
  std::optional<std::string> base;
  std::vector<std::string> build_args;
  std::optional<std::string> dockerfile;
  std::optional<std::string> source;
  std::optional<std::string> train;
  std::optional<std::string> network;
};

// The flags that shape a build; returned so that `push --image` can exclude them.
std::vector<CLI::Option*> add_build_flags(CLI::App& app, ImageBuildFlags& flags) {
  return {
      app.add_flag("--gpu", flags.gpu, "the GPU image (docker/Dockerfile.gpu, an NVIDIA CUDA base)"),
      app.add_option("--base", flags.base, "the runtime base image (build arg BASE_IMAGE)"),
      // One value per --build-arg, so that a NAME after it stays NAME.
      app.add_option("--build-arg", flags.build_args,
                     "KEY=VALUE for the Dockerfile (BUILDER_IMAGE, ML_INSTALL, APT_PACKAGES, PIP_PACKAGES, …); "
                     "repeatable")
          ->allow_extra_args(false),
      app.add_option("--dockerfile", flags.dockerfile, "another Dockerfile (default docker/Dockerfile.cpu or .gpu)"),
      app.add_option("--source", flags.source,
                     "the sagerun source tree (default: the checkout holding this sagerun, or the current folder's)"),
      app.add_option("--train", flags.train,
                     "a prebuilt static train (e.g. build/src/train) instead of compiling it in the image"),
      app.add_option("--network", flags.network, "the build's network (docker build --network), e.g. host"),
  };
}

image::BuildOptions build_options(const ImageBuildFlags& flags, std::string tag) {
  image::BuildOptions options;
  options.flavor = flags.gpu ? image::Flavor::gpu : image::Flavor::cpu;
  options.tag = std::move(tag);
  options.base = flags.base;
  options.build_args = flags.build_args;
  if (flags.dockerfile) options.dockerfile = *flags.dockerfile;
  if (flags.source) options.source = *flags.source;
  if (flags.train) options.train = *flags.train;
  options.network = flags.network;
  return options;
}

std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

int run_build(const Invocation& invocation, const ImageBuildFlags& flags, const std::string& tag,
              const std::string& docker) {
  const image::ContainerCli cli(docker, invocation.env());
  auto built = image::build_image(cli, build_options(flags, tag));
  if (!built) return report(built.error());
  std::fprintf(stderr, "sagerun image build: built %s (%s, %s)\n", built->tag.c_str(), built->id.c_str(),
               megabytes(built->size_bytes).c_str());
  if (invocation.flags().output == Output::json) {
    print_json({{"image", built->tag}, {"id", built->id}, {"sizeBytes", built->size_bytes}});
  } else {
    std::printf("%s\n", built->tag.c_str());
  }
  return k_exit_ok;
}

struct PushFlags {
  std::string name;
  std::optional<std::string> tag;
  std::optional<std::string> image;
  std::optional<std::string> registry;
  bool ecr = false;
  std::optional<std::string> username;
};

// The password for --username, from stdin as `docker login --password-stdin` reads it.
Expected<std::string> read_password() {
  if (::isatty(STDIN_FILENO) != 0) {
    return util::fail(util::ErrorKind::invalid_input,
                      "--username: pipe the password to sagerun's stdin (… | sagerun image push NAME --username U)");
  }
  std::string password((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (password.ends_with("\n")) password.pop_back();
  if (password.ends_with("\r")) password.pop_back();
  if (password.empty()) return util::fail(util::ErrorKind::invalid_input, "--username: no password on stdin");
  return password;
}

struct EcrTarget {
  image::PushTarget target;
  std::string repository_uri;
  bool created = false;
};

// ECR: the account (the registry host's, else STS GetCallerIdentity's), the repository (created
// when missing) and a login from GetAuthorizationToken. `host` overrides the registry pushed to.
Expected<EcrTarget> resolve_ecr(const AwsFlags& aws_flags, const PushFlags& flags, const std::string& tag,
                                const std::optional<std::string>& host) {
  const auto env = util::current_environment();
  const auto ecr_host = host ? image::parse_ecr_host(*host) : std::nullopt;
  std::string region;
  if (ecr_host) {
    region = ecr_host->region;
  } else {
    auto resolved = aws::resolve_region(env, aws_flags.region, aws_flags.profile);
    if (!resolved) return std::unexpected(resolved.error());
    region = *resolved;
  }
  aws::Session session(env, aws_flags.profile);
  auto& http = session.http();
  const auto credentials = session.credentials();
  const auto retry = aws::retry_policy_from(env);
  if (!retry) return std::unexpected(retry.error());
  std::string account;
  if (ecr_host) {
    account = ecr_host->account;
  } else {
    const auto sts = aws::resolve_endpoint("sts", region, env, aws_flags.endpoint_url);
    auto identity = aws::get_caller_identity(http, credentials, sts.url, region, *retry);
    if (!identity) return std::unexpected(identity.error());
    account = identity->account;
  }
  auto service = aws::ecr_service(aws::resolve_endpoint("ecr", region, env, aws_flags.endpoint_url).url, region);
  service.retry = *retry;
  aws::JsonClient ecr(http, credentials, service);
  auto repository = image::ensure_repository(ecr, flags.name, account);
  if (!repository) return std::unexpected(repository.error());
  std::fprintf(stderr, "sagerun image push: %s ECR repository %s (account %s, %s)\n",
               repository->created ? "created" : "using", repository->name.c_str(), account.c_str(), region.c_str());
  auto login = image::get_login(ecr, account);
  if (!login) return std::unexpected(login.error());
  EcrTarget result;
  result.repository_uri = repository->uri;
  result.created = repository->created;
  result.target.repository = flags.name;
  result.target.tag = tag;
  result.target.login = std::move(login->login);
  const auto slash = repository->uri.find('/');
  if (host) {
    result.target.host = *host;
  } else if (slash != std::string::npos && slash > 0) {
    result.target.host = repository->uri.substr(0, slash);
  } else if (!login->host.empty()) {
    result.target.host = login->host;
  } else {
    result.target.host = image::ecr_host(account, region);
  }
  return result;
}

int run_push(const Invocation& invocation, const ImageBuildFlags& build_flags, PushFlags flags,
             const std::string& docker) {
  const auto& aws_flags = invocation.flags().aws;
  // NAME:TAG is accepted for NAME --tag TAG; HOST:PORT/NAME is not (the registry is a flag).
  if (const auto colon = flags.name.find(':');
      colon != std::string::npos && flags.name.find('/', colon) != std::string::npos) {
    return report({util::ErrorKind::invalid_input, "NAME: '" + flags.name +
                                                       "' names a registry: give it with --registry HOST[:PORT] "
                                                       "and NAME without it"});
  }
  if (const auto colon = flags.name.find(':'); colon != std::string::npos && !flags.tag) {
    flags.tag = flags.name.substr(colon + 1);
    flags.name.resize(colon);
  }
  const std::string tag = flags.tag.value_or("latest");
  if (auto valid = image::check_repository_name(flags.name, "NAME"); !valid) return report(valid.error());
  if (auto valid = image::check_tag(tag, "--tag"); !valid) return report(valid.error());
  if (flags.image && flags.image->starts_with("-")) {
    return report({util::ErrorKind::invalid_input, "--image " + *flags.image + ": not an image name"});
  }
  std::optional<std::string> host;
  if (flags.registry) {
    auto parsed = image::registry_host(*flags.registry, "--registry");
    if (!parsed) return report(parsed.error());
    host = *parsed;
  }
  const bool use_ecr = !host || flags.ecr || image::parse_ecr_host(*host);
  if (use_ecr && flags.username) {
    return report({util::ErrorKind::invalid_input,
                   "--username is for registries other than ECR: ECR's login comes from GetAuthorizationToken"});
  }

  // Every check that can fail fast (credentials, the repository, the login) before the build.
  image::PushTarget target;
  std::string repository_uri;
  bool created = false;
  if (use_ecr) {
    auto ecr = resolve_ecr(aws_flags, flags, tag, host);
    if (!ecr) return report(ecr.error());
    target = std::move(ecr->target);
    repository_uri = ecr->repository_uri;
    created = ecr->created;
  } else {
    target.host = *host;
    target.repository = flags.name;
    target.tag = tag;
    if (flags.username) {
      auto password = read_password();
      if (!password) return report(password.error());
      target.login = image::RegistryLogin{*flags.username, std::move(*password)};
    }
    repository_uri = target.host + "/" + target.repository;
  }

  const image::ContainerCli cli(docker, invocation.env());
  std::string local = flags.image.value_or("");
  if (!flags.image) {
    auto built = image::build_image(cli, build_options(build_flags, flags.name + ":" + tag));
    if (!built) return report(built.error());
    std::fprintf(stderr, "sagerun image push: built %s (%s)\n", built->tag.c_str(),
                 megabytes(built->size_bytes).c_str());
    local = built->tag;
  }
  auto pushed = image::push_image(cli, local, target);
  if (!pushed) return report(pushed.error());
  if (invocation.flags().output == Output::json) {
    print_json({{"imageUri", pushed->uri},
                {"digest", pushed->digest},
                {"repositoryUri", repository_uri},
                {"registry", target.host},
                {"ecr", use_ecr},
                {"repositoryCreated", created}});
  } else {
    if (!pushed->digest.empty()) {
      std::fprintf(stderr, "sagerun image push: pushed %s/%s@%s\n", target.host.c_str(), target.repository.c_str(),
                   pushed->digest.c_str());
    }
    std::printf("%s\n", pushed->uri.c_str());
  }
  return k_exit_ok;
}

} // namespace

int cmd_image(Invocation& invocation) {
  auto& app = invocation.app();
  app.require_subcommand(1);
  std::string docker = "docker";

  auto* build = app.add_subcommand("build", "build docker/Dockerfile.cpu (or --gpu: .gpu); prints the image's tag");
  ImageBuildFlags build_flags;
  std::string tag;
  add_build_flags(*build, build_flags);
  build->add_option("--tag,-t", tag, "the image's name[:tag] (default sagerun-cpu:latest, sagerun-gpu:latest)");
  build->add_option("--docker", docker, "the container client: docker, podman or a path (default docker)");

  auto* push = app.add_subcommand(
      "push", "build the image (or take --image) and push it to ECR or --registry; prints the image URI");
  ImageBuildFlags push_build_flags;
  PushFlags push_flags;
  push->add_option("NAME", push_flags.name, "the repository, e.g. sagemaker-cpu (NAME:TAG works too)")->required();
  push->add_option("--tag", push_flags.tag, "the image tag (default latest)");
  auto* image_option =
      push->add_option("--image", push_flags.image, "push this local image as it is instead of building one");
  for (auto* option : add_build_flags(*push, push_build_flags))
    image_option->excludes(option);
  push->add_option("--registry", push_flags.registry,
                   "HOST[:PORT] to push to (default: the account's ECR registry); a registry that is not ECR "
                   "needs no AWS at all");
  push->add_flag("--ecr", push_flags.ecr,
                 "with --registry: still use ECR for the repository and the login (a registry in front of ECR)");
  push->add_option("--username", push_flags.username,
                   "log in to a registry that is not ECR as this user; the password is read from stdin");
  push->add_option("--docker", docker, "the container client: docker, podman or a path (default docker)");
  if (auto done = invocation.parse()) return *done;
  if (build->parsed()) return run_build(invocation, build_flags, tag, docker);
  return run_push(invocation, push_build_flags, push_flags, docker);
}

} // namespace sagerun::cli
