#include "config/tree.h"

#include <yaml-cpp/yaml.h>

#include "config/scalars.h"

namespace pghalo::config::internal {
namespace {

using Severity = Diagnostic::Severity;

// Anchors and aliases let a few lines expand into millions of nodes ("billion laughs"); a real
// configuration has a few hundred. The budget turns such a file into an error, not a hang.
constexpr int kMaxNodes = 100000;
constexpr int kMaxDepth = 64;

const char kStrTag[] = "tag:yaml.org,2002:str";

struct Converter {
  std::string file;
  std::vector<Diagnostic>* diagnostics;
  int budget = kMaxNodes;
  bool failed = false;

  Origin origin_of(const YAML::Node& node) const {
    YAML::Mark mark = node.Mark();
    if (mark.line < 0) return Origin{file, 0, 0, {}};
    return Origin{file, mark.line + 1, mark.column + 1, {}};
  }

  void fail(const Origin& origin, std::string message) {
    if (failed) return;
    failed = true;
    diagnostics->push_back(make_diagnostic(Severity::kError, origin, "", std::move(message)));
  }

  Node convert(const YAML::Node& in, const Origin& fallback, int depth) {
    Node out;
    out.origin = origin_of(in);
    if (--budget < 0) {
      fail(out.origin, "the document expands to more than 100000 values (anchors and aliases?)");
      return out;
    }
    if (depth > kMaxDepth) {
      fail(out.origin, "values are nested more than 64 levels deep");
      return out;
    }
    switch (in.Type()) {
      case YAML::NodeType::Scalar:
        return convert_scalar(in, std::move(out));
      case YAML::NodeType::Sequence:
        out.kind = Node::Kind::kSequence;
        for (const auto& item : in) out.items.push_back(convert(item, out.origin, depth + 1));
        return out;
      case YAML::NodeType::Map:
        out.kind = Node::Kind::kMap;
        convert_map(in, &out, depth);
        return out;
      default:
        // yaml-cpp marks an empty value at the next token; the key's position reads better.
        out.origin = fallback;
        return out;
    }
  }

  Node convert_scalar(const YAML::Node& in, Node out) {
    out.kind = Node::Kind::kScalar;
    out.text = in.Scalar();
    const std::string& tag = in.Tag();
    if (tag == "?") {
      out.plain = true;
    } else if (tag != "!" && tag != kStrTag) {
      fail(out.origin, "unsupported YAML tag '" + tag + "'");
    }
    if (out.plain && is_yaml_null(out.text)) out.kind = Node::Kind::kNull;
    return out;
  }

  void convert_map(const YAML::Node& in, Node* out, int depth) {
    for (const auto& pair : in) {
      Origin key_origin = origin_of(pair.first);
      if (!pair.first.IsScalar()) {
        fail(key_origin, "a map key must be a plain name, not " +
                             std::string(pair.first.IsMap() ? "a map" : "a list"));
        continue;
      }
      std::string key = pair.first.Scalar();
      Node value = convert(pair.second, key_origin, depth + 1);
      if (out->find(key) != nullptr) {
        diagnostics->push_back(make_diagnostic(
            Severity::kWarning, key_origin, key,
            "the key appears more than once in its section; the last value is used"));
      }
      out->set(std::move(key), std::move(value), key_origin);
    }
  }
};

}  // namespace

const Entry* Node::find(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

Entry* Node::find(std::string_view key) {
  for (auto& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

Entry& Node::set(std::string key, Node value, Origin key_origin) {
  if (Entry* existing = find(key)) {
    existing->value = std::move(value);
    existing->key_origin = std::move(key_origin);
    return *existing;
  }
  entries.push_back(Entry{std::move(key), std::move(key_origin), std::move(value)});
  return entries.back();
}

void Node::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      entries.erase(it);
      return;
    }
  }
}

std::string_view kind_name(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull:
      return "empty";
    case Node::Kind::kScalar:
      return "a scalar";
    case Node::Kind::kSequence:
      return "a list";
    case Node::Kind::kMap:
      return "a map";
  }
  return "unknown";
}

Node make_map(Origin origin) {
  Node node;
  node.kind = Node::Kind::kMap;
  node.origin = std::move(origin);
  return node;
}

