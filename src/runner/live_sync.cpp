#include "runner/live_sync.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include "runner/host_tree.hpp"
#include "util/settings.hpp"

namespace sagerun::runner {
namespace {

std::vector<SyncSource> sources_of(const std::vector<contract::Paths>& hosts,
                                   const std::function<fs::path(const contract::Paths&)>& folder_of) {
  std::vector<SyncSource> sources;
  sources.reserve(hosts.size());
  for (const auto& host : hosts)
    sources.push_back({host.base(), folder_of(host).lexically_relative(host.base()).generic_string()});
  return sources;
}

std::string seconds_text(std::chrono::milliseconds period) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(period.count()) / 1000.0);
  return text;
}

} // namespace

Expected<std::chrono::milliseconds> sync_period(const util::EnvMap& env) {
  auto seconds = util::number_setting(env, "SAGERUN_SYNC_SECONDS", 0, 3600, "of seconds");
  if (!seconds) return std::unexpected(seconds.error());
  if (!*seconds) return k_default_sync_period;
  return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(**seconds * 1000)));
}

LiveSync::LiveSync(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts, Storage& storage,
                   std::chrono::milliseconds period)
    : m_storage(storage), m_period(period) {
  if (request.checkpoint) {
    if (auto location = parse_location(request.checkpoint->s3_uri, "CheckpointConfig.S3Uri")) {
      auto folder = [&](const contract::Paths& host) { return checkpoint_folder(request, host); };
      m_folders.emplace_back("the checkpoints", sources_of(hosts, folder), *location);
    } else {
      m_unsyncable.push_back(location.error());
    }
  }
  if (auto output = parse_location(request.output_path, "OutputDataConfig.S3OutputPath")) {
    auto folder = [](const contract::Paths& host) { return host.output_intermediate(); };
    m_folders.emplace_back("output/intermediate", sources_of(hosts, folder),
                           output->child(request.job_name).child("output").child("intermediate"));
  } else {
    m_unsyncable.push_back(output.error());
  }
  for (auto& folder : m_folders)
    folder.take_as_put();
  m_failing.assign(m_folders.size(), false);
}

LiveSync::~LiveSync() { stop(); }

void LiveSync::start() {
  if (m_thread.joinable() || m_folders.empty()) return;
  m_thread = std::thread([this] { run(); });
}

void LiveSync::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void LiveSync::run() {
  auto stopping = [this] {
    std::lock_guard lock(m_mutex);
    return m_stopping;
  };
  for (;;) {
    {
      std::unique_lock lock(m_mutex);
      if (m_wake.wait_for(lock, m_period, [this] { return m_stopping; })) return;
    }
    for (size_t i = 0; i < m_folders.size() && !stopping(); ++i)
      report(i, m_folders[i].pass(m_storage, PassKind::live, stopping));
  }
}

// Once when a folder's passes start failing, once when they work again: a destination that is
// down for an hour is one line, not one per period.
void LiveSync::report(size_t folder, const Expected<size_t>& result) {
  if (!result && !m_failing[folder]) {
    std::fprintf(stderr, "sagerun: warning: syncing %s (tried again every %s; the job goes on)\n",
                 result.error().message.c_str(), seconds_text(m_period).c_str());
  } else if (result && m_failing[folder]) {
    std::fprintf(stderr, "sagerun: syncing %s to %s works again\n", m_folders[folder].what().c_str(),
                 m_folders[folder].destination().uri().c_str());
  }
  m_failing[folder] = !result;
}

Expected<void> LiveSync::finish() {
  stop();
  std::optional<util::Error> first;
  if (!m_unsyncable.empty()) first = m_unsyncable.front();
  for (auto& folder : m_folders) {
    if (auto put = folder.pass(m_storage, PassKind::final); !put && !first) first = put.error();
  }
  if (first) return std::unexpected(*first);
  return {};
}

} // namespace sagerun::runner
