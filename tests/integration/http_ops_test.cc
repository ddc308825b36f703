// /health and /metrics of a running serve reflect what it applied.
#include <doctest/doctest.h>

#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

TEST_CASE("/health reports ok with every pipeline as a component") {
  TempDir dir;
  Serve serve(dir.sub("data"), {"--partitions", "4"});
  CHECK(serve.ready_line().find("(embedded log at " + dir.sub("data") + "/log, 4 partitions)") !=
        std::string::npos);
  HttpClient http(serve.port());
  const HttpResult r = http.get("/health");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json");
  const boost::json::value h = r.json();
  CHECK(str(h, "status") == "ok");
  std::string names;
  for (const auto& c : h.at("components").as_array()) {
    names += str(c, "name") + " ";
    CHECK(c.at("ok").as_bool());
  }
  CHECK(names == "pipeline/0 pipeline/1 pipeline/2 pipeline/3 log scheduler relay sagas ownership scrub webhooks ");
}

TEST_CASE("/metrics counts applied commands by outcome, applied offsets and HTTP requests") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  const std::string before = http.get("/metrics").body;
  CHECK(metric(before, "tally_commands_total{outcome=\"created\"}") == -1);  // nothing yet

  const std::vector<std::string> commands = {
      account_json("7", R"("debits_must_not_exceed_credits")"), account_json("8"),
      transfer_json("1001", "8", "7", "10"), transfer_json("1002", "7", "8", "11")};
  HttpResult posted = http.post("/v1/commands", commands_body(commands, true));
  REQUIRE(posted.status == 200);
  HttpResult more = http.post("/v1/commands", commands_body({account_json("9")}, true));
  REQUIRE(more.status == 200);
  const boost::json::value answer = more.json();
  const auto& last = answer.at("results").as_array()[0];  // the latest record of its partition

  const HttpResult m = http.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metric(m.body, "tally_commands_total{outcome=\"created\"}") == 4);
  CHECK(metric(m.body, "tally_commands_total{outcome=\"exceeds_credits\"}") == 1);
  const std::string partition = str(last, "partition");
  CHECK(metric(m.body, "tally_applied_offset{partition=\"" + partition + "\"}") ==
        last.at("offset").as_int64() + 1);
  CHECK(metric(m.body, "tally_lag_records{partition=\"" + partition + "\"}") == 0);
  CHECK(metric(m.body, "tally_http_requests_total{route=\"/v1/commands\",code=\"200\"}") == 2);
  CHECK(metric(m.body, "tally_http_requests_total{route=\"/metrics\",code=\"200\"}") == 1);
  CHECK(metric(m.body, "tally_http_request_seconds_count{route=\"/v1/commands\"}") == 2);
  // Requests may wait up to 60 s: the latency buckets reach that far.
  CHECK(metric(m.body, "tally_http_request_seconds_bucket{route=\"/v1/commands\",le=\"60\"}") == 2);
  CHECK(metric(m.body, "tally_http_request_seconds_bucket{route=\"/v1/commands\",le=\"30\"}") == 2);
}

TEST_CASE("/metrics says which build answers and what the process uses") {
  TempDir dir;
  Serve serve(dir.sub("data"), {"--partitions", "2"});
  HttpClient http(serve.port());
  const std::string m = http.get("/metrics").body;
  const size_t build = m.find("tally_build_info{version=\"0.1.0\",commit=\"");
  REQUIRE(build != std::string::npos);
  CHECK(m.find("commit=\"unknown\"") == std::string::npos);
  CHECK(metric(m, "process_resident_memory_bytes") > 1'000'000);  // a serve with stores open: megabytes
  CHECK(metric(m, "process_open_fds") > 3);
  CHECK(metric(m, "process_max_fds") >= metric(m, "process_open_fds"));
  CHECK(m.find("\nprocess_cpu_seconds_total ") != std::string::npos);
}
