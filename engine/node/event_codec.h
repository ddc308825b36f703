// The change stream's events as Kafka messages (engine/schema/events.fbs,
// docs/events.md "On Kafka"): the one encoding the publisher writes and
// consumers read. Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "projections/change_events.h"

namespace tally {

// One Event buffer (file identifier "TLE1").
std::vector<uint8_t> encode_event(const ChangeEvent& e);

// The message key: the account the event is about (the command's routing
// account, in decimal; empty for a quarantined record).
std::string event_key(const ChangeEvent& e);

// Back from a message, verified: corruption naming the problem. The
// transfer, when present, holds the producer's fields, its timestamp,
// outcome created and the state it was created in.
Result<ChangeEvent> decode_event(std::span<const uint8_t> bytes);

}  // namespace tally
