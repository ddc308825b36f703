// Writes the seed corpus of fuzz_record (tests/fuzz_corpus/fuzz_record/):
// real batches as producers append them. Usage: seed_records DIR
#include <fstream>
#include <string>

#include "engine/core/codec.h"

using namespace tally;

namespace {

void write(const std::string& path, const std::vector<Command>& commands) {
  const std::vector<uint8_t> bytes = encode_batch(commands);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  CreateAccount a;
  a.id = AccountId(7);
  a.ledger = 1;
  a.code = 10;
  CreateTransfer t;
  t.id = TransferId(100);
  t.debit_account_id = AccountId(7);
  t.credit_account_id = AccountId(8);
  t.amount = Amount(500);
  t.ledger = 1;
  t.code = 1;
  CreateTransfer pending = t;
  pending.id = TransferId(101);
  pending.flags = transfer_flags::pending;
  pending.timeout_seconds = 30;
  CreateTransfer post = t;
  post.id = TransferId(102);
  post.flags = transfer_flags::post_pending;
  post.pending_id = TransferId(101);
  post.amount = Amount(kU128Max);
  write(dir + "/account", {Command(a)});
  write(dir + "/transfer", {Command(t)});
  write(dir + "/two_phase", {Command(a), Command(pending), Command(post)});
  write(dir + "/expire", {Command(ExpirePending{TransferId(101), AccountId(7)})});
  return 0;
}
