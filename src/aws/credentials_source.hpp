#pragma once
// How clients ask for credentials: a callable, so they need not know where credentials come from
// (a CredentialsProvider, fixed keys in a test).

#include <functional>

#include "aws/credentials_types.hpp"
#include "util/error.hpp"

namespace sagerun::aws {

using CredentialsSource = std::function<Expected<Credentials>()>;

} // namespace sagerun::aws
