// tally serve tried as an attacker would (issue 17; docs/operations.md
// "Securing Tally"): the CSRF / DNS rebinding request, duplicate JSON keys,
// checkpoints outside --checkpoint-root, host paths in answers, API keys
// with scopes reloaded on SIGHUP, and the refusal to serve an
// unauthenticated API beyond loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// One raw request on a fresh connection (the server may close after a 4xx).
HttpResult raw_post(uint16_t port, const std::string& headers, const std::string& body) {
  HttpClient http(port);
  return http.raw("POST /v1/commands HTTP/1.1\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + body);
}

std::string add_key(const std::string& file, const std::string& scopes) {
  const Captured c = run_captured({tally_bin(), "keys", "add", "--file", file, "--scopes", scopes, "--name", "test " + scopes});
  REQUIRE_MESSAGE(c.exit_code == 0, c.err);
  std::string key = c.out;
  while (!key.empty() && key.back() == '\n') key.pop_back();
  return key;
}

// Reads serve's lines until one contains `part` (30 s at most).
bool saw_line(Process& p, const std::string& part) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto line = p.read_line(std::chrono::seconds(30));
    if (!line) return false;
    if (contains(*line, part)) return true;
  }
  return false;
}

// A connected TCP socket that sends nothing; -1 if the connect failed.
int idle_socket(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

}  // namespace

TEST_CASE("the CSRF request of issue 17 answers 4xx and moves nothing; JSON from a client is served") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  const std::string body = commands_body({account_json("7")}, true);
  const HttpResult rebinding =
      raw_post(serve.port(), "Host: evil.example.com\r\nOrigin: http://evil.example.com\r\nContent-Type: text/plain\r\n", body);
  CHECK(rebinding.status == 400);
  CHECK(contains(rebinding.error(), "Host \"evil.example.com\" is not this server's address"));
  const HttpResult page =
      raw_post(serve.port(), "Host: 127.0.0.1\r\nOrigin: http://evil.example.com\r\nContent-Type: application/json\r\n", body);
  CHECK(page.status == 403);
  CHECK(page.header("Access-Control-Allow-Origin").empty());
  const HttpResult form = raw_post(serve.port(), "Host: 127.0.0.1\r\nContent-Type: text/plain\r\n", body);
  CHECK(form.status == 415);
  HttpClient http(serve.port());
  CHECK(http.get("/v1/accounts/7").status == 404);
  const HttpResult ok = http.post("/v1/commands", body);
  CHECK(ok.status == 200);
  CHECK(outcomes_of(ok.json()) == "created");
}

TEST_CASE("allowed origins get CORS; a preflight answers 204") {
  TempDir dir;
  Serve serve(dir.sub("data"), {"--allow-origin", "https://ops.example.com", "--allow-host", "tally.example.com"});
  HttpClient http(serve.port());
  const HttpResult preflight = http.raw(
      "OPTIONS /v1/commands HTTP/1.1\r\nHost: tally.example.com\r\nOrigin: https://ops.example.com\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n");
  CHECK(preflight.status == 204);
  CHECK(preflight.header("Access-Control-Allow-Origin") == "https://ops.example.com");
  CHECK(contains(preflight.header("Access-Control-Allow-Headers"), "Content-Type"));
  http.set_header("Origin", "https://ops.example.com");
  const HttpResult answer = http.post("/v1/commands", commands_body({account_json("7")}, true));
  CHECK(answer.status == 200);
  CHECK(answer.header("Access-Control-Allow-Origin") == "https://ops.example.com");
  http.set_header("Origin", "https://evil.example.com");
  CHECK(http.get("/v1/accounts/7").status == 403);
}

