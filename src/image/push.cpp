#include "image/push.hpp"

#include <cstdio>
#include <filesystem>

namespace sagerun::image {

Expected<Pushed> push_image(const ContainerCli& cli, const std::string& local_image, const PushTarget& target) {
  Pushed pushed{image_uri(target.host, target.repository, target.tag), {}};
  const std::string client = std::filesystem::path(cli.program()).filename().string();
  if (target.login) {
    std::fprintf(stderr, "sagerun image push: logging %s in to %s as %s\n", cli.program().c_str(), target.host.c_str(),
                 target.login->username.c_str());
    // The password reaches the client on its stdin only.
    auto login = cli.check({"login", "--username=" + target.login->username, "--password-stdin", target.host},
                           Output::to_stderr, "the registry refused the login", target.login->password);
    if (!login) return std::unexpected(login.error());
  }
  auto tagged = cli.check({"tag", local_image, pushed.uri}, Output::to_stderr,
                          "is there a local image " + local_image + "? (sagerun image build makes one)");
  if (!tagged) return std::unexpected(tagged.error());
  std::fprintf(stderr, "sagerun image push: pushing %s\n", pushed.uri.c_str());
  auto push = cli.check({"push", pushed.uri}, Output::to_stderr,
                        target.login ? ""
                                     : "if the registry needs a login, run `" + client + " login " + target.host +
                                           "` first or pass --username (the password on stdin)");
  if (!push) return std::unexpected(push.error());
  auto digests = cli.run({"image", "inspect", "--format={{json .RepoDigests}}", pushed.uri}, Output::capture);
  if (digests && digests->exit_code == 0) {
    pushed.digest = find_repo_digest(digests->output, target.host, target.repository).value_or("");
  }
  return pushed;
}

} // namespace sagerun::image
