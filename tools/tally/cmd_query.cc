// tally query: the API's queries from the command line, either from a
// running `tally serve` (--http) or from a data directory's stores opened
// read-only (--data). Both paths go through the same router
// (engine/http/router.h), so answers, JSON and error messages are the same.
#include <algorithm>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <map>

#include "engine/http/params.h"
#include "engine/http/router.h"
#include "engine/http/store_backend.h"
#include "tools/tally/cli.h"
#include "tools/tally/http_client.h"
#include "tools/tally/query_render.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

constexpr char kUsage[] =
    "tally query account ID | transfer ID | balance ID --at TIME_NS | offset PARTITION OFFSET\n"
    "            | history ID [--limit N] [--cursor C] [--order asc|desc] [--from T] [--to T]\n"
    "            | pending [--limit N] [--cursor C] | stuck [--limit N]\n"
    "            | accounts [--ledger L] [--code C] [--user-data-128 U] [--user-data-64 U]\n"
    "                [--user-data-32 U] [--from T] [--to T] [--limit N] [--cursor C]\n"
    "            | transfers [--account ID [--side debit|credit|either]] [--pending true|false]\n"
    "                [the filters of accounts] [--limit N] [--cursor C]   (docs/queries.md)\n"
    "            | saga ID | transit [--partition P]\n"
    "            (--http ADDR | --data DIR) [--json]\n\n"
    "--http asks a running `tally serve`: it sees everything applied so far.\n"
    "--data opens DIR's projection stores read-only and works without a running\n"
    "serve. Beside a running serve it sees only what that process has flushed to\n"
    "disk (it flushes when it stops), so prefer --http while one runs.\n"
    "Times are nanoseconds since the Unix epoch, as the ledger's clock records them.\n"
    "Exit codes: 0 found, 1 not found or failed, 2 bad usage or input.\n\nOptions";

// Each query: its words after the name, and the options it takes (as query parameters).
struct QueryShape {
  size_t operands;
  std::vector<std::string> params;
};
const std::map<std::string, QueryShape, std::less<>> kQueries = {
    {"account", {1, {}}},
    {"transfer", {1, {}}},
    {"history", {1, {"limit", "cursor", "order", "from", "to"}}},
    {"balance", {1, {"at"}}},
    {"pending", {0, {"limit", "cursor"}}},
    {"offset", {2, {"wait-ms"}}},
    {"stuck", {0, {"limit"}}},
    {"saga", {1, {}}},
    {"transit", {0, {"partition"}}},
    {"accounts", {0, {"limit", "cursor", "ledger", "code", "user-data-128", "user-data-64", "user-data-32", "from", "to"}}},
    {"transfers", {0, {"limit", "cursor", "account", "side", "ledger", "code", "user-data-128", "user-data-64",
                       "user-data-32", "from", "to", "pending"}}},
};
const std::vector<std::string> kParamOptions = {"limit", "cursor", "order", "from", "to", "at", "wait-ms",
                                                "partition", "account", "side", "ledger", "code",
                                                "user-data-128", "user-data-64", "user-data-32", "pending"};

// The API target for the query the words and options name.
std::string target_of(const std::vector<std::string>& words, const po::variables_map& vm) {
  if (words.empty()) {
    throw UsageError(
        "which query? account, transfer, history, balance, pending, accounts, transfers, offset, stuck, saga "
        "or transit");
  }
  auto it = kQueries.find(words[0]);
  if (it == kQueries.end()) throw UsageError("unknown query \"" + words[0] + "\"");
  const QueryShape& shape = it->second;
  if (words.size() != shape.operands + 1) {
    throw UsageError(words[0] + " takes " + std::to_string(shape.operands) + " operand(s)");
  }
  auto enc = [&](size_t i) { return http::percent_encode(words[i]); };
  std::string target;
  if (words[0] == "account") target = "/v1/accounts/" + enc(1);
  if (words[0] == "transfer") target = "/v1/transfers/" + enc(1);
  if (words[0] == "history") target = "/v1/accounts/" + enc(1) + "/history";
  if (words[0] == "balance") target = "/v1/accounts/" + enc(1) + "/balance";
  if (words[0] == "pending") target = "/v1/pending";
  if (words[0] == "accounts") target = "/v1/accounts";
  if (words[0] == "transfers") target = "/v1/transfers";
  if (words[0] == "stuck") target = "/v1/stuck";
  if (words[0] == "saga") target = "/v1/sagas/" + enc(1);
  if (words[0] == "transit") target = "/v1/transit";
  if (words[0] == "offset") target = "/v1/offsets/" + enc(1) + "/" + enc(2);
  if (words[0] == "balance" && !vm.count("at")) throw UsageError("balance needs --at TIME_NS");
  char sep = '?';
  for (const std::string& name : kParamOptions) {
    if (!vm.count(name)) continue;
    if (std::find(shape.params.begin(), shape.params.end(), name) == shape.params.end()) {
      throw UsageError("--" + name + " does not apply to " + words[0]);
    }
    std::string param = name;
    std::replace(param.begin(), param.end(), '-', '_');  // --wait-ms: wait_ms
    target += sep + param + "=" + http::percent_encode(vm[name].as<std::string>());
    sep = '&';
  }
  return target;
}

