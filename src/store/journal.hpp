#pragma once
// The transfers a runner has in flight, recorded before each starts and crossed off when it
// ends, so whoever reconciles a runner that died can finish what it left half-done: abort the
// multipart uploads it opened (each UploadId is recorded before its first part) and remove the
// part files it was writing at file:// destinations. One JSON array per line:
//   ["upload", endpoint, bucket, key, upload id]    ["uploaded", upload id]
//   ["copy", destination path]                      ["copied", destination path]

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sagerun::store {

struct OpenUpload {
  std::string endpoint; // the S3 endpoint the upload went to (empty: AWS's own)
  std::string bucket;
  std::string key;
  std::string upload_id;
};

struct OpenTransfers {
  std::vector<OpenUpload> uploads;
  std::vector<std::filesystem::path> copies; // destinations whose part files may remain
  bool empty() const { return uploads.empty() && copies.empty(); }
};

class TransferJournal {
public:
  explicit TransferJournal(std::filesystem::path file) : m_file(std::move(file)) {}

  // A start that cannot be recorded is an error: the transfer must not begin unrecorded.
  Expected<void> upload_started(const OpenUpload& upload);
  void upload_ended(const std::string& upload_id);
  Expected<void> copy_started(const std::filesystem::path& destination);
  void copy_ended(const std::filesystem::path& destination);

  // What was started and not ended. A torn last line (the writer died mid-write) is ignored.
  static OpenTransfers read_open(const std::filesystem::path& file);

private:
  Expected<void> append(const std::string& line);
  std::filesystem::path m_file;
  std::mutex m_mutex;
};

} // namespace sagerun::store
