#pragma once
// A job's own loopback addresses. Its hosts share this machine's network (natively and with
// `docker --network host`), so each job gets a block 127.A.B.0/24 of its own, algo-N at
// 127.A.B.N, and a rendezvous port of its own: two jobs at once never share an address or a
// port, so their rendezvous and launchers never collide or cross. A block is held by a lock in the store's net/ folder
// for as long as the runner holds this object.

#include <filesystem>
#include <string>

#include "store/runner_lock.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

class AddressBlock {
public:
  // The first free block (unlocked in this store, its port unused on this machine) from one the
  // store and the job's name pick.
  static Expected<AddressBlock> claim(const std::filesystem::path& store_root, const std::string& job_name);

  // algo-(index+1)'s address.
  std::string host(int index) const;
  // The job's rendezvous port (SM_MASTER_PORT): its own too, since a rendezvous server (PyTorch's
  // TCPStore) listens on every address. Below the kernel's ephemeral ports (32768 and up).
  int master_port() const { return k_first_port + m_block; }

  // How many blocks there are: 127.100.0.0/24 to 127.163.255.0/24, ports 16384 to 32767.
  static constexpr int k_blocks = 64 * 256;
  static constexpr int k_first_port = 16384;

private:
  AddressBlock(int block, store::JobLock lock) : m_block(block), m_lock(std::move(lock)) {}
  int m_block;
  store::JobLock m_lock;
};

} // namespace sagerun::runner