TEST_CASE("a duplicate key is a 400 naming it and stores nothing; leading zeros are refused in bodies and paths") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  REQUIRE(http.post("/v1/commands", commands_body({account_json("7"), account_json("8")}, true)).status == 200);
  std::string twice = transfer_json("100", "7", "8", "1");
  twice.insert(twice.size() - 1, R"(,"amount":"999")");
  const HttpResult dup = http.post("/v1/commands", commands_body({twice}, true));
  CHECK(dup.status == 400);
  CHECK(dup.error() == "duplicate key \"amount\" in commands[0] (each key may appear once)");
  CHECK(http.get("/v1/transfers/100").status == 404);
  const HttpResult wait_twice = http.post("/v1/commands", R"({"commands":[],"wait":true,"wait":false})");
  CHECK(wait_twice.status == 400);
  CHECK(contains(wait_twice.error(), "duplicate key \"wait\""));
  const HttpResult zeros = http.post("/v1/commands", commands_body({transfer_json("0100", "7", "8", "1")}, true));
  CHECK(zeros.status == 400);
  CHECK(contains(zeros.error(), "without leading zeros, got \"0100\""));
  CHECK(http.get("/v1/accounts/007").status == 400);
  CHECK(http.get("/v1/accounts/7").status == 200);
}

