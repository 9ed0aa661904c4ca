#include "runner/pack.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <vector>

#include "runner/pack_block.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;
using util::errno_message;
using util::Error;
using util::ErrorKind;
using util::UniqueFd;

constexpr size_t k_record = 512;
constexpr size_t k_name_field = 100;
// Below 64 KiB the gzip member headers and the lost dictionary start to cost ratio; above
// 1 GiB a block no longer fits comfortably in memory several times over.
constexpr uint64_t k_min_block = 64u << 10;
constexpr uint64_t k_max_block = 1u << 30;

// Octal with a terminating NUL when it fits, else GNU base-256 (0x80, then big-endian bytes).
void put_number(char* field, size_t width, uint64_t value) {
  const size_t digits = width - 1;
  if (value >> (digits * 3) == 0) {
    for (size_t i = digits; i-- > 0; value >>= 3)
      field[i] = static_cast<char>('0' + (value & 7));
    field[digits] = '\0';
    return;
  }
  field[0] = static_cast<char>(0x80);
  for (size_t i = width; i-- > 1; value >>= 8)
    field[i] = static_cast<char>(value & 0xff);
}

std::string header_block(std::string_view name, char type, uint32_t mode, uint64_t size, uint64_t mtime,
                         std::string_view link) {
  std::string h(k_record, '\0');
  // copy_n, not memcpy: an empty view may hold a null pointer.
  std::copy_n(name.data(), std::min(name.size(), k_name_field), h.begin());
  put_number(&h[100], 8, mode);
  put_number(&h[108], 8, 0); // uid
  put_number(&h[116], 8, 0); // gid
  put_number(&h[124], 12, size);
  put_number(&h[136], 12, mtime);
  h[156] = type;
  std::copy_n(link.data(), std::min(link.size(), k_name_field), h.begin() + 157);
  std::memcpy(&h[257], "ustar  ", 8); // GNU magic and version, as `tar -czf` writes
  std::memcpy(&h[265], "root", 4);    // uname
  std::memcpy(&h[297], "root", 4);    // gname
  std::memset(&h[148], ' ', 8);
  uint32_t sum = 0;
  for (const char c : h)
    sum += static_cast<unsigned char>(c);
  put_number(&h[148], 7, sum); // six digits, NUL, and the space left in place
  return h;
}

size_t padding(uint64_t size) { return static_cast<size_t>((k_record - size % k_record) % k_record); }

std::string long_name_entry(char type, std::string_view value) {
  std::string out = header_block("././@LongLink", type, 0, value.size() + 1, 0, {});
  out.append(value);
  out.append(1 + padding(value.size() + 1), '\0');
  return out;
}

struct Block {
  std::unique_ptr<char[]> in;
  size_t in_size = 0;
  std::unique_ptr<uint8_t[]> out;
  size_t out_size = 0;
  uint64_t index = 0;
};

// The caller fills blocks with the tar stream; a pool deflates each into gzip members (BlockCoder);
// one writer thread appends the members in order. At most `max_blocks` blocks exist, so memory
// stays bounded whatever the folder's size, and reading overlaps compression and writing.
class Pipeline {
public:
  Pipeline(int fd, std::string out_name, size_t block_size, unsigned threads)
      : m_fd(fd), m_out_name(std::move(out_name)), m_block_size(block_size), m_threads(threads),
        m_max_blocks(2 * size_t{threads}) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline() { stop_and_join(); }

  Expected<void> start(int level) {
    for (unsigned i = 0; i < m_threads; ++i) {
      auto coder = BlockCoder::create(level);
      if (!coder) return std::unexpected(coder.error());
      m_coders.push_back(std::make_unique<BlockCoder>(std::move(*coder)));
    }
    try {
      for (auto& c : m_coders)
        m_workers.emplace_back([this, coder = c.get()] { compress_loop(*coder); });
      m_writer = std::thread([this] { write_loop(); });
    } catch (const std::system_error& e) {
      return util::fail(ErrorKind::io, std::string("cannot start packing threads: ") + e.what());
    }
    return {};
  }

