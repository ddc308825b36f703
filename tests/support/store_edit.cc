#include "tests/support/store_edit.h"

#include <stdexcept>

namespace tally::test {

void edit_store(const std::string& data_dir, Partition p, uint32_t partition_count,
                const std::function<void(PartitionStore&, StoreBatch&)>& edit) {
  auto store = PartitionStore::open({.dir = data_dir + "/partitions/" + std::to_string(p.value),
                                     .partition = p,
                                     .partition_count = partition_count,
                                     .create_if_missing = false});
  if (!store.ok()) throw std::runtime_error("opening the store: " + store.status().to_string());
  StoreBatch batch;
  edit(**store, batch);
  const Status committed = (*store)->commit(batch);
  if (!committed.ok()) throw std::runtime_error("editing the store: " + committed.to_string());
  const Status flushed = (*store)->flush();
  if (!flushed.ok()) throw std::runtime_error("flushing the store: " + flushed.to_string());
}

}  // namespace tally::test