TEST_CASE("checkpoints go only under --checkpoint-root; odd dirs are 400s that show no host path") {
  TempDir dir;
  const std::string root = dir.sub("backups");
  std::filesystem::create_directories(root);
  std::ofstream(root + "/a-file") << "x";
  {
    Serve off(dir.sub("off"));
    HttpClient http(off.port());
    const HttpResult r = http.post("/v1/admin/checkpoint", R"({"dir":")" + dir.sub("b0") + R"("})");
    CHECK(r.status == 409);
    CHECK(contains(r.error(), "--checkpoint-root"));
  }
  Serve serve(dir.sub("data"), {"--checkpoint-root", root});
  HttpClient http(serve.port());
  for (const std::string& odd : {std::string("/proc/x"), std::string("/sys/x"), std::string("/etc/tally-x"),
                                 std::string("a\\u0000b"), std::string("../x"), std::string("a-file"),
                                 std::string("a-file/x"), root + "/../x"}) {
    const HttpResult r = http.post("/v1/admin/checkpoint", R"({"dir":")" + odd + R"("})");
    INFO(odd << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(contains(r.error(), "field \"dir\""));
    CHECK_FALSE(contains(r.body, dir.path()));
  }
  CHECK_FALSE(std::filesystem::exists("/etc/tally-x"));
  const HttpResult ok = http.post("/v1/admin/checkpoint", R"({"dir":"nightly"})");
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(str(ok.json(), "dir") == "<checkpoint-root>/nightly");
  CHECK(std::filesystem::is_directory(root + "/nightly/partitions"));
}

TEST_CASE("answers and /health show no absolute host path; the operator's log has it") {
  TempDir dir;
  Serve serve(dir.sub("data"), {}, true);
  HttpClient http(serve.port());
  const HttpResult health = http.get("/health");
  CHECK(health.status == 200);
  CHECK_FALSE(contains(health.body, dir.path()));
  const HttpResult rebuilt = http.post("/v1/admin/rebuild", R"({"partition":0})");
  INFO(rebuilt.body);
  CHECK(rebuilt.status == 200);
  CHECK_FALSE(contains(rebuilt.body, dir.path()));
  CHECK(contains(rebuilt.body, "<data>/"));
  CHECK(saw_line(serve.process(), dir.path()));  // the full answer, for the operator
}

TEST_CASE("API keys: 401 without a key, 403 without the scope, revocation applies on SIGHUP") {
  TempDir dir;
  const std::string keys = dir.sub("keys");
  const std::string reader = add_key(keys, "read");
  const std::string writer = add_key(keys, "write,read");
  const std::string admin = add_key(keys, "admin");
  std::ifstream in(keys);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_FALSE(contains(file, reader.substr(19)));  // only hashes are kept
  const Captured listed = run_captured({tally_bin(), "keys", "list", "--file", keys});
  CHECK(contains(listed.out, reader.substr(6, 12) + "  read  test read"));

  Serve serve(dir.sub("data"), {"--auth", keys, "--public-health"});
  HttpClient http(serve.port());
  CHECK(http.get("/health").status == 200);
  const HttpResult none = http.get("/v1/accounts/7");
  CHECK(none.status == 401);
  CHECK(none.header("WWW-Authenticate") == "Bearer realm=\"tally\"");
  http.set_header("Authorization", "Bearer " + reader);
  CHECK(http.get("/v1/accounts/7").status == 404);
  const HttpResult no_write = http.post("/v1/commands", commands_body({account_json("7")}, true));
  CHECK(no_write.status == 403);
  CHECK(contains(no_write.error(), "lacks the \"write\" scope"));
  http.set_header("Authorization", "Bearer " + writer);
  CHECK(http.post("/v1/commands", commands_body({account_json("7")}, true)).status == 200);
  CHECK(http.post("/v1/admin/rebuild", R"({"partition":0})").status == 403);
  http.set_header("Authorization", "Bearer " + admin);
  CHECK(http.post("/v1/admin/rebuild", R"({"partition":0})").status == 200);
  // The tools send $TALLY_API_KEY.
  const Captured query = run_captured({"env", "TALLY_API_KEY=" + reader, tally_bin(), "query", "--http", serve.address(), "account", "7"});
  INFO(query.out << query.err);
  CHECK(query.exit_code == 0);

  const Captured revoked = run_captured({tally_bin(), "keys", "revoke", "--file", keys, "--id", reader.substr(6, 12)});
  REQUIRE(revoked.exit_code == 0);
  http.set_header("Authorization", "Bearer " + reader);
  CHECK(http.get("/v1/accounts/7").status == 200);  // until serve reloads
  serve.process().signal(SIGHUP);
  unsigned status = 0;
  for (int i = 0; i < 300 && status != 401; i++) {
    status = http.get("/v1/accounts/7").status;
    if (status != 401) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(status == 401);
  http.set_header("Authorization", "Bearer " + writer);
  CHECK(http.get("/v1/accounts/7").status == 200);
  CHECK(serve.stop() == 0);
}

TEST_CASE("without --auth serve stays on loopback unless --insecure, and says the API is unauthenticated") {
  TempDir dir;
  const Captured refused = run_captured({tally_bin(), "serve", "--data", dir.sub("a"), "--http", "0.0.0.0:0"});
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "is not a loopback address and there is no --auth"));
  Process insecure({tally_bin(), "serve", "--data", dir.sub("b"), "--http", "0.0.0.0:0", "--insecure"}, true);
  CHECK(saw_line(insecure, "WARNING: the API is unauthenticated"));
  insecure.signal(SIGTERM);
  CHECK(insecure.wait() == 0);
  const Captured bad_root =
      run_captured({tally_bin(), "serve", "--data", dir.sub("c"), "--checkpoint-root", dir.sub("missing")});
  CHECK(bad_root.exit_code == 2);
}

TEST_CASE("a flood of 1,100 idle connections leaves /health answering; requests over the caps get 503") {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  TempDir dir;
  Serve serve(dir.sub("data"), {}, true);
  std::vector<int> flood;
  for (int i = 0; i < 1100; i++) {
    const int fd = idle_socket(serve.port());
    if (fd >= 0) flood.push_back(fd);
  }
  CHECK(flood.size() == 1100);
  {
    HttpClient http(serve.port());
    const HttpResult health = http.get("/health");
    CHECK(health.status == 200);
    CHECK(str(health.json(), "status") == "ok");
  }
  HttpClient other(serve.port());
  const HttpResult refused = other.get("/v1/accounts/7");
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");
  CHECK(contains(refused.error(), "connection limit (1024 in all, 256 per client address)"));
  HttpClient metrics(serve.port());
  CHECK(metrics.get("/metrics").status == 200);
  for (int fd : flood) ::close(fd);
  // Once the flood is gone, requests are served in full again.
  unsigned status = 0;
  for (int i = 0; i < 300 && status != 404; i++) {
    HttpClient http(serve.port());
    status = http.get("/v1/accounts/7").status;
    if (status != 404) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(status == 404);
}
