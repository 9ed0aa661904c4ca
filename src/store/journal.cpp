#include "store/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::store {

Expected<void> TransferJournal::append(const std::string& line) {
  std::lock_guard lock(m_mutex);
  util::UniqueFd fd(::open(m_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid() || !util::write_all(fd.get(), line + "\n")) {
    return util::fail(util::ErrorKind::io,
                      util::errno_message("cannot record the transfer in " + m_file.string(), errno));
  }
  return {};
}

Expected<void> TransferJournal::upload_started(const OpenUpload& upload) {
  return append(nlohmann::json{"upload", upload.endpoint, upload.bucket, upload.key, upload.upload_id}.dump());
}

// An end that cannot be recorded costs a needless clean-up later (aborting a completed upload,
// looking for part files that are gone), nothing more: it is reported, not fatal.
void TransferJournal::upload_ended(const std::string& upload_id) {
  if (auto recorded = append(nlohmann::json{"uploaded", upload_id}.dump()); !recorded)
    std::fprintf(stderr, "sagerun: warning: %s\n", recorded.error().message.c_str());
}

Expected<void> TransferJournal::copy_started(const std::filesystem::path& destination) {
  return append(nlohmann::json{"copy", destination.string()}.dump());
}

void TransferJournal::copy_ended(const std::filesystem::path& destination) {
  if (auto recorded = append(nlohmann::json{"copied", destination.string()}.dump()); !recorded)
    std::fprintf(stderr, "sagerun: warning: %s\n", recorded.error().message.c_str());
}

OpenTransfers TransferJournal::read_open(const std::filesystem::path& file) {
  OpenTransfers open;
  auto text = util::read_file(file);
  if (!text) return open;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_array() || entry.empty() || !entry[0].is_string()) continue;
    const auto kind = entry[0].get<std::string>();
    const auto text_at = [&](size_t i) {
      return i < entry.size() && entry[i].is_string() ? entry[i].get<std::string>() : std::string();
    };
    if (kind == "upload" && entry.size() == 5) {
      open.uploads.push_back({text_at(1), text_at(2), text_at(3), text_at(4)});
    } else if (kind == "uploaded") {
      std::erase_if(open.uploads, [&](const OpenUpload& u) { return u.upload_id == text_at(1); });
    } else if (kind == "copy") {
      open.copies.emplace_back(text_at(1));
    } else if (kind == "copied") {
      // One end crosses off one start: the same destination may be written twice.
      if (auto it = std::ranges::find(open.copies, std::filesystem::path(text_at(1))); it != open.copies.end())
        open.copies.erase(it);
    }
  }
  return open;
}

} // namespace sagerun::store
