#include "aws/mini_http.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>

#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::aws {
namespace {

using Clock = std::chrono::steady_clock;

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

std::string ssl_error(const std::string& what) {
  char buffer[256] = {};
  ERR_error_string_n(ERR_get_error(), buffer, sizeof buffer);
  return what + ": " + buffer;
}

// One connection: plain or TLS, with every read and write bounded by the stall timeout.
class Connection {
public:
  Expected<void> open(const UrlParts& url, std::chrono::seconds stall) {
    m_stall_ms = static_cast<int>(std::chrono::milliseconds(stall).count());
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    if (const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return util::fail(util::ErrorKind::io, url.host + ": " + gai_strerror(rc));
    }
    std::string last_error = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      util::UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
      if (!fd.valid()) continue;
      timeval tv{m_stall_ms / 1000, (m_stall_ms % 1000) * 1000};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
        m_fd = std::move(fd);
        break;
      }
      last_error = std::strerror(errno);
    }
    ::freeaddrinfo(found);
    if (!m_fd.valid()) return util::fail(util::ErrorKind::io, url.authority() + ": " + last_error);
    if (url.scheme == "https") return start_tls(url.host);
    return {};
  }

  bool write_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = m_ssl ? SSL_write(m_ssl.get(), data.data(), static_cast<int>(data.size()))
                              : ::send(m_fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (!m_ssl && n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Up to `size` bytes; 0 at end of stream, -1 on error or stall.
  ssize_t read_some(char* out, size_t size) {
    for (;;) {
      const ssize_t n = m_ssl ? SSL_read(m_ssl.get(), out, static_cast<int>(size)) : ::recv(m_fd.get(), out, size, 0);
      if (n >= 0) return n;
      if (!m_ssl && errno == EINTR) continue;
      if (m_ssl && SSL_get_error(m_ssl.get(), static_cast<int>(n)) == SSL_ERROR_ZERO_RETURN) return 0;
      return -1;
    }
  }

private:
  Expected<void> start_tls(const std::string& host) {
    m_ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!m_ctx) return util::fail(util::ErrorKind::io, ssl_error("TLS"));
    SSL_CTX_set_verify(m_ctx.get(), SSL_VERIFY_PEER, nullptr);
    const std::string bundle = ca_bundle_path();
    if (bundle.empty() || SSL_CTX_load_verify_locations(m_ctx.get(), bundle.c_str(), nullptr) != 1) {
      return util::fail(util::ErrorKind::io, "TLS: no CA certificate bundle found; set SSL_CERT_FILE");
    }
    m_ssl.reset(SSL_new(m_ctx.get()));
    SSL_set_fd(m_ssl.get(), m_fd.get());
    // The certificate must name the host: a DNS name, or an IP address in its subjectAltName.
    in6_addr ip{};
    const bool literal = ::inet_pton(AF_INET, host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), &ip) == 1;
    if (literal) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(m_ssl.get()), host.c_str());
    } else {
      SSL_set_tlsext_host_name(m_ssl.get(), host.c_str());
      SSL_set1_host(m_ssl.get(), host.c_str());
    }
    if (SSL_connect(m_ssl.get()) != 1) return util::fail(util::ErrorKind::io, ssl_error("TLS handshake with " + host));
    return {};
  }

  util::UniqueFd m_fd;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> m_ctx;
  std::unique_ptr<SSL, SslDeleter> m_ssl;
  int m_stall_ms = 30000;
};

// Buffered reading of the response: lines for the head, exact counts for the body.
class Reader {
public:
  explicit Reader(Connection& connection) : m_connection(connection) {}

  bool line(std::string& out) {
    out.clear();
    for (;;) {
      const auto newline = m_buffer.find('\n', m_pos);
      if (newline != std::string::npos) {
        out.assign(m_buffer, m_pos, newline - m_pos);
        if (!out.empty() && out.back() == '\r') out.pop_back();
        m_pos = newline + 1;
        return true;
      }
      if (!fill()) return false;
    }
  }

