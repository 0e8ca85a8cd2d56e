// Reading NetworkPolicy, CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy documents into
// the IR, literally: one IR rule per rule of the input, for its own side only. The API's rules
// are checked here as the API server (or Cilium's CRD schema) would check them, so that an input
// the cluster would refuse is refused with a located error rather than imported.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <fmt/format.h>

#include "import/import.h"
#include "import/yaml_node.h"
#include "ir/deny.h"
#include "net/names.h"

namespace fence::import {

std::string Source::str() const {
  if (!label.empty()) return label;
  return ns.empty() ? fmt::format("{} {}", kind, name) : fmt::format("{} {}/{}", kind, ns, name);
}

namespace {

constexpr const char* kNameLabel = "kubernetes.io/metadata.name";
constexpr std::string_view kCiliumNamespace = "io.kubernetes.pod.namespace";
constexpr std::string_view kCiliumNamespaceLabels = "io.cilium.k8s.namespace.labels.";

// Thrown out of an object when it cannot be imported; the diagnostic is reported already.
struct Refused {};

class Reader {
 public:
  Reader(const SourceManager& sm, const ReadOptions& opt, DiagnosticSink& sink, Imported& out) : sm_(sm), opt_(opt), sink_(sink), out_(out) {}

  void file(FileId f);

 private:
  // ---- the object being read ----
  struct Object {
    std::string kind;
    std::string ns;
    std::string name;
    bool cluster = false;
    std::size_t source = 0;
  };

  void document(const YNode& doc);
  void object(const YNode& doc, const std::string& kind);
  void network_policy(const YNode& spec, const Object& o);
  void cilium_policy(const YNode& spec, const Object& o, const std::string& path);

  // ---- diagnostics ----
  [[noreturn]] void refuse(Code code, const YNode& at, const std::string& path, const std::string& message, const std::string& hint = {});
  std::string where(const std::string& path) const { return fmt::format("{}, {}", current_.str(), path); }
  void only_keys(const YNode& n, const std::string& path, std::initializer_list<std::string_view> known,
                 std::initializer_list<std::string_view> inexpressible = {});
  const YNode& map_at(const YNode& n, const std::string& path);
  const std::vector<YNode>& seq_at(const YNode& n, const std::string& path);
  std::string string_at(const YNode& n, const std::string& path);

  // ---- values ----
  net::LabelSelector label_selector(const YNode& n, const std::string& path, bool cilium, net::LabelSelector* ns_part, std::optional<std::string>* ns_name,
                                    bool* ns_any);
  std::optional<net::Requirement> requirement(const YNode& key_node, std::string key, const std::string& op, std::vector<std::string> values,
                                              const YNode& at, const std::string& path);
  ir::CidrBlock cidr_block(const YNode& cidr, const YNode* except, const std::string& path);
  net::Cidr cidr(const YNode& n, const std::string& path);
  std::vector<net::Port> np_ports(const YNode& n, const std::string& path);
  net::Port np_port(const YNode& n, const std::string& path);

  // ---- Cilium ----
  struct CiliumRule {
    std::vector<ir::Peer> peers;
    bool every_peer = false;  // no L3 part
    struct PortGroup {
      std::vector<net::Port> ports;
      std::vector<ir::HttpRule> http;
      std::vector<std::string> dns;  // rules.dns patterns
      Span dns_span;
    };
    std::vector<PortGroup> ports;  // empty: every port
  };
  CiliumRule cilium_rule(const YNode& n, const std::string& path, bool ingress, bool deny, const Object& o);
  ir::Endpoint cilium_endpoint(const YNode& n, const std::string& path, const Object& o, bool subject);
  std::vector<net::Port> cilium_ports(const YNode& n, const std::string& path);

  void add_rule(const Object& o, ir::Direction d, ir::Action a, const ir::Endpoint& subject, std::vector<ir::Peer> peers, std::vector<net::Port> ports,
                std::vector<ir::HttpRule> http, Span span);
  void add_default_deny(const Object& o, bool egress, bool ingress, std::optional<ir::Endpoint> subject, Span span);

  const SourceManager& sm_;
  const ReadOptions& opt_;
  DiagnosticSink& sink_;
  Imported& out_;
  Source current_;

 public:
  // toFQDNs allows nothing unless Cilium's DNS proxy sees the pods' lookups of the name: a DNS
  // rule (rules.dns) of some policy for those pods. Checked once every document is read.
  struct DnsRule {
    ir::Scope scope;
    ir::Endpoint subject;
    std::set<std::string> names;  // "*" for every name
  };
  struct FqdnUse {
    ir::Scope scope;
    ir::Endpoint subject;
    std::string name;
    Span span;
    std::string where;
  };
  void check_fqdns();

