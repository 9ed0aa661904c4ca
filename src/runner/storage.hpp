#pragma once
// Where a job's outputs and checkpoints go: an S3 location (s3://bucket/prefix) or a local
// folder (file:///path or /path), behind one small interface so the runner treats both alike.
// Local copies are written to a temporary name and renamed, as S3 uploads appear whole. Every
// transfer that could be left half-done — a multipart upload, a file being copied to its
// destination — is in the job's journal while it is in flight (store/journal.hpp).

#include <filesystem>
#include <string>

#include "aws/transfer/transfer.hpp"
#include "store/journal.hpp"
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

// Records the multipart uploads of a transfer manager in a journal (Options::observer).
class JournalObserver final : public aws::transfer::UploadObserver {
public:
  JournalObserver(store::TransferJournal& journal, std::string endpoint)
      : m_journal(journal), m_endpoint(std::move(endpoint)) {}
  Expected<void> opened(const std::string& bucket, const std::string& key, const std::string& upload_id) override;
  void closed(const std::string& upload_id) override;

private:
  store::TransferJournal& m_journal;
  std::string m_endpoint;
};

class Storage {
public:
  // `transfer` may be null when no S3 location is used; `journal` null when nothing need be
  // recorded (tests).
  Storage(aws::transfer::Manager* transfer, store::TransferJournal* journal)
      : m_transfer(transfer), m_journal(journal) {}

  Expected<void> put_file(const fs::path& file, const Location& destination);
  // `folder` as a .tar.gz at `destination`: packed in place at a local destination, through
  // `scratch` (then removed) for S3. Returns the destination's URI.
  Expected<std::string> put_archive(const fs::path& folder, const Location& destination, const fs::path& scratch);
  // Every file under `folder` to destination/<relative path>. Every file, not only those that
  // look changed: a checkpoint rewritten within the same second has the same size and time.
  Expected<size_t> put_folder(const fs::path& folder, const Location& destination);
  // Everything under `source` into `folder`; nothing there is not an error.
  Expected<size_t> get_folder(const Location& source, const fs::path& folder);

private:
  Expected<aws::transfer::Manager*> transfer(const Location& location);
  Expected<void> copy_file(const fs::path& from, const fs::path& to);
  Expected<size_t> copy_tree(const fs::path& from, const fs::path& to);

  aws::transfer::Manager* m_transfer;
  store::TransferJournal* m_journal;
};

} // namespace sagerun::runner
