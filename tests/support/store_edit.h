// Test support: changing a stopped node's projection store on purpose, to
// check that the tools find what was changed. The store must not be open
// elsewhere (RocksDB's lock).
#pragma once

#include <functional>
#include <string>

#include "projections/store.h"

namespace tally::test {

// Opens DATA/partitions/<p> for writing, lets `edit` stage puts and deletes
// in a batch (reading the store as it goes), commits and flushes.
void edit_store(const std::string& data_dir, Partition p, uint32_t partition_count,
                const std::function<void(PartitionStore&, StoreBatch&)>& edit);

}  // namespace tally::test
