#pragma once
// Hyperparameters as the official toolkit sees them: each value JSON-decoded (kept as the raw
// string when it is not JSON), SageMaker's own keys split off, and the rest turned into argv.

#include <string>
#include <vector>

#include "util/python_repr.hpp"

namespace sagerun::contract {

using util::OrderedJson;

struct Hyperparameters {
  OrderedJson user = OrderedJson::object();      // what the script gets (SM_HPS, argv)
  OrderedJson framework = OrderedJson::object(); // other sagemaker_* keys (SM_FRAMEWORK_PARAMS)
  OrderedJson reserved = OrderedJson::object();  // sagemaker_program, sagemaker_submit_directory, ...
};

// json.loads(value) when it parses (NaN and Infinity included), else the value unchanged.
OrderedJson decode_value(const OrderedJson& raw);

// Splits hyperparameters.json (key -> JSON-encoded string) into the three groups above.
Hyperparameters split_hyperparameters(const OrderedJson& raw);

// The toolkit's to_cmd_args: sorted keys, "--key value" ("-k value" for one letter), values as
// Python's str() would print them (dicts as "k=v,k2=v2").
std::vector<std::string> to_cmd_args(const OrderedJson& user);

// A reserved hyperparameter as a string (str() of the decoded value), or "" when absent.
std::string reserved_string(const Hyperparameters& hps, const std::string& key);

bool is_reserved_key(const std::string& key);

} // namespace sagerun::contract
