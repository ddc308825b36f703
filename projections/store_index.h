// Opening a store written before the list indexes (projections/list_index.h):
// PartitionStore::open calls this on a writable open. A store with the
// marker "N" is done; one without it gets its indexes built once from the
// stored accounts and transfers, then the marker, in synced writes. A new
// store gets the marker when it is created. Internal to projections/.
#pragma once

#include <string>

#include <rocksdb/db.h>

#include "engine/core/status.h"

namespace tally {

// Builds the indexes of every created account and transfer when "N" is
// absent, then writes "N". `created` says the store is new (empty): only
// the marker is written.
Status ensure_list_indexes(rocksdb::DB& db, const std::string& dir, bool created);

}  // namespace tally
