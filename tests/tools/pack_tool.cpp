// Packs a folder as a .tar.gz with runner::pack_tar_gz, for bench/pack.sh and by-hand checks:
//   pack_tool FOLDER ARCHIVE [--threads N] [--block-size BYTES] [--level L]
// Prints "files=N input_bytes=N output_bytes=N". Exit status 1 with "error: ..." on stderr when
// packing fails, 2 for bad usage.

#include <charconv>
#include <iostream>
#include <string>
#include <string_view>

#include "runner/pack.hpp"

namespace {

int usage(std::string_view problem) {
  std::cerr << "usage: pack_tool FOLDER ARCHIVE [--threads N] [--block-size BYTES] [--level L]: " << problem << "\n";
  return 2;
}

template <typename T> bool parse(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage("FOLDER and ARCHIVE are required");
  sagerun::runner::PackOptions options;
  for (int i = 3; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + std::string(name));
    const std::string_view value = argv[++i];
    bool ok = false;
    if (name == "--threads")
      ok = parse(value, options.threads);
    else if (name == "--block-size")
      ok = parse(value, options.block_size);
    else if (name == "--level")
      ok = parse(value, options.level);
    else
      return usage("unknown option " + std::string(name));
    if (!ok) return usage("bad value for " + std::string(name) + ": " + std::string(value));
  }
  const auto stats = sagerun::runner::pack_tar_gz(argv[1], argv[2], options);
  if (!stats) {
    std::cerr << "error: " << stats.error().message << "\n";
    return 1;
  }
  std::cout << "files=" << stats->files << " input_bytes=" << stats->input_bytes
            << " output_bytes=" << stats->output_bytes << "\n";
  return 0;
}
