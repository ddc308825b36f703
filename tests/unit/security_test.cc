// The API's defences as pure parts (docs/operations.md "Securing Tally"):
// strict JSON (a repeated key is an error naming it), one spelling per
// number, the guard's Host/Origin/Content-Type/key checks, the key file,
// where checkpoints may go, and host paths kept out of answers.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "engine/http/checkpoint_dir.h"
#include "engine/http/commands_request.h"
#include "engine/http/guard.h"
#include "engine/http/key_ring.h"
#include "engine/http/params.h"
#include "engine/http/redact.h"
#include "engine/json/command_json.h"
#include "engine/json/strict_json.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::http;

namespace {

std::string error_of(const Status& s) { return s.ok() ? "ok" : s.message(); }

const std::string kTransfer =
    R"({"type":"create_transfer","id":"1","debit_account_id":"1","credit_account_id":"2","amount":"1","ledger":1,"code":1)";

RequestHeaders from_cli(std::string host = "127.0.0.1:8080") {
  return RequestHeaders{.host = std::move(host), .content_type = "application/json"};
}

Request post(std::string target = "/v1/commands") { return Request{"POST", std::move(target), "{}"}; }
Request get(std::string target) { return Request{"GET", std::move(target), ""}; }

unsigned verdict(const Guard& g, const Request& r, const RequestHeaders& h) {
  const std::optional<Response> refused = g.check(r, h);
  return refused ? refused->status : 0;
}

}  // namespace

TEST_CASE("strict JSON: a repeated key anywhere is an error naming the key and where it is") {
  CHECK(error_of(parse_json_strict(R"({"a":1,"a":2})").status()) ==
        "duplicate key \"a\" in the top-level object (each key may appear once)");
  const std::string twice_amount = R"({"commands":[)" + kTransfer + "}," + kTransfer + R"(,"amount":"999"}]})";
  CHECK(error_of(parse_commands_request(twice_amount).status()) ==
        "duplicate key \"amount\" in commands[1] (each key may appear once)");
  // Escapes are decoded before keys are compared.
  CHECK(error_of(parse_json_strict(R"({"x":{"amount":"1","\u0061mount":"2"}})").status()) ==
        "duplicate key \"amount\" in x (each key may appear once)");
  CHECK(error_of(parse_commands_request(R"({"commands":[],"commands":[]})").status()) ==
        "duplicate key \"commands\" in the top-level object (each key may appear once)");
  CHECK(error_of(parse_commands_request(R"({"wait":true,"wait":false,"commands":[]})").status()).starts_with(
      "duplicate key \"wait\""));
  CHECK(error_of(command_from_json_text(kTransfer + R"(,"id":"2"})").status()).starts_with("duplicate key \"id\""));
  // The same key in sibling objects is fine; nesting and extra data are limited.
  CHECK(parse_json_strict(R"([{"a":1},{"a":2}])").ok());
  CHECK(error_of(parse_json_strict(std::string(40, '[') + std::string(40, ']')).status()).starts_with("malformed JSON"));
  CHECK(error_of(parse_json_strict("{} x").status()).starts_with("malformed JSON at byte"));
}

TEST_CASE("leading zeros: one spelling per number in bodies and paths") {
  const Result<Command> zeros = command_from_json_text(R"({"type":"create_account","id":"007","ledger":1,"code":1})");
  CHECK(error_of(zeros.status()) == "field \"id\" must be a decimal integer in 0..2^128-1 without leading zeros, got \"007\"");
  CHECK(error_of(parse_id("007", "account id").status()) ==
        "account id \"007\" is not a decimal u128 (1 to 39 digits, no leading zeros, at most 2^128-1)");
  CHECK(parse_id("7", "account id").ok());
  CHECK(error_of(command_from_json_text(
                     R"({"type":"create_account","id":"7","ledger":1,"code":1,"user_data_64":"01"})")
                     .status())
            .starts_with("field \"user_data_64\" must be a decimal integer"));
}

TEST_CASE("guard: Host must be the bound address or allowed; stops DNS rebinding") {
  const Guard g({.allow_hosts = {"tally.example.com", "proxy.example.com:443"}}, HostPort{"127.0.0.1", 8080});
  CHECK(verdict(g, post(), from_cli()) == 0);
  CHECK(verdict(g, post(), from_cli("127.0.0.1")) == 0);
  CHECK(verdict(g, post(), from_cli("localhost:8080")) == 0);
  CHECK(verdict(g, post(), from_cli("[::1]:8080")) == 0);
  CHECK(verdict(g, post(), from_cli("Tally.Example.com:8443")) == 0);
  CHECK(verdict(g, post(), from_cli("proxy.example.com:443")) == 0);
  CHECK(verdict(g, post(), from_cli("proxy.example.com:444")) == 400);
  CHECK(verdict(g, post(), from_cli("10.0.0.1")) == 400);
  const std::optional<Response> rebound = g.check(post(), from_cli("evil.example.com"));
  REQUIRE(rebound);
  CHECK(rebound->status == 400);
  CHECK(rebound->body.find("Host \\\"evil.example.com\\\" is not this server's address (127.0.0.1:8080)") !=
        std::string::npos);
  CHECK(verdict(g, post(), from_cli("")) == 400);
  RequestHeaders http10 = from_cli("");
  http10.version = 10;
  CHECK(verdict(g, post(), http10) == 0);
  // On every interface, any IP literal is this server; names must be allowed.
  const Guard wild({}, HostPort{"0.0.0.0", 8080});
  CHECK(verdict(wild, post(), from_cli("192.168.1.20:8080")) == 0);
  CHECK(verdict(wild, post(), from_cli("evil.example.com:8080")) == 400);
}

