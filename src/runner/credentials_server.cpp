#include "runner/credentials_server.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <chrono>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "aws/crypto.hpp"

namespace sagerun::runner {
namespace {

using WallClock = std::chrono::system_clock;

// How long the container may keep the credentials it was given. The provider does not say when
// its own credentials expire; it refreshes them 5 minutes before they do, and a client asks
// again before this time passes.
constexpr auto k_lifetime = std::chrono::hours(1);

Expected<std::string> random_hex(size_t bytes) {
  if (auto drawn = aws::random_hex(bytes)) return *drawn;
  return util::fail(util::ErrorKind::internal, "the credentials server could not draw random bytes (OpenSSL)");
}

// Constant time, so the token cannot be guessed byte by byte from response times.
bool same_token(const std::string& given, const std::string& expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

} // namespace

Expected<std::unique_ptr<CredentialsServer>> CredentialsServer::start(aws::CredentialsProvider& provider,
                                                                      const std::string& bind_address) {
  auto path = random_hex(16);
  auto token = random_hex(32);
  if (!path) return std::unexpected(path.error());
  if (!token) return std::unexpected(token.error());

  std::unique_ptr<CredentialsServer> server(new CredentialsServer());
  server->m_path = "/v2/credentials/" + *path;
  server->m_token = *token;
  server->m_host = bind_address == "0.0.0.0" || bind_address == "::" ? "127.0.0.1" : bind_address;
  server->m_server = std::make_unique<httplib::Server>();
  // One request per connection, and idle connections dropped soon: a container asks rarely, and
  // stopping the server waits for the connections still open.
  server->m_server->set_keep_alive_max_count(1);
  server->m_server->set_read_timeout(std::chrono::seconds(2));

  // The handler runs on the server's threads; the server (and so the handler) ends before
  // `server` is destroyed, and `provider` outlives it by contract.
  const std::string expected = server->m_token;
  server->m_server->Get(
      server->m_path, [&provider, expected](const httplib::Request& request, httplib::Response& response) {
        if (!same_token(request.get_header_value("Authorization"), expected)) {
          reply(response, 403, {{"message", "missing or wrong Authorization token"}});
          return;
        }
        auto credentials = provider.get();
        if (!credentials) {
          reply(response, 500, {{"message", "no credentials for the job: " + credentials.error().message}});
          return;
        }
        reply(response, 200,
              {{"AccessKeyId", credentials->access_key_id},
               {"SecretAccessKey", credentials->secret_access_key},
               {"Token", credentials->session_token},
               {"Expiration", aws::format_timestamp(WallClock::now() + k_lifetime)},
               {"RoleArn", ""}});
      });

  server->m_port = server->m_server->bind_to_any_port(bind_address);
  if (server->m_port <= 0) {
    return util::fail(util::ErrorKind::io,
                      "the credentials server could not bind a port on " + bind_address + " (is the address local?)");
  }
  // stop() does nothing until the listen loop runs, so start() waits for it: a server destroyed
  // right after start() must still end.
  auto ended = std::make_shared<std::atomic<bool>>(false);
  httplib::Server* http = server->m_server.get();
  server->m_thread = std::thread([http, ended] {
    http->listen_after_bind();
    *ended = true;
  });
  while (!http->is_running() && !*ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!http->is_running()) {
    server->m_thread.join();
    return util::fail(util::ErrorKind::io, "the credentials server on " + bind_address + ":" +
                                               std::to_string(server->m_port) + " stopped as it started");
  }
  return server;
}

CredentialsServer::~CredentialsServer() {
  if (m_server) m_server->stop();
  if (m_thread.joinable()) m_thread.join();
}

util::EnvMap CredentialsServer::container_environment() const {
  const bool ipv6 = m_host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + m_host + "]" : m_host;
  return {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + host + ":" + std::to_string(m_port) + m_path},
          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", m_token}};
}

} // namespace sagerun::runner