 private:
  std::vector<DnsRule> dns_rules_;
  std::vector<FqdnUse> fqdn_uses_;
  // Objects seen, for documents that define one object twice: (kind, namespace, name) -> where.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> seen_;
};

void Reader::refuse(Code code, const YNode& at, const std::string& path, const std::string& message, const std::string& hint) {
  auto& d = sink_.error(code, at.span.valid() ? at.span : current_.span, fmt::format("{}: {}", where(path), message));
  if (!hint.empty()) d.hint(hint);
  throw Refused{};
}

void Reader::only_keys(const YNode& n, const std::string& path, std::initializer_list<std::string_view> known,
                       std::initializer_list<std::string_view> inexpressible) {
  for (const auto& [k, v] : n.entries) {
    if (!k.is_scalar()) refuse(Code::E0904, k, path, "a key must be a string");
    if (std::find(known.begin(), known.end(), k.scalar) != known.end()) continue;
    auto field = path.empty() ? k.scalar : path + "." + k.scalar;
    if (std::find(inexpressible.begin(), inexpressible.end(), k.scalar) != inexpressible.end()) {
      if (v.is_null() || (v.is_seq() && v.items.empty())) continue;  // absent in effect
      refuse(Code::E0903, k, field, fmt::format("Fence has no construct for `{}`, so this object cannot be imported exactly", k.scalar),
             "leave this object out of the import and keep it as YAML, or rewrite it without this field");
    }
    std::vector<std::string> names(known.begin(), known.end());
    refuse(Code::E0905, k, field, fmt::format("there is no field `{}` here", k.scalar), fmt::format("the fields are {}", fmt::join(names, ", ")));
  }
}

const YNode& Reader::map_at(const YNode& n, const std::string& path) {
  if (!n.is_map()) refuse(Code::E0904, n, path, "expected a mapping");
  return n;
}

const std::vector<YNode>& Reader::seq_at(const YNode& n, const std::string& path) {
  static const std::vector<YNode> none;
  if (n.is_null()) return none;
  if (!n.is_seq()) refuse(Code::E0904, n, path, "expected a list");
  return n.items;
}

std::string Reader::string_at(const YNode& n, const std::string& path) {
  if (!n.is_scalar()) refuse(Code::E0904, n, path, "expected a string");
  return n.scalar;
}

// =============================================================================================
// Documents

void Reader::file(FileId f) {
  for (const auto& doc : parse_yaml(f, sm_, sink_)) document(doc);
}

void Reader::document(const YNode& doc) {
  if (doc.is_null()) return;
  current_ = Source{"", "", "", doc.span, ""};
  try {
    if (!doc.is_map()) refuse(Code::E0904, doc, "the document", "expected a Kubernetes object (a mapping with apiVersion and kind)");
    const auto* kind = doc.get("kind");
    std::string k = kind != nullptr && kind->is_scalar() ? kind->scalar : std::string();
    if (k == "List" || (k.size() > 4 && k.substr(k.size() - 4) == "List")) {
      // `kubectl get -o yaml` prints a List; NetworkPolicyList and the like hold the same.
      if (const auto* items = doc.get("items")) {
        for (const auto& item : seq_at(*items, "items")) document(item);
      }
      return;
    }
    // Network policies of other APIs (ClusterNetworkPolicy and AdminNetworkPolicy of
    // policy.networking.k8s.io, Calico's, Antrea's): skipping one would import less than the
    // cluster enforces, so it is refused.
    const auto* api = doc.get("apiVersion");
    std::string group = api != nullptr && api->is_scalar() ? api->scalar.substr(0, api->scalar.find('/')) : std::string();
    bool read = (k == "NetworkPolicy" && (group == "networking.k8s.io" || group == "extensions")) ||
                ((k == "CiliumNetworkPolicy" || k == "CiliumClusterwideNetworkPolicy") && group == "cilium.io") || group.empty();
    if (!read && k.find("NetworkPolicy") != std::string::npos) {
      current_.kind = k;
      if (const auto* meta = doc.get("metadata"); meta != nullptr && meta->is_map()) {
        if (const auto* name = meta->get("name"); name != nullptr && name->is_scalar()) current_.name = name->scalar;
        if (const auto* ns = meta->get("namespace"); ns != nullptr && ns->is_scalar()) current_.ns = ns->scalar;
      }
      refuse(Code::E0903, *kind, "kind",
             fmt::format("a {} of {} is a network policy that fence import cannot read: leaving it out would import less than the cluster "
                         "enforces",
                         k, api->scalar),
             "fence import reads NetworkPolicy (networking.k8s.io/v1), CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2): "
             "import the other files without this one, and keep it as YAML next to the program");
    }
    if (k != "NetworkPolicy" && k != "CiliumNetworkPolicy" && k != "CiliumClusterwideNetworkPolicy") {
      sink_.warning(Code::W0901, kind != nullptr ? kind->span : doc.span,
                    k.empty() ? std::string("this document has no kind, so it is not a network policy: skipped")
                              : fmt::format("a {} is not a network policy: skipped", k))
          .hint("fence import reads NetworkPolicy, CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy");
      return;
    }
    object(doc, k);
  } catch (const Refused&) {
  }
}

void Reader::object(const YNode& doc, const std::string& kind) {
  bool cilium = kind != "NetworkPolicy";
  current_.kind = kind;
  const auto* api = doc.get("apiVersion");
  std::string want = cilium ? "cilium.io/v2" : "networking.k8s.io/v1";
  if (api == nullptr) refuse(Code::E0904, doc, "apiVersion", "the object has no apiVersion");
  if (string_at(*api, "apiVersion") != want) {
    refuse(Code::E0904, *api, "apiVersion", fmt::format("a {} is {}, not {}", kind, want, api->scalar));
  }
  const auto* meta = doc.get("metadata");
  if (meta == nullptr) refuse(Code::E0904, doc, "metadata", "the object has no metadata");
  map_at(*meta, "metadata");
  const auto* name = meta->get("name");
  if (name == nullptr) refuse(Code::E0904, *meta, "metadata.name", "the object has no name");
  current_.name = string_at(*name, "metadata.name");
  if (auto why = net::check_dns_subdomain(current_.name); !why.empty()) {
    refuse(Code::E0904, *name, "metadata.name", fmt::format("'{}' is not a valid object name: {}", current_.name, why));
  }
  Object o;
  o.kind = kind;
  o.name = current_.name;
  o.cluster = kind == "CiliumClusterwideNetworkPolicy";
  const auto* ns = meta->get("namespace");
  if (o.cluster) {
    if (ns != nullptr && !ns->is_null()) refuse(Code::E0904, *ns, "metadata.namespace", "a cluster-wide policy has no namespace");
  } else if (ns != nullptr && !ns->is_null()) {
    o.ns = string_at(*ns, "metadata.namespace");
    if (auto why = net::check_dns_label(o.ns); !why.empty()) {
      refuse(Code::E0904, *ns, "metadata.namespace", fmt::format("'{}' is not a valid namespace name: {}", o.ns, why));
    }
  } else {
    o.ns = opt_.namespace_name.value_or("default");
    if (!opt_.namespace_name) {
      sink_.warning(Code::W0906, name->span, fmt::format("{} {} has no namespace: imported into '{}', where `kubectl apply` puts it by default",
                                                          kind, o.name, o.ns))
          .hint("give the namespace in the YAML, or choose one for every such object with --namespace");
    }
  }
  current_.ns = o.ns;
  for (const auto& [k, _] : doc.entries) {
    static const std::set<std::string, std::less<>> top = {"apiVersion", "kind", "metadata", "spec", "specs", "description", "status"};
    if (!k.is_scalar() || top.count(k.scalar) == 0 || ((k.scalar == "specs" || k.scalar == "description") && !cilium)) {
      refuse(Code::E0905, k, k.scalar, fmt::format("a {} has no field `{}`", kind, k.scalar));
    }
  }

  // A second document with the same object replaces the first, as `kubectl apply` does.
  auto key = std::make_tuple(kind, o.ns, o.name);
  std::size_t first_rule = out_.program.rules.size(), first_deny = out_.program.default_denies.size();
  if (auto it = seen_.find(key); it != seen_.end()) {
    auto old = it->second;
    sink_.warning(Code::W0907, name->span, fmt::format("{} is defined again here: this definition replaces the earlier one", current_.str()))
        .note(out_.sources[old].span, "the earlier definition")
        .hint("`kubectl apply` of these files leaves the last one; give the objects different names if both are meant");
    // Take out what the earlier one said.
    auto& rules = out_.program.rules;
    std::vector<ir::Rule> kept;
    std::vector<std::size_t> kept_source;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (out_.rule_source[i] == old) continue;
      kept.push_back(std::move(rules[i]));
      kept_source.push_back(out_.rule_source[i]);
    }
    rules = std::move(kept);
    out_.rule_source = std::move(kept_source);
    auto& dds = out_.program.default_denies;
    std::vector<ir::DefaultDeny> kept_dd;
    std::vector<std::size_t> kept_dd_source;
    for (std::size_t i = 0; i < dds.size(); ++i) {
      if (out_.deny_source[i] == old) continue;
      kept_dd.push_back(dds[i]);
      kept_dd_source.push_back(out_.deny_source[i]);
    }
    dds = std::move(kept_dd);
    out_.deny_source = std::move(kept_dd_source);
    first_rule = out_.program.rules.size();
    first_deny = dds.size();
  }
  o.source = out_.sources.size();
  out_.sources.push_back(current_);
  seen_[key] = o.source;
  out_.cilium = out_.cilium || cilium;
  try {
    const auto* spec = doc.get("spec");
    const auto* specs = doc.get("specs");
    if (!cilium) {
      if (spec == nullptr) refuse(Code::E0904, doc, "spec", "the object has no spec");
      network_policy(map_at(*spec, "spec"), o);
    } else {
      if (spec == nullptr && specs == nullptr) refuse(Code::E0904, doc, "spec", "the object has neither spec nor specs");
      if (spec != nullptr && !spec->is_null()) cilium_policy(map_at(*spec, "spec"), o, "spec");
      if (specs != nullptr) {
        std::size_t i = 0;
        for (const auto& s : seq_at(*specs, "specs")) {
          auto path = fmt::format("specs[{}]", i++);
          cilium_policy(map_at(s, path), o, path);
        }
      }
    }
  } catch (const Refused&) {
    // Nothing of a refused object stays: the import is all or nothing anyway, but later checks
    // must not see half an object.
    out_.program.rules.resize(first_rule);
    out_.rule_source.resize(first_rule);
    out_.program.default_denies.resize(first_deny);
    out_.deny_source.resize(first_deny);
  }
  if (!o.cluster && std::find(out_.program.namespaces.begin(), out_.program.namespaces.end(), o.ns) == out_.program.namespaces.end()) {
    out_.program.namespaces.push_back(o.ns);
    std::sort(out_.program.namespaces.begin(), out_.program.namespaces.end());
  }
}

void Reader::add_rule(const Object& o, ir::Direction d, ir::Action a, const ir::Endpoint& subject, std::vector<ir::Peer> peers,
                      std::vector<net::Port> ports, std::vector<ir::HttpRule> http, Span span) {
  ir::Rule r;
  r.action = a;
  r.direction = d;
  r.scope = o.cluster ? ir::Scope{true, {}} : ir::Scope{false, o.ns};
  r.subject = subject;
  r.subject_span = span;
  // Peers once each, in the input's order.
  for (auto& p : peers) {
    if (std::none_of(r.peers.begin(), r.peers.end(), [&](const ir::Peer& q) { return q.same_as(p); })) r.peers.push_back(std::move(p));
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  r.ports = std::move(ports);
  r.http = std::move(http);
  r.origin.statement = span;
  r.origin.target = span;
  r.origin.one_sided = true;
  out_.program.rules.push_back(std::move(r));
  out_.rule_source.push_back(o.source);
}

void Reader::add_default_deny(const Object& o, bool egress, bool ingress, std::optional<ir::Endpoint> subject, Span span) {
  ir::DefaultDeny dd;
  dd.scope = o.cluster ? ir::Scope{true, {}} : ir::Scope{false, o.ns};
  dd.egress = egress;
  dd.ingress = ingress;
  dd.span = span;
  dd.subject_span = span;
  dd.subject = std::move(subject);
  out_.program.default_denies.push_back(std::move(dd));
  out_.deny_source.push_back(o.source);
}

// =============================================================================================
// Values

std::optional<net::Requirement> Reader::requirement(const YNode& key_node, std::string key, const std::string& op, std::vector<std::string> values,
                                                    const YNode& at, const std::string& path) {
  if (auto why = net::check_label_key(key); !why.empty()) {
    refuse(Code::E0904, key_node, path, fmt::format("'{}' is not a valid label key: {}", key, why));
  }
  net::Requirement r;
  r.key = std::move(key);
  if (op == "In") {
    r.op = net::SelOp::In;
  } else if (op == "NotIn") {
    r.op = net::SelOp::NotIn;
  } else if (op == "Exists") {
    r.op = net::SelOp::Exists;
  } else if (op == "DoesNotExist") {
    r.op = net::SelOp::DoesNotExist;
  } else if (op == "=") {
    r.op = net::SelOp::Equals;
  } else {
    refuse(Code::E0904, at, path, fmt::format("'{}' is not an operator: they are In, NotIn, Exists and DoesNotExist (with that case)", op));
  }
  bool needs = r.op == net::SelOp::In || r.op == net::SelOp::NotIn;
  if (needs && values.empty()) refuse(Code::E0904, at, path, fmt::format("the operator {} needs values", op));
  if (!needs && r.op != net::SelOp::Equals && !values.empty()) refuse(Code::E0904, at, path, fmt::format("the operator {} takes no values", op));
  for (const auto& v : values) {
    if (auto why = net::check_label_value(v); !why.empty()) refuse(Code::E0904, at, path, fmt::format("'{}' is not a valid label value: {}", v, why));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  r.values = std::move(values);
  // `in (v)` is `= v`: one canonical form for one meaning.
  if (r.op == net::SelOp::In && r.values.size() == 1) r.op = net::SelOp::Equals;
  if (r.op == net::SelOp::NotIn && r.values.size() == 1) r.op = net::SelOp::NotEquals;
  return r;
}

// A label selector. For Cilium, keys carry a source ("k8s:", "any:"); the namespace's name
// (`k8s:io.kubernetes.pod.namespace`) and its labels (`k8s:io.cilium.k8s.namespace.labels.KEY`)
// go to `ns_name` / `ns_any` / `ns_part` instead of the pods' selector.
net::LabelSelector Reader::label_selector(const YNode& n, const std::string& path, bool cilium, net::LabelSelector* ns_part,
                                          std::optional<std::string>* ns_name, bool* ns_any) {
  net::LabelSelector out;
  if (n.is_null()) return out;
  map_at(n, path);
  only_keys(n, path, {"matchLabels", "matchExpressions"});
  auto place = [&](const YNode& key_node, std::string key, const std::string& op, std::vector<std::string> values, const YNode& at,
                   const std::string& where_path) {
    if (op != "=" && op != "In" && op != "NotIn" && op != "Exists" && op != "DoesNotExist") {
      refuse(Code::E0904, at, where_path, fmt::format("'{}' is not an operator: they are In, NotIn, Exists and DoesNotExist (with that case)", op));
    }
    if (cilium) {
      auto colon = key.find(':');
      if (colon != std::string::npos) {
        auto source = key.substr(0, colon);
        if (source != "k8s" && source != "any") {
          refuse(Code::E0903, key_node, where_path,
                 fmt::format("the label source '{}' is Cilium's own: Fence selects pods by their Kubernetes labels only", source),
                 "select by Kubernetes labels (`k8s:KEY` or `KEY`), or by an entity such as `world`");
        }
        key = key.substr(colon + 1);
      } else if (key.rfind("k8s.", 0) == 0 || key.rfind("any.", 0) == 0) {
        refuse(Code::E0903, key_node, where_path,
               fmt::format("'{}' may be read by Cilium as a label source and key, or as a key: Fence cannot tell which", key),
               fmt::format("write the source with a colon, `{}:{}`, or the key alone", key.substr(0, 3), key.substr(4)));
      }
      if (key == kCiliumNamespace) {
        if (ns_name == nullptr) {
          refuse(Code::E0903, key_node, where_path, "Cilium applies a namespaced policy in its own namespace: its subject cannot name another",
                 "leave the namespace out of the endpointSelector");
        }
        if ((op == "=" || op == "In") && values.size() == 1) {
          *ns_name = values.front();
          if (auto why = net::check_dns_label(values.front()); !why.empty()) {
            refuse(Code::E0904, at, where_path, fmt::format("'{}' is not a valid namespace name: {}", values.front(), why));
          }
          return;
        }
        if (op == "Exists") {
          *ns_any = true;
          return;
        }
        if (op == "DoesNotExist") {
          refuse(Code::E0903, at, where_path, "this selects what has no namespace, Cilium's own identities: Fence names pods only");
        }
        // Namespaces by a set of names: their name label.
        if (ns_part == nullptr) refuse(Code::E0903, key_node, where_path, "a namespaced policy's subject cannot choose namespaces");
        if (auto r = requirement(key_node, kNameLabel, op, std::move(values), at, where_path)) ns_part->add(*r);
        return;
      }
      if (key.rfind(kCiliumNamespaceLabels, 0) == 0) {
        if (ns_part == nullptr) {
          refuse(Code::E0903, key_node, where_path, "Cilium applies a namespaced policy in its own namespace: its subject cannot select namespaces");
        }
        if (auto r = requirement(key_node, key.substr(kCiliumNamespaceLabels.size()), op, std::move(values), at, where_path)) ns_part->add(*r);
        return;
      }
    }
    if (auto r = requirement(key_node, std::move(key), op, std::move(values), at, where_path)) out.add(*r);
  };
  if (const auto* ml = n.get("matchLabels"); ml != nullptr && !ml->is_null()) {
    map_at(*ml, path + ".matchLabels");
    for (const auto& [k, v] : ml->entries) {
      auto p = path + ".matchLabels." + k.scalar;
      if (!k.is_scalar()) refuse(Code::E0904, k, path + ".matchLabels", "a label key must be a string");
      std::string value = v.is_null() ? std::string() : string_at(v, p);
      place(k, k.scalar, "=", {value}, v.is_null() ? k : v, p);
    }
  }
  if (const auto* me = n.get("matchExpressions"); me != nullptr) {
    std::size_t i = 0;
    for (const auto& e : seq_at(*me, path + ".matchExpressions")) {
      auto p = fmt::format("{}.matchExpressions[{}]", path, i++);
      map_at(e, p);
      only_keys(e, p, {"key", "operator", "values"});
      const auto* key = e.get("key");
      const auto* op = e.get("operator");
      if (key == nullptr || op == nullptr) refuse(Code::E0904, e, p, "an expression needs a key and an operator");
      std::vector<std::string> values;
      if (const auto* vs = e.get("values")) {
        for (const auto& v : seq_at(*vs, p + ".values")) values.push_back(string_at(v, p + ".values"));
      }
      place(*key, string_at(*key, p + ".key"), string_at(*op, p + ".operator"), std::move(values), *op, p);
    }
  }
  return out;
}

net::Cidr Reader::cidr(const YNode& n, const std::string& path) {
  auto text = string_at(n, path);
  auto r = net::parse_cidr(text);
  if (!r.cidr) refuse(Code::E0904, n, path, fmt::format("'{}' is not a valid CIDR: {}", text, r.error));
  if (r.missing_prefix) refuse(Code::E0904, n, path, fmt::format("'{}' is an address, not a CIDR", text), fmt::format("write {}/{}", text, r.cidr->bits()));
  if (r.cidr->has_host_bits()) {
    auto m = r.cidr->masked();
    sink_.warning(Code::W0909, n.span, fmt::format("{}: '{}' has bits set after its /{} prefix: it means {}, and is imported so", where(path), text,
                                                   r.cidr->prefix, m.str()))
        .hint(fmt::format("write {} in the YAML too; Kubernetes 1.33 and later warn about such CIDRs", m.str()));
    return m;
  }
  return *r.cidr;
}

ir::CidrBlock Reader::cidr_block(const YNode& c, const YNode* except, const std::string& path) {
  ir::CidrBlock b;
  b.cidr = cidr(c, path + ".cidr");
  if (except == nullptr) return b;
  std::size_t i = 0;
  for (const auto& e : seq_at(*except, path + ".except")) {
    auto p = fmt::format("{}.except[{}]", path, i++);
    auto x = cidr(e, p);
    if (!b.cidr.strictly_contains(x)) {
      refuse(Code::E0904, e, p, fmt::format("{} is not strictly inside {}: the API server refuses it", x.str(), b.cidr.str()));
    }
    b.except.push_back(x);
  }
  // Excepts inside others say nothing more.
  std::sort(b.except.begin(), b.except.end());
  std::vector<net::Cidr> kept;
  for (const auto& x : b.except) {
    if (std::none_of(b.except.begin(), b.except.end(), [&](const net::Cidr& y) { return !(y == x) && y.contains(x); }) &&
        std::find(kept.begin(), kept.end(), x) == kept.end()) {
      kept.push_back(x);
    }
  }
  b.except = std::move(kept);
  return b;
}

net::Port Reader::np_port(const YNode& n, const std::string& path) {
  map_at(n, path);
  only_keys(n, path, {"protocol", "port", "endPort"});
  net::Port p;
  p.kind = net::Port::Kind::All;
  p.protocol = net::Protocol::TCP;
  if (const auto* proto = n.get("protocol"); proto != nullptr && !proto->is_null()) {
    auto t = string_at(*proto, path + ".protocol");
    if (t == "TCP") {
      p.protocol = net::Protocol::TCP;
    } else if (t == "UDP") {
      p.protocol = net::Protocol::UDP;
    } else if (t == "SCTP") {
      p.protocol = net::Protocol::SCTP;
    } else {
      refuse(Code::E0904, *proto, path + ".protocol", fmt::format("'{}' is not a protocol: they are TCP, UDP and SCTP (in upper case)", t));
    }
  }
  const auto* port = n.get("port");
  const auto* end = n.get("endPort");
  if (port != nullptr && !port->is_null()) {
    auto text = string_at(*port, path + ".port");
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && !port->quoted) {
      unsigned long v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || v < 1 || v > 65535) refuse(Code::E0904, *port, path + ".port", fmt::format("port {} is out of range: 1 to 65535", text));
      p.kind = net::Port::Kind::Number;
      p.first = p.last = static_cast<std::uint16_t>(v);
    } else {
      if (auto why = net::check_port_name(text); !why.empty()) {
        refuse(Code::E0904, *port, path + ".port", fmt::format("'{}' is not a valid port name: {}", text, why));
      }
      p.kind = net::Port::Kind::Named;
      p.name = text;
    }
  }
  if (end != nullptr && !end->is_null()) {
    if (p.kind != net::Port::Kind::Number) refuse(Code::E0904, *end, path + ".endPort", "endPort needs a port number");
    auto text = string_at(*end, path + ".endPort");
    unsigned long v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (end->quoted || ec != std::errc() || ptr != text.data() + text.size() || v < p.first || v > 65535) {
      refuse(Code::E0904, *end, path + ".endPort", fmt::format("endPort must be a number from port ({}) to 65535", p.first));
    }
    p.last = static_cast<std::uint16_t>(v);
    if (p.last != p.first) p.kind = net::Port::Kind::Range;
  }
  return p;
}

std::vector<net::Port> Reader::np_ports(const YNode& n, const std::string& path) {
  std::vector<net::Port> out;
  std::size_t i = 0;
  for (const auto& item : seq_at(n, path)) out.push_back(np_port(item, fmt::format("{}[{}]", path, i++)));
  return out;
}

// =============================================================================================
// NetworkPolicy

void Reader::network_policy(const YNode& spec, const Object& o) {
  only_keys(spec, "spec", {"podSelector", "policyTypes", "ingress", "egress"});
  const auto* ps = spec.get("podSelector");
  if (ps == nullptr) refuse(Code::E0904, spec, "spec.podSelector", "spec.podSelector is required (write `podSelector: {}` for every pod)");
  ir::Endpoint subject;
  subject.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, o.ns, {}};
  subject.pods = label_selector(*ps, "spec.podSelector", false, nullptr, nullptr, nullptr);

