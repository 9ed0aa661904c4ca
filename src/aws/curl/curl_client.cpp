#include "aws/curl/curl_client.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "util/fd.hpp"

namespace sagerun::aws {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// What the callbacks of one transfer share.
struct Transfer {
  const HttpRequest* request = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse response;
  util::UniqueFd file;
  uint64_t sent = 0;
  bool sink_failed = false;
  CURL* handle = nullptr;
};

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t room = size * count;
  if (t.request->body_file) {
    const auto& range = *t.request->body_file;
    const uint64_t left = range.length - t.sent;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(left, room));
    if (want == 0) return 0;
    const ssize_t n = ::pread(t.file.get(), buffer, want, static_cast<off_t>(range.offset + t.sent));
    if (n <= 0) return CURL_READFUNC_ABORT;
    t.sent += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
  const auto& body = t.request->body;
  const size_t n = std::min<size_t>(room, body.size() - t.sent);
  std::copy_n(body.data() + t.sent, n, buffer);
  t.sent += n;
  return n;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &status);
  if (t.sink && *t.sink && status >= 200 && status < 300) {
    if (!(*t.sink)(std::string_view(data, n))) {
      t.sink_failed = true;
      return 0; // aborts the transfer
    }
    return n;
  }
  t.response.body.append(data, n);
  return n;
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t.response.headers.clear(); // a new block: after 100 Continue or a redirect
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t.response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return size * count;
}

// NO_PROXY as the user set it, plus the instance-metadata and container-credential addresses.
const std::string& no_proxy_list() {
  static const std::string list = [] {
    std::string value;
    for (const char* name : {"NO_PROXY", "no_proxy"}) {
      if (const char* set = std::getenv(name); set != nullptr && *set != '\0') {
        value = set;
        break;
      }
    }
    return value + (value.empty() ? "" : ",") +
           "169.254.169.254,169.254.170.2,169.254.170.23,fd00:ec2::254,fd00:ec2::23";
  }();
  return list;
}

class CurlClient final : public HttpClient {
public:
  Expected<HttpResponse> send(const HttpRequest& request, const BodySink& sink) override {
    Easy handle = acquire();
    if (!handle) return util::fail(util::ErrorKind::internal, "curl_easy_init failed");
    auto result = perform(handle.get(), request, sink);
    release(std::move(handle));
    return result;
  }

private:
  Easy acquire() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        Easy handle = std::move(m_idle.back());
        m_idle.pop_back();
        curl_easy_reset(handle.get()); // keeps the connection cache
        return handle;
      }
    }
    return Easy(curl_easy_init());
  }

  void release(Easy handle) {
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(handle));
  }

  static Expected<HttpResponse> perform(CURL* curl, const HttpRequest& request, const BodySink& sink) {
    Transfer t;
    t.request = &request;
    t.sink = &sink;
    t.handle = curl;
    uint64_t body_size = request.body.size();
    if (request.body_file) {
      t.file.reset(::open(request.body_file->path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!t.file.valid()) return util::fail(util::ErrorKind::io, util::errno_message(request.body_file->path, errno));
      body_size = request.body_file->length;
    }

    Slist headers;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      list = curl_slist_append(list, (name + (value.empty() ? ";" : ": " + value)).c_str());
    }
    // No "Expect: 100-continue" round trip, and no body type curl would invent for POST.
    list = curl_slist_append(list, "Expect:");
    if (!find_header(request.headers, "Content-Type")) list = curl_slist_append(list, "Content-Type:");
    headers.reset(list);

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.stall_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L); // the signature covers the path as it is
    // Credential endpoints are never reached through a proxy (as the AWS CLI does it).
    curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy_list().c_str());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);

    const auto& method = request.method;
    if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      // PUT, POST, DELETE: send the body (possibly empty) through the read callback.
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      if (t.sink_failed)
        return util::fail(util::ErrorKind::io, method + " " + request.url + ": the receiver stopped the transfer");
      const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
      return util::fail(util::ErrorKind::io, method + " " + request.url + ": " + detail);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    t.response.status = static_cast<int>(status);
    return std::move(t.response);
  }

  std::mutex m_mutex;
  std::vector<Easy> m_idle;
};

} // namespace

std::unique_ptr<HttpClient> make_curl_client() {
  static CurlGlobal global;
  return std::make_unique<CurlClient>();
}

} // namespace sagerun::aws
