// POST /v1/admin/rebuild and POST /v1/admin/checkpoint: operator actions on
// a running node (Node::rebuild, Node::checkpoint; docs/http-api.md
// "Operator actions"). They answer when the action is done.
#include <boost/json.hpp>

#include "engine/core/digest.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"
#include "engine/json/strict_json.h"

namespace tally::http {
namespace json = boost::json;

namespace {

// {"partition": P} → {P}; {"partition": "all"} → every partition this
// backend serves (a consumer group member: those it owns).
Result<std::vector<Partition>> rebuild_targets(Backend& backend, const json::object& o) {
  const uint32_t partitions = backend.partition_count();
  const json::value* v = o.if_contains("partition");
  if (v == nullptr) return Status::InvalidArgument("field \"partition\" is required: a partition number or \"all\"");
  std::vector<Partition> out;
  if (v->is_string() && v->as_string() == "all") {
    for (uint32_t p = 0; p < partitions; p++) {
      if (backend.owner(Partition{p}).kind == PartitionOwner::Kind::self) out.push_back(Partition{p});
    }
    return out;
  }
  const bool in_range = (v->is_int64() && v->as_int64() >= 0 && v->as_int64() < partitions) ||
                        (v->is_uint64() && v->as_uint64() < partitions);
  if (!in_range) {
    return Status::InvalidArgument("field \"partition\" must be \"all\" or an integer in 0.." +
                                   std::to_string(partitions - 1) + ", got " + json::serialize(*v));
  }
  out.push_back(Partition{static_cast<uint32_t>(v->to_number<uint64_t>())});
  return out;
}

json::object rebuild_to_json(const RebuildReport& r) {
  json::object o{{"partition", r.partition.value},
                 {"switched", r.switched},
                 {"offset", r.offset.value},
                 {"live_digest", Digest::hex(r.live_digest)},
                 {"rebuilt_digest", Digest::hex(r.rebuilt_digest)},
                 {"records", r.records},
                 {"paused_ms", static_cast<double>(r.paused.count()) / 1000.0},
                 {"seconds", r.seconds},
                 {"outbox_delivered", r.outbox_delivered},
                 {"store_dir", r.store_dir}};
  if (!r.note.empty()) o["note"] = r.note;
  return o;
}

std::string refused(const RebuildReport& r) {
  return "partition " + std::to_string(r.partition.value) + ": the rebuilt store's digest " +
         Digest::hex(r.rebuilt_digest) + " differs from the live store's " + Digest::hex(r.live_digest) +
         " at offset " + std::to_string(r.offset.value) +
         "; the live store was kept (check it with tally reconcile and tally replay --verify)";
}

}  // namespace

Result<json::object> parse_body_object(const std::string& body, std::initializer_list<std::string_view> known,
                                  std::string_view example) {
  Result<json::value> parsed = parse_json_strict(body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::InvalidArgument("the body must be a JSON object like " + std::string(example) +
                                   (parsed.ok() ? "" : " (" + parsed.status().message() + ")"));
  }
  json::value& v = *parsed;
  std::string names;
  for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
  for (const auto& kv : v.as_object()) {
    if (std::find(known.begin(), known.end(), std::string_view(kv.key())) == known.end()) {
      return Status::InvalidArgument("unknown field \"" + std::string(kv.key()) + "\" (known: " + names + ")");
    }
  }
  return std::move(v.as_object());
}


Response post_rebuild(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<json::object> body = parse_body_object(args.body, {"partition"}, R"({"partition": 3} or {"partition": "all"})");
  if (!body.ok()) return error_response(body.status());
  Result<std::vector<Partition>> targets = rebuild_targets(backend, *body);
  if (!targets.ok()) return error_response(targets.status());
  // One partition at a time: each pauses only its own pipeline, briefly.
  json::array done;
  std::string refusals;
  for (Partition p : *targets) {
    Result<RebuildReport> r = backend.rebuild(p);
    if (!r.ok()) {
      Response e = error_response(r.status());
      json::object o = json::parse(e.body).as_object();
      o["partitions"] = std::move(done);
      e.body = json::serialize(o);
      return e;
    }
    if (!r->switched) refusals += (refusals.empty() ? "" : "; ") + refused(*r);
    done.push_back(rebuild_to_json(*r));
  }
  json::object out{{"switched", refusals.empty()}, {"partitions", std::move(done)}};
  if (!refusals.empty()) out["error"] = refusals;
  return json_response(refusals.empty() ? 200 : 409, out);
}

Response post_checkpoint(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<json::object> body = parse_body_object(args.body, {"dir"}, R"({"dir": "/backups/tally-2024-06-01"})");
  if (!body.ok()) return error_response(body.status());
  const json::value* dir = body->if_contains("dir");
  if (dir == nullptr || !dir->is_string()) {
    return error_response(400, "field \"dir\" is required: a new directory under the checkpoint root");
  }
  Result<CheckpointReport> r = backend.checkpoint(std::string(dir->as_string()));
  if (!r.ok()) return error_response(r.status());
  json::array partitions;
  for (const CheckpointPartition& p : r->partitions) {
    partitions.push_back(json::object{
        {"partition", p.partition.value}, {"offset", p.offset.value}, {"digest", Digest::hex(p.digest)}});
  }
  return json_response(200, json::object{{"dir", r->dir},
                                         {"partitions", std::move(partitions)},
                                         {"paused_ms", static_cast<double>(r->paused.count()) / 1000.0},
                                         {"log_copied", r->log_copied},
                                         {"log", r->log_note},
                                         {"seconds", r->seconds}});
}

}  // namespace tally::http