  const auto* ingress = spec.get("ingress");
  const auto* egress = spec.get("egress");
  // The API server's defaulting: Ingress, and Egress when there are egress rules.
  bool has_ingress_type = true, has_egress_type = egress != nullptr && egress->is_seq() && !egress->items.empty();
  if (const auto* types = spec.get("policyTypes"); types != nullptr && !types->is_null()) {
    has_ingress_type = has_egress_type = false;
    std::size_t i = 0;
    for (const auto& t : seq_at(*types, "spec.policyTypes")) {
      auto s = string_at(t, fmt::format("spec.policyTypes[{}]", i++));
      if (s == "Ingress") {
        has_ingress_type = true;
      } else if (s == "Egress") {
        has_egress_type = true;
      } else {
        refuse(Code::E0904, t, "spec.policyTypes", fmt::format("'{}' is not a policy type: they are Ingress and Egress", s));
      }
    }
  }
  struct Side {
    const YNode* rules;
    bool typed;
    ir::Direction dir;
    const char* field;
    const char* peers;
    const char* type;
  };
  bool whole = subject.pods.selects_all();
  bool deny_egress = false, deny_ingress = false;
  for (const auto& side : {Side{ingress, has_ingress_type, ir::Direction::Ingress, "spec.ingress", "from", "Ingress"},
                           Side{egress, has_egress_type, ir::Direction::Egress, "spec.egress", "to", "Egress"}}) {
    const auto& rules = side.rules != nullptr ? seq_at(*side.rules, side.field) : seq_at(YNode{}, side.field);
    if (!side.typed) {
      if (!rules.empty()) {
        sink_.warning(Code::W0908, side.rules->span,
                      fmt::format("{}: these rules have no effect: policyTypes does not include {}, so Kubernetes ignores them", where(side.field),
                                  side.type))
            .hint(fmt::format("add {} to policyTypes if the rules are meant; fence import leaves them out, as the cluster does", side.type));
      }
      continue;
    }
    if (rules.empty()) {
      (side.dir == ir::Direction::Egress ? deny_egress : deny_ingress) = true;
      continue;
    }
    std::size_t i = 0;
    for (const auto& rule : rules) {
      auto path = fmt::format("{}[{}]", side.field, i++);
      map_at(rule, path);
      only_keys(rule, path, {side.peers, "ports"});
      std::vector<ir::Peer> peers;
      const auto* from = rule.get(side.peers);
      std::size_t k = 0;
      for (const auto& peer : from != nullptr ? seq_at(*from, path + "." + side.peers) : seq_at(YNode{}, path)) {
        auto pp = fmt::format("{}.{}[{}]", path, side.peers, k++);
        map_at(peer, pp);
        only_keys(peer, pp, {"podSelector", "namespaceSelector", "ipBlock"});
        ir::Peer p;
        p.span = peer.span;
        const auto* ip = peer.get("ipBlock");
        const auto* pod = peer.get("podSelector");
        const auto* nsel = peer.get("namespaceSelector");
        if (ip != nullptr) {
          if (pod != nullptr || nsel != nullptr) refuse(Code::E0904, peer, pp, "ipBlock cannot be combined with podSelector or namespaceSelector");
          map_at(*ip, pp + ".ipBlock");
          only_keys(*ip, pp + ".ipBlock", {"cidr", "except"});
          const auto* c = ip->get("cidr");
          if (c == nullptr) refuse(Code::E0904, *ip, pp + ".ipBlock.cidr", "ipBlock needs a cidr");
          p.kind = ir::Peer::Kind::Cidr;
          p.cidr = cidr_block(*c, ip->get("except"), pp + ".ipBlock");
          peers.push_back(std::move(p));
          continue;
        }
        if (pod == nullptr && nsel == nullptr) refuse(Code::E0904, peer, pp, "a peer needs podSelector, namespaceSelector or ipBlock");
        p.kind = ir::Peer::Kind::Endpoint;
        p.endpoint.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, o.ns, {}};
        if (nsel != nullptr) {
          auto sel = label_selector(*nsel, pp + ".namespaceSelector", false, nullptr, nullptr, nullptr);
          const auto& reqs = sel.reqs;
          if (sel.selects_all()) {
            p.endpoint.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Any, {}, {}};
          } else if (reqs.size() == 1 && reqs[0].key == kNameLabel && reqs[0].op == net::SelOp::Equals) {
            p.endpoint.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, reqs[0].values[0], {}};
          } else {
            p.endpoint.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Selector, {}, sel};
          }
        }
        if (pod != nullptr) p.endpoint.pods = label_selector(*pod, pp + ".podSelector", false, nullptr, nullptr, nullptr);
        peers.push_back(std::move(p));
      }
      if (peers.empty()) {
        ir::Peer any;
        any.kind = ir::Peer::Kind::Any;
        any.span = rule.span;
        peers.push_back(any);
      }
      std::vector<net::Port> ports;
      if (const auto* pn = rule.get("ports")) ports = np_ports(*pn, path + ".ports");
      add_rule(o, side.dir, ir::Action::Allow, subject, std::move(peers), std::move(ports), {}, rule.span);
    }
  }
  if (deny_egress || deny_ingress) {
    add_default_deny(o, deny_egress, deny_ingress, whole ? std::nullopt : std::optional<ir::Endpoint>(subject), ps->span);
  }
}

