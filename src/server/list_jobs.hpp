#pragma once
// ListTrainingJobs' request read with the service's checks and messages, into the store's query
// (store/index.hpp runs it: filters, sort, keyset paging with an opaque NextToken).

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "store/index.hpp"

namespace sagerun::server {

ApiResult<store::ListQuery> parse_list_query(const nlohmann::json& body);

} // namespace sagerun::server
