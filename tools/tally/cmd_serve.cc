// tally serve: the daemon. Opens the log, runs the pipeline of every
// partition (Node) and serves the HTTP/JSON API (docs/http-api.md) until
// SIGINT or SIGTERM (SIGHUP reloads the API keys); then it stops taking requests, lets the pipelines
// commit what they applied, flushes the stores and exits 0. With --group it
// runs only the partitions the consumer group assigns it (serve_group.h).
#include <pthread.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>

#include "engine/core/logging.h"
#include "engine/http/node_backend.h"
#include "engine/http/server.h"
#include "engine/http/webhook_service.h"
#include "engine/log/kafka_log.h"
#include "engine/node/event_publisher.h"
#include "engine/node/node.h"
#include "engine/node/scrubber.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"
#include "tools/tally/serve_group.h"
#include "tools/tally/serve_security.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread it
// starts later, so that only wait_for_stop() receives them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits for SIGINT or SIGTERM; each SIGHUP meanwhile reloads the API keys
// (a bad file keeps the keys in use and says why).
int wait_for_stop(const sigset_t& set, http::KeyRing* keys) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig != SIGHUP) return sig;
    if (keys == nullptr) {
      std::cerr << "tally serve: SIGHUP: no --auth, nothing to reload" << std::endl;
    } else if (Status s = keys->reload(); !s.ok()) {
      std::cerr << "tally serve: SIGHUP: keeping the keys in use: " << s.to_string() << std::endl;
    } else {
      std::cerr << "tally serve: SIGHUP: reloaded " << keys->size() << " API keys from " << keys->path()
                << std::endl;
    }
  }
}

// How the node looks after its stores (docs/operations.md "When the disk
// fails").
struct StoreFlags {
  uint64_t flush_interval_ms = 1000;  // the periodic flush; 0: only at a clean stop
  // How long the log's circuit breaker stays open before it half-opens
  // (docs/operations.md "When Kafka is down"); tests shorten it.
  uint64_t breaker_open_ms = 30'000;
  // Commands in flight before producers wait or get 429 (docs/sagas.md
  // "Admission"); 0 turns admission off.
  uint64_t admission_window = NodeOptions{}.admission_window;
  uint64_t scrub_interval_s = 86400;  // the background scrub (engine/node/scrubber.h); 0: off
  double scrub_rate_mib = 4;          // its pace, MiB/s
  // With --kafka: the topic the change stream is published to (empty: not
  // published; docs/events.md "On Kafka").
  std::string events_topic;
  // Webhook deliveries (docs/webhooks.md); tests shorten the waits.
  uint64_t webhook_timeout_ms = 5000;
  uint64_t webhook_retry_max_ms = 60000;
  uint32_t webhook_failing_after = 8;
};

// The webhook deliveries of DATA/webhooks.json; none for a group member
// (its partitions move, the cursors would not follow).
std::unique_ptr<http::WebhookService> open_webhooks(const LogOptions& log_options, const StoreFlags& flags,
                                                    bool grouped, Node& node) {
  if (grouped) return nullptr;
  http::WebhookPolicy policy;
  policy.request_timeout = std::chrono::milliseconds(flags.webhook_timeout_ms);
  policy.max_retry = std::chrono::milliseconds(flags.webhook_retry_max_ms);
  policy.failing_after = flags.webhook_failing_after;
  std::unique_ptr<http::WebhookService> w =
      check(http::WebhookService::open(node, log_options.data_dir + "/webhooks.json", policy), "opening the webhooks");
  w->start();
  return w;
}

// The change stream's publisher on the events topic, when one is named.
std::unique_ptr<EventPublisher> open_publisher(const LogOptions& log_options, const StoreFlags& flags, Node& node) {
  if (flags.events_topic.empty()) return nullptr;
  KafkaLogOptions o = kafka_log_options(log_options);
  o.topic = flags.events_topic;
  std::unique_ptr<Log> events = check(open_kafka_log(o), "opening the events topic " + flags.events_topic);
  if (events->partition_count() != node.partition_count()) {
    throw Failure("the events topic " + flags.events_topic + " has " + std::to_string(events->partition_count()) +
                  " partitions, the command log " + std::to_string(node.partition_count()) +
                  ": create it with the same count (event partition P carries command partition P's events)");
  }
  auto publisher = std::make_unique<EventPublisher>(node, std::move(events));
  publisher->start();
  return publisher;
}

struct GroupFlags {
  std::string group;      // empty: own every partition
  std::string advertise;  // empty: the address the HTTP server bound
};

