// The HTTP API's limits (docs/http-api.md "Limits"). Each error that one of
// them causes names the limit and the value that broke it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "engine/core/codec.h"
#include "projections/queries.h"

namespace tally::http {

// A request body, in bytes (413 beyond it).
inline constexpr size_t kMaxBodyBytes = 4u << 20;
// Request line plus headers, in bytes (431 beyond it).
inline constexpr uint32_t kMaxHeaderBytes = 16u << 10;
// Commands in one POST /v1/commands: one full record (400 beyond it).
inline constexpr size_t kMaxCommandsPerRequest = kMaxBatchCommands;
// How long POST /v1/commands with "wait" waits for outcomes, by default and at most.
inline constexpr std::chrono::milliseconds kDefaultWaitTimeout{10'000};
inline constexpr std::chrono::milliseconds kMaxWaitTimeout{60'000};
// Items in one page of history or pending transfers: default and maximum.
inline constexpr size_t kDefaultPageLimit = 100;
inline constexpr size_t kMaxPageLimit = kMaxPageSize;

}  // namespace tally::http