// =============================================================================================
// Cilium

std::vector<net::Port> Reader::cilium_ports(const YNode& n, const std::string& path) {
  std::vector<net::Port> out;
  std::size_t i = 0;
  for (const auto& item : seq_at(n, path)) {
    auto p = fmt::format("{}[{}]", path, i++);
    map_at(item, p);
    only_keys(item, p, {"port", "endPort", "protocol"});
    net::Port port;
    port.protocol = net::Protocol::Any;  // Cilium: no protocol is every protocol
    if (const auto* proto = item.get("protocol"); proto != nullptr && !proto->is_null()) {
      auto t = string_at(*proto, p + ".protocol");
      if (t == "TCP") {
        port.protocol = net::Protocol::TCP;
      } else if (t == "UDP") {
        port.protocol = net::Protocol::UDP;
      } else if (t == "SCTP") {
        port.protocol = net::Protocol::SCTP;
      } else if (t != "ANY" && !t.empty()) {
        refuse(Code::E0904, *proto, p + ".protocol", fmt::format("'{}' is not a protocol: they are TCP, UDP, SCTP and ANY", t));
      }
    }
    const auto* num = item.get("port");
    if (num == nullptr || num->is_null()) refuse(Code::E0904, item, p + ".port", "a port needs `port` (\"0\" for every port)");
    auto text = string_at(*num, p + ".port");
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      unsigned long v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || v > 65535) refuse(Code::E0904, *num, p + ".port", fmt::format("port {} is out of range: 0 to 65535", text));
      if (v == 0) {
        port.kind = net::Port::Kind::All;
      } else {
        port.kind = net::Port::Kind::Number;
        port.first = port.last = static_cast<std::uint16_t>(v);
      }
    } else {
      if (auto why = net::check_port_name(text); !why.empty()) refuse(Code::E0904, *num, p + ".port", fmt::format("'{}' is not a valid port name: {}", text, why));
      port.kind = net::Port::Kind::Named;
      port.name = text;
    }
    if (const auto* end = item.get("endPort"); end != nullptr && !end->is_null()) {
      auto t = string_at(*end, p + ".endPort");
      unsigned long v = 0;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      bool numbered = port.kind == net::Port::Kind::Number;
      if (ec != std::errc() || ptr != t.data() + t.size() || v > 65535) refuse(Code::E0904, *end, p + ".endPort", "endPort must be a number up to 65535");
      if (!numbered && v != 0) refuse(Code::E0903, *end, p + ".endPort", "Cilium ignores endPort on a named port or port 0: Fence cannot say that");
      if (numbered && v != 0) {
        if (v < port.first) refuse(Code::E0904, *end, p + ".endPort", fmt::format("endPort {} is below port {}", v, port.first));
        port.last = static_cast<std::uint16_t>(v);
        if (port.last != port.first) port.kind = net::Port::Kind::Range;
      }
    }
    out.push_back(port);
  }
  return out;
}

