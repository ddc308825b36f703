// tally replay --switch-in --http ADDR [--partition P]: asks a running
// `tally serve` to rebuild partitions from the log beside their live
// pipelines and switch the rebuilt stores in (POST /v1/admin/rebuild;
// Node::rebuild in engine/node/node_rebuild.cc), one partition at a time.
//
// Output (stdout), one line per partition, then a summary:
//   partition 3: switched at offset 1200, digest 5f0c...e1 (live and rebuilt match); 1,200 records in 0.40 s, pipeline paused 1.2 ms
//   partition 4: REFUSED at offset 900: rebuilt digest 77aa...01, live digest 5f0c...e1; the live store was kept
//   switch-in: 7 of 8 partitions switched
// With --json: the serve's answer as one object ({"partitions":[...]}, the
// fields of POST /v1/admin/rebuild, docs/http-api.md) plus "switched" and
// "total".
// Exit: 0 every partition switched; 1 a refusal (digests differ) or a
// failure; 2 bad usage.
#include <boost/json.hpp>
#include <cstdio>

#include "engine/json/text.h"
#include "tools/tally/cli.h"
#include "tools/tally/http_client.h"
#include "tools/tally/progress.h"

namespace tally::cli {

namespace json = boost::json;

namespace {

void print_partition(const json::object& p) {
  const auto partition = p.at("partition").to_number<uint64_t>();
  const auto offset = p.at("offset").to_number<uint64_t>();
  if (p.at("switched").as_bool()) {
    std::printf("partition %llu: switched at offset %llu, digest %s (live and rebuilt match); %s records in "
                "%.2f s, pipeline paused %.1f ms",
                static_cast<unsigned long long>(partition), static_cast<unsigned long long>(offset),
                std::string(p.at("live_digest").as_string()).c_str(),
                with_commas(p.at("records").to_number<uint64_t>()).c_str(), p.at("seconds").to_number<double>(),
                p.at("paused_ms").to_number<double>());
    if (const auto d = p.at("outbox_delivered").to_number<uint64_t>(); d > 0) {
      std::printf(", %s delivered outbox entries not sent again", with_commas(d).c_str());
    }
  } else {
    std::printf("partition %llu: REFUSED at offset %llu: rebuilt digest %s, live digest %s; the live store was kept",
                static_cast<unsigned long long>(partition), static_cast<unsigned long long>(offset),
                std::string(p.at("rebuilt_digest").as_string()).c_str(),
                std::string(p.at("live_digest").as_string()).c_str());
  }
  if (const json::value* note = p.if_contains("note")) std::printf(" (%s)", std::string(note->as_string()).c_str());
  std::printf("\n");
}

}  // namespace

int replay_switch_in(const std::string& http_address, const std::string& partition,
                     std::chrono::seconds timeout, bool as_json) {
  auto client = check(api_client(http_address));
  const json::value target = partition == "all" ? json::value("all") : json::value(std::stoull(partition));
  const std::string body = json::serialize(json::object{{"partition", target}});
  const HttpReply reply = check(
      client->request("POST", "/v1/admin/rebuild", body, std::chrono::duration_cast<std::chrono::milliseconds>(timeout)),
      "asking " + http_address + " to rebuild");
  boost::system::error_code ec;
  const json::value v = json::parse(reply.body, ec);
  if (ec || !v.is_object()) {
    throw Failure("POST /v1/admin/rebuild answered " + std::to_string(reply.status) + ": " + reply.body);
  }
  const json::object& o = v.as_object();
  size_t switched = 0, total = 0;
  if (const json::value* list = o.if_contains("partitions")) {
    for (const json::value& p : list->as_array()) {
      if (!as_json) print_partition(p.as_object());
      total++;
      switched += p.at("switched").as_bool() ? 1 : 0;
    }
  }
  if (reply.status != 200 && reply.status != 409) {
    const json::value* error = o.if_contains("error");
    throw Failure("POST /v1/admin/rebuild answered " + std::to_string(reply.status) + ": " +
                  (error != nullptr && error->is_string() ? std::string(error->as_string()) : reply.body));
  }
  if (as_json) {
    // The serve's answer (one object per partition), and the summary.
    json::object out = o;
    out["switched"] = switched;
    out["total"] = total;
    std::printf("%s\n", json_text::serialize(out).c_str());
  } else {
    std::printf("switch-in: %zu of %zu partitions switched\n", switched, total);
  }
  return reply.status == 200 ? 0 : 1;
}

}  // namespace tally::cli
