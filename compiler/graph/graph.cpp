#include "graph/graph.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analyze/match.h"
#include "analyze/report.h"

namespace fence::graph {

namespace {

// The namespace a representative pod is put in when a statement chooses namespaces by label or
// takes them all: no program names it ('*' is not a namespace name), so nothing a block says
// applies to it.
constexpr const char* kSomeNamespace = "*";
constexpr std::size_t kLabelItems = 2;   // blocks or excepts shown on a node
constexpr std::size_t kPortItems = 4;    // port classes shown on an edge
constexpr std::size_t kDetailLines = 12;  // lines of an aggregated edge's tooltip

struct LetSpan {
  FileId file = kNoFile;
  std::uint32_t begin = 0, end = 0;
  std::string name;
};

void collect_lets(const std::vector<ast::Item>& items, std::vector<LetSpan>& out, FileId file) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node)) {
      out.push_back(LetSpan{file, l->value.span.begin, l->value.span.end, l->name.text});
    } else if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      collect_lets(b->items, out, file);
    }
  }
}

std::string labels_text(const analyze::Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return fmt::format("{}", fmt::join(parts, ","));
}

// Labels that satisfy a selector, as few as it takes; nullopt when none do.
std::optional<analyze::Labels> minimal_labels(const net::LabelSelector& sel) {
  analyze::Labels out;
  for (const auto& r : sel.reqs) {
    if ((r.op == net::SelOp::Equals || r.op == net::SelOp::In) && !r.values.empty()) {
      out.emplace(r.key, r.values[0]);
    } else if (r.op == net::SelOp::Exists) {
      out.emplace(r.key, "");
    }
  }
  if (!analyze::selector_matches(sel, out)) return std::nullopt;
  return out;
}

