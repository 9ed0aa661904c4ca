// sagerun: dispatch only. Called as `train` (a link or copy), it is the training entrypoint.
#include <string_view>

#include "cli/command_table.hpp"
#include "entrypoint/train.hpp"

int main(int argc, char** argv) {
  const std::string_view self = argc > 0 ? argv[0] : "";
  const auto slash = self.rfind('/');
  if (self.substr(slash == std::string_view::npos ? 0 : slash + 1) == "train") {
    return sagerun::entrypoint::train_main(argc, argv);
  }
  return sagerun::cli::dispatch(argc, argv);
}
