// The report as text and as JSON.
#include <boost/json.hpp>
#include <cstdio>

#include "tools/reconcile/reconcile.h"

namespace tally::reconcile {
namespace {

std::string header(const Discrepancy& d) {
  std::string s = d.kind;
  if (d.partition) s += "  partition " + std::to_string(*d.partition);
  s += "  " + d.subject + " " + d.id;
  if (d.first_offset) s += "  first offset " + std::to_string(*d.first_offset);
  return s;
}

std::string stats_line(const Stats& s) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "checked %u partitions: %llu accounts, %llu transfers, %llu history entries, "
                "%llu offsets, %llu sagas in %.2f s (CPU %.2f s)",
                s.partitions, static_cast<unsigned long long>(s.accounts),
                static_cast<unsigned long long>(s.transfers),
                static_cast<unsigned long long>(s.history_entries),
                static_cast<unsigned long long>(s.offsets),
                static_cast<unsigned long long>(s.sagas), s.wall_seconds, s.cpu_seconds);
  std::string line = buf;
  if (s.stores_short_of_log > 0) {
    line += "; across partitions up to a consistent cut (" + std::to_string(s.stores_short_of_log) +
            " stores short of their log, " + std::to_string(s.sagas_in_flight_at_cut) +
            " sagas in flight at the cut)";
  }
  return line;
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out;
  for (const Discrepancy& d : report.discrepancies) {
    out += header(d) + "\n";
    out += "    expected: " + d.expected + "\n";
    out += "    found:    " + d.found + "\n";
    if (!d.detail.empty()) out += "    (" + d.detail + ")\n";
  }
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  out += "reconcile: " + stats_line(report.stats) + "\n";
  if (report.clean()) {
    out += "reconcile: clean\n";
  } else {
    out += "reconcile: " + std::to_string(report.total_discrepancies) + " discrepancies";
    if (report.discrepancies.size() < report.total_discrepancies) {
      out += " (the first " + std::to_string(report.discrepancies.size()) + " listed)";
    }
    out += "\n";
  }
  return out;
}

std::string render_json(const Report& report) {
  namespace json = boost::json;
  json::array list;
  for (const Discrepancy& d : report.discrepancies) {
    json::object o;
    o["kind"] = d.kind;
    o["partition"] = d.partition ? json::value(*d.partition) : json::value(nullptr);
    o["subject"] = d.subject;
    o["id"] = d.id;
    o["expected"] = d.expected;
    o["found"] = d.found;
    o["first_offset"] = d.first_offset ? json::value(*d.first_offset) : json::value(nullptr);
    o["detail"] = d.detail;
    list.push_back(std::move(o));
  }
  json::array notes;
  for (const std::string& n : report.notes) notes.push_back(json::value(n));
  const Stats& s = report.stats;
  json::object stats{{"partitions", s.partitions},      {"accounts", s.accounts},
                     {"transfers", s.transfers},        {"history_entries", s.history_entries},
                     {"offsets", s.offsets},            {"sagas", s.sagas},
                     {"sagas_in_flight_at_cut", s.sagas_in_flight_at_cut},
                     {"stores_short_of_log", s.stores_short_of_log},
                     {"wall_seconds", s.wall_seconds},  {"cpu_seconds", s.cpu_seconds}};
  json::object root{{"clean", report.clean()},
                    {"total_discrepancies", report.total_discrepancies},
                    {"discrepancies", std::move(list)},
                    {"notes", std::move(notes)},
                    {"stats", std::move(stats)}};
  return json::serialize(root) + "\n";
}

}  // namespace tally::reconcile
