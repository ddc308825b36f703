// The HTTP API's limits (docs/http-api.md "Limits"), under the names the
// HTTP code uses; the values and their relations are in engine/core/tally_limits.h.
// Each error that one of them causes names the limit and the value that
// broke it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "engine/core/codec.h"
#include "engine/core/tally_limits.h"
#include "projections/queries.h"

namespace tally::http {

// A request body, in bytes (413 beyond it).
inline constexpr size_t kMaxBodyBytes = limits::kMaxBodyBytes;
// Request line plus headers, in bytes (431 beyond it).
inline constexpr uint32_t kMaxHeaderBytes = limits::kMaxHeaderBytes;
// Commands in one POST /v1/commands: one full record (400 beyond it).
inline constexpr size_t kMaxCommandsPerRequest = limits::kMaxCommandsPerRequest;
// How long POST /v1/commands with "wait" waits for outcomes, by default and at most.
inline constexpr std::chrono::milliseconds kDefaultWaitTimeout = limits::kDefaultWaitTimeout;
inline constexpr std::chrono::milliseconds kMaxWaitTimeout = limits::kMaxWaitTimeout;
// Items in one page of history or pending transfers: default and maximum.
inline constexpr size_t kDefaultPageLimit = limits::kDefaultPageItems;
inline constexpr size_t kMaxPageLimit = limits::kMaxPageItems;

}  // namespace tally::http
