#pragma once
// Moving files between local folders and S3 prefixes with bounded parallelism: small files one
// request each, large ones in parts (multipart uploads, ranged downloads pinned to one ETag),
// all from one pool of workers. A failed upload aborts its multipart upload; a failed download
// leaves no file behind; keys that would land outside the target folder are refused.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "aws/s3/client.hpp"

namespace sagerun::aws::transfer {

// Told of each multipart upload when it opens and once it is completed or aborted, so a caller
// can record it and abort it later should this process die in between.
class UploadObserver {
public:
  virtual ~UploadObserver() = default;
  // An error stops the upload (it is aborted at once): it must not go on unrecorded.
  virtual Expected<void> opened(const std::string& bucket, const std::string& key, const std::string& upload_id) = 0;
  virtual void closed(const std::string& upload_id) = 0;
};

struct Options {
  // The smallest part of a multipart upload; a file's parts grow from it (upload_part_size).
  uint64_t part_size = 8ull << 20;           // as the AWS CLI's multipart_chunksize
  uint64_t multipart_threshold = 8ull << 20; // as the AWS CLI's multipart_threshold
  int concurrency = 10;                      // as the AWS CLI's max_concurrent_requests
  // Downloads split objects into ranges of at least this size: each range is a request, and
  // some S3-compatible servers re-read the whole object for every range.
  uint64_t download_range_size = 64ull << 20;
  bool progress = false; // a progress line on stderr (terminals only)
  UploadObserver* observer = nullptr;
};

struct Stats {
  size_t files = 0;
  uint64_t bytes = 0;
  size_t skipped = 0; // sync: already up to date
};

enum class Mode { copy, sync };

class Manager {
public:
  Manager(s3::Client& client, Options options) : m_client(client), m_options(options) {}

  Expected<Stats> upload_file(const std::filesystem::path& file, const std::string& bucket, const std::string& key);
  Expected<Stats> download_file(const std::string& bucket, const std::string& key, const std::filesystem::path& file);
  // Every file under `folder` to `prefix/<relative path>`.
  Expected<Stats> upload_folder(const std::filesystem::path& folder, const std::string& bucket,
                                const std::string& prefix, Mode mode = Mode::copy);
  // Every object under `prefix` to `folder/<rest of key>`.
  Expected<Stats> download_prefix(const std::string& bucket, const std::string& prefix,
                                  const std::filesystem::path& folder, Mode mode = Mode::copy);
  // Each listed object to its file (the caller has checked the paths). An object's size may be
  // 0 when unknown (not listed): it is then fetched in one request rather than in ranges.
  Expected<Stats> download_objects(const std::string& bucket,
                                   const std::vector<std::pair<s3::ObjectInfo, std::filesystem::path>>& items);

  s3::Client& client() { return m_client; }

private:
  struct UploadItem {
    std::filesystem::path file;
    std::string key;
    uint64_t size;
  };
  struct DownloadItem {
    s3::ObjectInfo object;
    std::filesystem::path file;
  };
  struct Multipart;
  Expected<Stats> upload_all(const std::string& bucket, const std::vector<UploadItem>& items);
  Expected<void> open_multiparts(const std::string& bucket, std::vector<Multipart>& uploads);
  Expected<void> complete_multipart(const std::string& bucket, Multipart& upload);
  void abort_open(const std::string& bucket, std::vector<Multipart>& uploads);
  Expected<Stats> download_all(const std::string& bucket, const std::vector<DownloadItem>& items);

  s3::Client& m_client;
  Options m_options;
};

// The part size for a multipart upload of `file_size` bytes, in whole MiB: at least `base`, and
// large enough that the file takes about `concurrency` parts, up to 64 MiB a part (fewer, larger
// requests cost client and server less per byte, and the workers still share the file); then
// grown so the file fits in S3's 10,000 parts, and capped at S3's 5 GiB part limit.
uint64_t upload_part_size(uint64_t file_size, uint64_t base, int concurrency);

// "prefix" joined with a relative path the way S3 keys are: "a/b" + "c/d" → "a/b/c/d".
std::string join_key(const std::string& prefix, const std::string& relative);

} // namespace sagerun::aws::transfer