  // Free space in the current block, waiting for one if needed; empty after a failure.
  std::span<char> space() {
    if (!m_current) {
      std::unique_lock lock(m_mutex);
      m_free_cv.wait(lock, [&] { return m_failed || !m_free.empty() || m_created < m_max_blocks; });
      if (m_failed) return {};
      if (!m_free.empty()) {
        m_current = m_free.back();
        m_free.pop_back();
      } else {
        // Blocks are made as needed: a small folder never allocates the whole budget.
        ++m_created;
        lock.unlock();
        auto block = std::make_unique<Block>();
        block->in = std::make_unique_for_overwrite<char[]>(m_block_size);
        block->out = std::make_unique_for_overwrite<uint8_t[]>(BlockCoder::bound(m_block_size));
        m_current = block.get();
        lock.lock();
        m_blocks.push_back(std::move(block));
      }
      m_current->in_size = 0;
    }
    return {m_current->in.get() + m_current->in_size, m_block_size - m_current->in_size};
  }

  void commit(size_t n) {
    m_current->in_size += n;
    if (m_current->in_size == m_block_size) submit();
  }

  Expected<void> append(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::span<char> room = space();
      if (room.empty()) return std::unexpected(error());
      const size_t n = std::min(room.size(), bytes.size());
      std::memcpy(room.data(), bytes.data(), n);
      bytes.remove_prefix(n);
      commit(n);
    }
    return {};
  }

  // Sends the last block, waits for every member to be written; the archive's size.
  Expected<uint64_t> finish() {
    if (m_current && m_current->in_size > 0) submit();
    {
      std::lock_guard lock(m_mutex);
      m_input_done = true;
    }
    m_work_cv.notify_all();
    m_done_cv.notify_all();
    if (m_writer.joinable()) m_writer.join();
    stop_and_join();
    std::lock_guard lock(m_mutex);
    if (m_error) return std::unexpected(*m_error);
    return m_written;
  }

  Error error() {
    std::lock_guard lock(m_mutex);
    return m_error.value_or(Error{ErrorKind::internal, "packing stopped"});
  }

private:
  void submit() {
    m_current->index = m_submitted++;
    {
      std::lock_guard lock(m_mutex);
      m_queue.push_back(m_current);
    }
    m_current = nullptr;
    m_work_cv.notify_one();
  }

  void fail(Error error) {
    {
      std::lock_guard lock(m_mutex);
      if (!m_error) m_error = std::move(error);
      m_failed = true;
    }
    m_free_cv.notify_all();
    m_work_cv.notify_all();
    m_done_cv.notify_all();
  }

  void compress_loop(BlockCoder& coder) {
    const size_t bound = BlockCoder::bound(m_block_size);
    for (;;) {
      Block* block = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_work_cv.wait(lock, [&] { return m_failed || !m_queue.empty() || m_input_done; });
        if (m_failed || m_queue.empty()) return;
        block = m_queue.front();
        m_queue.pop_front();
      }
      const auto out_size = coder.compress({reinterpret_cast<const uint8_t*>(block->in.get()), block->in_size},
                                           {block->out.get(), bound});
      if (!out_size) return fail(out_size.error());
      block->out_size = *out_size;
      {
        std::lock_guard lock(m_mutex);
        m_compressed.emplace(block->index, block);
      }
      m_done_cv.notify_one();
    }
  }

  void write_loop() {
    for (uint64_t next = 0;; ++next) {
      Block* block = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_done_cv.wait(
            lock, [&] { return m_failed || m_compressed.contains(next) || (m_input_done && next == m_submitted); });
        if (m_failed || !m_compressed.contains(next)) return;
        block = m_compressed.extract(next).mapped();
      }
      if (!util::write_all(m_fd, {reinterpret_cast<const char*>(block->out.get()), block->out_size}))
        return fail({ErrorKind::io, errno_message("writing " + m_out_name, errno)});
      {
        std::lock_guard lock(m_mutex);
        m_written += block->out_size;
        m_free.push_back(block);
      }
      m_free_cv.notify_one();
    }
  }

  void stop_and_join() {
    {
      std::lock_guard lock(m_mutex);
      // Unless the input is complete and written, whoever still waits must give up.
      if (!m_input_done || m_writer.joinable()) m_failed = true;
    }
    m_free_cv.notify_all();
    m_work_cv.notify_all();
    m_done_cv.notify_all();
    if (m_writer.joinable()) m_writer.join();
    for (auto& worker : m_workers)
      if (worker.joinable()) worker.join();
  }

  const int m_fd;
  const std::string m_out_name;
  const size_t m_block_size;
  const unsigned m_threads;
  const size_t m_max_blocks;
  std::vector<std::unique_ptr<BlockCoder>> m_coders;
  std::vector<std::thread> m_workers;
  std::thread m_writer;

  Block* m_current = nullptr; // the producer's, unshared
  uint64_t m_submitted = 0;   // written by the producer; read under the mutex after m_input_done

  std::mutex m_mutex;
  std::condition_variable m_free_cv, m_work_cv, m_done_cv;
  std::vector<std::unique_ptr<Block>> m_blocks;
  size_t m_created = 0;
  std::vector<Block*> m_free;
  std::deque<Block*> m_queue;
  std::map<uint64_t, Block*> m_compressed;
  bool m_input_done = false;
  bool m_failed = false;
  std::optional<Error> m_error;
  uint64_t m_written = 0;
};

