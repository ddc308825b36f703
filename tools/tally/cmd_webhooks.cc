// tally webhooks add|list|remove: the webhook endpoints of a running
// tally serve, through its admin routes (docs/webhooks.md). The key comes
// from $TALLY_API_KEY (an admin key when serve has --auth).
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <iostream>

#include "tools/tally/cli.h"
#include "tools/tally/http_client.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

constexpr char kUsage[] =
    "tally webhooks add --http ADDR --url URL --events NAME[,NAME...] --secret TEXT [--from-start]\n"
    "tally webhooks list --http ADDR\n"
    "tally webhooks remove --http ADDR --id ID\n"
    "Manages the webhook endpoints of the tally serve at ADDR (HOST:PORT). Each\n"
    "delivery is a POST signed with HMAC-SHA-256 under the secret (docs/webhooks.md);\n"
    "events: account.created, transfer.created, transfer.pending, transfer.completed,\n"
    "transfer.voided, transfer.rejected, pending.expired, saga.compensated.\n"
    "The key is read from $TALLY_API_KEY.\nOptions";

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    const size_t comma = list.find(',', at);
    out.push_back(list.substr(at, comma == std::string::npos ? comma : comma - at));
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

// One request; the answer's JSON, or Failure with the server's error.
boost::json::value call(const std::string& address, std::string_view method, const std::string& target,
                        const std::string& body) {
  std::unique_ptr<http::Client> client = check(api_client(address), "--http " + address);
  HttpReply r = check(client->request(method, target, body, std::chrono::seconds(30)), "tally serve at " + address);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  if (r.status < 200 || r.status > 299) {
    const auto* o = ec ? nullptr : v.if_object();
    const auto* e = o ? o->if_contains("error") : nullptr;
    throw Failure("HTTP " + std::to_string(r.status) + ": " +
                  (e && e->is_string() ? std::string(e->as_string()) : r.body));
  }
  if (ec) throw Failure("tally serve answered something that is not JSON: " + r.body.substr(0, 200));
  return v;
}

void print(const boost::json::value& w) {
  const auto& o = w.as_object();
  std::string events;
  for (const auto& e : o.at("events").as_array()) events += (events.empty() ? "" : ",") + std::string(e.as_string());
  std::cout << std::string(o.at("id").as_string()) << "  " << std::string(o.at("url").as_string()) << "  " << events
            << "  delivered " << o.at("delivered") << ", failures " << o.at("failures")
            << (o.at("failing").as_bool() ? ", FAILING" : "");
  if (const auto* err = o.if_contains("last_error")) std::cout << " (" << std::string(err->as_string()) << ")";
  std::cout << "\n";
}

}  // namespace

int webhooks_main(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage << "\n";
    return args.empty() ? 2 : 0;
  }
  const std::string action = args[0];
  std::string address, url, events, secret, id;
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "this help")("http", po::value(&address), "the tally serve, HOST:PORT")
      ("url", po::value(&url), "add: the endpoint, http://HOST:PORT/PATH")
      ("events", po::value(&events), "add: the event names, comma-separated")
      ("secret", po::value(&secret), "add: the signing secret, 16..256 characters")
      ("from-start", "add: deliver each partition's whole history, not only what comes next")
      ("id", po::value(&id), "remove: the endpoint's id (tally webhooks list shows them)");
  const po::variables_map vm = parse_options(Args(args.begin() + 1, args.end()), desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (address.empty()) throw UsageError("--http HOST:PORT is required (a running tally serve)");
  if (action == "add") {
    if (url.empty() || events.empty() || secret.empty()) throw UsageError("add needs --url, --events and --secret");
    boost::json::array names;
    for (const std::string& n : split_names(events)) names.emplace_back(n);
    const boost::json::object body{{"url", url}, {"events", std::move(names)}, {"secret", secret},
                                   {"from", vm.count("from-start") ? "start" : "now"}};
    print(call(address, "POST", "/v1/admin/webhooks", boost::json::serialize(body)));
    return 0;
  }
  if (action == "list") {
    const boost::json::value all = call(address, "GET", "/v1/admin/webhooks", "");
    for (const auto& w : all.at("webhooks").as_array()) print(w);
    return 0;
  }
  if (action == "remove") {
    if (id.empty()) throw UsageError("remove needs --id ID");
    call(address, "DELETE", "/v1/admin/webhooks/" + id, "");
    std::cerr << "tally webhooks: removed " << id << std::endl;
    return 0;
  }
  throw UsageError("unknown action '" + action + "' (add, list, remove)");
}

}  // namespace tally::cli
