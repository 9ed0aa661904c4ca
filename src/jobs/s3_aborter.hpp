#pragma once
// Aborting a dead runner's multipart uploads with this process's own AWS access: the endpoint
// the journal recorded, and the credentials chain of `env` (the CLI's, or the server's).

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aws/curl/session.hpp"
#include "aws/s3/client.hpp"
#include "jobs/reconcile.hpp"
#include "util/environment.hpp"

namespace sagerun::jobs {

class S3UploadAborter final : public UploadAborter {
public:
  S3UploadAborter(util::EnvMap env, std::optional<std::string> region, std::optional<std::string> profile);
  ~S3UploadAborter() override;
  Expected<void> abort(const store::OpenUpload& upload) override;

private:
  util::EnvMap m_env;
  std::optional<std::string> m_region;
  std::optional<std::string> m_profile;
  std::unique_ptr<aws::Session> m_session;                           // made on the first upload to abort
  std::map<std::string, std::unique_ptr<aws::s3::Client>> m_clients; // by endpoint
};

} // namespace sagerun::jobs
