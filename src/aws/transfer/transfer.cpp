#include "aws/transfer/transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "aws/s3/uri.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::aws::transfer {
namespace {

namespace fs = std::filesystem;
using Task = std::function<Expected<void>()>;

// Runs tasks on `workers` threads; after the first failure no new task starts.
Expected<void> run_parallel(const std::vector<Task>& tasks, int workers) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::optional<util::Error> first_error;
  const auto work = [&] {
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (first_error) return;
      }
      const size_t index = next++;
      if (index >= tasks.size()) return;
      if (auto done = tasks[index](); !done) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = done.error();
      }
    }
  };
  std::vector<std::thread> threads;
  const int count = std::max(1, std::min<int>(workers, static_cast<int>(tasks.size())));
  for (int i = 1; i < count; ++i)
    threads.emplace_back(work);
  work();
  for (auto& thread : threads)
    thread.join();
  if (first_error) return std::unexpected(*first_error);
  return {};
}

// A progress line on stderr, redrawn four times a second while a transfer runs.
class Progress {
public:
  Progress(bool enabled, uint64_t total) : m_enabled(enabled), m_total(total) {
    if (m_enabled) m_thread = std::thread([this] { loop(); });
  }
  ~Progress() {
    if (!m_enabled) return;
    {
      std::lock_guard lock(m_mutex);
      m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
    draw();
    std::fputc('\n', stderr);
  }
  void add(uint64_t bytes) { m_bytes += bytes; }

private:
  void loop() {
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, std::chrono::milliseconds(250), [this] { return m_done; }))
      draw();
  }
  void draw() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const double mib = static_cast<double>(m_bytes) / (1 << 20);
    std::fprintf(stderr, "\r%.1f / %.1f MiB  %.1f MiB/s   ", mib, static_cast<double>(m_total) / (1 << 20),
                 seconds > 0 ? mib / seconds : 0.0);
    std::fflush(stderr);
  }

  bool m_enabled;
  uint64_t m_total;
  std::atomic<uint64_t> m_bytes{0};
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_done = false;
  std::thread m_thread;
};

std::time_t parse_s3_time(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

std::time_t mtime_of(const fs::path& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
}

} // namespace

uint64_t upload_part_size(uint64_t file_size, uint64_t base, int concurrency) {
  constexpr uint64_t mib = 1ull << 20;
  constexpr uint64_t shared_cap = 64 * mib;
  constexpr uint64_t max_parts = 10000;
  constexpr uint64_t max_part = 5ull << 30;
  const auto round_up = [](uint64_t bytes, uint64_t unit) { return (bytes + unit - 1) / unit * unit; };
  const uint64_t shared =
      std::min(shared_cap, round_up(file_size / static_cast<uint64_t>(std::max(1, concurrency)), mib));
  const uint64_t fitting = round_up((file_size + max_parts - 1) / max_parts, mib);
  return std::min(max_part, std::max({base, shared, fitting}));
}

std::string join_key(const std::string& prefix, const std::string& relative) {
  if (prefix.empty()) return relative;
  return prefix.ends_with("/") ? prefix + relative : prefix + "/" + relative;
}

struct Manager::Multipart {
  const UploadItem* item;
  std::string upload_id; // empty until opened, and again once completed or aborted
  uint64_t part_size = 0;
  std::vector<s3::PartInfo> parts;
  size_t parts_left = 0; // under the parts mutex: the worker that sends the last one completes
};

// Aborts every multipart upload still open, so a failed transfer leaves nothing on the server;
// an abort that fails too is reported, not hidden.
void Manager::abort_open(const std::string& bucket, std::vector<Multipart>& uploads) {
  for (auto& upload : uploads) {
    if (upload.upload_id.empty()) continue;
    if (auto aborted = m_client.abort_multipart(bucket, upload.item->key, upload.upload_id); !aborted) {
      util::log::warn("could not abort the multipart upload of s3://" + bucket + "/" + upload.item->key + " (" +
                      upload.upload_id + "): " + aborted.error().message);
    } else if (m_options.observer != nullptr) {
      m_options.observer->closed(upload.upload_id);
    }
    upload.upload_id.clear();
  }
}

// Not retried: a retry could leave an upload open that nobody knows of. Each is recorded (the
// observer) before any of its parts is sent.
Expected<void> Manager::open_multiparts(const std::string& bucket, std::vector<Multipart>& uploads) {
  for (auto& upload : uploads) {
    auto id = m_client.create_multipart(bucket, upload.item->key);
    if (!id) return std::unexpected(id.error());
    upload.upload_id = *id;
    if (m_options.observer != nullptr) {
      if (auto recorded = m_options.observer->opened(bucket, upload.item->key, *id); !recorded)
        return std::unexpected(recorded.error());
    }
    upload.part_size = upload_part_size(upload.item->size, m_options.part_size, m_options.concurrency);
    // An empty file (with a zero threshold) is one empty part: S3 wants at least one.
    upload.parts.resize(std::max<uint64_t>(1, (upload.item->size + upload.part_size - 1) / upload.part_size));
    upload.parts_left = upload.parts.size();
  }
  return {};
}

