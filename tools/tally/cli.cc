#include "tools/tally/cli.h"

#include <boost/program_options/parsers.hpp>

namespace po = boost::program_options;

namespace tally::cli {

po::variables_map parse_options(const Args& args, const po::options_description& desc) {
  const po::parsed_options parsed = po::command_line_parser(args).options(desc).run();
  for (const po::option& o : parsed.options) {
    if (o.position_key >= 0 && !o.value.empty()) {
      throw UsageError("unexpected argument \"" + o.value.front() + "\"");
    }
  }
  po::variables_map vm;
  po::store(parsed, vm);
  po::notify(vm);
  return vm;
}

}  // namespace tally::cli
