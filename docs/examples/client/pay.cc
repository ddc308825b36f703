// An example program for libtally-client (docs/client.md): opens two
// accounts, pays one from the other, tries an overdraft that the ledger
// refuses, and reads the result back.
//
//   c++ -std=c++20 pay.cc $(pkg-config --cflags --libs tally-client) -o pay
//   ./pay 127.0.0.1:8080                  # commands over HTTP
//   ./pay 127.0.0.1:8080 127.0.0.1:9092   # commands over Kafka, outcomes from the serve
#include <tally/client.h>

#include <iostream>

using tally::client::u128;

namespace {

// Ids route by their upper 64 bits, and a transfer's id must route with its
// debit account: giving all three the same upper half keeps them in one
// partition (docs/design.md "One transfer id, one partition").
u128 id(uint64_t hi, uint64_t lo) { return (u128{hi} << 64) | lo; }

int fail(const tally::client::Error& e) {
  std::cerr << "pay: " << e.message << " (HTTP " << e.http_status << ")\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: pay HOST:PORT [KAFKA_BROKERS]\n";
    return 2;
  }
  tally::client::Options options;
  options.http = argv[1];
  if (argc == 3) options.kafka_brokers = argv[2];
  auto client = tally::client::Client::connect(options);
  if (!client) return fail(client.error());

  const u128 bank = id(7, 1), alice = id(7, 2);
  const u128 payment = id(7, 100), overdraft = id(7, 101);
  tally::client::Producer producer(**client);
  producer.add(tally::client::NewAccount{.id = bank, .ledger = 1, .code = 10});
  producer.add(tally::client::NewAccount{
      .id = alice, .ledger = 1, .code = 10, .flags = tally::client::account_flags::debits_must_not_exceed_credits});
  producer.add(tally::client::NewTransfer{
      .id = payment, .debit_account_id = bank, .credit_account_id = alice, .amount = 500, .ledger = 1, .code = 1});
  producer.add(tally::client::NewTransfer{
      .id = overdraft, .debit_account_id = alice, .credit_account_id = bank, .amount = 900, .ledger = 1, .code = 1});
  auto outcomes = producer.flush();
  if (!outcomes) return fail(outcomes.error());
  for (const tally::client::Outcome& o : *outcomes) {
    std::cout << "outcome " << o.outcome << " partition " << o.partition << " offset " << o.offset << " index "
              << o.index << "\n";
  }

  auto account = (*client)->account(alice);
  if (!account) return fail(account.error());
  if (!*account) {
    std::cerr << "pay: account " << tally::client::to_string(alice) << " not found\n";
    return 1;
  }
  const tally::client::Balances& b = (*account)->balances;
  std::cout << "alice " << tally::client::to_string(alice) << " debits_posted "
            << tally::client::to_string(b.debits_posted) << " credits_posted "
            << tally::client::to_string(b.credits_posted) << "\n";

  auto refused = (*client)->transfer(overdraft);
  if (!refused) return fail(refused.error());
  if (*refused) std::cout << "transfer " << tally::client::to_string(overdraft) << " " << (*refused)->outcome << "\n";
  return 0;
}