// Walks the folder depth first, names sorted bytewise, and feeds the tar stream to the pipeline.
class Walker {
public:
  Walker(Pipeline& pipeline, fs::path root, const struct stat& skip) : m_pipeline(pipeline), m_root(std::move(root)) {
    m_skip_dev = skip.st_dev;
    m_skip_ino = skip.st_ino;
  }

  Expected<void> walk(int dir_fd, const std::string& prefix) {
    auto names = list(dir_fd, prefix);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
      const std::string relative = prefix + name;
      struct stat st{};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return io_error("reading", relative, errno);
      Expected<void> done;
      if (S_ISDIR(st.st_mode))
        done = directory(dir_fd, name, relative, st);
      else if (S_ISREG(st.st_mode))
        done = file(dir_fd, name, relative);
      else if (S_ISLNK(st.st_mode))
        done = symlink(dir_fd, name, relative, st);
      else
        util::log::warn("not packing " + display(relative) + ": not a file, folder or symlink");
      if (!done) return done;
    }
    return {};
  }

  PackStats stats;

private:
  std::string display(const std::string& relative) const { return (m_root / relative).string(); }

  std::unexpected<Error> io_error(const std::string& what, const std::string& relative, int err) const {
    return util::fail(ErrorKind::io, errno_message(what + " " + display(relative), err));
  }

  Expected<std::vector<std::string>> list(int dir_fd, const std::string& prefix) {
    const int listing_fd = ::dup(dir_fd);
    if (listing_fd < 0) return io_error("listing", prefix, errno);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(listing_fd), ::closedir);
    if (!dir) {
      const int err = errno;
      ::close(listing_fd);
      return io_error("listing", prefix, err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    if (errno != 0) return io_error("listing", prefix, errno);
    std::ranges::sort(names);
    return names;
  }

  Expected<void> header(const std::string& name, char type, const struct stat& st, uint64_t size,
                        std::string_view link = {}) {
    return m_pipeline.append(tar_header_blocks(name, type, st.st_mode & 07777, size, st.st_mtim.tv_sec, link));
  }

  Expected<void> directory(int dir_fd, const std::string& name, const std::string& relative, const struct stat& st) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return io_error("opening", relative, errno);
    if (auto done = header(relative + "/", '5', st, 0); !done) return done;
    return walk(fd.get(), relative + "/");
  }

  Expected<void> file(int dir_fd, const std::string& name, const std::string& relative) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st{};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return io_error("reading", relative, errno);
    if (st.st_dev == m_skip_dev && st.st_ino == m_skip_ino) return {}; // the archive being written
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    const auto size = static_cast<uint64_t>(st.st_size);
    if (auto done = header(relative, '0', st, size); !done) return done;
    // Straight into the block buffers: reads of up to a whole block, no copy in between.
    for (uint64_t left = size; left > 0;) {
      const std::span<char> room = m_pipeline.space();
      if (room.empty()) return std::unexpected(m_pipeline.error());
      // No lock is held here: the analyzer follows space()'s lock into this loop.
      // NOLINTNEXTLINE(clang-analyzer-unix.BlockInCriticalSection)
      const ssize_t n = ::read(fd.get(), room.data(), static_cast<size_t>(std::min<uint64_t>(room.size(), left)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error("reading", relative, errno);
      if (n == 0)
        return util::fail(ErrorKind::io, display(relative) + " shrank while being packed: pack it once it is complete");
      m_pipeline.commit(static_cast<size_t>(n));
      left -= static_cast<uint64_t>(n);
    }
    ++stats.files;
    stats.input_bytes += size;
    return m_pipeline.append(std::string(padding(size), '\0'));
  }

  Expected<void> symlink(int dir_fd, const std::string& name, const std::string& relative, const struct stat& st) {
    std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 256, '\0');
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (n < 0) return io_error("reading the link", relative, errno);
    if (static_cast<size_t>(n) == target.size())
      return util::fail(ErrorKind::io, display(relative) + " changed while being packed: pack it once it is complete");
    target.resize(static_cast<size_t>(n));
    return header(relative, '2', st, 0, target);
  }

  Pipeline& m_pipeline;
  const fs::path m_root;
  dev_t m_skip_dev;
  ino_t m_skip_ino;
};

} // namespace