Expected<void> Manager::complete_multipart(const std::string& bucket, Multipart& upload) {
  auto etag = m_client.complete_multipart(bucket, upload.item->key, upload.upload_id, upload.parts);
  if (!etag) return std::unexpected(etag.error());
  if (m_options.observer != nullptr) m_options.observer->closed(upload.upload_id);
  upload.upload_id.clear();
  return {};
}

Expected<Stats> Manager::upload_file(const fs::path& file, const std::string& bucket, const std::string& key) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return util::fail(util::ErrorKind::not_found, file.string() + ": " + ec.message());
  return upload_all(bucket, {{file, key, size}});
}

Expected<Stats> Manager::upload_folder(const fs::path& folder, const std::string& bucket, const std::string& prefix,
                                       Mode mode) {
  if (!util::is_dir(folder)) return util::fail(util::ErrorKind::not_found, folder.string() + ": not a folder");
  std::map<std::string, s3::ObjectInfo> remote;
  if (mode == Mode::sync) {
    auto listing = m_client.list(bucket, prefix.empty() || prefix.ends_with("/") ? prefix : prefix + "/");
    if (!listing) return std::unexpected(listing.error());
    for (auto& object : listing->objects)
      remote.emplace(object.key, std::move(object));
  }
  std::vector<UploadItem> items;
  Stats skipped;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const auto key = join_key(prefix, it->path().lexically_relative(folder).generic_string());
    const auto size = it->file_size(ec);
    if (const auto found = remote.find(key); found != remote.end() && found->second.size == size &&
                                             parse_s3_time(found->second.last_modified) >= mtime_of(it->path())) {
      ++skipped.skipped;
      continue;
    }
    items.push_back({it->path(), key, size});
  }
  if (ec) return util::fail(util::ErrorKind::io, folder.string() + ": " + ec.message());
  auto stats = upload_all(bucket, items);
  if (stats) stats->skipped = skipped.skipped;
  return stats;
}

// Opens the multipart uploads, then sends on one pool the parts of the large files, largest file
// first, and after them the small files. The worker that sends a file's last part completes its
// upload right away, so the server assembles it while the small files still go instead of after
// them. On failure every upload still open is aborted, so nothing stays open.
Expected<Stats> Manager::upload_all(const std::string& bucket, const std::vector<UploadItem>& items) {
  uint64_t total = 0;
  for (const auto& item : items)
    total += item.size;
  Progress progress(m_options.progress, total);

  std::vector<Multipart> multiparts;
  std::vector<const UploadItem*> singles;
  for (const auto& item : items) {
    if (item.size >= m_options.multipart_threshold) {
      multiparts.push_back({&item, "", 0, {}, 0});
    } else {
      singles.push_back(&item);
    }
  }
  std::stable_sort(multiparts.begin(), multiparts.end(),
                   [](const Multipart& a, const Multipart& b) { return a.item->size > b.item->size; });
  auto sent = open_multiparts(bucket, multiparts);
  std::vector<Task> tasks;
  std::mutex parts_mutex;
  for (auto& upload : multiparts) {
    for (size_t i = 0; sent && i < upload.parts.size(); ++i) {
      tasks.push_back([&, &upload = upload, i]() -> Expected<void> {
        const uint64_t offset = i * upload.part_size;
        const uint64_t length = std::min<uint64_t>(upload.part_size, upload.item->size - offset);
        auto part = m_client.upload_part(bucket, upload.item->key, upload.upload_id, static_cast<int>(i + 1),
                                         FileRange{upload.item->file.string(), offset, length});
        if (!part) return std::unexpected(part.error());
        progress.add(length);
        {
          std::lock_guard lock(parts_mutex);
          upload.parts[i] = std::move(*part);
          if (--upload.parts_left > 0) return {};
        }
        return complete_multipart(bucket, upload);
      });
    }
  }
  for (const auto* item : singles) {
    tasks.push_back([&, item]() -> Expected<void> {
      auto etag = m_client.put(bucket, item->key, FileRange{item->file.string(), 0, item->size});
      if (!etag) return std::unexpected(etag.error());
      progress.add(item->size);
      return {};
    });
  }
  if (sent) sent = run_parallel(tasks, m_options.concurrency);
  if (!sent) {
    abort_open(bucket, multiparts);
    return std::unexpected(sent.error());
  }
  return Stats{items.size(), total, 0};
}