Node make_scalar(std::string text, bool plain, Origin origin) {
  Node node;
  node.kind = Node::Kind::kScalar;
  node.text = std::move(text);
  node.plain = plain;
  node.origin = std::move(origin);
  return node;
}

std::optional<Node> parse_yaml_value(const std::string& text, const std::string& file,
                                     std::vector<Diagnostic>* diagnostics) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    Origin origin{
        file, e.mark.line < 0 ? 0 : e.mark.line + 1, e.mark.column < 0 ? 0 : e.mark.column + 1, {}};
    diagnostics->push_back(
        make_diagnostic(Severity::kError, origin, "", "YAML syntax error: " + e.msg));
    return std::nullopt;
  } catch (const std::exception& e) {
    diagnostics->push_back(make_diagnostic(Severity::kError, Origin{file, 0, 0, {}}, "",
                                           std::string("cannot parse YAML: ") + e.what()));
    return std::nullopt;
  }
  Origin start{file, 1, 1, {}};
  if (documents.empty()) return Node{Node::Kind::kNull, {}, false, {}, {}, start};
  if (documents.size() > 1) {
    Origin second{file, documents[1].Mark().line + 1, documents[1].Mark().column + 1, {}};
    diagnostics->push_back(make_diagnostic(Severity::kError, second, "",
                                           "expected a single YAML document, found several"));
    return std::nullopt;
  }
  Converter converter{file, diagnostics};
  Node root = converter.convert(documents[0], start, 0);
  if (converter.failed) return std::nullopt;
  return root;
}

std::optional<Node> parse_yaml(const std::string& text, const std::string& file,
                               std::vector<Diagnostic>* diagnostics) {
  std::optional<Node> root = parse_yaml_value(text, file, diagnostics);
  if (!root) return std::nullopt;
  if (root->is_null()) return make_map(root->origin);
  if (!root->is_map()) {
    diagnostics->push_back(make_diagnostic(
        Severity::kError, root->origin, "",
        "the configuration must be a map of sections, not " + std::string(kind_name(*root))));
    return std::nullopt;
  }
  return root;
}

void merge_into(Node* base, const Node& overlay) {
  if (!base->is_map() || !overlay.is_map()) {
    *base = overlay;
    return;
  }
  for (const auto& entry : overlay.entries) {
    if (entry.value.is_null()) {
      base->erase(entry.key);
      continue;
    }
    Entry* existing = base->find(entry.key);
    if (existing != nullptr && existing->value.is_map() && entry.value.is_map()) {
      merge_into(&existing->value, entry.value);
    } else {
      base->set(entry.key, entry.value, entry.key_origin);
    }
  }
}

nlohmann::json to_json(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull:
      return nullptr;
    case Node::Kind::kScalar:
      return node.plain ? resolve_plain_scalar(node.text) : nlohmann::json(node.text);
    case Node::Kind::kSequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node.items) out.push_back(to_json(item));
      return out;
    }
    case Node::Kind::kMap: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node.entries) out[entry.key] = to_json(entry.value);
      return out;
    }
  }
  return nullptr;
}

const Entry* find_path(const Node& root, std::string_view dotted) {
  if (!root.is_map()) return nullptr;
  const Entry* best = nullptr;
  for (const auto& entry : root.entries) {
    std::string_view key = entry.key;
    if (dotted == key) return &entry;
    bool prefix = dotted.size() > key.size() && dotted.substr(0, key.size()) == key &&
                  dotted[key.size()] == '.';
    if (prefix && (best == nullptr || key.size() > best->key.size())) best = &entry;
  }
  if (best == nullptr) return nullptr;
  return find_path(best->value, dotted.substr(best->key.size() + 1));
}

Diagnostic make_diagnostic(Diagnostic::Severity severity, const Origin& origin, std::string key,
                           std::string message) {
  Diagnostic d;
  d.severity = severity;
  d.file = origin.file;
  d.line = origin.line;
  d.column = origin.column;
  d.key = std::move(key);
  d.message = std::move(message);
  if (!origin.variable.empty()) d.message += " (from " + origin.variable + ")";
  return d;
}

}  // namespace pghalo::config::internal
