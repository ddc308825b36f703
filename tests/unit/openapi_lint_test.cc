// docs/openapi.yaml through a real OpenAPI 3.1 validator: Redocly CLI
// (`redocly lint`, version pinned in tools/openapi/package-lock.json,
// installed by `tools/dev setup` with npm ci) with the rules of
// tools/openapi/redocly.yaml (recommended-strict: every problem is an
// error). A spec with a known defect must be refused too, so a linter that
// checks nothing cannot pass this test.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

namespace {

std::string source_root() {
  const char* root = std::getenv("TALLY_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "TALLY_SOURCE_ROOT is set by meson");
  return root;
}

// `redocly lint` on `spec`: its exit code and output.
tally::test::Captured lint(const std::string& spec) {
  const std::string root = source_root();
  const std::string cli = root + "/tools/openapi/node_modules/@redocly/cli/bin/cli.js";
  REQUIRE_MESSAGE(std::filesystem::exists(cli),
                  cli << " is missing: run tools/dev setup (it runs npm ci in tools/openapi; Node.js >= 20.19)");
  // No telemetry and no update check: the suite runs offline.
  setenv("REDOCLY_TELEMETRY", "off", 1);
  setenv("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true", 1);
  return tally::test::run_captured({"node", cli, "lint", "--format=stylish", "--config",
                                    root + "/tools/openapi/redocly.yaml", spec},
                                   "", std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("docs/openapi.yaml passes redocly lint with no problem") {
  const tally::test::Captured r = lint(source_root() + "/docs/openapi.yaml");
  INFO("redocly lint said:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK((r.out + r.err).find("openapi.yaml: validated") != std::string::npos);
}

TEST_CASE("a spec with a dangling $ref and an unknown field is refused") {
  tally::test::TempDir dir("tally-openapi");
  const std::string spec = dir.sub("bad.yaml");
  std::ofstream(spec) << "openapi: 3.1.0\n"
                         "info: {title: t, version: '1', description: d}\n"
                         "servers: [{url: 'http://127.0.0.1:8080'}]\n"
                         "security: []\n"
                         "paths:\n"
                         "  /x:\n"
                         "    get:\n"
                         "      operationId: getX\n"
                         "      summary: x\n"
                         "      description: x\n"
                         "      colour: blue\n"
                         "      responses:\n"
                         "        '200':\n"
                         "          description: ok\n"
                         "          content:\n"
                         "            application/json:\n"
                         "              schema: {$ref: '#/components/schemas/Missing'}\n"
                         "        '400':\n"
                         "          description: bad\n";
  const tally::test::Captured r = lint(spec);
  INFO("redocly lint said:\n" << r.out << r.err);
  CHECK(r.exit_code != 0);
  CHECK((r.out + r.err).find("no-unresolved-refs") != std::string::npos);
  CHECK((r.out + r.err).find("colour") != std::string::npos);
}
