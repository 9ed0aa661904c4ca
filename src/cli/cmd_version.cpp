#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command_table.hpp"

namespace sagerun::cli {

int cmd_version(Invocation& invocation) {
  invocation.app().allow_extras();
  if (auto done = invocation.parse()) return *done;
  if (invocation.flags().output == Output::json) {
    print_json({{"Version", SAGERUN_VERSION}});
  } else {
    std::cout << "sagerun " SAGERUN_VERSION "\n";
  }
  return k_exit_ok;
}

} // namespace sagerun::cli