TEST_CASE("guard: the CSRF request of issue 17 is refused; Origin only from the allow-list, CORS only for it") {
  const Guard g({}, HostPort{"127.0.0.1", 8080});
  RequestHeaders csrf{.host = "evil.example.com", .origin = "http://evil.example.com", .content_type = "text/plain"};
  CHECK(verdict(g, post(), csrf) == 400);
  csrf.host = "127.0.0.1:8080";  // a page on the machine itself, not rebinding
  CHECK(verdict(g, post(), csrf) == 403);
  csrf.origin.clear();  // a form post without Origin (old browsers) still needs JSON
  const std::optional<Response> text = g.check(post(), csrf);
  REQUIRE(text);
  CHECK(text->status == 415);
  CHECK(text->body == R"x({"error":"a POST must have Content-Type: application/json (got \"text/plain\")"})x");
  RequestHeaders json = from_cli();
  json.content_type = "Application/JSON; charset=utf-8";
  CHECK(verdict(g, post(), json) == 0);
  CHECK(verdict(g, get("/v1/accounts/7"), RequestHeaders{.host = "127.0.0.1"}) == 0);

  const Guard cors({.allow_origins = {"https://ops.example.com"}}, HostPort{"127.0.0.1", 8080});
  RequestHeaders page = from_cli();
  page.origin = "https://ops.example.com";
  CHECK(verdict(cors, post(), page) == 0);
  Response answer;
  cors.decorate(page, answer);
  REQUIRE(answer.headers.size() == 2);
  CHECK(answer.headers[0] == std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "https://ops.example.com"});
  page.cors_request_method = "POST";
  const std::optional<Response> preflight = cors.check(Request{"OPTIONS", "/v1/commands", ""}, page);
  REQUIRE(preflight);
  CHECK(preflight->status == 204);
  page.origin = "https://evil.example.com";
  CHECK(verdict(cors, Request{"OPTIONS", "/v1/commands", ""}, page) == 403);
  Response none;
  g.decorate(page, none);
  CHECK(none.headers.empty());
}

TEST_CASE("API keys: only the salted hash is kept; 401 without a valid key, 403 without the scope") {
  test::TempDir dir;
  const NewKey reader = make_key(kScopeRead, "dashboard").value();
  const NewKey admin = make_key(kScopeRead | kScopeWrite | kScopeAdmin, "").value();
  CHECK(reader.key.starts_with("tally_" + reader.entry.id + "_"));
  CHECK(reader.key.size() == 6 + 12 + 1 + 64);
  const std::string file_text = format_key_file({reader.entry, admin.entry});
  CHECK(file_text.find(reader.key) == std::string::npos);
  CHECK(file_text.find(reader.key.substr(19)) == std::string::npos);
  std::ofstream(dir.sub("keys")) << file_text;
  const std::shared_ptr<KeyRing> ring = KeyRing::load(dir.sub("keys")).value();
  CHECK(ring->size() == 2);
  CHECK(ring->verify(reader.key) == Scopes{kScopeRead});
  std::string forged = reader.key;
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK_FALSE(ring->verify(forged).has_value());
  CHECK_FALSE(ring->verify("").has_value());

  const Guard g({.keys = ring, .open_health = true}, HostPort{"127.0.0.1", 8080});
  RequestHeaders h = from_cli();
  CHECK(verdict(g, get("/v1/accounts/7"), h) == 401);
  CHECK(verdict(g, get("/health"), h) == 0);
  CHECK(verdict(g, get("/metrics"), h) == 0);
  h.authorization = "Bearer " + forged;
  CHECK(verdict(g, get("/v1/accounts/7"), h) == 401);
  h.authorization = "Bearer " + reader.key;
  CHECK(verdict(g, get("/v1/accounts/7?x=1"), h) == 0);
  CHECK(verdict(g, post(), h) == 403);
  CHECK(verdict(g, post("/v1/admin/checkpoint"), h) == 403);
  h.authorization = "bearer " + admin.key;
  CHECK(verdict(g, post("/v1/admin/checkpoint"), h) == 0);
  CHECK(verdict(g, post(), h) == 0);

  // Reload: a revoked key stops working; a broken file keeps the keys in use.
  std::ofstream(dir.sub("keys")) << format_key_file({admin.entry});
  REQUIRE(ring->reload().ok());
  CHECK_FALSE(ring->verify(reader.key).has_value());
  std::ofstream(dir.sub("keys")) << "not-a-key\n";
  CHECK(error_of(ring->reload()) == "key file " + dir.sub("keys") + ": line 1: expected \"<id> <scopes> <salt> <hash> [name]\"");
  CHECK(ring->verify(admin.key).has_value());
}