// The address other members send clients to.
std::string advertised(const GroupFlags& g, const http::HostPort& bound) {
  if (!g.advertise.empty()) return g.advertise;
  if (bound.host == "0.0.0.0" || bound.host == "::") {
    throw UsageError("--group: the HTTP server listens on every interface; give --advertise HOST:PORT");
  }
  return http::format_host_port(bound);
}

// The startup order, then the shutdown order in reverse. Each step that
// fails throws Failure with one line naming what and where.
int serve(const LogOptions& log_options, const StoreFlags& store_flags, const GroupFlags& group_flags,
          const SecurityFlags& security, const http::HostPort& listen, const sigset_t& stop_signals) {
  http::ServerOptions server_options{.listen = listen, .guard = guard_options(security)};
  const std::string limits_line = apply_connection_limits(security, server_options);
  server_options.redact = http::redactions_for(
      {{log_options.data_dir, "<data>"}, {security.checkpoint_root, "<checkpoint-root>"}});
  const bool grouped = !group_flags.group.empty();
  // 1. The command log (embedded in DATA/log, or Kafka).
  std::unique_ptr<Log> log = open_log(log_options);
  const std::string log_name = log->describe();
  const uint32_t partitions = log->partition_count();
  logging::info("serve", "startup 1/4: opened the command log ({}, {} partitions)", log_name, partitions);
  // 2. The projection stores, a pipeline per partition resuming each at its
  //    stored offset, then the timer scheduler and the outbox relay
  //    (Node::start, which checks the stores against the log).
  //    A group member starts owning none (4. assigns them).
  NodeOptions node_options{.data_dir = log_options.data_dir, .own_every_partition = !grouped};
  node_options.pipeline.flush_interval = std::chrono::milliseconds(store_flags.flush_interval_ms);
  node_options.admission_window = store_flags.admission_window;
  node_options.breaker.open_duration = std::chrono::milliseconds(store_flags.breaker_open_ms);
  std::unique_ptr<Node> node =
      check(Node::open(std::move(log), std::move(node_options)), "opening the projection");
  check(node->start(), "starting the node");
  logging::info("serve", "startup 2/4: stores, pipelines, scheduler and relay started");
  //    The background scrub reads the files the node writes; the embedded
  //    log's records too (a Kafka log's integrity is Kafka's).
  const bool embedded = log_options.kafka.empty();
  Scrubber scrubber(scrub_targets(log_options.data_dir, partitions, embedded), embedded ? &node->log() : nullptr,
                    {.interval = std::chrono::seconds(store_flags.scrub_interval_s),
                     .bytes_per_second = static_cast<uint64_t>(store_flags.scrub_rate_mib * (1u << 20))});
  scrubber.start();
  //    The change stream on Kafka, from each partition's stored progress.
  std::unique_ptr<EventPublisher> publisher = open_publisher(log_options, store_flags, *node);
  if (publisher) logging::info("serve", "publishing the change stream to topic {}", store_flags.events_topic);
  // 3. The HTTP/JSON API.
  ServeGroup group(*node);
  http::NodeBackend backend(*node, grouped ? group.membership() : http::Membership{}, security.checkpoint_root);
  backend.add_health([&scrubber] { return scrubber.health(); });
  std::unique_ptr<http::WebhookService> webhooks = open_webhooks(log_options, store_flags, grouped, *node);
  if (webhooks) {
    http::WebhookService* w = webhooks.get();
    backend.set_webhooks(w);
    backend.add_health([w] { return w->health(); });
    backend.add_metrics([w] { return w->metrics_text(); });
  }
  if (publisher) {
    EventPublisher* pub = publisher.get();
    backend.add_health([pub] {
      const EventPublisherStats s = pub->stats();
      return ComponentHealth{.name = "events", .critical = false, .ok = s.last_error.empty(),
                             .detail = s.last_error.empty() ? std::to_string(s.published) + " events published"
                                                            : "publishing failed (retrying): " + s.last_error};
    });
    backend.add_metrics([pub] { return pub->metrics_text(); });
  }
  http::Router router(backend);
  const std::string auth_line = auth_summary(security, server_options.guard);
  std::shared_ptr<http::KeyRing> keys = server_options.guard.keys;
  std::unique_ptr<http::HttpServer> server =
      check(http::HttpServer::start(router, std::move(server_options)), "starting the HTTP server");
  logging::info("serve", "startup 3/4: the HTTP API started");
  // 4. The consumer group, advertising the address bound in 3.
  std::string as_member;
  if (grouped) {
    KafkaGroupOptions g{.log = kafka_log_options(log_options),
                        .group = group_flags.group,
                        .advertise = advertised(group_flags, server->local_address())};
    as_member = ", group " + g.group + " as " + g.advertise;
    check(group.join(std::move(g)), "joining consumer group " + group_flags.group);
    logging::info("serve", "startup 4/4: joined consumer group {}", group_flags.group);
  }
  std::cout << "tally serve: listening on " << http::format_host_port(server->local_address()) << " ("
            << log_name << ", " << partitions << " partitions" << as_member << ")" << std::endl;
  logging::info("serve", "listening on {} ({}, {} partitions{})", http::format_host_port(server->local_address()),
                log_name, partitions, as_member);
  logging::log(keys ? logging::Level::info : logging::Level::warn, "serve", "{}", auth_line);
  logging::info("serve", "{}", limits_line);

  const int sig = wait_for_stop(stop_signals, keys.get());
  logging::info("serve", "{}, stopping", strsignal(sig));
  node->cancel_admin();  // a rebuild in progress gives up, so its request finishes soon
  group.leave();   // the partitions stop and flush, then the group hands them over
  if (grouped) logging::info("serve", "shutdown 1/3: left consumer group {}", group_flags.group);
  server->stop();  // no new requests; those in progress finish
  logging::info("serve", "shutdown 2/3: the HTTP server stopped");
  scrubber.stop();  // a pass in progress gives up at its next read
  if (publisher) publisher->stop();  // an append in progress finishes first
  if (webhooks) webhooks->stop();    // a delivery in progress finishes first (at most its timeout)
  node->stop();    // scheduler and relay stop; pipelines commit what they applied and flush
  logging::info("serve", "shutdown 3/3: pipelines committed and stores flushed; exiting");
  return 0;
}