  // Passes up to `count` bytes (all until end of stream when count is npos) to `consume`.
  bool body(size_t count, const std::function<bool(std::string_view)>& consume) {
    const bool until_close = count == std::string::npos;
    while (until_close || count > 0) {
      if (m_pos == m_buffer.size() && !fill()) return until_close && m_eof;
      const size_t take = std::min(count, m_buffer.size() - m_pos);
      if (!consume(std::string_view(m_buffer).substr(m_pos, take))) return false;
      m_pos += take;
      if (!until_close) count -= take;
    }
    return true;
  }

private:
  bool fill() {
    if (m_pos > 0) {
      m_buffer.erase(0, m_pos);
      m_pos = 0;
    }
    char chunk[65536];
    const ssize_t n = m_connection.read_some(chunk, sizeof chunk);
    if (n <= 0) {
      m_eof = n == 0;
      return false;
    }
    m_buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  Connection& m_connection;
  std::string m_buffer;
  size_t m_pos = 0;
  bool m_eof = false;
};

class MinimalClient final : public HttpClient {
public:
  Expected<HttpResponse> send(const HttpRequest& request, const BodySink& sink) override {
    const auto url = parse_url(request.url);
    if (!url) return util::fail(util::ErrorKind::invalid_input, "malformed URL: " + request.url);
    const std::string context = request.method + " " + request.url;
    const auto io_error = [&](const std::string& what) {
      return util::fail(util::ErrorKind::io, context + ": " + what);
    };

    std::string body = request.body;
    if (request.body_file) {
      auto content = util::read_file(request.body_file->path);
      if (!content) return std::unexpected(content.error());
      body = content->substr(request.body_file->offset, request.body_file->length);
    }
    std::string head =
        request.method + " " + url->path + (url->query.empty() ? "" : "?" + url->query) + " HTTP/1.1\r\n";
    if (!find_header(request.headers, "Host")) head += "Host: " + url->authority() + "\r\n";
    for (const auto& [name, value] : request.headers)
      head += name + ": " + value + "\r\n";
    if (!body.empty() || (request.method != "GET" && request.method != "HEAD")) {
      head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    head += "Connection: close\r\n\r\n";

    Connection connection;
    if (auto opened = connection.open(*url, request.stall_timeout); !opened) return io_error(opened.error().message);
    if (!connection.write_all(head) || !connection.write_all(body)) return io_error("connection lost while sending");

    Reader reader(connection);
    HttpResponse response;
    std::string line;
    do { // skip interim 1xx responses
      if (!reader.line(line)) return io_error("connection closed before a response");
      if (!line.starts_with("HTTP/1.") || line.size() < 12)
        return io_error("not an HTTP response: " + line.substr(0, 80));
      std::from_chars(line.data() + 9, line.data() + 12, response.status);
      response.headers.clear();
      while (reader.line(line) && !line.empty()) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        size_t start = colon + 1;
        while (start < line.size() && line[start] == ' ')
          ++start;
        response.headers.emplace_back(line.substr(0, colon), line.substr(start));
      }
    } while (response.status >= 100 && response.status < 200);

    const bool to_sink = sink && response.status >= 200 && response.status < 300;
    const auto consume = [&](std::string_view piece) {
      if (to_sink) return sink(piece);
      response.body.append(piece);
      return true;
    };
    if (request.method == "HEAD" || response.status == 204 || response.status == 304) return response;
    const auto chunked = response.header("Transfer-Encoding");
    if (chunked && chunked->find("chunked") != std::string::npos) {
      for (;;) {
        if (!reader.line(line)) return io_error("connection lost in a chunked body");
        size_t size = 0;
        std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (size == 0) break;
        if (!reader.body(size, consume) || !reader.line(line)) return io_error("connection lost in a chunked body");
      }
      return response;
    }
    if (const auto length = response.header("Content-Length")) {
      size_t size = 0;
      std::from_chars(length->data(), length->data() + length->size(), size);
      if (!reader.body(size, consume)) return io_error("connection lost after part of the body");
      return response;
    }
    if (!reader.body(std::string::npos, consume)) return io_error("connection lost in the body");
    return response;
  }
};

} // namespace

std::string ca_bundle_path() {
  if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && util::is_file(env)) return env;
  for (const char* candidate :
       {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"}) {
    if (util::is_file(candidate)) return candidate;
  }
  return {};
}

std::unique_ptr<HttpClient> make_minimal_client() { return std::make_unique<MinimalClient>(); }

} // namespace sagerun::aws
