// docs/openapi.yaml against the router: the spec's paths and methods are
// exactly the routes of engine/http/router.cc (Router::routes()), both
// ways, so a route added without its contract (or a contract left behind by
// a removed route) fails here. The spec is read line by line by the layout
// rule stated at its top; the reader is tested on its own first, so a
// layout it no longer understands fails instead of reading nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "engine/http/router.h"

using tally::http::Router;

namespace {

using Route = std::pair<std::string, std::string>;  // method (upper case), path

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
// The fields of a path item other than its operations.
const std::set<std::string> kPathFields = {"parameters", "summary", "description", "servers", "$ref"};

size_t indent_of(const std::string& line) { return line.find_first_not_of(' '); }

// The operations under the top-level `paths:` of an OpenAPI file written by
// the layout rule: "  /path:" lines and, under each, "    method:" lines.
// A line at either indent that is neither is a layout error, reported in
// `error`.
std::set<Route> spec_routes(std::istream& in, std::string& error) {
  std::set<Route> out;
  std::string line;
  std::string path;
  bool in_paths = false;
  for (int n = 1; std::getline(in, line); n++) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t indent = indent_of(line);
    if (indent == std::string::npos || line[indent] == '#') continue;  // blank, comment
    if (indent == 0) {
      in_paths = line == "paths:";
      continue;
    }
    if (!in_paths || (indent != 2 && indent != 4)) continue;
    const size_t colon = line.find(':', indent);
    const std::string key = line.substr(indent, colon == std::string::npos ? std::string::npos : colon - indent);
    const bool alone = colon == line.size() - 1;  // "key:" with the value below
    if (indent == 2 && alone && key.front() == '/') {
      path = key;
    } else if (indent == 4 && alone && kMethods.contains(key) && !path.empty()) {
      std::string method = key;
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
      out.emplace(method, path);
    } else if (indent == 2 || !kPathFields.contains(key)) {
      error += "line " + std::to_string(n) + " does not follow the layout rule: \"" + line + "\"\n";
    }
  }
  return out;
}

std::set<Route> router_routes() {
  std::set<Route> out;
  for (const auto& [method, pattern] : Router::routes()) out.emplace(method, pattern);
  return out;
}

std::string listed(const std::set<Route>& routes) {
  std::string out;
  for (const auto& [m, p] : routes) out += "  " + m + " " + p + "\n";
  return out;
}

std::set<Route> minus(const std::set<Route>& a, const std::set<Route>& b) {
  std::set<Route> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

}  // namespace

TEST_CASE("the layout reader finds the paths and methods, and only those") {
  std::istringstream text(
      "openapi: 3.1.0\n"
      "info:\n"
      "  /not/a/path: 1\n"
      "paths:\n"
      "  # a comment\n"
      "  /v1/a/{id}:\n"
      "    get:\n"
      "      responses:\n"
      "        post:\n"
      "  /v1/b:\n"
      "    parameters: []\n"
      "    summary: b\n"
      "    post:\n"
      "    delete:\n"
      "components:\n"
      "  /also/not:\n"
      "    get:\n");
  std::string error;
  const std::set<Route> got = spec_routes(text, error);
  CHECK(error.empty());
  CHECK(got == std::set<Route>{{"GET", "/v1/a/{id}"}, {"POST", "/v1/b"}, {"DELETE", "/v1/b"}});

  std::istringstream bad("paths:\n  /v1/a:\n    get:\n  '/v1/quoted':\n    got:\n");
  error.clear();
  CHECK(spec_routes(bad, error) == std::set<Route>{{"GET", "/v1/a"}});
  CHECK(error.find("line 4") != std::string::npos);
  CHECK(error.find("line 5") != std::string::npos);
}

TEST_CASE("docs/openapi.yaml lists exactly the router's routes") {
  const char* root = std::getenv("TALLY_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "TALLY_SOURCE_ROOT is set by meson");
  const std::string file = std::string(root) + "/docs/openapi.yaml";
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "cannot read " << file);
  std::string error;
  const std::set<Route> spec = spec_routes(in, error);
  CHECK_MESSAGE(error.empty(), "docs/openapi.yaml:\n" << error);

  const std::set<Route> router = router_routes();
  REQUIRE(router.size() == Router::routes().size());  // no route listed twice
  REQUIRE(router.size() >= 14);
  const std::set<Route> undocumented = minus(router, spec);
  const std::set<Route> unrouted = minus(spec, router);
  CHECK_MESSAGE(undocumented.empty(),
                "routes of engine/http/router.cc missing from docs/openapi.yaml:\n" << listed(undocumented));
  CHECK_MESSAGE(unrouted.empty(),
                "operations of docs/openapi.yaml that the router does not have:\n" << listed(unrouted));
}
