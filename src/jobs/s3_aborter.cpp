#include "jobs/s3_aborter.hpp"

#include "aws/curl/curl_client.hpp"
#include "aws/s3/config.hpp"

namespace sagerun::jobs {

S3UploadAborter::S3UploadAborter(util::EnvMap env, std::optional<std::string> region,
                                 std::optional<std::string> profile)
    : m_env(std::move(env)), m_region(std::move(region)), m_profile(std::move(profile)) {}

S3UploadAborter::~S3UploadAborter() = default;

Expected<void> S3UploadAborter::abort(const store::OpenUpload& upload) {
  auto& client = m_clients[upload.endpoint];
  if (!client) {
    if (!m_http) {
      m_http = aws::make_curl_client();
      aws::CredentialOptions options;
      options.profile = m_profile;
      m_credentials = std::make_unique<aws::CredentialsProvider>(m_env, options, *m_http);
    }
    const auto endpoint = upload.endpoint.empty() ? std::nullopt : std::optional<std::string>(upload.endpoint);
    auto config = aws::s3::resolve_config(m_env, m_region, m_profile, endpoint);
    if (!config) return std::unexpected(config.error());
    auto* provider = m_credentials.get();
    client = std::make_unique<aws::s3::Client>(*m_http, [provider] { return provider->get(); }, *config);
  }
  return client->abort_multipart(upload.bucket, upload.key, upload.upload_id);
}

} // namespace sagerun::jobs
