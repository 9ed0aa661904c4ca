#include "aws/transfer/stream.hpp"

#include <unistd.h>

#include <cerrno>

#include "util/fd.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::aws::transfer {
namespace {

constexpr int k_max_parts = 10000;
constexpr int k_parts_per_size = 1000;
constexpr uint64_t k_max_part_size = 5ull << 30;

// Fills `buffer` to `want` bytes from `fd`, or to the end of the stream.
Expected<void> read_up_to(int fd, std::string& buffer, uint64_t want) {
  buffer.resize(static_cast<size_t>(want));
  size_t have = 0;
  while (have < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + have, buffer.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::fail(util::ErrorKind::io, util::errno_message("standard input", errno));
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  buffer.resize(have);
  return {};
}

std::string where(const std::string& bucket, const std::string& key) { return "s3://" + bucket + "/" + key; }

} // namespace

uint64_t stream_part_size(uint64_t base, int number) {
  const int doublings = std::min((number - 1) / k_parts_per_size, 20);
  return std::min(base << doublings, k_max_part_size);
}

Expected<Stats> upload_stream(s3::Client& client, int fd, const std::string& bucket, const std::string& key,
                              const Options& options) {
  const uint64_t first_read = std::max(options.multipart_threshold, options.part_size);
  std::string pending; // read, not yet sent
  if (auto read = read_up_to(fd, pending, first_read); !read) return std::unexpected(read.error());
  bool ended = pending.size() < first_read;
  if (ended && pending.size() < options.multipart_threshold) {
    if (auto put = client.put_bytes(bucket, key, pending); !put) return std::unexpected(put.error());
    return Stats{.files = 1, .bytes = pending.size(), .skipped = 0};
  }

  auto upload_id = client.create_multipart(bucket, key);
  if (!upload_id) return std::unexpected(upload_id.error());
  const auto abort = [&](const util::Error& error) -> Expected<Stats> {
    if (auto aborted = client.abort_multipart(bucket, key, *upload_id); !aborted) {
      util::log::warn("could not abort the multipart upload of " + where(bucket, key) + " (" + *upload_id +
                      "): " + aborted.error().message);
    } else if (options.observer != nullptr) {
      options.observer->closed(*upload_id);
    }
    return std::unexpected(error);
  };
  if (options.observer != nullptr) {
    if (auto recorded = options.observer->opened(bucket, key, *upload_id); !recorded) return abort(recorded.error());
  }

  std::vector<s3::PartInfo> parts;
  uint64_t total = 0;
  for (int number = 1;; ++number) {
    const uint64_t size = stream_part_size(options.part_size, number);
    if (!ended && pending.size() < size) {
      std::string more;
      const uint64_t want = size - pending.size();
      if (auto read = read_up_to(fd, more, want); !read) return abort(read.error());
      ended = more.size() < want;
      pending += more;
    }
    if (pending.empty()) break; // the stream ended on a part boundary
    if (number > k_max_parts) {
      return abort({util::ErrorKind::invalid_input,
                    where(bucket, key) + ": the stream is larger than 10,000 parts; S3 objects are at most 5 TiB"});
    }
    const std::string part = pending.substr(0, static_cast<size_t>(size));
    pending.erase(0, part.size());
    auto sent = client.upload_part_bytes(bucket, key, *upload_id, number, part);
    if (!sent) return abort(sent.error());
    parts.push_back(std::move(*sent));
    total += part.size();
    if (ended && pending.empty()) break;
  }
  if (auto completed = client.complete_multipart(bucket, key, *upload_id, parts); !completed)
    return abort(completed.error());
  if (options.observer != nullptr) options.observer->closed(*upload_id);
  return Stats{.files = 1, .bytes = total, .skipped = 0};
}

Expected<Stats> download_stream(s3::Client& client, const std::string& bucket, const std::string& key, int fd,
                                const Options& options) {
  auto head = client.head(bucket, key);
  if (!head) return std::unexpected(head.error());
  std::string buffer;
  const auto write_out = [&]() -> Expected<void> {
    if (!util::write_all(fd, buffer))
      return util::fail(util::ErrorKind::io, util::errno_message("standard output", errno));
    return {};
  };
  const auto fetch = [&](std::optional<std::pair<uint64_t, uint64_t>> range) -> Expected<void> {
    auto got = client.get(
        bucket, key,
        [&](std::string_view bytes) {
          buffer.append(bytes);
          return true;
        },
        [&] { buffer.clear(); }, range, head->etag);
    if (!got) return std::unexpected(got.error());
    return write_out();
  };
  if (head->size <= options.part_size) {
    if (auto done = fetch(std::nullopt); !done) return std::unexpected(done.error());
    return Stats{.files = 1, .bytes = buffer.size(), .skipped = 0};
  }
  for (uint64_t first = 0; first < head->size; first += options.part_size) {
    const uint64_t last = std::min(head->size, first + options.part_size) - 1;
    if (auto done = fetch(std::pair{first, last}); !done) return std::unexpected(done.error());
    if (buffer.size() != last - first + 1) {
      return util::fail(util::ErrorKind::io, where(bucket, key) + ": bytes " + std::to_string(first) + "-" +
                                                 std::to_string(last) + " came back short");
    }
  }
  return Stats{.files = 1, .bytes = head->size, .skipped = 0};
}

} // namespace sagerun::aws::transfer
