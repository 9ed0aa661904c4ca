// libFuzzer target: tar member parsing and safe extraction. Whatever the archive holds, nothing
// may be written outside the destination folder.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/tar_extract.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root = [] {
    std::string pattern = (fs::temp_directory_path() / "sagerun-fuzz-tar-XXXXXX").string();
    return fs::path(::mkdtemp(pattern.data()));
  }();
  const fs::path archive = root / "input.tar";
  const fs::path outside = root / "outside";
  const fs::path destination = outside / "code";
  fs::remove_all(outside);
  fs::create_directories(outside);
  (void)sagerun::util::write_file_atomic(archive, std::string_view(reinterpret_cast<const char*>(data), size));
  (void)sagerun::util::extract_tar(archive, destination);
  // The only entry allowed next to the destination is the destination itself.
  for (const auto& entry : fs::directory_iterator(outside)) {
    if (entry.path() != destination) std::abort();
  }
  return 0;
}
