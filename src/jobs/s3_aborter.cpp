#include "jobs/s3_aborter.hpp"

#include "aws/curl/session.hpp"
#include "aws/s3/config.hpp"

namespace sagerun::jobs {

S3UploadAborter::S3UploadAborter(util::EnvMap env, std::optional<std::string> region,
                                 std::optional<std::string> profile)
    : m_env(std::move(env)), m_region(std::move(region)), m_profile(std::move(profile)) {}

S3UploadAborter::~S3UploadAborter() = default;

Expected<void> S3UploadAborter::abort(const store::OpenUpload& upload) {
  auto& client = m_clients[upload.endpoint];
  if (!client) {
    if (!m_session) m_session = std::make_unique<aws::Session>(m_env, m_profile);
    const auto endpoint = upload.endpoint.empty() ? std::nullopt : std::optional<std::string>(upload.endpoint);
    auto config = aws::s3::resolve_config(m_env, m_region, m_profile, endpoint);
    if (!config) return std::unexpected(config.error());
    client = std::make_unique<aws::s3::Client>(m_session->http(), m_session->credentials(), *config);
  }
  return client->abort_multipart(upload.bucket, upload.key, upload.upload_id);
}

} // namespace sagerun::jobs
