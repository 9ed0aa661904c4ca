#pragma once
// One folder of every host (checkpoints, output/intermediate) put file by file at one
// destination while the job runs: which files are new or changed since they were last put, and
// which have held still long enough to be put while the script may still write them.
//
// A file's mark is its inode, size, mtime and ctime to the nanosecond. A script can set mtime
// back (os.utime, tar extraction) but never ctime, so a rewrite always shows. A live pass puts a
// file only when its mark is the one the previous pass saw (it held still for a whole period) and
// is still the same after the put, so no half-written file is recorded as put: a file changed
// meanwhile is put again once it holds still. The final pass, after the hosts have ended, puts
// every file whose mark differs from the one put.
//
// Files are reached through descriptors opened with O_NOFOLLOW from the host's tree down, so no
// symbolic link the script made (output/ itself replaced by a link to /etc, a link inside
// checkpoints/) is followed out of the tree: links are skipped. Every destination key or path is
// checked to stay below the destination. Nothing is ever deleted at the destination.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/storage.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::runner {

struct FileMark {
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileMark&) const = default;
};

// `relative` ("epoch-3/model.pt") below `destination`, or an error when it is empty or absolute,
// or holds ".", ".." or empty segments or a NUL: it could land outside the destination.
Expected<Location> confined_child(const Location& destination, const std::string& relative);

// A watched folder: `inside` ("checkpoints", "output/intermediate") below `root`, the host's
// tree, which is the runner's own; everything below `root` is the script's and may be a link.
struct SyncSource {
  fs::path root;
  std::string inside;
  fs::path path() const { return root / inside; }
};

// The regular files below the source by relative path ('/'-separated), with their marks.
// Symbolic links, to files or folders, are skipped, never followed; an entry that vanishes while
// the scan reads is skipped too. A folder that does not exist (or is a link) has no files.
Expected<std::map<std::string, FileMark>> scan_folder(const SyncSource& source);

struct OpenedFile {
  util::UniqueFd fd;
  FileMark mark;
};

// `relative` below `root` opened for reading without following a symbolic link on the way; an
// error when a segment is a link or the file is not a regular file.
Expected<OpenedFile> open_beneath(const fs::path& root, const std::string& relative);

enum class PassKind {
  live, // the hosts may still write: only files that held still since the previous pass
  final // the hosts have ended: every file changed since it was put
};

class FolderSync {
public:
  // `what` names the folder in messages ("the checkpoints"); `sources` are each host's folder,
  // algo-1's first: its file wins a clash of names, as for the model and output/data.
  FolderSync(std::string what, std::vector<SyncSource> sources, Location destination);

  // The files there now count as put (checkpoints just downloaded from the destination).
  void take_as_put();

  // One pass; returns how many files were put. A file that cannot be read or named below the
  // destination does not stop the pass; a failed put does (the next pass tries again). The first
  // error is returned, naming the folder, the destination and the file. `stopping` ends a live
  // pass between two files.
  Expected<size_t> pass(Storage& storage, PassKind kind, const std::function<bool()>& stopping = {});

  const std::string& what() const { return m_what; }
  const Location& destination() const { return m_destination; }

private:
  struct Seen {
    FileMark mark;
    size_t source = 0;
    bool operator==(const Seen&) const = default;
  };
  struct Outcome {
    bool put = false;
    std::optional<util::Error> unreadable;
  };
  Expected<std::map<std::string, Seen>> scan() const;
  Expected<Outcome> put(Storage& storage, const std::string& relative, const Seen& seen);
  util::Error error(const std::string& relative, const std::string& message) const;

  std::string m_what;
  std::vector<SyncSource> m_sources;
  Location m_destination;
  std::map<std::string, Seen> m_previous; // the previous pass's scan
  std::map<std::string, Seen> m_put;      // what the destination holds, as it was put
};

} // namespace sagerun::runner
