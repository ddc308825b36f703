// tally keys add|list|revoke: manages the API key file of `tally serve
// --auth FILE` (engine/http/key_ring.h). The file is rewritten whole (a new
// file with mode 0600, synced, then renamed over the old one); a running
// serve picks the change up on SIGHUP.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/http/key_ring.h"
#include "tools/tally/cli.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

constexpr char kUsage[] =
    "tally keys add --file FILE --scopes read,write,admin [--name TEXT]\n"
    "tally keys list --file FILE\n"
    "tally keys revoke --file FILE --id ID\n"
    "Manages the API keys of tally serve --auth FILE. add prints the new key once\n"
    "(only its salted HMAC-SHA-256 is kept); a running serve reloads the file on\n"
    "SIGHUP. Clients send Authorization: Bearer KEY; the tally tools read the key\n"
    "from $TALLY_API_KEY.\nOptions";

std::vector<http::KeyEntry> read_keys(const std::string& file, bool may_be_missing) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (may_be_missing && access(file.c_str(), F_OK) != 0) return {};
    throw Failure("cannot read " + file);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return check(http::parse_key_file(text.str()), file);
}

void write_keys(const std::string& file, const std::vector<http::KeyEntry>& keys) {
  const std::string tmp = file + ".tmp";
  const std::string text = http::format_key_file(keys);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Failure("cannot write " + tmp + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Failure("cannot write " + file + ": " + std::strerror(errno));
  }
}

int add(const std::string& file, const std::string& scopes, const std::string& name) {
  std::vector<http::KeyEntry> keys = read_keys(file, true);
  const http::Scopes s = check(http::parse_scopes(scopes), "--scopes");
  http::NewKey k = check(http::make_key(s, name), "making a key");
  keys.push_back(k.entry);
  write_keys(file, keys);
  std::cout << k.key << std::endl;
  std::cerr << "tally keys: added " << k.entry.id << " (" << http::format_scopes(s) << ") to " << file
            << "; the key above is shown only now. SIGHUP a running tally serve to apply." << std::endl;
  return 0;
}

int list(const std::string& file) {
  for (const http::KeyEntry& k : read_keys(file, false)) {
    std::cout << k.id << "  " << http::format_scopes(k.scopes) << (k.name.empty() ? "" : "  " + k.name) << "\n";
  }
  return 0;
}

int revoke(const std::string& file, const std::string& id) {
  std::vector<http::KeyEntry> keys = read_keys(file, false);
  const auto it = std::find_if(keys.begin(), keys.end(), [&](const http::KeyEntry& k) { return k.id == id; });
  if (it == keys.end()) throw Failure("no key with id " + id + " in " + file);
  keys.erase(it);
  write_keys(file, keys);
  std::cerr << "tally keys: revoked " << id << "; SIGHUP a running tally serve to apply." << std::endl;
  return 0;
}

}  // namespace

int keys_main(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage << "\n";
    return args.empty() ? 2 : 0;
  }
  const std::string action = args[0];
  std::string file, scopes, name, id;
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "this help")("file", po::value(&file), "the key file")
      ("scopes", po::value(&scopes), "add: the key's scopes, comma-separated: read, write, admin")
      ("name", po::value(&name), "add: a note kept beside the key (who it is for)")
      ("id", po::value(&id), "revoke: the key's id (tally keys list shows them)");
  const po::variables_map vm = parse_options(Args(args.begin() + 1, args.end()), desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (file.empty()) throw UsageError("--file FILE is required");
  if (action == "add") {
    if (scopes.empty()) throw UsageError("add needs --scopes (read, write, admin, comma-separated)");
    return add(file, scopes, name);
  }
  if (action == "list") return list(file);
  if (action == "revoke") {
    if (id.empty()) throw UsageError("revoke needs --id ID");
    return revoke(file, id);
  }
  throw UsageError("unknown action '" + action + "' (add, list, revoke)");
}

}  // namespace tally::cli