void configure_logging(const std::string& level_name, const std::string& format_name) {
  Result<logging::Level> level = logging::parse_level(level_name);
  if (!level.ok()) throw UsageError("--log-level: " + level.status().message());
  Result<logging::Format> format = logging::parse_format(format_name);
  if (!format.ok()) throw UsageError("--log-format: " + format.status().message());
  logging::configure(*level, *format);
}

}  // namespace

int serve_main(const Args& args) {
  LogOptions log_options;
  StoreFlags store_flags;
  GroupFlags group_flags;
  SecurityFlags security;
  std::string http_address = "127.0.0.1:8080";
  std::string log_level = "info";
  std::string log_format = "text";
  po::options_description desc(
      "tally serve --data DIR [--http 127.0.0.1:8080] [--partitions 8]\n"
      "            [--auth KEYFILE [--public-health] | --insecure] [--allow-host NAME]...\n"
      "            [--allow-origin ORIGIN]... [--checkpoint-root DIR]\n"
      "            [--kafka BOOTSTRAP [--topic T] [-X key=value]...\n"
      "             [--group GROUP [--advertise HOST:PORT]]]\n"
      "Runs the pipelines of every partition (with --group: of the partitions the\n"
      "consumer group assigns this process) and serves the HTTP/JSON API\n"
      "(docs/http-api.md) until SIGINT or SIGTERM. Prints one line when ready:\n"
      "  tally serve: listening on HOST:PORT (<log>, N partitions[, group G as ADDR])\nOptions");
  desc.add_options()("help,h", "this help")
      ("http", po::value(&http_address)->default_value("127.0.0.1:8080"),
       "address to serve HTTP on (port 0: any free port)")
      ("group", po::value(&group_flags.group),
       "join this Kafka consumer group and own only the partitions it assigns (needs --kafka; "
       "docs/operations.md \"Several serve processes\")")
      ("advertise", po::value(&group_flags.advertise),
       "HOST:PORT other members send clients to for this process's partitions (default: the "
       "address --http bound)")
      ("log-level", po::value(&log_level)->default_value("info"),
       "the operator log's threshold on stderr: debug, info, warn, error or off")
      ("log-format", po::value(&log_format)->default_value("text"),
       "the operator log's lines: text, or json (one object a line)")
      ("flush-interval-ms", po::value(&store_flags.flush_interval_ms)->default_value(1000),
       "flush each partition store this often while it changes, which bounds the replay after a "
       "kill -9 (0: only at a clean stop)")
      ("breaker-open-ms", po::value(&store_flags.breaker_open_ms)->default_value(30'000),
       "how long the log's circuit breaker stays open (appends fail fast with 503) before a trial "
       "append; 1..600000")
      ("admission-window", po::value(&store_flags.admission_window)->default_value(NodeOptions{}.admission_window),
       "commands in flight in the node (appended, not yet applied, saga legs and replies included) "
       "above which POST /v1/commands waits up to its timeout_ms and then answers 429 with "
       "Retry-After (0: no admission control)")
      ("scrub-interval", po::value(&store_flags.scrub_interval_s)->default_value(86400),
       "seconds between passes of the background scrub, which reads every table file of the log and "
       "the stores, and the embedded log's records, with checksums verified; damage shows in /health "
       "(0: off; docs/operations.md \"When the disk fails\")")
      ("scrub-rate", po::value(&store_flags.scrub_rate_mib)->default_value(4),
       "MiB/s the background scrub reads at most (0: unpaced)")
      ("webhook-timeout-ms", po::value(&store_flags.webhook_timeout_ms)->default_value(5000),
       "how long a webhook delivery waits for its answer before it counts as failed; 1..600000")
      ("webhook-retry-max-ms", po::value(&store_flags.webhook_retry_max_ms)->default_value(60000),
       "the ceiling of the webhooks' retry backoff (doubling from 250 ms, jittered); 250..3600000")
      ("webhook-failing-after", po::value(&store_flags.webhook_failing_after)->default_value(8),
       "failed deliveries in a row that mark a webhook endpoint failing (/health, /metrics); 1..1000")
      ("events-topic", po::value(&store_flags.events_topic),
       "with --kafka: publish the change stream (one FlatBuffers event per applied command, "
       "engine/schema/events.fbs) to this topic, which must exist with the command log's partition "
       "count (docs/events.md \"On Kafka\"; tally broker creates tally.events)");
  add_log_options(desc, log_options);
  add_security_options(desc, security);
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (log_options.data_dir.empty()) {
    throw UsageError("--data DIR is required (the projection lives in DIR/partitions)");
  }
  configure_logging(log_level, log_format);
  if (store_flags.webhook_timeout_ms < 1 || store_flags.webhook_timeout_ms > 600'000) {
    throw UsageError("--webhook-timeout-ms must be in 1..600000, got " + std::to_string(store_flags.webhook_timeout_ms));
  }
  if (store_flags.webhook_retry_max_ms < 250 || store_flags.webhook_retry_max_ms > 3'600'000) {
    throw UsageError("--webhook-retry-max-ms must be in 250..3600000, got " +
                     std::to_string(store_flags.webhook_retry_max_ms));
  }
  if (store_flags.webhook_failing_after < 1 || store_flags.webhook_failing_after > 1000) {
    throw UsageError("--webhook-failing-after must be in 1..1000, got " + std::to_string(store_flags.webhook_failing_after));
  }
  if (!store_flags.events_topic.empty() && log_options.kafka.empty()) {
    throw UsageError("--events-topic needs --kafka (over the embedded log, read GET /v1/events)");
  }
  if (store_flags.breaker_open_ms < 1 || store_flags.breaker_open_ms > 600'000) {
    throw UsageError("--breaker-open-ms must be in 1..600000, got " + std::to_string(store_flags.breaker_open_ms));
  }
  if (store_flags.admission_window > 1'000'000'000) {
    throw UsageError("--admission-window must be in 0..1000000000 commands, got " +
                     std::to_string(store_flags.admission_window));
  }
  Result<http::HostPort> listen = http::parse_host_port(http_address);
  if (!listen.ok()) throw UsageError("--http: " + listen.status().message());
  if (!group_flags.group.empty() && log_options.kafka.empty()) {
    throw UsageError("--group needs --kafka: the embedded log belongs to one process");
  }
  if (!group_flags.advertise.empty() && group_flags.group.empty()) {
    throw UsageError("--advertise is for members of a consumer group (--group)");
  }
  if (!group_flags.advertise.empty()) {
    if (Result<http::HostPort> a = http::parse_host_port(group_flags.advertise); !a.ok()) {
      throw UsageError("--advertise: " + a.status().message());
    }
  }
  // Clients sent here by another member use the advertised name.
  if (!group_flags.advertise.empty()) security.allow_hosts.push_back(group_flags.advertise);
  check_security_flags(security, *listen);
  const sigset_t stop_signals = block_stop_signals();
  return serve(log_options, store_flags, group_flags, security, *listen, stop_signals);
}

}  // namespace tally::cli
