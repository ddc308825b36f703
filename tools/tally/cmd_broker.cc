// tally broker: librdkafka's mock Kafka cluster in its own process.
//
// It speaks the real Kafka protocol on loopback, so Tally's KafkaLog, kcat
// and any other client talk to it as to Kafka. It is NOT Kafka: it keeps
// everything in memory, about 5 MiB (or 100,000 message sets) per partition,
// dropping the oldest beyond that, and is for development and tests only.
//
// Prints its bootstrap address as one line on stdout, then runs until
// SIGINT/SIGTERM (the end of stdin only ends the control channel). Lines on
// stdin inject faults, each answered by one line "ok ..." or "error: ...":
//   down BROKER_ID | up BROKER_ID | rtt BROKER_ID MS |
//   error API_KEY COUNT ERROR_CODE   (push COUNT errors for requests API_KEY)
//   clear API_KEY
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/tally/cli.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Applies one fault-injection line; returns a reply for stdout.
std::string control(rd_kafka_mock_cluster_t* mc, const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  int a = 0, b = 0, c = 0;
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (verb == "down" && in >> a) {
    e = rd_kafka_mock_broker_set_down(mc, a);
  } else if (verb == "up" && in >> a) {
    e = rd_kafka_mock_broker_set_up(mc, a);
  } else if (verb == "rtt" && in >> a >> b) {
    e = rd_kafka_mock_broker_set_rtt(mc, a, b);
  } else if (verb == "error" && in >> a >> b >> c && b > 0 && b <= 100000) {
    // COUNT copies of the code: the variadic push reads COUNT codes, so it
    // must not be given fewer (it used to read garbage past the one code).
    const std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(b), static_cast<rd_kafka_resp_err_t>(c));
    rd_kafka_mock_push_request_errors_array(mc, static_cast<int16_t>(a), errors.size(), errors.data());
  } else if (verb == "clear" && in >> a) {
    rd_kafka_mock_clear_request_errors(mc, static_cast<int16_t>(a));
  } else {
    return "error: unknown control line \"" + line + "\"";
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return std::string("error: ") + rd_kafka_err2str(e);
  return "ok " + line;
}

}  // namespace

int broker_main(const Args& args) {
  uint32_t partitions = 8;
  int brokers = 1;
  std::string topic = "tally.commands";
  std::string events_topic = "tally.events";
  po::options_description desc(
      "tally broker: librdkafka's mock Kafka cluster, in memory, about 5 MiB kept per\n"
      "partition; for development and tests only. Prints its bootstrap address.\nOptions");
  desc.add_options()("help,h", "this help")
      ("partitions", po::value(&partitions)->default_value(8), "partitions of the topic")
      ("topic", po::value(&topic)->default_value("tally.commands"), "topic to create")
      ("events-topic", po::value(&events_topic)->default_value("tally.events"),
       "a second topic with the same partitions, for tally serve --events-topic (\"\": none)")
      ("brokers", po::value(&brokers)->default_value(1), "mock brokers in the cluster");
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (partitions == 0 || partitions > 1000) throw UsageError("--partitions must be in 1..1000");
  if (brokers < 1 || brokers > 9) throw UsageError("--brokers must be in 1..9");

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) throw Failure(std::string("creating the mock cluster's handle: ") + err);
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) throw Failure("creating the mock cluster failed");
  std::vector<std::string> topics{topic};
  if (!events_topic.empty() && events_topic != topic) topics.push_back(events_topic);
  for (const std::string& t : topics) {
    const rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, t.c_str(), static_cast<int>(partitions), 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) throw Failure("creating topic " + t + ": " + rd_kafka_err2str(e));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);

  std::string pending;
  bool stdin_open = true;
  while (!g_stop) {
    pollfd p{0, POLLIN, 0};
    const int r = stdin_open ? poll(&p, 1, 200) : (usleep(200000), 0);
    if (r <= 0) continue;
    char buf[1024];
    const ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) {
      stdin_open = false;  // no control channel; run until a signal
      continue;
    }
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty()) std::printf("%s\n", control(mc, line).c_str());
      std::fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}

}  // namespace tally::cli
