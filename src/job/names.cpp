// Job names: the service's pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$ checked by hand (no regex
// needed), and unique names as the SageMaker SDK's name_from_base makes them.
#include "job/names.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace sagerun::job {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// "-YYYY-MM-DD-HH-MM-SS-mmm": 24 characters.
constexpr size_t k_suffix_length = 24;

// Milliseconds since the epoch, strictly increasing within the process: two names asked for in
// the same millisecond get different ones.
int64_t next_unique_millis() {
  static std::mutex mutex;
  static int64_t last = 0;
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::lock_guard lock(mutex);
  last = std::max<int64_t>(now, last + 1);
  return last;
}

std::string timestamp_suffix(int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[80]; // room for any int, so the compiler can see nothing is cut
  std::snprintf(buffer, sizeof buffer, "-%04d-%02d-%02d-%02d-%02d-%02d-%03d", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis % 1000));
  return buffer;
}

} // namespace

bool is_valid_job_name(const std::string& name) {
  if (name.empty() || name.size() > k_max_job_name) return false;
  if (!is_alnum(name.front()) || !is_alnum(name.back())) return false;
  for (const char c : name)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

std::string unique_job_name(const std::string& base) {
  std::string cleaned;
  for (const char c : base) {
    const char kept = is_alnum(c) ? c : '-';
    if (cleaned.empty() && kept == '-') continue; // the name must start with a letter or digit
    cleaned += kept;
  }
  if (cleaned.empty()) cleaned = "sagerun";
  if (cleaned.size() > k_max_job_name - k_suffix_length) cleaned.resize(k_max_job_name - k_suffix_length);
  return cleaned + timestamp_suffix(next_unique_millis());
}

} // namespace sagerun::job
