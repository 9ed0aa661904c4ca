#include <iostream>

#include "cli/command_table.hpp"

namespace sagerun::cli {

int cmd_version(std::span<char*> /*args*/) {
  std::cout << "sagerun " SAGERUN_VERSION "\n";
  return k_exit_ok;
}

} // namespace sagerun::cli