TEST_CASE("key file: errors name the line and the field") {
  const NewKey k = make_key(kScopeWrite, "producer one").value();
  const std::string line = k.entry.id + " write " + k.entry.salt + " " + k.entry.hash;
  CHECK(parse_key_file("# comment\n\n" + line + " producer one\n").value()[0].name == "producer one");
  CHECK(error_of(parse_key_file(line + "\n" + line + "\n").status()) == "line 2: id " + k.entry.id + " is given twice");
  CHECK(error_of(parse_key_file(k.entry.id + " root " + k.entry.salt + " " + k.entry.hash).status()) ==
        "line 1: unknown scope \"root\" (known: read, write, admin)");
  CHECK(error_of(parse_key_file(k.entry.id + " read " + k.entry.salt + " abc").status()) ==
        "line 1: the hash must be 64 lower-case hex digits");
  CHECK(error_of(parse_key_file("XYZ read a b").status()) == "line 1: the id must be 12 lower-case hex digits");
  CHECK(error_of(parse_scopes("read,read").status()) == "scope \"read\" is given twice");
  CHECK(format_scopes(parse_scopes("admin,read").value()) == "read,admin");
  CHECK(error_of(make_key(0, "").status()) == "a key needs at least one scope (read, write, admin)");
}

TEST_CASE("checkpoint dir: only under the root; anything odd is invalid_argument without the root's path") {
  test::TempDir dir;
  const std::string root = dir.sub("backups");
  std::filesystem::create_directories(root + "/daily");
  std::ofstream(root + "/file") << "x";
  std::filesystem::create_symlink("/tmp", root + "/out");
  CHECK(checkpoint_target(root, "2024-06-01").value() == root + "/2024-06-01");
  CHECK(checkpoint_target(root, "daily/one").value() == root + "/daily/one");
  CHECK(checkpoint_target(root, root + "/abs").value() == root + "/abs");
  const auto refused = [&](std::string_view d) {
    const Status s = checkpoint_target(root, d).status();
    CHECK_MESSAGE(s.message().find(dir.path()) == std::string::npos, s.message());
    return s.code() == StatusCode::invalid_argument ? s.message() : "not invalid_argument: " + s.to_string();
  };
  CHECK(refused(std::string("a\0b", 3)) == "field \"dir\" has a control character at byte 1");
  CHECK(refused("../escape").starts_with("field \"dir\" must not contain \"..\""));
  CHECK(refused(root + "/../x").starts_with("field \"dir\" must not contain"));
  CHECK(refused("/proc/x").starts_with("field \"dir\" must name a new directory under the checkpoint root"));
  CHECK(refused("/sys/x").starts_with("field \"dir\" must name a new directory under the checkpoint root"));
  CHECK(refused(root).starts_with("field \"dir\" must name a new directory under the checkpoint root"));
  CHECK(refused("file") == "field \"dir\" names something that exists; a checkpoint goes into a new directory");
  CHECK(refused("daily") == "field \"dir\" names something that exists; a checkpoint goes into a new directory");
  CHECK(refused("file/x").starts_with("field \"dir\" names a directory whose parent does not exist"));
  CHECK(refused("missing/x").starts_with("field \"dir\" names a directory whose parent does not exist"));
  CHECK(refused("out/x") == "field \"dir\" leads out of the checkpoint root (through a symbolic link)");
  CHECK(refused("").starts_with("field \"dir\" is empty"));
  CHECK(checkpoint_target("", "x").status().code() == StatusCode::failed_precondition);
}

TEST_CASE("redact: known directories by label, other host paths hidden in errors, routes kept") {
  const std::vector<Redaction> known = redactions_for({{"/var/lib/tally", "<data>"}, {"", "<none>"}});
  CHECK(redact("opening /var/lib/tally/partitions/3: IO error", known, false) == "opening <data>/partitions/3: IO error");
  CHECK(redact(R"({"error":"mkdir /proc/x/partitions: Permission denied"})", known, true) ==
        R"({"error":"mkdir <path>: Permission denied"})");
  CHECK(redact("no route for GET /v1/accounts/x/y", known, true) == "no route for GET /v1/accounts/x/y");
  CHECK(redact("ratio 1/2 and /x", known, true) == "ratio 1/2 and /x");
  CHECK(redact("file /etc/passwd", known, false) == "file /etc/passwd");
}
