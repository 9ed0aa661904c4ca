#include "entrypoint/relay.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "test_support.hpp"
#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

std::string payload() {
  std::string data;
  for (int i = 0; i < 300000; ++i)
    data += static_cast<char>(i % 251);
  return data + "\r\npartial";
}

// Writes `data` into a pipe from another thread and relays it into `target`.
std::string relay_into(int target, const std::string& data, size_t tail_bytes) {
  util::Pipe source;
  EXPECT_TRUE(util::make_pipe(source));
  std::thread writer([&] {
    util::write_all(source.write_end.get(), data);
    source.write_end.reset();
  });
  StreamRelay relay(source.read_end.get(), target, tail_bytes);
  while (relay.pump()) {
  }
  writer.join();
  return relay.tail();
}

TEST(StreamRelay, IntoAPipeByteForByte) {
  const auto data = payload();
  util::Pipe target;
  ASSERT_TRUE(util::make_pipe(target));
  ::fcntl(target.write_end.get(), F_SETPIPE_SZ, 1 << 20);
  std::string received;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(target.read_end.get(), buffer, sizeof buffer)) > 0;)
      received.append(buffer, n);
  });
  const auto tail = relay_into(target.write_end.get(), data, 1000);
  target.write_end.reset();
  reader.join();
  EXPECT_EQ(received, data);
  EXPECT_EQ(tail, data.substr(data.size() - 1000));
}

TEST(StreamRelay, IntoAFileByteForByte) {
  const auto data = payload();
  test::TempDir dir;
  const auto path = dir.path() / "out";
  util::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  const auto tail = relay_into(file.get(), data, 64);
  file.reset();
  EXPECT_EQ(*util::read_file(path), data);
  EXPECT_EQ(tail, data.substr(data.size() - 64));
}

TEST(StreamRelay, KeepsTheTailWhenNobodyReads) {
  util::Pipe target;
  ASSERT_TRUE(util::make_pipe(target));
  target.read_end.reset(); // writes now fail with EPIPE (SIGPIPE is ignored by the test below)
  ::signal(SIGPIPE, SIG_IGN);
  const auto tail = relay_into(target.write_end.get(), "line one\nline two\n", 9);
  EXPECT_EQ(tail, "line two\n");
}

} // namespace
} // namespace sagerun::entrypoint