ir::Endpoint Reader::cilium_endpoint(const YNode& n, const std::string& path, const Object& o, bool subject) {
  net::LabelSelector ns_labels;
  std::optional<std::string> ns_name;
  bool ns_any = false;
  ir::Endpoint ep;
  bool namespaced = !o.cluster;
  ep.pods = label_selector(n, path, true, subject && namespaced ? nullptr : &ns_labels, subject && namespaced ? nullptr : &ns_name,
                           subject && namespaced ? nullptr : &ns_any);
  bool positive = std::any_of(ep.pods.reqs.begin(), ep.pods.reqs.end(), [](const net::Requirement& r) {
    return r.op == net::SelOp::Equals || r.op == net::SelOp::In || r.op == net::SelOp::Exists;
  });
  if (ns_name) {
    if (!ns_labels.selects_all()) {
      ns_labels.add(net::Requirement{kNameLabel, net::SelOp::Equals, {*ns_name}});
      ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Selector, {}, ns_labels};
    } else {
      ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, *ns_name, {}};
    }
    return ep;
  }
  if (!ns_labels.selects_all()) {
    ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Selector, {}, ns_labels};
    return ep;
  }
  if (namespaced && !ns_any) {
    // A CiliumNetworkPolicy adds its own namespace to a selector that names none.
    ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, o.ns, {}};
    return ep;
  }
  ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Any, {}, {}};
  if (!ns_any && !positive) {
    // Cluster-wide, a selector that requires no label matches Cilium's own endpoints (health,
    // ingress, and with nothing at all every identity), which carry no namespace.
    refuse(Code::E0903, n, path,
           "in a cluster-wide policy this selector also matches endpoints that are not pods (Cilium's health and ingress endpoints, "
           "and reserved identities), which Fence cannot name",
           "add `k8s:io.kubernetes.pod.namespace` with operator Exists to mean every pod, or use an entity (`all`, `cluster`)");
  }
  return ep;
}

