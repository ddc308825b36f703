#include "engine/http/webhook_registry.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine/json/strict_json.h"
#include "engine/json/text.h"

namespace tally::http {
namespace json = boost::json;

namespace {

}  // namespace

json::object webhook_to_json(const WebhookEndpoint& e, bool with_secret) {
  json::array events, cursors;
  for (const std::string& n : e.events) events.emplace_back(n);
  for (const EventCursor& c : e.cursors) cursors.emplace_back(cursor_to_string(c));
  json::object o{{"id", e.id},
                 {"url", e.url},
                 {"events", std::move(events)},
                 {"cursors", std::move(cursors)},
                 {"delivered", e.delivered},
                 {"failures", e.failures},
                 {"consecutive_failures", e.consecutive_failures},
                 {"failing", e.failing},
                 {"last_error", e.last_error}};
  if (with_secret) o["secret"] = e.secret;
  return o;
}

namespace {

Result<WebhookEndpoint> from_json(const json::value& v, uint32_t partitions) {
  WebhookEndpoint e;
  try {
    const json::object& o = v.as_object();
    e.id = json::value_to<std::string>(o.at("id"));
    e.url = json::value_to<std::string>(o.at("url"));
    e.secret = json::value_to<std::string>(o.at("secret"));
    for (const json::value& n : o.at("events").as_array()) e.events.push_back(json::value_to<std::string>(n));
    for (const json::value& c : o.at("cursors").as_array()) {
      TALLY_ASSIGN_OR_RETURN(EventCursor cur, parse_cursor(json::value_to<std::string>(c), "cursors", partitions));
      e.cursors.push_back(cur);
    }
    e.delivered = json::value_to<uint64_t>(o.at("delivered"));
    e.failures = json::value_to<uint64_t>(o.at("failures"));
    e.consecutive_failures = json::value_to<uint32_t>(o.at("consecutive_failures"));
    e.failing = o.at("failing").as_bool();
    e.last_error = json::value_to<std::string>(o.at("last_error"));
  } catch (const std::exception& x) {
    return Status::Corruption(std::string("an endpoint lacks a field or has one of the wrong type: ") + x.what());
  }
  if (e.cursors.size() != partitions) {
    return Status::FailedPrecondition("endpoint " + e.id + " has cursors for " + std::to_string(e.cursors.size()) +
                                      " partitions, the log " + std::to_string(partitions));
  }
  for (uint32_t p = 0; p < partitions; p++) {
    if (e.cursors[p].partition.value != p) return Status::Corruption("endpoint " + e.id + ": cursors out of order");
  }
  TALLY_RETURN_IF_ERROR(check_event_names(e.events, "events"));
  return e;
}

}  // namespace

bool WebhookEndpoint::wants(std::string_view event) const {
  return std::find(events.begin(), events.end(), event) != events.end();
}

Result<std::vector<WebhookEndpoint>> load_webhooks(const std::string& path, uint32_t partitions) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::vector<WebhookEndpoint>();
  std::stringstream text;
  text << in.rdbuf();
  const auto where = [&](const Status& s) { return s.with_context(path); };
  Result<json::value> doc = parse_json_strict(text.str());
  if (!doc.ok()) return where(Status::Corruption(doc.status().message()));
  std::vector<WebhookEndpoint> out;
  const json::object* o = doc->if_object();
  const json::value* list = o ? o->if_contains("endpoints") : nullptr;
  if (list == nullptr || !list->is_array()) return where(Status::Corruption("no \"endpoints\" array"));
  for (const json::value& v : list->as_array()) {
    Result<WebhookEndpoint> e = from_json(v, partitions);
    if (!e.ok()) return where(e.status());
    out.push_back(std::move(*e));
  }
  return out;
}

Status save_webhooks(const std::string& path, const std::vector<WebhookEndpoint>& endpoints) {
  json::array list;
  for (const WebhookEndpoint& e : endpoints) list.push_back(webhook_to_json(e, true));
  const std::string text = json_text::serialize(json::object{{"version", 1}, {"endpoints", std::move(list)}}) + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("creating " + tmp + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("writing " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace tally::http