bool names_one_workload(const ir::Endpoint& ep) {
  if (ep.ns.kind != ir::NamespaceSel::Kind::Named || ep.pods.reqs.empty()) return false;
  std::set<std::string> keys;
  for (const auto& r : ep.pods.reqs) {
    if (r.op != net::SelOp::Equals || r.values.size() != 1 || !keys.insert(r.key).second) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  return fmt::format("{}", fmt::join(v, sep));
}

// "a, b +3 more"
std::string some_of(const std::vector<std::string>& items, std::size_t limit) {
  if (items.size() <= limit) return join(items, ", ");
  std::vector<std::string> shown(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(limit));
  return fmt::format("{} +{} more", join(shown, ", "), items.size() - limit);
}

std::string block_text(const ir::CidrBlock& b) {
  if (b.except.empty()) return b.cidr.str();
  std::vector<std::string> ex;
  for (const auto& e : b.except) ex.push_back(e.str());
  return fmt::format("{} except {}", b.cidr.str(), some_of(ex, 1));
}

// The ports of an edge in a few words: "every port", "every tcp port", "53/udp, 53/tcp".
std::string ports_label(const std::vector<PortClass>& ports) {
  std::map<net::Protocol, std::vector<std::pair<std::uint32_t, std::uint32_t>>> ranges;
  std::vector<std::string> named;
  for (const auto& p : ports) {
    if (p.named()) {
      named.push_back(p.str());
      continue;
    }
    auto& r = ranges[p.protocol];
    if (!r.empty() && r.back().second + 1 == p.first) {
      r.back().second = p.last;
    } else {
      r.emplace_back(p.first, p.last);
    }
  }
  auto whole = [&](net::Protocol proto) {
    auto it = ranges.find(proto);
    return it != ranges.end() && it->second.size() == 1 && it->second[0] == std::pair<std::uint32_t, std::uint32_t>{1, 65535};
  };
  if (whole(net::Protocol::TCP) && whole(net::Protocol::UDP) && whole(net::Protocol::SCTP)) return "every port";
  std::vector<std::string> items;
  for (const auto& [proto, rs] : ranges) {
    for (const auto& [first, last] : rs) {
      PortClass c;
      c.protocol = proto;
      c.first = static_cast<std::uint16_t>(first);
      c.last = static_cast<std::uint16_t>(last);
      items.push_back(c.str());
    }
  }
  items.insert(items.end(), named.begin(), named.end());
  return some_of(items, kPortItems);
}

EdgeKind kind_of(Status s) {
  switch (s) {
    case Status::Allowed:
      return EdgeKind::Allowed;
    case Status::EgressOnly:
      return EdgeKind::EgressOnly;
    case Status::IngressOnly:
      return EdgeKind::IngressOnly;
    case Status::Undecided:
      return EdgeKind::Undecided;
    case Status::Denied:
      return EdgeKind::Denied;
    case Status::Closed:
      return EdgeKind::Blocked;
  }
  return EdgeKind::Blocked;
}

struct PairInfo {
  bool regular = false;                  // a statement relates the two
  std::vector<const ir::Rule*> carving;  // rules whose CIDR `except` takes the destination (or source) out
};

class Builder {
 public:
  Builder(const ir::Program& program, const sema::LoadedProgram& loaded, const SourceManager& sm, const Options& options)
      : program_(program), sm_(sm), options_(options), reach_(program, options.analysis), report_{program, sm, options_.analysis, std::nullopt} {
    for (const auto& f : loaded.files) collect_lets(f.ast.items, lets_, f.id);
    std::sort(lets_.begin(), lets_.end(), [](const LetSpan& a, const LetSpan& b) { return std::tie(a.file, a.begin) < std::tie(b.file, b.begin); });
  }

  Graph run() {
    if (options_.workload) {
      focus();
    } else {
      for (const auto& r : program_.rules) relate(r);
    }
    Graph g;
    g.level = Level::Workload;
    for (const auto& [key, info] : pairs_) {
      if (options_.ns && nodes_.at(key.first).ns != *options_.ns && nodes_.at(key.second).ns != *options_.ns) continue;
      evaluate(key.first, key.second, info, g.edges);
    }
    // The nodes of the edges drawn; the workload of --workload, and the pods of --namespace, even alone.
    std::set<std::string> used;
    for (const auto& e : g.edges) {
      used.insert(e.from);
      used.insert(e.to);
    }
    for (auto& [id, n] : nodes_) {
      bool keep = used.count(id) || n.focus || (options_.ns && n.ns == *options_.ns);
      if (keep) g.nodes.push_back(std::move(n));
    }
    finish(g);
    if (options_.level == Level::Namespace) g = aggregate(g);
    return g;
  }

 private:
  // ---- places ----

  std::string at(const Span& s) const {
    if (!s.valid()) return "?";
    const auto& f = sm_.file(s.file);
    return fmt::format("{}:{}", f.path, f.locate(s.begin).line);
  }

  std::vector<std::string> places(const std::vector<Span>& spans) const {
    std::vector<std::tuple<std::string, std::uint32_t>> where;
    for (const auto& s : spans) {
      if (!s.valid()) continue;
      const auto& f = sm_.file(s.file);
      where.emplace_back(f.path, f.locate(s.begin).line);
    }
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    std::vector<std::string> out;
    for (const auto& [path, line] : where) out.push_back(fmt::format("{}:{}", path, line));
    return out;
  }

  static std::vector<Span> spans(const std::vector<const ir::Rule*>& rules) {
    std::vector<Span> out;
    for (const auto* r : rules) out.push_back(r->origin.statement);
    return out;
  }

  std::string let_at(const Span& s) const {
    if (!s.valid()) return {};
    auto it = std::upper_bound(lets_.begin(), lets_.end(), std::make_pair(s.file, s.begin),
                               [](const std::pair<FileId, std::uint32_t>& k, const LetSpan& l) { return k < std::make_pair(l.file, l.begin); });
    if (it == lets_.begin()) return {};
    --it;
    return it->file == s.file && s.begin >= it->begin && s.end <= it->end ? it->name : std::string();
  }

  // ---- nodes ----

  std::optional<std::string> label_key(const std::string& ns) const {
    try {
      return analyze::workload_label_key(program_, ns, options_.analysis.label_key);
    } catch (const analyze::QueryError&) {
      return std::nullopt;
    }
  }

  // A pod with exactly the labels an endpoint requires (in a namespace with exactly the labels its
  // namespace selector requires): what the engine is asked about for the endpoint's node.
  std::optional<analyze::Endpoint> representative(const ir::Endpoint& ep) const {
    auto labels = minimal_labels(ep.pods);
    if (!labels) return std::nullopt;
    analyze::Endpoint pod;
    pod.kind = analyze::Endpoint::Kind::Pod;
    pod.labels = *labels;
    switch (ep.ns.kind) {
      case ir::NamespaceSel::Kind::Named: {
        pod.ns = ep.ns.name;
        auto given = options_.analysis.ns_labels.find(pod.ns);
        if (given != options_.analysis.ns_labels.end()) pod.ns_labels = given->second;
        auto key = label_key(pod.ns);
        if (pod.labels.size() == 1 && key && pod.labels.begin()->first == *key) {
          pod.workload = pod.labels.begin()->second;
          pod.workload_key = *key;
        }
        break;
      }
      case ir::NamespaceSel::Kind::Selector: {
        auto ns_labels = minimal_labels(ep.ns.selector);
        if (!ns_labels) return std::nullopt;
        auto name = ns_labels->find(analyze::kNamespaceNameLabel);
        pod.ns = name != ns_labels->end() ? name->second : kSomeNamespace;
        if (name != ns_labels->end()) ns_labels->erase(name);
        pod.ns_labels = *ns_labels;
        if (!analyze::selector_matches(ep.ns.selector, pod.known_ns_labels())) return std::nullopt;
        break;
      }
      case ir::NamespaceSel::Kind::Any:
        pod.ns = kSomeNamespace;
        pod.ns_labels = analyze::Labels{};
        break;
    }
    return pod;
  }

  Node& add(Node n) {
    auto [it, fresh] = nodes_.emplace(n.id, n);
    if (!fresh && it->second.name.empty() && !n.name.empty()) {
      it->second.name = n.name;
      it->second.label = n.label;
    }
    return it->second;
  }

  std::string pod_node(const ir::Endpoint& ep, const std::string& alias) {
    Node n;
    bool inside = ep.ns.kind == ir::NamespaceSel::Kind::Named;
    std::string shown = analyze::display(ep, program_, options_.analysis);
    if (names_one_workload(ep)) {
      n.kind = NodeKind::Workload;
      analyze::Labels labels;
      for (const auto& r : ep.pods.reqs) labels[r.key] = r.values[0];
      n.id = fmt::format("w:{}/{}", ep.ns.name, labels_text(labels));
    } else {
      n.kind = NodeKind::Pods;
      n.id = inside ? fmt::format("p:{}/{}", ep.ns.name, ep.pods.str()) : "p:" + shown;
    }
    if (nodes_.count(n.id) && (alias.empty() || !nodes_.at(n.id).name.empty())) return n.id;
    n.ns = inside ? ep.ns.name : std::string();
    n.name = alias;
    std::string own = inside ? shown.substr(ep.ns.name.size() + 1) : shown;
    if (!alias.empty()) n.label.push_back(alias);
    n.label.push_back(own);
    n.about.push_back(shown);
    if (auto rep = representative(ep)) {
      n.members.push_back(*rep);
      if (n.kind == NodeKind::Pods) n.about.push_back(fmt::format("judged for a pod labelled {{{}}}", labels_text(rep->labels)));
    } else {
      n.about.push_back("no pod can match this selector");
    }
    return add(std::move(n)).id;
  }

  std::string address_node(const std::string& alias, const std::vector<ir::CidrBlock>& blocks) {
    std::vector<std::string> texts;
    for (const auto& b : blocks) texts.push_back(b.str());
    Node n;
    n.kind = NodeKind::Addresses;
    n.id = fmt::format("a:{}{}", alias.empty() ? "" : alias + "=", join(texts, ","));
    if (nodes_.count(n.id)) return n.id;
    n.name = alias;
    if (!alias.empty()) n.label.push_back(alias);
    std::vector<std::string> shown;
    for (const auto& b : blocks) shown.push_back(block_text(b));
    n.label.push_back(some_of(shown, kLabelItems));
    n.about = {(alias.empty() ? "" : alias + ": ") + join(texts, ", ")};
    for (const auto& b : blocks) {
      analyze::Endpoint a;
      a.kind = analyze::Endpoint::Kind::Address;
      a.address = b.cidr;
      a.except = b.except;
      n.members.push_back(a);
    }
    return add(std::move(n)).id;
  }

  // The addresses the blocks' excepts take out, as one node.
  std::string except_node(const Node& of, const std::vector<ir::CidrBlock>& blocks) {
    std::vector<net::Cidr> taken;
    for (const auto& b : blocks) taken.insert(taken.end(), b.except.begin(), b.except.end());
    if (taken.empty()) return {};
    std::vector<std::string> texts;
    for (const auto& c : taken) texts.push_back(c.str());
    Node n;
    n.kind = NodeKind::Addresses;
    n.id = "a:" + join(texts, ",");
    std::vector<std::string> cidrs;
    for (const auto& b : blocks) cidrs.push_back(b.cidr.str());
    std::string base = of.name.empty() ? some_of(cidrs, kLabelItems) : of.name;
    if (auto it = nodes_.find(n.id); it != nodes_.end()) {
      it->second.about.push_back("taken out of " + base);
      return n.id;
    }
    n.label = {some_of(texts, kLabelItems), "taken out of " + base};
    n.about = {join(texts, ", "), "taken out of " + base};
    for (const auto& c : taken) {
      analyze::Endpoint a;
      a.kind = analyze::Endpoint::Kind::Address;
      a.address = c;
      n.members.push_back(a);
    }
    return add(std::move(n)).id;
  }

  std::string other_node(const ir::Peer& p) {
    Node n;
    analyze::Endpoint m;
    if (p.kind == ir::Peer::Kind::DnsName) {
      n.kind = NodeKind::Dns;
      n.id = "d:" + p.dns;
      n.label = {p.dns};
      m.kind = analyze::Endpoint::Kind::Dns;
      m.dns = p.dns;
    } else {
      n.kind = NodeKind::Entity;
      n.id = "e:" + p.entity;
      n.label = {"entity " + p.entity};
      m.kind = analyze::Endpoint::Kind::Entity;
      m.entity = p.entity;
    }
    n.about = n.label;
    n.members.push_back(m);
    auto alias = let_at(p.span);
    if (!alias.empty() && alias != p.dns && alias != p.entity) {
      n.name = alias;
      n.label.insert(n.label.begin(), alias);
    }
    return add(std::move(n)).id;
  }

  // The nodes of a rule's peers; with each address node, the node of what its excepts take out.
  std::vector<std::pair<std::string, std::string>> peer_nodes(const ir::Rule& r) {
    std::vector<std::pair<std::string, std::string>> out;
    std::map<std::string, std::vector<ir::CidrBlock>> by_let;  // CIDR peers written in one `let` make one group
    std::vector<std::string> let_order;
    for (const auto& p : r.peers) {
      switch (p.kind) {
        case ir::Peer::Kind::Endpoint:
          out.emplace_back(pod_node(p.endpoint, let_at(p.span)), std::string());
          break;
        case ir::Peer::Kind::Cidr: {
          auto alias = let_at(p.span);
          if (alias.empty()) {
            auto id = address_node("", {p.cidr});
            out.emplace_back(id, except_node(nodes_.at(id), {p.cidr}));
          } else {
            if (!by_let.count(alias)) let_order.push_back(alias);
            by_let[alias].push_back(p.cidr);
          }
          break;
        }
        case ir::Peer::Kind::DnsName:
        case ir::Peer::Kind::Entity:
          out.emplace_back(other_node(p), std::string());
          break;
      }
    }
    for (const auto& alias : let_order) {
      const auto& blocks = by_let[alias];
      auto id = address_node(alias, blocks);
      out.emplace_back(id, except_node(nodes_.at(id), blocks));
    }
    return out;
  }

  // ---- pairs ----

  void pair(const std::string& from, const std::string& to, const ir::Rule* carving) {
    auto& info = pairs_[{from, to}];
    if (carving == nullptr) {
      info.regular = true;
    } else if (std::find(info.carving.begin(), info.carving.end(), carving) == info.carving.end()) {
      info.carving.push_back(carving);
    }
  }

  void relate(const ir::Rule& r) {
    auto subject = pod_node(r.subject, {});
    bool egress = r.direction == ir::Direction::Egress;
    for (const auto& [peer, taken] : peer_nodes(r)) {
      egress ? pair(subject, peer, nullptr) : pair(peer, subject, nullptr);
      if (!taken.empty()) egress ? pair(subject, taken, &r) : pair(taken, subject, &r);
    }
  }

  // --workload: the pairs of every rule that selects the workload, or whose peers hold it.
  void focus() {
    const auto& w = *options_.workload;
    Node f;
    f.kind = NodeKind::Workload;
    f.id = fmt::format("w:{}/{}", w.ns, labels_text(w.labels));
    f.ns = w.ns;
    std::string own = w.workload ? *w.workload : fmt::format("pods[{}]", labels_text(w.labels));
    f.label = {own};
    f.about = {w.str()};
    f.members = {w};
    f.focus = true;
    nodes_.emplace(f.id, f);
    bool mentioned = false;
    for (const auto& r : program_.rules) {
      // As `fence why` does, a CIDR is taken not to hold the workload's pods unless `set pod-cidrs` says so.
      analyze::MatchContext ctx{program_, &r, true};
      analyze::Caveats ignored;
      bool egress = r.direction == ir::Direction::Egress;
      if (analyze::endpoint_matches(r.subject, w, ctx, ignored) != analyze::Tri::No) {
        mentioned = true;
        for (const auto& [peer, taken] : peer_nodes(r)) {
          egress ? pair(f.id, peer, nullptr) : pair(peer, f.id, nullptr);
          if (!taken.empty()) egress ? pair(f.id, taken, &r) : pair(taken, f.id, &r);
        }
      }
      for (const auto& p : r.peers) {
        if (analyze::peer_matches(p, w, ctx, ignored) == analyze::Tri::No) continue;
        mentioned = true;
        auto subject = pod_node(r.subject, {});
        egress ? pair(subject, f.id, nullptr) : pair(f.id, subject, nullptr);
      }
    }
    if (!mentioned) notes_.push_back(fmt::format("no statement selects {} or names it as a peer", w.str()));
  }

  // ---- edges ----

  std::string side_phrase(const PortAnswer& a, const Node& to) const {
    std::vector<std::string> parts;
    if (!a.allows.empty()) parts.push_back("allowed by " + join(places(spans(a.allows)), ", "));
    const auto& member = to.members.empty() ? analyze::Endpoint{} : to.members.front();
    bool to_pod = !to.members.empty() && member.is_pod();
    bool ingress_ruled = std::any_of(a.allows.begin(), a.allows.end(), [](const ir::Rule* r) { return r->direction == ir::Direction::Ingress; });
    if (to_pod && !ingress_ruled) parts.push_back(fmt::format("ingress at {} open (nothing isolates it)", to.about.front()));
    return join(parts, "; ");
  }

  std::string explain(const PortAnswer& a, const Node& from, const Node& to, const PairInfo& info) const {
    std::string ports = a.ports.str();
    std::string text;
    auto refusal = [&] {
      std::vector<Span> s;
      for (const auto* d : a.refused_by_default) s.push_back(d->span);
      std::vector<std::string> parts;
      if (!s.empty()) parts.push_back("default deny (" + join(places(s), ", ") + ")");
      if (!a.refused_by_rules.empty()) parts.push_back("its own rules (" + join(places(spans(a.refused_by_rules)), ", ") + ")");
      return parts.empty() ? std::string() : ", isolated by " + join(parts, " and ");
    };
    switch (a.status) {
      case Status::Allowed:
        text = fmt::format("{}: {}", ports, side_phrase(a, to));
        break;
      case Status::EgressOnly:
        text = fmt::format("{}: egress allowed by {}, but ingress at {} does not admit it{}", ports, join(places(spans(a.allows)), ", "),
                           to.about.front(), refusal());
        break;
      case Status::IngressOnly:
        text = fmt::format("{}: ingress allowed by {}, but egress from {} does not allow it{}", ports, join(places(spans(a.allows)), ", "),
                           from.about.front(), refusal());
        break;
      case Status::Undecided: {
        std::vector<std::string> why;
        if (a.mixed) why.push_back("the answer differs between the addresses of the group");
        for (const auto& c : a.caveats) why.push_back(analyze::caveat_text(c, report_));
        text = fmt::format("{}: undecided: {}", ports, join(why, "; "));
        break;
      }
      case Status::Denied:
        text = fmt::format("{}: denied by {}", ports, join(places(spans(a.denies)), ", "));
        break;
      case Status::Closed:
        text = fmt::format("{}: not allowed: taken out by `except` ({}), and nothing else allows it", ports, join(places(spans(info.carving)), ", "));
        break;
    }
    return text;
  }

  void evaluate(const std::string& from_id, const std::string& to_id, const PairInfo& info, std::vector<Edge>& edges) {
    const auto& from = nodes_.at(from_id);
    const auto& to = nodes_.at(to_id);
    if (from.members.empty() || to.members.empty()) return;
    auto answers = reach_.between(from.members, to.members);
    std::map<EdgeKind, Edge> by_kind;
    std::map<EdgeKind, std::vector<Span>> sources;
    for (const auto& a : answers) {
      if (a.status == Status::Closed && info.carving.empty()) continue;  // not about this pair
      auto kind = kind_of(a.status);
      auto& e = by_kind[kind];
      e.from = from_id;
      e.to = to_id;
      e.kind = kind;
      e.ports.push_back(a.ports);
      e.detail.push_back(explain(a, from, to, info));
      e.assumed = e.assumed || !a.assumptions.empty();
      auto& s = sources[kind];
      for (const auto* r : a.allows) s.push_back(r->origin.statement);
      for (const auto* r : a.denies) s.push_back(r->origin.statement);
      for (const auto* d : a.refused_by_default) s.push_back(d->span);
      for (const auto& c : a.caveats) {
        if (c.rule != nullptr) s.push_back(c.rule->origin.statement);
      }
      if (a.status == Status::Closed) {
        for (const auto* r : info.carving) s.push_back(r->origin.statement);
      }
    }
    for (auto& [kind, e] : by_kind) {
      // What the answers took for granted, once per edge.
      std::vector<std::string> assumed;
      for (const auto& a : answers) {
        if (kind_of(a.status) != kind) continue;
        for (const auto& c : a.assumptions) {
          auto item = fmt::format("{} ({})", c.detail, c.rule != nullptr ? at(c.rule->origin.statement) : std::string("?"));
          if (std::find(assumed.begin(), assumed.end(), item) == assumed.end()) assumed.push_back(item);
        }
      }
      if (!assumed.empty()) {
        e.detail.push_back(fmt::format("assumed: the pods' addresses lie outside {}, as CIDRs are meant for addresses outside the cluster "
                                       "(`set pod-cidrs` decides it)",
                                       join(assumed, ", ")));
      }
      e.sources = places(sources[kind]);
      e.ports_label = ports_label(e.ports);
      edges.push_back(std::move(e));
    }
  }

  // ---- finishing ----

  NamespaceBox box(const std::string& ns) const {
    NamespaceBox b;
    b.name = ns;
    std::vector<Span> egress, ingress;
    for (const auto& dd : program_.default_denies) {
      if (!dd.scope.cluster && dd.scope.ns != ns) continue;
      if (dd.egress) egress.push_back(dd.span);
      if (dd.ingress) ingress.push_back(dd.span);
    }
    b.deny_egress = places(egress);
    b.deny_ingress = places(ingress);
    return b;
  }

  void finish(Graph& g) {
    std::sort(g.nodes.begin(), g.nodes.end(), [](const Node& a, const Node& b) { return std::tie(a.ns, a.id) < std::tie(b.ns, b.id); });
    std::sort(g.edges.begin(), g.edges.end(), [](const Edge& a, const Edge& b) { return std::tie(a.from, a.to, a.kind) < std::tie(b.from, b.to, b.kind); });
    std::set<std::string> seen;
    for (const auto& n : g.nodes) {
      if (!n.ns.empty() && seen.insert(n.ns).second) g.namespaces.push_back(box(n.ns));
    }
    // The namespace of --namespace, and in the whole graph every namespace with a block, are drawn
    // even with nothing in them: a default deny there is part of the picture.
    std::vector<std::string> empty;
    if (options_.ns) {
      empty.push_back(*options_.ns);
    } else if (!options_.workload) {
      empty = program_.namespaces;
    }
    for (const auto& ns : empty) {
      if (seen.insert(ns).second) g.namespaces.push_back(box(ns));
    }
    std::sort(g.namespaces.begin(), g.namespaces.end(), [](const NamespaceBox& a, const NamespaceBox& b) { return a.name < b.name; });
    g.notes = notes_;
  }

  // --level namespace: every node of a namespace becomes the namespace's node.
  Graph aggregate(const Graph& g) const {
    Graph out;
    out.level = Level::Namespace;
    out.notes = g.notes;
    std::map<std::string, Node> nodes;
    std::map<std::string, std::string> owner;
    std::vector<std::string> names;
    for (const auto& b : g.namespaces) names.push_back(b.name);
    if (!options_.ns && !options_.workload) {
      for (const auto& ns : namespaces_named(program_)) names.push_back(ns);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const auto& ns : names) {
      Node n;
      n.kind = NodeKind::Namespace;
      n.id = "n:" + ns;
      n.label = {ns};
      n.about = {"namespace " + ns};
      auto b = box(ns);
      if (auto deny = b.deny_phrase(); !deny.empty()) n.label.push_back(deny);
      if (!b.deny_egress.empty()) n.about.push_back("default deny egress: " + join(b.deny_egress, ", "));
      if (!b.deny_ingress.empty()) n.about.push_back("default deny ingress: " + join(b.deny_ingress, ", "));
      nodes.emplace(n.id, std::move(n));
    }
    for (const auto& n : g.nodes) {
      if (n.ns.empty()) {
        owner[n.id] = n.id;
        nodes.emplace(n.id, n);
        continue;
      }
      owner[n.id] = "n:" + n.ns;
      auto& agg = nodes.at("n:" + n.ns);
      agg.focus = agg.focus || n.focus;
    }
    std::map<std::string, const Node*> by_id;
    for (const auto& n : g.nodes) by_id.emplace(n.id, &n);
    std::map<std::tuple<std::string, std::string, EdgeKind>, Edge> edges;
    for (const auto& e : g.edges) {
      const auto& from = owner.at(e.from);
      const auto& to = owner.at(e.to);
      auto& agg = edges[{from, to, e.kind}];
      bool fresh = agg.from.empty();
      agg.from = from;
      agg.to = to;
      agg.kind = e.kind;
      agg.connections = fresh ? 1 : agg.connections + 1;
      agg.ports.insert(agg.ports.end(), e.ports.begin(), e.ports.end());
      agg.sources.insert(agg.sources.end(), e.sources.begin(), e.sources.end());
      agg.assumed = agg.assumed || e.assumed;
      for (const auto& d : e.detail) {
        if (agg.detail.size() < kDetailLines) {
          agg.detail.push_back(fmt::format("{} -> {}: {}", by_id.at(e.from)->about.front(), by_id.at(e.to)->about.front(), d));
        }
      }
    }
    for (auto& [key, e] : edges) {
      e.ports = normalize(std::move(e.ports));
      e.ports_label = ports_label(e.ports);
      std::sort(e.sources.begin(), e.sources.end(), [](const std::string& a, const std::string& b) { return place_less(a, b); });
      e.sources.erase(std::unique(e.sources.begin(), e.sources.end()), e.sources.end());
      if (e.connections > 1) {
        std::size_t shown = std::min(e.connections, kDetailLines);
        if (e.connections > shown) e.detail.push_back(fmt::format("... and {} more connections", e.connections - shown));
      }
      out.edges.push_back(std::move(e));
    }
    for (auto& [id, n] : nodes) out.nodes.push_back(std::move(n));
    std::sort(out.nodes.begin(), out.nodes.end(), [](const Node& a, const Node& b) { return a.id < b.id; });
    return out;
  }

  // Port classes of several edges as disjoint, merged classes.
  static std::vector<PortClass> normalize(std::vector<PortClass> ports) {
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    std::vector<PortClass> out;
    for (const auto& p : ports) {
      if (!out.empty() && !p.named() && !out.back().named() && out.back().protocol == p.protocol &&
          static_cast<std::uint32_t>(out.back().last) + 1 >= p.first) {
        out.back().last = std::max(out.back().last, p.last);
        continue;
      }
      out.push_back(p);
    }
    return out;
  }

  // "a.fence:9" before "a.fence:10".
  static bool place_less(const std::string& a, const std::string& b) {
    auto split = [](const std::string& s) {
      auto colon = s.rfind(':');
      return std::make_pair(s.substr(0, colon), colon == std::string::npos ? 0UL : std::stoul(s.substr(colon + 1)));
    };
    return split(a) < split(b);
  }

  const ir::Program& program_;
  const SourceManager& sm_;
  const Options& options_;
  Reach reach_;
  analyze::ReportContext report_;
  std::vector<LetSpan> lets_;
  std::map<std::string, Node> nodes_;
  std::map<std::pair<std::string, std::string>, PairInfo> pairs_;
  std::vector<std::string> notes_;
};

}  // namespace

