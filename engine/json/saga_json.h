// Sagas and transit accounts as JSON (GET /v1/sagas/{id}, GET /v1/transit,
// `tally query saga|transit --json`), in the conventions of record_json.h:
// u128 values and timestamps as decimal strings, small integers as numbers.
// Thread-safe: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <vector>

#include "recovery/saga_status.h"

namespace tally {

// "in_flight", "completed", "compensated".
std::string_view saga_state_name(SagaState state);
// "credited", "rejected", "cancelled".
std::string_view leg_decision_name(LegDecision decision);

// {"id":"1001","state":"completed","stuck":false,"source_partition":1,
//  "destination_partition":3,"debit_account_id":"..","credit_account_id":"..",
//  "amount":"250","ledger":1,"code":1,"started":"..","settled":"..",
//  "result":"created","sends":1,"cancel_sent":false,
//  "transit":{"source":"..","destination":".."},
//  "destination":{"partition":3,"decision":"credited","result":"created","timestamp":".."},
//  "steps":[{"step":"reserved","partition":1,"timestamp":".."}, ...]}
// "settled" and "result" once settled; "next_deadline" while in flight;
// "destination" once the destination decided. Steps, in order: reserved,
// credit_leg_sent (with "sends"), cancel_sent (if the source gave up), the
// destination's decision (credited, rejected or cancelled, with "result"),
// then posted or voided.
boost::json::object saga_to_json(const SagaStatus& s);

// {"accounts":[{"partition":1,"peer":3, <account_to_json fields>}, ...],
//  "flows":[{"from":1,"to":3,"ledger":1,"source_transit":"..",
//            "destination_transit":"..","reserved":"0","completed":"250",
//            "credited":"250","settled":true}, ...],
//  "settled":true}
// "settled" (top level): every flow is.
boost::json::object transit_to_json(const std::vector<Account>& accounts,
                                    const std::vector<TransitFlow>& flows, uint32_t partition_count);

}  // namespace tally
