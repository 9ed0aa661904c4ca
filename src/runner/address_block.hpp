#pragma once
// A job's own loopback addresses. Its hosts share this machine's network (natively and with
// `docker --network host`), so each job gets a block 127.A.B.0/24 of its own, algo-N at
// 127.A.B.N: two jobs at once never share an address, so their rendezvous ports (7777) and
// launchers never collide or cross. A block is held by a lock in the store's net/ folder for as
// long as the runner holds this object.

#include <filesystem>
#include <string>

#include "store/runner_lock.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

class AddressBlock {
public:
  // The first free block from one the job's name picks (so a job tends to keep its block).
  static Expected<AddressBlock> claim(const std::filesystem::path& store_root, const std::string& job_name);

  // algo-(index+1)'s address.
  std::string host(int index) const;

  // How many blocks there are: 127.100.0.0/24 to 127.199.255.0/24.
  static constexpr int k_blocks = 100 * 256;

private:
  AddressBlock(int block, store::JobLock lock) : m_block(block), m_lock(std::move(lock)) {}
  int m_block;
  store::JobLock m_lock;
};

} // namespace sagerun::runner
