#pragma once
// Helpers shared by the unit tests.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sagerun::test {

class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sagerun-unit-XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

// The service's message for one broken constraint of a request.
inline std::string one_validation_error(const std::string& value, const std::string& path,
                                        const std::string& constraint) {
  return "1 validation error detected: Value " + value + " at '" + path +
         "' failed to satisfy constraint: " + constraint;
}

} // namespace sagerun::test