HttpReply ask(const std::string& target, const std::string& http_address, const std::string& data) {
  if (!http_address.empty()) {
    auto client = check(api_client(http_address));
    return check(client->request("GET", target, "", std::chrono::seconds(75)));
  }
  auto backend = check(http::StoreBackend::open(data), "opening the stores in " + data);
  http::Router router(*backend);
  http::Response r = router.handle(http::Request{"GET", target, ""});
  return HttpReply{r.status, std::move(r.body)};
}

}  // namespace

int query_main(const Args& args) {
  std::string http_address, data;
  bool json_out = false;
  std::vector<std::string> words;
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "this help")
      ("http", po::value(&http_address), "address of a running tally serve (HOST:PORT)")
      ("data", po::value(&data), "data directory to read (its stores, read-only)")
      ("json", po::bool_switch(&json_out), "print the API's JSON")
      ("limit", po::value<std::string>(), "history, pending, stuck, accounts, transfers: items per page (1..8189, default 100)")
      ("cursor", po::value<std::string>(), "history, pending, accounts, transfers: next_cursor of the previous page")
      ("order", po::value<std::string>(), "history: asc (oldest first, default) or desc")
      ("from", po::value<std::string>(), "history, accounts, transfers: earliest timestamp (ns), inclusive")
      ("to", po::value<std::string>(), "history, accounts, transfers: latest timestamp (ns), inclusive")
      ("at", po::value<std::string>(), "balance: the time (ns) to report the balances at")
      ("wait-ms", po::value<std::string>(), "offset: wait up to this long for the record to apply")
      ("partition", po::value<std::string>(), "transit: only this partition's transit accounts and flows")
      ("account", po::value<std::string>(), "transfers: those that debit or credit this account")
      ("side", po::value<std::string>(), "transfers with --account: debit, credit or either (default)")
      ("ledger", po::value<std::string>(), "accounts, transfers: only this ledger")
      ("code", po::value<std::string>(), "accounts, transfers: only this code")
      ("user-data-128", po::value<std::string>(), "accounts, transfers: only this non-zero user_data_128")
      ("user-data-64", po::value<std::string>(), "accounts, transfers: only this non-zero user_data_64")
      ("user-data-32", po::value<std::string>(), "accounts, transfers: only this non-zero user_data_32")
      ("pending", po::value<std::string>(), "transfers: true (still pending) or false (any other state)");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&words)->multitoken());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("words", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (http_address.empty() == data.empty()) throw UsageError("give one of --http ADDR or --data DIR");
  const std::string target = target_of(words, vm);
  const HttpReply reply = ask(target, http_address, data);
  boost::system::error_code ec;
  const boost::json::value answer = boost::json::parse(reply.body, ec);
  if (ec || !answer.is_object()) throw Failure("unexpected answer (" + std::to_string(reply.status) + "): " + reply.body);
  if (reply.status != 200) {
    const boost::json::value* e = answer.as_object().if_contains("error");
    std::string message = e && e->is_string() ? std::string(e->as_string()) : reply.body;
    if (reply.status == 400) throw UsageError(message);
    if (reply.status == 404 && !data.empty()) {
      message += " (in what " + data + " has flushed to disk; if tally serve runs there, ask it with --http)";
    }
    throw Failure(message);
  }
  if (json_out) {
    std::cout << reply.body << "\n";
  } else {
    std::cout << render_human(words[0], answer);
  }
  return 0;
}

}  // namespace tally::cli