Reader::CiliumRule Reader::cilium_rule(const YNode& n, const std::string& path, bool ingress, bool deny, const Object& o) {
  map_at(n, path);
  CiliumRule out;
  if (ingress) {
    only_keys(n, path, {"fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "toPorts"},
              {"fromRequires", "fromGroups", "fromNodes", "icmps", "authentication"});
  } else {
    only_keys(n, path, {"toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toFQDNs", "toPorts"},
              {"toRequires", "toGroups", "toNodes", "toServices", "icmps", "authentication"});
  }
  const char* pre = ingress ? "from" : "to";
  bool has_l3 = false;
  // A list that is null is no list (JSON's null is an absent field); an empty one is there.
  auto present = [&](const char* key) -> const YNode* {
    const auto* v = n.get(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  };
  if (const auto* eps = present(fmt::format("{}Endpoints", pre).c_str())) {
    has_l3 = true;
    std::size_t i = 0;
    for (const auto& e : seq_at(*eps, path + "." + pre + "Endpoints")) {
      ir::Peer p;
      p.kind = ir::Peer::Kind::Endpoint;
      p.span = e.span;
      p.endpoint = cilium_endpoint(e, fmt::format("{}.{}Endpoints[{}]", path, pre, i++), o, false);
      out.peers.push_back(std::move(p));
    }
  }
  if (const auto* cs = present(fmt::format("{}CIDR", pre).c_str())) {
    has_l3 = true;
    std::size_t i = 0;
    for (const auto& c : seq_at(*cs, path + "." + pre + "CIDR")) {
      ir::Peer p;
      p.kind = ir::Peer::Kind::Cidr;
      p.span = c.span;
      p.cidr.cidr = cidr(c, fmt::format("{}.{}CIDR[{}]", path, pre, i++));
      out.peers.push_back(std::move(p));
    }
  }
  if (const auto* cs = present(fmt::format("{}CIDRSet", pre).c_str())) {
    has_l3 = true;
    std::size_t i = 0;
    for (const auto& c : seq_at(*cs, path + "." + pre + "CIDRSet")) {
      auto p2 = fmt::format("{}.{}CIDRSet[{}]", path, pre, i++);
      map_at(c, p2);
      only_keys(c, p2, {"cidr", "except"}, {"cidrGroupRef", "cidrGroupSelector"});
      const auto* cc = c.get("cidr");
      if (cc == nullptr) refuse(Code::E0904, c, p2, "a CIDR rule needs a cidr");
      ir::Peer p;
      p.kind = ir::Peer::Kind::Cidr;
      p.span = c.span;
      p.cidr = cidr_block(*cc, c.get("except"), p2);
      out.peers.push_back(std::move(p));
    }
  }
  if (const auto* es = present(fmt::format("{}Entities", pre).c_str())) {
    has_l3 = true;
    static const std::set<std::string, std::less<>> known = {"all",  "cluster",     "health",    "host", "ingress", "init", "kube-apiserver",
                                                             "none", "remote-node", "unmanaged", "world"};
    std::size_t i = 0;
    for (const auto& e : seq_at(*es, path + "." + pre + "Entities")) {
      auto p2 = fmt::format("{}.{}Entities[{}]", path, pre, i++);
      auto name = string_at(e, p2);
      if (known.count(name) == 0) refuse(Code::E0904, e, p2, fmt::format("'{}' is not an entity Cilium's CRD accepts", name));
      ir::Peer p;
      p.kind = ir::Peer::Kind::Entity;
      p.entity = name;
      p.span = e.span;
      out.peers.push_back(std::move(p));
    }
  }
  if (const auto* fq = present("toFQDNs")) {
    has_l3 = true;
    if (deny) refuse(Code::E0904, *fq, path + ".toFQDNs", "a deny rule has no toFQDNs");
    std::size_t i = 0;
    for (const auto& f : seq_at(*fq, path + ".toFQDNs")) {
      auto p2 = fmt::format("{}.toFQDNs[{}]", path, i++);
      map_at(f, p2);
      only_keys(f, p2, {"matchName", "matchPattern"});
      const auto* name = f.get("matchName");
      const auto* pattern = f.get("matchPattern");
      if ((name == nullptr) == (pattern == nullptr)) refuse(Code::E0904, f, p2, "give one of matchName and matchPattern");
      std::string text = string_at(name != nullptr ? *name : *pattern, p2);
      std::string lowered;
      for (char c : text) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!lowered.empty() && lowered.back() == '.') lowered.pop_back();
      if (name != nullptr && lowered.find('*') != std::string::npos) refuse(Code::E0904, *name, p2, "matchName takes no '*': use matchPattern");
      if (lowered == "*" || lowered.find("**") != std::string::npos) {
        refuse(Code::E0903, f, p2, "Fence's DNS patterns match within one label at a time: a pattern of every name has no Fence form",
               "name the domains, e.g. `*.example.com`");
      }
      if (auto why = net::check_dns_name(lowered, true); !why.empty()) refuse(Code::E0904, f, p2, fmt::format("'{}' is not a valid DNS name: {}", text, why));
      if (lowered.find('.') == std::string::npos) {
        refuse(Code::E0903, f, p2, fmt::format("'{}' has no dot: Fence reads a word without one as a workload name, not a DNS name", text));
      }
      ir::Peer p;
      p.kind = ir::Peer::Kind::DnsName;
      p.dns = lowered;
      p.span = f.span;
      out.peers.push_back(std::move(p));
      fqdn_uses_.push_back(FqdnUse{o.cluster ? ir::Scope{true, {}} : ir::Scope{false, o.ns}, {}, lowered, f.span, where(p2)});
    }
  }
  if (has_l3 && out.peers.empty()) {
    refuse(Code::E0903, n, path,
           "this rule's peer lists are all empty, which Cilium reads as a rule that selects nothing: Fence has no statement for an allow of nothing",
           "leave the rule out, or write `default deny` for its pods");
  }
  out.every_peer = !has_l3;
  if (const auto* tp = n.get("toPorts")) {
    std::size_t i = 0;
    for (const auto& pr : seq_at(*tp, path + ".toPorts")) {
      auto p2 = fmt::format("{}.toPorts[{}]", path, i++);
      map_at(pr, p2);
      only_keys(pr, p2, {"ports", "rules"}, {"terminatingTLS", "originatingTLS", "serverNames", "listener"});
      CiliumRule::PortGroup g;
      if (const auto* ps = pr.get("ports")) g.ports = cilium_ports(*ps, p2 + ".ports");
      if (g.ports.empty()) refuse(Code::E0904, pr, p2, "a toPorts entry needs ports");
      if (const auto* rules = pr.get("rules"); rules != nullptr && !rules->is_null()) {
        if (deny) refuse(Code::E0904, *rules, p2 + ".rules", "a deny rule has no L7 rules");
        map_at(*rules, p2 + ".rules");
        only_keys(*rules, p2 + ".rules", {"http", "dns"}, {"kafka", "l7proto", "l7"});
        if (const auto* http = rules->get("http")) {
          std::size_t k = 0;
          for (const auto& h : seq_at(*http, p2 + ".rules.http")) {
            auto hp = fmt::format("{}.rules.http[{}]", p2, k++);
            map_at(h, hp);
            only_keys(h, hp, {"method", "path", "host", "headers"}, {"headerMatches"});
            ir::HttpRule r;
            r.span = h.span;
            if (const auto* m = h.get("method")) r.method = string_at(*m, hp + ".method");
            static const std::set<std::string, std::less<>> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
            if (!r.method.empty() && methods.count(r.method) == 0) {
              refuse(Code::E0903, *h.get("method"), hp + ".method",
                     fmt::format("'{}' is a regular expression or a method Fence does not name: Fence's methods are {}", r.method, fmt::join(methods, ", ")));
            }
            if (const auto* pa = h.get("path")) r.path = string_at(*pa, hp + ".path");
            if (const auto* ho = h.get("host")) r.host = string_at(*ho, hp + ".host");
            if (const auto* hs = h.get("headers")) {
              for (const auto& x : seq_at(*hs, hp + ".headers")) r.headers.push_back(string_at(x, hp + ".headers"));
            }
            g.http.push_back(std::move(r));
          }
        }
        if (const auto* dns = rules->get("dns")) {
          g.dns_span = dns->span;
          std::size_t k = 0;
          for (const auto& d : seq_at(*dns, p2 + ".rules.dns")) {
            auto dp = fmt::format("{}.rules.dns[{}]", p2, k++);
            map_at(d, dp);
            only_keys(d, dp, {"matchName", "matchPattern"});
            const auto* name = d.get("matchName");
            const auto* pattern = d.get("matchPattern");
            if ((name == nullptr) == (pattern == nullptr)) refuse(Code::E0904, d, dp, "give one of matchName and matchPattern");
            std::string text = string_at(name != nullptr ? *name : *pattern, dp);
            for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (!text.empty() && text.back() == '.' && text != ".") text.pop_back();
            g.dns.push_back(text);
          }
        }
        if (!g.http.empty() && !g.dns.empty()) refuse(Code::E0904, *rules, p2 + ".rules", "one port carries one kind of L7 rule");
      }
      out.ports.push_back(std::move(g));
    }
  }
  if (!has_l3 && out.ports.empty()) {
    // Cilium: a rule with nothing in it selects no peer. It still puts the pods into default
    // deny; the caller turns it into one.
    out.every_peer = false;
  }
  return out;
}

void Reader::cilium_policy(const YNode& spec, const Object& o, const std::string& path) {
  only_keys(spec, path, {"endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny", "enableDefaultDeny", "description", "labels", "log"},
            {"nodeSelector"});
  const auto* es = spec.get("endpointSelector");
  if (es == nullptr) refuse(Code::E0904, spec, path + ".endpointSelector", "a policy needs an endpointSelector");
  ir::Endpoint subject = cilium_endpoint(*es, path + ".endpointSelector", o, true);
  std::optional<bool> dd_ingress, dd_egress;
  if (const auto* ed = spec.get("enableDefaultDeny"); ed != nullptr && !ed->is_null()) {
    map_at(*ed, path + ".enableDefaultDeny");
    only_keys(*ed, path + ".enableDefaultDeny", {"ingress", "egress"});
    for (const char* k : {"ingress", "egress"}) {
      if (const auto* v = ed->get(k)) {
        auto t = string_at(*v, fmt::format("{}.enableDefaultDeny.{}", path, k));
        if (t != "true" && t != "false") refuse(Code::E0904, *v, fmt::format("{}.enableDefaultDeny.{}", path, k), "expected true or false");
        (std::string_view(k) == "ingress" ? dd_ingress : dd_egress) = t == "true";
      }
    }
  }
  struct Section {
    const char* key;
    bool ingress;
    bool deny;
  };
  bool isolate_ingress = false, isolate_egress = false;
  bool any_ingress = false, any_egress = false;
  for (const auto& sec : {Section{"ingress", true, false}, Section{"ingressDeny", true, true}, Section{"egress", false, false}, Section{"egressDeny", false, true}}) {
    const auto* list = spec.get(sec.key);
    // An empty section is no section: the agent looks at rules, not at keys.
    if (list == nullptr || seq_at(*list, path + "." + sec.key).empty()) continue;
    auto dir = sec.ingress ? ir::Direction::Ingress : ir::Direction::Egress;
    // A section with rules, allows or denies, puts the pods into default deny for its direction
    // (unless enableDefaultDeny says otherwise).
    (sec.ingress ? any_ingress : any_egress) = true;
    std::size_t i = 0;
    for (const auto& r : seq_at(*list, path + "." + sec.key)) {
      auto rp = fmt::format("{}.{}[{}]", path, sec.key, i++);
      auto uses_before = fqdn_uses_.size();
      auto rule = cilium_rule(r, rp, sec.ingress, sec.deny, o);
      for (auto k = uses_before; k < fqdn_uses_.size(); ++k) fqdn_uses_[k].subject = subject;
      auto action = sec.deny ? ir::Action::Deny : ir::Action::Allow;
      if (!rule.every_peer && rule.peers.empty()) {
        if (sec.deny) {
          refuse(Code::E0903, r, rp, "an empty deny rule denies nothing, and Fence has no statement for that", "leave it out");
        }
        (sec.ingress ? isolate_ingress : isolate_egress) = true;  // `ingress: [{}]`: isolation only
        continue;
      }
      std::vector<ir::Peer> peers = rule.peers;
      if (rule.every_peer) {
        ir::Peer any;
        any.kind = ir::Peer::Kind::Any;
        any.span = r.span;
        peers = {any};
      }
      if (rule.ports.empty()) {
        add_rule(o, dir, action, subject, peers, {}, {}, r.span);
        continue;
      }
      for (const auto& g : rule.ports) {
        if (!g.dns.empty()) {
          // The DNS proxy's rule: Fence writes it for every policy that reaches DNS names, with
          // exactly their names. Imported as such only where it says the same: exactly the names
          // the policy's toFQDNs reach, or every name (`*`), which allows every lookup.
          std::set<std::string> names(g.dns.begin(), g.dns.end());
          auto scope = o.cluster ? ir::Scope{true, {}} : ir::Scope{false, o.ns};
          if (names.count("*") != 0) {
            dns_rules_.push_back(DnsRule{scope, subject, {"*"}});
            add_rule(o, dir, action, subject, peers, g.ports, {}, r.span);
            continue;
          }
          dns_rules_.push_back(DnsRule{scope, subject, names});
          std::set<std::string> reached;
          for (const auto* sec2 : {spec.get("egress")}) {
            if (sec2 == nullptr || !sec2->is_seq()) continue;
            for (const auto& r2 : sec2->items) {
              if (const auto* fq = r2.get("toFQDNs"); fq != nullptr && fq->is_seq()) {
                for (const auto& f : fq->items) {
                  const auto* v = f.get("matchName");
                  if (v == nullptr) v = f.get("matchPattern");
                  if (v == nullptr || !v->is_scalar()) continue;
                  std::string t = v->scalar;
                  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                  if (!t.empty() && t.back() == '.') t.pop_back();
                  reached.insert(t);
                }
              }
            }
          }
          if (names != reached) {
            refuse(Code::E0903, YNode{YNode::Kind::Null, {}, false, {}, {}, g.dns_span}, rp + ".toPorts.rules.dns",
                   "Fence sends exactly the names a policy's toFQDNs reach through the DNS proxy (or, with `*`, every lookup): these DNS rules "
                   "name others",
                   "list exactly the toFQDNs names in rules.dns, or `matchPattern: \"*\"`");
          }
          continue;  // Fence's own DNS-proxy rule says this
        }
        add_rule(o, dir, action, subject, peers, g.ports, g.http, r.span);
      }
    }
  }
  if (!any_ingress && !any_egress) {
    refuse(Code::E0904, spec, path,
           "the policy has no rule in ingress, ingressDeny, egress or egressDeny, and Cilium's agent refuses such a policy",
           "to isolate the pods, give them one empty rule: `ingress: [{}]` or `egress: [{}]`");
  }
  auto has_allow = [&](ir::Direction d) {
    for (std::size_t i = 0; i < out_.program.rules.size(); ++i) {
      const auto& r = out_.program.rules[i];
      if (out_.rule_source[i] == o.source && r.direction == d && r.action == ir::Action::Allow && r.subject == subject) return true;
    }
    return false;
  };
  // With enableDefaultDeny false, a direction's denies take traffic away without isolating (as
  // Fence writes them where a subject has denies only); its allows would allow without isolating,
  // which no Fence statement does.
  for (auto [dir, wanted, allows] : {std::tuple{"ingress", dd_ingress, has_allow(ir::Direction::Ingress)},
                                     std::tuple{"egress", dd_egress, has_allow(ir::Direction::Egress)}}) {
    if (wanted && !*wanted && allows) {
      refuse(Code::E0903, *spec.get("enableDefaultDeny"), path + ".enableDefaultDeny",
             fmt::format("with enableDefaultDeny.{} false, this policy's {} rules allow without isolating its pods: Fence's allows always "
                         "isolate their subject",
                         dir, dir),
             "drop enableDefaultDeny, or keep this policy as YAML");
    }
  }
  bool deny_in = (isolate_ingress || (any_ingress && dd_ingress.value_or(true))) && dd_ingress.value_or(true);
  bool deny_eg = (isolate_egress || (any_egress && dd_egress.value_or(true))) && dd_egress.value_or(true);
  // Sections whose allows isolate already need no default deny; the empty ones and those with
  // denies only (which isolate in Cilium too, unless enableDefaultDeny says not) do.
  bool need_in = deny_in && !has_allow(ir::Direction::Ingress);
  bool need_eg = deny_eg && !has_allow(ir::Direction::Egress);
  if (need_in || need_eg) {
    bool whole = subject.pods.selects_all() && (o.cluster ? subject.ns.kind == ir::NamespaceSel::Kind::Any : true);
    add_default_deny(o, need_eg, need_in, whole ? std::nullopt : std::optional<ir::Endpoint>(subject), es->span);
  }
}

void Reader::check_fqdns() {
  for (const auto& use : fqdn_uses_) {
    bool seen = std::any_of(dns_rules_.begin(), dns_rules_.end(), [&](const DnsRule& d) {
      bool scope = d.scope.cluster || d.scope == use.scope;
      bool names = d.names.count("*") != 0 || d.names.count(use.name) != 0;
      return scope && names && ir::contains(d.subject, use.subject);
    });
    if (seen) continue;
    sink_
        .error(Code::E0903, use.span,
               fmt::format("{}: Cilium learns the addresses of '{}' only from lookups its DNS proxy sees, and no policy of the input sends these "
                           "pods' lookups through it (a rules.dns on port 53): this allows nothing in the cluster, and Fence's toFQDNs, which "
                           "always comes with that rule, would allow it",
                           use.where, use.name))
        .hint("import the policy that carries the pods' DNS rule along with this one, or add one (toEndpoints kube-dns, port 53, rules.dns "
              "matchPattern \"*\")");
  }
}

}  // namespace

Imported read(const std::vector<FileId>& files, const SourceManager& sm, const ReadOptions& options, DiagnosticSink& sink) {
  Imported out;
  Reader r(sm, options, sink, out);
  for (auto f : files) {
    out.files.push_back(sm.file(f).path);
    r.file(f);
  }
  r.check_fqdns();
  return out;
}

}  // namespace fence::import
