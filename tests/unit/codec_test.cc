#include <doctest/doctest.h>

#include "engine/core/codec.h"
#include "engine/schema/tally_generated.h"
#include "tests/fixtures/commands.h"

using namespace tally;

namespace {
CreateTransfer sample_transfer(u128 id) {
  CreateTransfer t;
  t.id = TransferId(id);
  t.debit_account_id = AccountId(make_u128(1, 2));
  t.credit_account_id = AccountId(make_u128(3, 4));
  t.amount = Amount(kU128Max - 5);
  t.pending_id = TransferId(77);
  t.user_data_128 = make_u128(9, 9);
  t.user_data_64 = 64;
  t.user_data_32 = 32;
  t.timeout_seconds = 30;
  t.ledger = 1;
  t.code = 2;
  t.flags = transfer_flags::pending | transfer_flags::linked;
  return t;
}
}  // namespace

TEST_CASE("every command kind round-trips through a batch, in order") {
  std::vector<Command> in;
  in.push_back(CreateAccount{AccountId(7), 1, 2, 3, 4, 5, account_flags::history, 0});
  in.push_back(sample_transfer(1001));
  in.push_back(ExpirePending{TransferId(1001), AccountId(7)});
  in.push_back(sample_transfer(1002));
  in.push_back(SagaCredit{TransferId(5), AccountId(1), AccountId(2), Amount(3), 4, 5, 6, 7,
                          Partition{3}, 8});
  in.push_back(SagaReply{TransferId(5), AccountId(1), Partition{2}, 42});
  in.push_back(SagaCancel{TransferId(5), AccountId(2), Partition{3}});
  in.push_back(SagaTimeout{TransferId(5), AccountId(1)});
  in.push_back(test::account(8));
  const std::vector<uint8_t> bytes = encode_batch(in);
  auto out = decode_batch(bytes);
  REQUIRE(out.ok());
  CHECK(*out == in);
}

TEST_CASE("an empty batch decodes to no commands") {
  const std::vector<uint8_t> bytes = encode_batch({});
  auto out = decode_batch(bytes);
  REQUIRE(out.ok());
  CHECK(out->empty());
}

TEST_CASE("a full batch of 8,189 transfers fits in a 1,000,000-byte Kafka message") {
  BatchBuilder b;
  for (u128 i = 1; i <= kMaxBatchCommands; i++) b.add(sample_transfer(i));
  const std::vector<uint8_t> bytes = b.finish();
  CHECK(bytes.size() < limits::kKafkaDefaultMessageBytes);
  // The per-transfer size tally_limits.h's static_assert relies on (plus
  // the record's header and table).
  CHECK(bytes.size() <= kMaxBatchCommands * limits::kEncodedTransferBytes + 64);
  auto out = decode_batch(bytes);
  REQUIRE(out.ok());
  CHECK(out->size() == kMaxBatchCommands);
  CHECK(std::get<CreateTransfer>(out->back()).id == TransferId(kMaxBatchCommands));
}

TEST_CASE("garbage and damaged records are rejected with a reason, never a crash") {
  SUBCASE("too short") {
    std::vector<uint8_t> r = {1, 2, 3};
    auto out = decode_batch(r);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().code() == StatusCode::corruption);
    CHECK(out.status().message().find("too short") != std::string::npos);
  }
  SUBCASE("no identifier") {
    std::vector<uint8_t> r(64, 0xAB);
    auto out = decode_batch(r);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message().find("TLY1") != std::string::npos);
  }
  SUBCASE("every truncation of a valid record is rejected, or loses only padding") {
    std::vector<Command> in = {sample_transfer(1), sample_transfer(2)};
    const std::vector<uint8_t> bytes = encode_batch(in);
    int rejected = 0;
    for (size_t n = 0; n < bytes.size(); n++) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
      auto out = decode_batch(cut);
      if (out.ok()) {
        CHECK(*out == in);  // only trailing alignment bytes were cut
        CHECK(bytes.size() - n < 8);
      } else {
        rejected++;
      }
    }
    CHECK(rejected > static_cast<int>(bytes.size()) - 8);
  }
  SUBCASE("every single-byte flip either decodes or is rejected") {
    std::vector<Command> in = {sample_transfer(1), test::account(3)};
    const std::vector<uint8_t> bytes = encode_batch(in);
    for (size_t i = 0; i < bytes.size(); i++) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= 0xFF;
      auto out = decode_batch(bad);  // must not crash or read out of bounds
      if (out.ok()) CHECK(out->size() <= 2);
    }
  }
  SUBCASE("kinds that disagree with the vectors") {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<wire::Kind> kinds = {wire::Kind::CreateTransfer, wire::Kind::CreateTransfer};
    std::vector<wire::Transfer> transfers(1);
    auto k = fbb.CreateVector(kinds);
    auto t = fbb.CreateVectorOfStructs(transfers);
    wire::BatchBuilder bb(fbb);
    bb.add_kinds(k);
    bb.add_transfers(t);
    wire::FinishBatchBuffer(fbb, bb.Finish());
    auto out = decode_batch(std::span(fbb.GetBufferPointer(), fbb.GetSize()));
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message().find("kinds lists 2") != std::string::npos);
  }
  SUBCASE("an unknown kind") {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<uint8_t> kinds = {99};
    std::vector<wire::Transfer> transfers(1);
    auto k = fbb.CreateVector(kinds);
    auto t = fbb.CreateVectorOfStructs(transfers);
    auto batch = wire::CreateBatch(fbb, flatbuffers::Offset<flatbuffers::Vector<wire::Kind>>(k.o), 0, t);
    wire::FinishBatchBuffer(fbb, batch);
    auto out = decode_batch(std::span(fbb.GetBufferPointer(), fbb.GetSize()));
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message().find("unknown command kind 99") != std::string::npos);
  }
}