std::string_view edge_kind_name(EdgeKind k) {
  switch (k) {
    case EdgeKind::Allowed:
      return "allowed";
    case EdgeKind::EgressOnly:
      return "egress only";
    case EdgeKind::IngressOnly:
      return "ingress only";
    case EdgeKind::Undecided:
      return "undecided";
    case EdgeKind::Denied:
      return "denied";
    case EdgeKind::Blocked:
      return "blocked";
  }
  return "?";
}

std::string NamespaceBox::deny_phrase() const {
  if (!deny_egress.empty() && !deny_ingress.empty()) return "default deny all";
  if (!deny_egress.empty()) return "default deny egress";
  if (!deny_ingress.empty()) return "default deny ingress";
  return {};
}

const Node* Graph::node(const std::string& id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::vector<std::string> namespaces_named(const ir::Program& program) {
  std::set<std::string> out(program.namespaces.begin(), program.namespaces.end());
  auto note = [&](const ir::Endpoint& ep) {
    if (ep.ns.kind == ir::NamespaceSel::Kind::Named) out.insert(ep.ns.name);
  };
  for (const auto& r : program.rules) {
    note(r.subject);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) note(p.endpoint);
    }
  }
  return {out.begin(), out.end()};
}

Graph build(const ir::Program& program, const sema::LoadedProgram& loaded, const SourceManager& sm, const Options& options) {
  return Builder(program, loaded, sm, options).run();
}

}  // namespace fence::graph
