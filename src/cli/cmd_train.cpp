// sagerun train: the same entrypoint as the lean `train` binary (its arguments are its own).
#include "cli/command_table.hpp"
#include "entrypoint/train.hpp"

namespace sagerun::cli {

int cmd_train(Invocation& invocation) {
  const auto args = invocation.args();
  return entrypoint::train_main(static_cast<int>(args.size()), args.data(), true);
}

} // namespace sagerun::cli
