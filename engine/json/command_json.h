// Commands as JSON (docs/http-api.md): the form producers send to
// `POST /v1/commands` and `tally produce`.
//
// u128 values travel as decimal strings; small integers (ledger, code,
// user_data_32, timeout) as JSON numbers; flags as a list of names. Unknown
// fields, unknown flags, wrong types and out-of-range numbers are errors that
// name the field. Only create_account and create_transfer are accepted from
// producers; the scheduler and sagas produce the other kinds themselves.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <iterator>
#include <string>
#include <string_view>

#include "engine/core/command.h"
#include "engine/core/status.h"

namespace tally {

// {"type":"create_transfer",...} -> Command, or invalid_argument.
Result<Command> command_from_json(const boost::json::value& json);
// One line of JSON text -> Command (parse errors name the position).
Result<Command> command_from_json_text(std::string_view text);
// Any command -> JSON (also the internal kinds, for tools that print them).
boost::json::object command_to_json(const Command& command);

// Appends a transfer's producer fields (id .. user_data_32, in the order
// responses show them) to `o`: the one mapping create_transfer commands and
// stored transfers (record_json.h) share.
void transfer_fields_to_json(const TransferFields& t, boost::json::object& o);

// Flag bits <-> names ("pending", ...); unknown names are errors.
boost::json::array flags_to_json(uint16_t flags, const FlagName* names, size_t count);
Result<uint16_t> flags_from_json(const boost::json::value& json, const FlagName* names,
                                 size_t count, std::string_view field);

// u128 <-> decimal string.
boost::json::string u128_to_json(u128 v);
Result<u128> u128_from_json(const boost::json::value& json, std::string_view field);

// Appends an account's producer fields (id, ledger, code, flags, user_data_*)
// to `o`, in the order responses show them: the one mapping that
// create_account commands (CreateAccount) and stored accounts (Account,
// record_json.h) share; `A` is either.
template <class A>
void account_fields_to_json(const A& a, boost::json::object& o) {
  o["id"] = u128_to_json(a.id.value());
  o["ledger"] = a.ledger;
  o["code"] = a.code;
  o["flags"] = flags_to_json(a.flags, kAccountFlagNames, std::size(kAccountFlagNames));
  o["user_data_128"] = u128_to_json(a.user_data_128);
  o["user_data_64"] = boost::json::string(std::to_string(a.user_data_64));
  o["user_data_32"] = a.user_data_32;
}

}  // namespace tally
