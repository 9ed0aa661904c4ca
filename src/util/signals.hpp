#pragma once
// Signal names for logs and failure files.

#include <string>

namespace sagerun::util {

// "SIGTERM" for 15; "signal 42" for numbers without a name.
std::string signal_name(int signal_number);

} // namespace sagerun::util
