#include "runner/address_block.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "util/files.hpp"

namespace sagerun::runner {
namespace {

uint32_t fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (const unsigned char c : text)
    hash = (hash ^ c) * 16777619u;
  return hash;
}

// Whether nothing listens on `port` of any address now (a job of another store, or another
// program): a bind that succeeds, then closed.
bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

} // namespace

Expected<AddressBlock> AddressBlock::claim(const std::filesystem::path& store_root, const std::string& job_name) {
  const auto folder = store_root / "net";
  if (auto made = util::make_directories(folder); !made) return std::unexpected(made.error());
  // Stores are apart (two users', or two folders' of one user): the store picks the start too,
  // and a block whose port is taken is passed over.
  const int first = static_cast<int>(fnv1a(store_root.string() + "\n" + job_name) % k_blocks);
  for (int tried = 0; tried < k_blocks; ++tried) {
    const int block = (first + tried) % k_blocks;
    auto lock = store::JobLock::try_acquire(folder / (std::to_string(block) + ".lock"));
    if (!lock) return std::unexpected(lock.error());
    if (*lock && port_free(k_first_port + block)) return AddressBlock(block, std::move(**lock));
  }
  return util::fail(util::ErrorKind::io, "every loopback address block is taken (" + std::to_string(k_blocks) +
                                             " jobs running on this machine's store)");
}

std::string AddressBlock::host(int index) const {
  return "127." + std::to_string(100 + m_block / 256) + "." + std::to_string(m_block % 256) + "." +
         std::to_string(index + 1);
}

} // namespace sagerun::runner
