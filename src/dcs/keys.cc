#include "dcs/keys.h"

#include "common/check.h"
#include "common/strings.h"

namespace pghalo::dcs {

std::string collapse_slashes(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

KeyLayout::KeyLayout(std::string_view namespace_, std::string_view scope) {
  CHECK(!scope.empty()) << "the cluster scope must not be empty";
  base_ = collapse_slashes("/" + std::string(namespace_) + "/" + std::string(scope));
  prefix_ = base_ + "/";
}

std::string KeyLayout::prefix_end() const { return prefix_range_end(prefix_); }

std::string KeyLayout::member_key(const model::MemberName& name) const {
  return prefix_ + std::string(kMembersDir) + name.value;
}

std::optional<std::string> KeyLayout::relative(std::string_view full_key) const {
  if (full_key.size() <= prefix_.size() || full_key.substr(0, prefix_.size()) != prefix_) {
    return std::nullopt;
  }
  return std::string(full_key.substr(prefix_.size()));
}

std::optional<model::MemberName> member_name_of(std::string_view relative) {
  if (relative.substr(0, kMembersDir.size()) != kMembersDir) return std::nullopt;
  std::string_view name = relative.substr(kMembersDir.size());
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  return model::MemberName(std::string(name));
}

}  // namespace pghalo::dcs
