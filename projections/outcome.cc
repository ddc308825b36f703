#include "projections/outcome.h"

#include <string>

namespace tally {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
#define TALLY_OUTCOME_CASE(name, value) \
  case Outcome::name:                   \
    return #name;
    TALLY_OUTCOMES(TALLY_OUTCOME_CASE)
#undef TALLY_OUTCOME_CASE
  }
  return "unknown_outcome";
}

std::optional<Outcome> outcome_from_name(std::string_view name) {
#define TALLY_OUTCOME_FROM(n, value) \
  if (name == #n) return Outcome::n;
  TALLY_OUTCOMES(TALLY_OUTCOME_FROM)
#undef TALLY_OUTCOME_FROM
  return std::nullopt;
}

bool outcome_known(uint16_t value) {
  switch (value) {
#define TALLY_OUTCOME_KNOWN(name, v) case v:
    TALLY_OUTCOMES(TALLY_OUTCOME_KNOWN)
#undef TALLY_OUTCOME_KNOWN
    return true;
  }
  return false;
}

}  // namespace tally