std::string tar_header_blocks(std::string_view name, char type, uint32_t mode, uint64_t size, int64_t mtime,
                              std::string_view link_target) {
  std::string out;
  if (name.size() >= k_name_field) out += long_name_entry('L', name);
  if (link_target.size() >= k_name_field) out += long_name_entry('K', link_target);
  out += header_block(name, type, mode, size, static_cast<uint64_t>(std::max<int64_t>(mtime, 0)), link_target);
  return out;
}

Expected<PackStats> pack_tar_gz(const fs::path& folder, const fs::path& archive, const PackOptions& options) {
  if (options.level < 0 || options.level > 12)
    return util::fail(ErrorKind::invalid_input,
                      "compression level " + std::to_string(options.level) + " is outside 0-12");
  const auto block_size = static_cast<size_t>(std::clamp(options.block_size, k_min_block, k_max_block));
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());

  UniqueFd root(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    const int err = errno;
    return util::fail(err == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                      errno_message("packing " + folder.string(), err));
  }
  auto out = util::AtomicFile::create(archive, 0666);
  if (!out) return std::unexpected(out.error());
  struct stat out_stat{};
  if (::fstat(out->fd(), &out_stat) != 0)
    return util::fail(ErrorKind::io, errno_message("creating " + out->temp_path().string(), errno));

  Pipeline pipeline(out->fd(), out->temp_path().string(), block_size, threads);
  if (auto started = pipeline.start(options.level); !started) return std::unexpected(started.error());
  Walker walker(pipeline, folder, out_stat);
  if (auto walked = walker.walk(root.get(), ""); !walked) return std::unexpected(walked.error());
  if (auto end = pipeline.append(std::string(2 * k_record, '\0')); !end) return std::unexpected(end.error());
  const auto written = pipeline.finish();
  if (!written) return std::unexpected(written.error());
  if (auto committed = out->commit(options.durability); !committed) return std::unexpected(committed.error());

  PackStats stats = walker.stats;
  stats.output_bytes = *written;
  return stats;
}

} // namespace sagerun::runner
