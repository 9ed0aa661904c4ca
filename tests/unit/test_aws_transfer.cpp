#include "aws/transfer/transfer.hpp"

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::aws {
namespace {

constexpr uint64_t mib = 1ull << 20;

// A file takes about one part per worker, within [base, 64 MiB], and never more than 10,000.
TEST(TransferPlan, UploadPartSizeFollowsTheFileAndTheWorkers) {
  EXPECT_EQ(transfer::upload_part_size(300 * mib, 8 * mib, 10), 30 * mib);
  EXPECT_EQ(transfer::upload_part_size(301 * mib, 8 * mib, 10), 31 * mib); // whole MiB, rounded up
  EXPECT_EQ(transfer::upload_part_size(20 * mib, 8 * mib, 10), 8 * mib);   // never under the base
  EXPECT_EQ(transfer::upload_part_size(300 * mib, 100 * mib, 10), 100 * mib);
  EXPECT_EQ(transfer::upload_part_size(4ull << 30, 8 * mib, 10), 64 * mib); // at most 64 MiB to share
  EXPECT_EQ(transfer::upload_part_size(300 * mib, 8 * mib, 0), 64 * mib);   // one worker
  for (const uint64_t size : {1ull << 40, 5ull << 40}) {
    const uint64_t part = transfer::upload_part_size(size, 8 * mib, 10);
    EXPECT_LE((size + part - 1) / part, 10000u) << size;
    EXPECT_EQ(part % mib, 0u);
    EXPECT_LE(part, 5ull << 30);
  }
}

// Answers the multipart calls and PUTs, and records each request as "METHOD /path?query".
class RecordingS3 : public HttpClient {
public:
  Expected<HttpResponse> send(const HttpRequest& request, const BodySink& /*sink*/ = {}) override {
    const auto url = parse_url(request.url);
    const std::string line = request.method + " " + url->path + (url->query.empty() ? "" : "?" + url->query);
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(line);
    }
    if (request.method == "POST" && url->query == "uploads=")
      return HttpResponse{
          200, {}, "<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>"};
    if (request.method == "POST") return HttpResponse{200, {}, "<CompleteMultipartUploadResult/>"};
    return HttpResponse{200, {{"ETag", "\"not-an-md5\""}}, ""};
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  std::mutex m_mutex;
  std::vector<std::string> m_requests;
};

// The large file's parts go first and its upload is completed at once, so the server assembles
// it while the small files are still being sent.
TEST(Transfer, MultipartUploadIsCompletedBeforeTheSmallFilesGo) {
  test::TempDir temp;
  const auto folder = temp.path() / "data";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "a.txt") << "a";
  std::ofstream(folder / "b.txt") << "b";
  std::ofstream(folder / "z.bin") << std::string(9 * mib, 'z');
  RecordingS3 http;
  s3::ClientConfig config;
  config.endpoint = "http://127.0.0.1:1";
  s3::Client client(http, [] { return Expected<Credentials>(Credentials{"AKID", "secret", ""}); }, config);
  transfer::Options options;
  options.concurrency = 1;
  transfer::Manager manager(client, options);
  auto stats = manager.upload_folder(folder, "bucket", "in");
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 3u);
  const auto requests = http.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0], "POST /bucket/in/z.bin?uploads=");
  EXPECT_EQ(requests[1], "PUT /bucket/in/z.bin?partNumber=1&uploadId=up-1"); // 9 MiB: one part for one worker
  EXPECT_EQ(requests[2], "POST /bucket/in/z.bin?uploadId=up-1");
  EXPECT_TRUE(requests[3].starts_with("PUT /bucket/in/") && !requests[3].contains("z.bin")) << requests[3];
  EXPECT_TRUE(requests[4].starts_with("PUT /bucket/in/") && !requests[4].contains("z.bin")) << requests[4];
}

} // namespace
} // namespace sagerun::aws