Expected<Stats> Manager::download_file(const std::string& bucket, const std::string& key, const fs::path& file) {
  auto object = m_client.head(bucket, key);
  if (!object) return std::unexpected(object.error());
  return download_all(bucket, {{*object, file}});
}

Expected<Stats> Manager::download_prefix(const std::string& bucket, const std::string& prefix, const fs::path& folder,
                                         Mode mode) {
  const std::string listed = prefix.empty() || prefix.ends_with("/") ? prefix : prefix + "/";
  auto listing = m_client.list(bucket, listed);
  if (!listing) return std::unexpected(listing.error());
  std::vector<DownloadItem> items;
  Stats skipped;
  // Every key is checked before anything is written.
  for (auto& object : listing->objects) {
    if (object.key.ends_with("/") && object.size == 0) continue; // a "folder" marker
    auto path = s3::local_path_for_key(folder, listed, object.key);
    if (!path) return std::unexpected(path.error());
    std::error_code ec;
    if (mode == Mode::sync && fs::is_regular_file(*path, ec) && fs::file_size(*path, ec) == object.size &&
        mtime_of(*path) >= parse_s3_time(object.last_modified)) {
      ++skipped.skipped;
      continue;
    }
    items.push_back({std::move(object), std::move(*path)});
  }
  auto stats = download_all(bucket, items);
  if (stats) stats->skipped = skipped.skipped;
  return stats;
}

Expected<Stats> Manager::download_objects(const std::string& bucket,
                                          const std::vector<std::pair<s3::ObjectInfo, fs::path>>& items) {
  std::vector<DownloadItem> all;
  all.reserve(items.size());
  for (const auto& [object, file] : items)
    all.push_back({object, file});
  return download_all(bucket, all);
}

Expected<Stats> Manager::download_all(const std::string& bucket, const std::vector<DownloadItem>& items) {
  uint64_t total = 0;
  fs::path made_last; // listings come sorted: a folder's files follow each other
  for (const auto& item : items) {
    total += item.object.size;
    if (item.file.parent_path() == made_last) continue;
    made_last = item.file.parent_path();
    if (auto made = util::make_directories(made_last); !made) return std::unexpected(made.error());
  }
  Progress progress(m_options.progress, total);

  struct Ranged {
    const DownloadItem* item;
    util::AtomicFile file;
  };
  std::vector<std::unique_ptr<Ranged>> ranged; // their temporaries go when they do, unless committed
  std::vector<Task> tasks;
  const uint64_t range_size = std::max(m_options.part_size, m_options.download_range_size);
  for (const auto& item : items) {
    if (item.object.size <= range_size) {
      tasks.push_back([&, &item = item]() -> Expected<void> {
        auto info = m_client.download(bucket, item.object.key, item.file.string());
        if (!info) return std::unexpected(info.error());
        progress.add(info->size);
        return {};
      });
      continue;
    }
    auto file = util::AtomicFile::create(item.file);
    if (!file) return std::unexpected(file.error());
    if (::ftruncate(file->fd(), static_cast<off_t>(item.object.size)) != 0)
      return util::fail(util::ErrorKind::io, util::errno_message(file->temp_path().string(), errno));
    auto r = std::make_unique<Ranged>(Ranged{&item, std::move(*file)});
    const uint64_t count = (item.object.size + range_size - 1) / range_size;
    for (uint64_t i = 0; i < count; ++i) {
      tasks.push_back([&, r = r.get(), i, range_size]() -> Expected<void> {
        const uint64_t first = i * range_size;
        const uint64_t last = std::min(first + range_size, r->item->object.size) - 1;
        uint64_t offset = first;
        std::string write_error;
        const BodySink sink = [&](std::string_view piece) {
          if (::pwrite(r->file.fd(), piece.data(), piece.size(), static_cast<off_t>(offset)) !=
              static_cast<ssize_t>(piece.size())) {
            write_error = util::errno_message(r->file.temp_path().string(), errno);
            return false;
          }
          offset += piece.size();
          return true;
        };
        // Pinned to the listed ETag: if the object changes mid-download, the parts fail
        // instead of mixing two versions.
        auto got = m_client.get(
            bucket, r->item->object.key, sink, [&] { offset = first; }, std::pair{first, last}, r->item->object.etag);
        if (!got)
          return std::unexpected(write_error.empty() ? got.error() : util::Error{util::ErrorKind::io, write_error});
        progress.add(last - first + 1);
        return {};
      });
    }
    ranged.push_back(std::move(r));
  }
  if (auto done = run_parallel(tasks, m_options.concurrency); !done) return std::unexpected(done.error());
  for (auto& r : ranged) {
    if (auto committed = r->file.commit(); !committed) return std::unexpected(committed.error());
  }
  return Stats{items.size(), total, 0};
}

} // namespace sagerun::aws::transfer
