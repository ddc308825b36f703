#include "engine/json/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <set>
#include <string>
#include <vector>

namespace tally {
namespace json = boost::json;

namespace {

using boost::system::error_code;
using sv = json::string_view;

// A basic_parser handler that builds nothing: it only remembers, per open
// object, the keys seen, and stops at the first repeated one.
class DuplicateFinder {
 public:
  static constexpr size_t max_object_size = size_t(-1);
  static constexpr size_t max_array_size = size_t(-1);
  static constexpr size_t max_key_size = size_t(-1);
  static constexpr size_t max_string_size = size_t(-1);

  std::string duplicate;  // the repeated key, once found
  std::string where;      // the path of the object that repeats it

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return open(true); }
  bool on_object_end(size_t, error_code&) { return close(); }
  bool on_array_begin(error_code&) { return open(false); }
  bool on_array_end(size_t, error_code&) { return close(); }
  bool on_key_part(sv s, size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_).second) {
      duplicate = key_;
      where = path();
      ec = json::error::syntax;
      return false;
    }
    f.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(sv, size_t, error_code&) { return true; }
  bool on_string(sv, size_t, error_code&) { return scalar(); }
  bool on_number_part(sv, error_code&) { return true; }
  bool on_int64(int64_t, sv, error_code&) { return scalar(); }
  bool on_uint64(uint64_t, sv, error_code&) { return scalar(); }
  bool on_double(double, sv, error_code&) { return scalar(); }
  bool on_bool(bool, error_code&) { return scalar(); }
  bool on_null(error_code&) { return scalar(); }
  bool on_comment_part(sv, error_code&) { return true; }
  bool on_comment(sv, error_code&) { return true; }

 private:
  struct Frame {
    bool object = false;
    std::set<std::string> keys;
    std::string key;   // the current member's key (objects)
    size_t index = 0;  // the current element's index (arrays)
  };

  bool open(bool object) {
    frames_.push_back(Frame{.object = object});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return scalar();
  }
  // A value ended: the enclosing array moves to its next element.
  bool scalar() {
    if (!frames_.empty() && !frames_.back().object) frames_.back().index++;
    return true;
  }
  // "commands[0]" for the innermost object; "the body" at the top.
  std::string path() const {
    std::string out;
    for (size_t i = 0; i + 1 < frames_.size(); i++) {
      const Frame& f = frames_[i];
      if (f.object) {
        out += (out.empty() ? "" : ".") + f.key;
      } else {
        out += "[" + std::to_string(f.index) + "]";
      }
    }
    return out.empty() ? "the top-level object" : out;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

std::string shown(const std::string& key) {
  constexpr size_t kMaxShown = 64;
  return key.size() <= kMaxShown ? key : key.substr(0, kMaxShown) + "...";
}

}  // namespace

Result<json::value> parse_json_strict(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::basic_parser<DuplicateFinder> finder(options);
  error_code ec;
  const size_t used = finder.write_some(false, text.data(), text.size(), ec);
  if (!finder.handler().duplicate.empty()) {
    return Status::InvalidArgument("duplicate key \"" + shown(finder.handler().duplicate) + "\" in " +
                                   finder.handler().where + " (each key may appear once)");
  }
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(used) + ": " + ec.message());
  }
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return Status::InvalidArgument("malformed JSON: " + ec.message());
  return v;
}

}  // namespace tally
