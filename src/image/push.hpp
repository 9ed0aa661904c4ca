#pragma once
// `sagerun image push`: where the image goes (ECR, or any registry), the login, and the push.

#include <optional>
#include <string>

#include "image/container_cli.hpp"
#include "image/reference.hpp"

namespace sagerun::image {

struct PushTarget {
  std::string host;       // registry host[:port]
  std::string repository; // NAME
  std::string tag;
  std::optional<RegistryLogin> login; // logged in first when set (password through stdin)
};

struct Pushed {
  std::string uri;    // host/repository:tag
  std::string digest; // "sha256:…"; empty when the client did not record one
};

// login (when asked), tag local_image as the target's URI, push, and read the pushed digest.
Expected<Pushed> push_image(const ContainerCli& cli, const std::string& local_image, const PushTarget& target);

} // namespace sagerun::image
