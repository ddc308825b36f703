// Helpers shared by the HTTP integration tests: commands as JSON text and
// short renderings of answers, so that checks read like the behaviour.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace tally::test {

inline std::string account_json(const std::string& id, const std::string& flags = "") {
  return R"({"type":"create_account","id":")" + id + R"(","ledger":1,"code":10,"flags":[)" + flags + "]}";
}

inline std::string transfer_json(const std::string& id, const std::string& debit,
                                 const std::string& credit, const std::string& amount) {
  return R"({"type":"create_transfer","id":")" + id + R"(","debit_account_id":")" + debit +
         R"(","credit_account_id":")" + credit + R"(","amount":")" + amount + R"(","ledger":1,"code":1})";
}

inline std::string commands_body(const std::vector<std::string>& commands, bool wait) {
  std::string body = R"({"commands":[)";
  for (size_t i = 0; i < commands.size(); i++) body += (i ? "," : "") + commands[i];
  return body + R"(],"wait":)" + (wait ? "true" : "false") + "}";
}

// "created exists exceeds_credits": the outcomes of a POST /v1/commands answer.
inline std::string outcomes_of(const boost::json::value& answer) {
  std::string out;
  for (const auto& r : answer.at("results").as_array()) {
    const auto* o = r.as_object().if_contains("outcome");
    out += (out.empty() ? "" : " ") + (o ? std::string(o->as_string()) : std::string("-"));
  }
  return out;
}

inline std::string str(const boost::json::value& v, const char* key) {
  const auto& f = v.at(key);
  return f.is_string() ? std::string(f.as_string()) : boost::json::serialize(f);
}

// The value of the Prometheus sample `name_and_labels` in `text`, or -1.
inline long long metric(const std::string& text, const std::string& name_and_labels) {
  const std::string key = "\n" + name_and_labels + " ";
  const size_t at = ("\n" + text).find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + key.size() - 1));
}

}  // namespace tally::test
