#include "store/migrate.hpp"

#include <cstdio>
#include <system_error>

#include <nlohmann/json.hpp>

#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void warn(const std::string& message) { std::fprintf(stderr, "sagerun: warning: %s\n", message.c_str()); }

std::optional<job::TrainingJobStatus> read_status_file(const fs::path& file) {
  auto text = util::read_file(file);
  if (!text) return std::nullopt;
  auto status = job::status_from_json(json::parse(*text, nullptr, false));
  if (!status) return std::nullopt;
  return std::move(*status);
}

int instance_count(const json& request) {
  const auto resources = request.find("ResourceConfig");
  if (resources == request.end() || !resources->is_object()) return 1;
  return std::max(1, resources->value("InstanceCount", 1));
}

// The folder-only layout's files, now held by the index.
void drop_old_files(const fs::path& folder) {
  std::error_code ignored;
  for (const char* name : {"status.json", "request.json", "runner.pid"})
    fs::remove(folder / name, ignored);
}

Expected<void> import_row(Store& store, JobRow row, const fs::path& old_folder) {
  auto inserted = store.index().insert(row);
  if (!inserted) {
    if (inserted.error().code == "ResourceInUse") {
      warn("job " + row.name + " of " + old_folder.string() + " was not carried over: the store " +
           store.root().string() + " has a job of that name");
      return {};
    }
    return inserted;
  }
  return {};
}

Expected<void> import_local_jobs(Store& store) {
  for (const auto& name : util::list_directory(store.root() / "jobs")) {
    const auto folder = store.folder(name).path();
    auto status = read_status_file(folder / "status.json");
    auto request_text = util::read_file(folder / "request.json");
    if (!status || !request_text || store.index().find(name)) continue;
    JobRow row;
    row.name = name;
    row.origin = Origin::local;
    row.request = json::parse(*request_text, nullptr, false);
    if (!row.request.is_object()) continue;
    row.instances = instance_count(row.request);
    row.status = std::move(*status);
    if (auto imported = import_row(store, std::move(row), folder); !imported) return imported;
    drop_old_files(folder);
  }
  return {};
}

Expected<void> import_server_store(Store& store, const fs::path& dir) {
  const auto file = dir / "sagerun.db";
  {
    auto db = sqlite::Database::open(file);
    if (!db) return std::unexpected(db.error());
    auto select = db->prepare("SELECT name, instances, stop_requested, request, status_json FROM training_jobs "
                              "ORDER BY sequence");
    if (!select) return std::unexpected(select.error());
    for (;;) {
      auto step = select->step();
      if (!step) return std::unexpected(step.error());
      if (!*step) break;
      JobRow row;
      row.name = select->text(0);
      row.origin = Origin::server;
      row.instances = static_cast<int>(select->integer(1));
      row.stop_requested = select->integer(2) != 0;
      row.request = json::parse(select->text(3), nullptr, false);
      auto stored = job::status_from_json(json::parse(select->text(4), nullptr, false));
      if (!row.request.is_object() || !stored) {
        warn("job " + row.name + " of " + file.string() + " was not carried over: its row is damaged");
        continue;
      }
      const fs::path old_folder = dir / "jobs" / row.name;
      // The runner wrote its folder's status.json after the server last copied it.
      auto latest = read_status_file(old_folder / "status.json");
      row.status = latest ? std::move(*latest) : std::move(*stored);
      if (store.index().find(row.name)) continue; // carried over by an earlier, interrupted run
      const fs::path new_folder = store.folder(row.name).path();
      std::error_code error;
      if (old_folder != new_folder && util::is_dir(old_folder)) {
        if (util::is_dir(new_folder)) {
          warn("job " + row.name + " of " + file.string() + " was not carried over: " + new_folder.string() +
               " exists");
          continue;
        }
        fs::rename(old_folder, new_folder, error);
        if (error) {
          return util::fail(util::ErrorKind::io, "cannot move " + old_folder.string() + " to " + new_folder.string() +
                                                     ": " + error.message());
        }
      }
      if (!util::is_dir(new_folder)) {
        // A job that waited for capacity had no folder yet.
        if (auto made = store.folder(row.name).create(); !made) return made;
      }
      if (auto imported = import_row(store, std::move(row), new_folder); !imported) return imported;
      drop_old_files(new_folder);
    }
  }
  std::error_code error;
  fs::rename(file, dir / "sagerun.db.imported", error);
  if (error) return util::fail(util::ErrorKind::io, "cannot rename " + file.string() + ": " + error.message());
  for (const char* suffix : {"-wal", "-shm"})
    fs::remove(file.string() + suffix, error);
  std::fprintf(stderr, "sagerun: carried the jobs of %s over into %s\n", file.c_str(), store.root().c_str());
  return {};
}

} // namespace

Expected<void> carry_over_old_layouts(Store& store, Scan scan) {
  // Server stores first: their folders also hold request.json and status.json.
  for (const auto& dir : {store.root(), store.root() / "server"}) {
    if (!util::is_file(dir / "sagerun.db")) continue;
    if (auto imported = import_server_store(store, dir); !imported) return imported;
  }
  if (scan == Scan::everything) return import_local_jobs(store);
  return {};
}

} // namespace sagerun::store
