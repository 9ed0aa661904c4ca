#pragma once
// Carrying the jobs of earlier layouts into a store, once:
// - `sagerun local` jobs of the folder-only layout (jobs/<name>/{request.json,status.json}):
//   looked for when the index is new;
// - a `sagerun server` store of its own (<dir>/sagerun.db with <dir>/jobs/<name>/), where the
//   server's --state-dir used to be: the store itself (a server that was given --state-dir
//   <root>) or <root>/server (the old default). Its rows are imported with the latest status
//   their folders hold, its folders moved into the store, and the database renamed
//   sagerun.db.imported so it is never imported twice.
// Jobs that were running are imported as they were; with no runner holding their lock they are
// then reconciled (jobs/reconcile.hpp). A name already in the store is left where it was, with a
// warning.

#include "util/error.hpp"

namespace sagerun::store {

class Store;

enum class Scan { everything, server_stores };

Expected<void> carry_over_old_layouts(Store& store, Scan scan);

} // namespace sagerun::store
