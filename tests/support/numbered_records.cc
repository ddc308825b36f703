#include "tests/support/numbered_records.h"

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"

namespace tally::test {
namespace {

size_t transfer_count(RecordNumber n) {
  uint64_t x = (uint64_t{n.writer} << 40) ^ n.seq ^ 0x9E3779B97F4A7C15ull;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return 1 + static_cast<size_t>(x % 2000);
}

AccountId debit_account(RecordNumber n) { return AccountId(make_u128(n.seq % 97 + 1, n.writer + 1)); }

}  // namespace

std::vector<uint8_t> numbered_record(RecordNumber n) {
  BatchBuilder b;
  const size_t count = transfer_count(n);
  for (size_t i = 0; i < count; i++) {
    CreateTransfer t;
    t.id = TransferId(make_u128(n.writer + 1, n.seq * 8192 + i + 1));
    t.debit_account_id = debit_account(n);
    t.credit_account_id = AccountId(make_u128(i % 13 + 1, 1000 + i));
    t.amount = Amount(u128{n.seq} * 100 + i + 1);
    t.ledger = 1;
    t.code = 7;
    t.user_data_64 = n.seq;
    b.add(t);
  }
  return b.finish();
}

std::vector<uint8_t> numbered_key(RecordNumber n) {
  const RoutingKey k = routing_key(debit_account(n));
  const auto* p = reinterpret_cast<const uint8_t*>(k.bytes);
  return {p, p + sizeof k.bytes};
}

std::optional<RecordNumber> record_number(std::span<const uint8_t> record) {
  auto commands = decode_batch(record);
  if (!commands.ok() || commands->empty()) return std::nullopt;
  const auto* t = std::get_if<CreateTransfer>(&commands->front());
  if (t == nullptr || t->id.hi() == 0) return std::nullopt;
  return RecordNumber{static_cast<uint32_t>(t->id.hi() - 1), (t->id.lo() - 1) / 8192};
}

}  // namespace tally::test
