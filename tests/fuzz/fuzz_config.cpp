// libFuzzer target: the config-file parsers and everything computed from hyperparameters.
#include <cstddef>
#include <cstdint>
#include <string>

#include "contract/config.hpp"
#include "contract/hyperparameters.hpp"
#include "util/python_repr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace sagerun;
  if (auto hps = contract::parse_hyperparameters(text, "hyperparameters.json")) {
    const auto split = contract::split_hyperparameters(*hps);
    (void)contract::to_cmd_args(split.user);
    (void)util::python_json_dumps(split.user);
    (void)util::python_str(split.user);
  }
  (void)contract::parse_input_data_config(text, "inputdataconfig.json");
  (void)contract::parse_resource_config(text, "resourceconfig.json");
  return 0;
}
