// Each running job holds a loopback block of its own: two at once never share addresses.
#include "runner/address_block.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::runner {
namespace {

TEST(RunnerAddressBlock, JobsRunningAtOnceGetBlocksOfTheirOwn) {
  test::TempDir store;
  auto first = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->host(0).starts_with("127.1"));
  EXPECT_TRUE(first->host(1).ends_with(".2"));
  // The same name again while the first runs (a restarted runner's race, or two stores' jobs
  // of one name): the next block.
  auto second = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(second);
  EXPECT_NE(first->host(0), second->host(0));
  const std::string held = first->host(0);
  first = AddressBlock::claim(store.path(), "other"); // the old block is released with its holder
  auto again = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->host(0), held);
}

TEST(RunnerAddressBlock, ABlockWhosePortIsInUseIsPassedOver) {
  // Another store's job (or any program) listening on the port: its locks are not this store's.
  test::TempDir store;
  int port = 0;
  {
    auto probe = AddressBlock::claim(store.path(), "busy-port");
    ASSERT_TRUE(probe);
    port = probe->master_port();
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto claimed = AddressBlock::claim(store.path(), "busy-port");
  ::close(fd);
  ASSERT_TRUE(claimed);
  EXPECT_NE(claimed->master_port(), port);
}

} // namespace
} // namespace sagerun::runner
