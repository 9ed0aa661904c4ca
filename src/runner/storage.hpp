#pragma once
// Where a job's outputs and checkpoints go: an S3 location (s3://bucket/prefix) or a local
// folder (file:///path or /path), behind one small interface so the runner treats both alike.
// Local copies are written to a temporary name and renamed, as S3 uploads appear whole.

#include <filesystem>
#include <string>

#include "aws/transfer/transfer.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

namespace fs = std::filesystem;

struct Location {
  enum class Kind { s3, local } kind = Kind::local;
  std::string bucket; // s3
  std::string key;    // s3: the key or prefix, without a trailing '/'
  fs::path path;      // local

  // s3://bucket/key or file:///path, as the status shows it.
  std::string uri() const;
  Location child(const std::string& relative) const;
};

// s3://…, file://… or an absolute path; an error names the field the URI came from.
Expected<Location> parse_location(const std::string& uri, const std::string& field);

class Storage {
public:
  // `transfer` may be null when no S3 location is used.
  explicit Storage(aws::transfer::Manager* transfer) : m_transfer(transfer) {}

  Expected<void> put_file(const fs::path& file, const Location& destination);
  // Every file under `folder` to destination/<relative path>. Every file, not only those that
  // look changed: a checkpoint rewritten within the same second has the same size and time.
  Expected<size_t> put_folder(const fs::path& folder, const Location& destination);
  // Everything under `source` into `folder`; nothing there is not an error.
  Expected<size_t> get_folder(const Location& source, const fs::path& folder);

private:
  Expected<aws::transfer::Manager*> transfer(const Location& location);
  aws::transfer::Manager* m_transfer;
};

} // namespace sagerun::runner
