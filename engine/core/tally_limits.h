// Named tally_limits.h, not limits.h: the engine/core include path would
// let <climits> pick up a file named limits.h.
//
// Tally's limits, in one place, each with its unit. The headers that used
// to define them (engine/core/codec.h, projections/queries.h,
// engine/http/api_limits.h, engine/http/server.h, engine/json/strict_json.h,
// engine/node/node.h, recovery/sagas.h) re-export
// these under their old names, so a limit is written once. The relations
// between them are checked below at compile time; docs/http-api.md "Limits"
// and docs/schema.md state them for users.
//
// Changing a value here changes what clients may send (batch, body, page),
// and the saga schedule is part of the state machine: changing it changes
// what a replay of an existing log produces.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tally::limits {

// --- records (engine/core/codec.h) ---
// Commands in one log record: a full batch of transfers fits Kafka's
// default message limit (the codec test checks the real encoding).
inline constexpr size_t kMaxBatchCommands = 8189;
// Bytes in one encoded record.
inline constexpr size_t kMaxRecordBytes = size_t{1} << 20;  // 1 MiB
// Kafka's default message.max.bytes, in bytes: a record must fit it.
inline constexpr size_t kKafkaDefaultMessageBytes = 1'000'000;
// Bytes one encoded create_transfer takes in a record, rounded up (a full
// record of 8,189 is 990,920 bytes with its header: tests/unit/codec_test.cc).
inline constexpr size_t kEncodedTransferBytes = 121;

// --- HTTP API (engine/http/api_limits.h) ---
// A request body, in bytes (413 beyond it).
inline constexpr size_t kMaxBodyBytes = size_t{4} << 20;  // 4 MiB
// Request line plus headers, in bytes (431 beyond it).
inline constexpr uint32_t kMaxHeaderBytes = uint32_t{16} << 10;  // 16 KiB
// Commands in one POST /v1/commands: one full record (400 beyond it).
inline constexpr size_t kMaxCommandsPerRequest = kMaxBatchCommands;
// JSON bytes per command that a full request may use within the body limit.
inline constexpr size_t kJsonBytesPerCommand = 512;
// How long POST /v1/commands with "wait" waits for outcomes, by default and
// at most, in milliseconds.
inline constexpr std::chrono::milliseconds kDefaultWaitTimeout{10'000};
inline constexpr std::chrono::milliseconds kMaxWaitTimeout{60'000};

// Nesting depth of a JSON document, in levels (400 beyond it).
inline constexpr size_t kMaxJsonDepth = 32;

// --- HTTP connections: ServerOptions defaults (engine/http/server.h) ---
// Open connections served in full, in all and from one client address.
inline constexpr size_t kDefaultMaxConnections = 1024;
inline constexpr size_t kDefaultMaxConnectionsPerClient = 256;
// Connections beyond those served /health and /metrics only.
inline constexpr size_t kDefaultOverflowConnections = 4096;
// Seconds an overflow connection may take to send its one request.
inline constexpr std::chrono::seconds kDefaultOverflowTimeout{1};
// Seconds a connection may go without a complete request: normally, and
// while over 3/4 of the connections are open.
inline constexpr std::chrono::seconds kDefaultIdleTimeout{60};
inline constexpr std::chrono::seconds kDefaultBusyIdleTimeout{5};
// Seconds stop() lets requests in progress finish.
inline constexpr std::chrono::seconds kDefaultShutdownGrace{15};

// --- queries (projections/queries.h) ---
// Items in one page of history, pending transfers or stuck sagas: default
// and maximum (the maximum is the batch size, as a page of what one
// request may create).
inline constexpr size_t kDefaultPageItems = 100;
inline constexpr size_t kMaxPageItems = kMaxBatchCommands;

// --- admission (engine/node/node.h, recovery/in_flight.h) ---
// NodeOptions::admission_window by default, in commands in flight in a
// node (0 turns admission off).
inline constexpr uint64_t kDefaultAdmissionWindow = 32'768;
// How long an append with no deadline waits for admission, in seconds.
inline constexpr std::chrono::seconds kDefaultAdmissionWait{30};

// --- saga re-drive schedule (recovery/sagas.h), in nanoseconds of log time ---
inline constexpr uint64_t kSagaFirstDeadlineNs = 5'000'000'000ull;  // 5 s after the start
inline constexpr uint64_t kSagaMaxIntervalNs = 300'000'000'000ull;  // 5 min
// Credit-leg sends before cancelling, and sends in all before "stuck".
inline constexpr uint32_t kSagaCreditAttempts = 5;
inline constexpr uint32_t kSagaStuckAttempts = 10;

// --- relations ---
static_assert(kMaxBatchCommands * kEncodedTransferBytes <= kKafkaDefaultMessageBytes,
              "a full record of transfers must fit Kafka's default message size");
static_assert(kKafkaDefaultMessageBytes <= kMaxRecordBytes,
              "every record Kafka accepts by default must be one the codec accepts");
static_assert(kMaxCommandsPerRequest <= kMaxBatchCommands,
              "one request's commands for one partition must fit one record");
static_assert(kMaxCommandsPerRequest * kJsonBytesPerCommand <= kMaxBodyBytes,
              "a full request must fit the body limit");
static_assert(kMaxHeaderBytes < kMaxBodyBytes, "headers are bounded below the body");
static_assert(kDefaultWaitTimeout <= kMaxWaitTimeout, "the default wait is within the maximum");
static_assert(kDefaultMaxConnectionsPerClient <= kDefaultMaxConnections,
              "one client cannot hold more than all the connections");
static_assert(kDefaultBusyIdleTimeout <= kDefaultIdleTimeout && kDefaultOverflowTimeout <= kDefaultBusyIdleTimeout,
              "the idle timeouts shorten as connections fill");
static_assert(kDefaultPageItems >= 1 && kDefaultPageItems <= kMaxPageItems,
              "the default page is a valid page");
static_assert(kDefaultAdmissionWindow >= kMaxBatchCommands,
              "a full record fits the window (an empty node admits any size, but a smaller "
              "window would let no full record share the node)");
static_assert(kSagaFirstDeadlineNs <= kSagaMaxIntervalNs, "the backoff starts below its cap");
static_assert(kSagaCreditAttempts >= 1 && kSagaCreditAttempts < kSagaStuckAttempts,
              "a saga is cancelled before it counts as stuck");

}  // namespace tally::limits
