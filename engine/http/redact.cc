#include "engine/http/redact.h"

#include <algorithm>
#include <filesystem>

namespace tally::http {

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool starts_token(const std::string& text, size_t i) {
  if (i == 0) return true;
  const char c = text[i - 1];
  return c == ' ' || c == '"' || c == '\'' || c == '(' || c == '=' || c == ':' || c == '[' || c == '\t';
}

bool ends_token(char c) {
  return c == ' ' || c == '"' || c == '\'' || c == ')' || c == ',' || c == ';' || c == ']' || c == '\\' || c == ':' ||
         c == '\t' || c == '\n';
}

bool is_route(std::string_view token) {
  return token.starts_with("/v1/") || token == "/v1" || token.starts_with("/health") ||
         token.starts_with("/metrics");
}

// "/a/b" and longer: two segments at least, so "/" and "/x" in prose stay.
bool is_host_path(std::string_view token) {
  return token.size() > 3 && std::count(token.begin(), token.end(), '/') >= 2 && !is_route(token) &&
         token[1] != '/' && token[1] != ' ';
}

void redact_any_path(std::string& text) {
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] != '/' || !starts_token(text, i)) continue;
    size_t end = i;
    while (end < text.size() && !ends_token(text[end])) end++;
    if (is_host_path(std::string_view(text).substr(i, end - i))) {
      text.replace(i, end - i, "<path>");
      i += 5;
    } else {
      i = end;
    }
  }
}

}  // namespace

std::string redact(std::string_view text, const std::vector<Redaction>& known, bool any_path) {
  std::string out(text);
  for (const Redaction& r : known) replace_all(out, r.path, r.label);
  if (any_path) redact_any_path(out);
  return out;
}

std::vector<Redaction> redactions_for(const std::vector<Redaction>& dirs) {
  std::vector<Redaction> out;
  for (const Redaction& d : dirs) {
    if (d.path.empty()) continue;
    std::error_code ec;
    const std::string absolute = std::filesystem::absolute(d.path, ec).lexically_normal().string();
    for (std::string p : {d.path, absolute, std::filesystem::weakly_canonical(d.path, ec).string()}) {
      while (p.size() > 1 && p.back() == '/') p.pop_back();
      if (p.size() > 1 && p[0] == '/' && std::none_of(out.begin(), out.end(), [&](const Redaction& r) { return r.path == p; })) {
        out.push_back({p, d.label});
      }
    }
  }
  // Longest first, so a path inside another is replaced by its own label.
  std::sort(out.begin(), out.end(), [](const Redaction& a, const Redaction& b) { return a.path.size() > b.path.size(); });
  return out;
}

}  // namespace tally::http
