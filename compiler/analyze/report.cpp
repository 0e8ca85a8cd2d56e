#include "analyze/report.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fence::analyze {

namespace {

using json = nlohmann::ordered_json;

std::string dir_name(ir::Direction d) {
  return std::string(ir::direction_name(d));
}

json tri_json(Tri t) {
  if (t == Tri::Maybe) return nullptr;
  return t == Tri::Yes;
}

class Reporter {
 public:
  explicit Reporter(const ReportContext& ctx) : ctx_(ctx) {}

  // "shop.fence:6"
  std::string at(const Span& s) const {
    if (!s.valid()) return "?";
    const auto& f = ctx_.sources.file(s.file);
    return fmt::format("{}:{}", f.path, f.locate(s.begin).line);
  }
  std::string at(const ir::Rule* r) const { return at(r->origin.statement); }

  // "web-api may reach postgres:5432", or "the ingress side of `web-api may reach postgres:5432`"
  std::string statement(const ir::Rule* r) const {
    auto text = one_line(ctx_.sources.text(r->origin.statement));
    if (r->origin.implied) return fmt::format("the {} side of `{}`", dir_name(r->direction), text);
    return text;
  }
  std::string cite(const ir::Rule* r) const { return fmt::format("{}: {}", at(r), statement(r)); }
  // "admin priority 10 (shop.fence:3)"
  std::string tier_cite(const ir::Rule* r) const { return fmt::format("{} ({})", tier_label(ctx_.program, *r), at(r)); }
  std::string cite(const ir::DefaultDeny* d) const { return fmt::format("{}: {}", at(d->span), one_line(ctx_.sources.text(d->span))); }

  // "shop.fence:3, shop.fence:7": each statement once, in file and line order.
  template <typename T>
  std::string places(const std::vector<T>& items) const {
    std::vector<std::pair<std::string, std::uint32_t>> where;
    for (const auto& i : items) {
      const auto& s = rule_of(i)->origin.statement;
      if (!s.valid()) continue;
      const auto& f = ctx_.sources.file(s.file);
      where.emplace_back(f.path, f.locate(s.begin).line);
    }
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    std::vector<std::string> out;
    for (const auto& [path, line] : where) out.push_back(fmt::format("{}:{}", path, line));
    return fmt::format("{}", fmt::join(out, ", "));
  }

  json cite_json(const ir::Rule* r, std::optional<Tri> how = std::nullopt) const {
    json j = location(r->origin.statement);
    j["statement"] = one_line(ctx_.sources.text(r->origin.statement));
    j["action"] = std::string(ir::action_name(r->action));
    j["direction"] = dir_name(r->direction);
    j["implied"] = r->origin.implied;
    if (r->tier != ir::Tier::Namespace) {
      j["tier"] = std::string(ir::tier_name(r->tier));
      if (r->tier_block >= 0 && static_cast<std::size_t>(r->tier_block) < ctx_.program.tier_blocks.size()) {
        j["priority"] = ctx_.program.tier_blocks[static_cast<std::size_t>(r->tier_block)].priority;
      }
    }
    if (how) j["certain"] = *how == Tri::Yes;
    return j;
  }
  // One entry per statement, however many rules it produced.
  json cites_json(const std::vector<RuleMatch>& matches) const {
    json out = json::array();
    for (const auto& m : matches) {
      auto j = cite_json(m.rule, m.how);
      if (std::find(out.begin(), out.end(), j) == out.end()) out.push_back(j);
    }
    return out;
  }
  json cite_json(const ir::DefaultDeny* d) const {
    json j = location(d->span);
    j["statement"] = one_line(ctx_.sources.text(d->span));
    j["default_deny"] = true;
    return j;
  }

  std::string caveat(const Caveat& c, bool assumed = false) const {
    auto where = c.rule != nullptr ? at(c.rule) : std::string("?");
    switch (c.kind) {
      case Caveat::Kind::PodAddress:
        if (assumed) {
          return fmt::format(
              "{}'s address is not given: taken to be outside {} ({}), as CIDRs are meant for addresses outside the cluster; give it as "
              "{}@ADDRESS, or declare `set pod-cidrs`, to check",
              c.about, c.detail, where, c.about);
        }
        return fmt::format("{}'s address is not given: {} ({}) holds it if the address is inside; give it as {}@ADDRESS, or declare `set pod-cidrs`",
                           c.about, c.detail, where, c.about);
      case Caveat::Kind::DnsAddress:
        return fmt::format("{} ({}) holds {} if the name resolves into it; give the address as {}@ADDRESS", c.detail, where, c.about, c.about);
      case Caveat::Kind::PartialBlock:
        return fmt::format("only part of {} lies in {} ({}); ask about one address", c.about, c.detail, where);
      case Caveat::Kind::NamespaceLabels:
        return fmt::format(
            "the labels of namespace {} are not given: whether {} ({}) selects it depends on them; give them with --ns-labels {}:KEY=VALUE,...",
            c.about, c.detail, where, c.about);
      case Caveat::Kind::PortName:
        return fmt::format("{} allows the named port {}: it applies if the destination gives port {} that name; give the port as NAME=NUMBER", where,
                           c.detail, c.about);
      case Caveat::Kind::PortNumber:
        return fmt::format("{} allows {} by number, and the number of port {} is not given; give the port as NAME=NUMBER", where, c.detail, c.about);
      case Caveat::Kind::Entity:
        return fmt::format("whether {} belongs to {} ({}) cannot be told from the program", c.about, c.detail, where);
    }
    return {};
  }

  std::string peer(const ir::Peer& p) const { return display(p, ctx_.program, ctx_.options); }

  static std::string ports(const std::vector<net::Port>& ps) {
    if (ps.empty()) return "every port";
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.str());
    return fmt::format("{}", fmt::join(out, ", "));
  }

  std::string labels_phrase(const Endpoint& ep) const {
    std::vector<std::string> parts;
    for (const auto& [k, v] : ep.labels) parts.push_back(k + "=" + v);
    if (parts.empty()) return fmt::format("pods in namespace {} with no labels", ep.ns);
    return fmt::format("pods in namespace {} labelled {}", ep.ns, fmt::join(parts, ", "));
  }

  const ReportContext& ctx() const { return ctx_; }

 private:
  static const ir::Rule* rule_of(const RuleMatch& m) { return m.rule; }
  static const ir::Rule* rule_of(const ir::Rule* r) { return r; }

  json location(const Span& s) const {
    json j;
    if (!s.valid()) return j;
    const auto& f = ctx_.sources.file(s.file);
    auto lc = f.locate(s.begin);
    j["file"] = f.path;
    j["line"] = lc.line;
    j["column"] = lc.col;
    return j;
  }

  const ReportContext& ctx_;
};

void caveat_block(std::string& out, std::string_view title, const Caveats& caveats, const Reporter& rep) {
  if (caveats.empty()) return;
  out += fmt::format("\n{}\n", title);
  for (const auto& c : caveats) out += fmt::format("  - {}\n", rep.caveat(c));
}

// ---- why ----

std::string side_title(const Side& s) {
  return s.direction == ir::Direction::Egress ? fmt::format("egress from {}", s.pod.str()) : fmt::format("ingress at {}", s.pod.str());
}

std::string nothing_lets(const Side& s, const QueryPort& port) {
  if (s.direction == ir::Direction::Egress) return fmt::format("nothing lets {} reach {} on {}", s.pod.str(), s.peer.str(), port.str());
  return fmt::format("nothing lets {} in on {}", s.peer.str(), port.str());
}

// The default deny that isolates `pod` in direction `d`, in a phrase: "namespace production denies
// ingress (shop.fence:3)", or "`default deny ingress for db` isolates WHO (shop.fence:3)".
std::string deny_phrase(const ir::DefaultDeny& dd, const Endpoint& pod, ir::Direction d, const std::string& who, const Reporter& rep) {
  if (!dd.whole()) return fmt::format("`{}` isolates {} ({})", one_line(rep.ctx().sources.text(dd.span)), who, rep.at(dd.span));
  if (dd.scope.cluster) return fmt::format("every namespace denies {} ({})", dir_name(d), rep.at(dd.span));
  return fmt::format("namespace {} denies {} ({})", pod.ns, dir_name(d), rep.at(dd.span));
}

// Why the side is isolated, in a phrase: "namespace production denies ingress (shop.fence:3)".
std::string isolation_phrase(const Side& s, const Reporter& rep) {
  if (!s.default_denies.empty()) return deny_phrase(*s.default_denies.front(), s.pod, s.direction, s.pod.str(), rep);
  return fmt::format("{} is {}-isolated by its {} rules ({})", s.pod.str(), dir_name(s.direction), dir_name(s.direction), rep.places(s.selecting));
}

std::string side_summary(const Side& s, const QueryPort& port, const Reporter& rep) {
  auto dir = dir_name(s.direction);
  auto sure = [](const std::vector<RuleMatch>& ms) {
    std::vector<RuleMatch> out;
    for (const auto& m : ms) {
      if (m.how == Tri::Yes) out.push_back(m);
    }
    return out;
  };
  auto sure_denies = sure(s.denies);
  // Tiers: an admin rule that decides; else, where no namespace policy isolates the pod, a
  // baseline rule that decides.
  if (s.has_tiers && s.allowed != Tri::Maybe) {
    const ir::Rule* admin = s.admin_decides;
    if (admin != nullptr && admin->action != ir::Action::Pass) {
      return fmt::format("{} is {} by {}, before any namespace policy", dir, s.allowed == Tri::Yes ? "allowed" : "denied", rep.tier_cite(admin));
    }
    const ir::Rule* base = s.baseline_decides;
    if (s.isolated == Tri::No && base != nullptr && base->action != ir::Action::Pass) {
      return fmt::format("{} is {} by {}: no namespace policy isolates {}", dir, s.allowed == Tri::Yes ? "allowed" : "denied", rep.tier_cite(base),
                         s.pod.str());
    }
  }
  switch (s.allowed) {
    case Tri::Yes:
      if (s.isolated == Tri::No || s.allows.empty()) return fmt::format("{} is open (nothing isolates {})", dir, s.pod.str());
      return fmt::format("{} is allowed by {}", dir, rep.places(sure(s.allows)));
    case Tri::No:
      if (!sure_denies.empty()) return fmt::format("{} is denied by {} (a deny wins over every allow)", dir, rep.places(sure_denies));
      return fmt::format("{} and {}", isolation_phrase(s, rep), nothing_lets(s, port));
    case Tri::Maybe:
      return fmt::format("{} depends on what the program cannot tell (see below)", dir);
  }
  return {};
}

// "isolated by default deny egress (f:14) and by its egress rules (f:16, f:18)"
std::string isolation_line(const std::vector<const ir::DefaultDeny*>& defaults, const std::vector<RuleMatch>& selecting, ir::Direction d,
                           const Reporter& rep) {
  std::vector<std::string> why;
  for (const auto* dd : defaults) why.push_back(fmt::format("`{}` ({})", one_line(rep.ctx().sources.text(dd->span)), rep.at(dd->span)));
  if (!selecting.empty()) why.push_back(fmt::format("its own {} rules ({})", dir_name(d), rep.places(selecting)));
  return fmt::format("{}", fmt::join(why, " and "));
}

// One line per statement, however many rules it produced.
void cite_lines(std::string& out, std::string_view prefix, const std::vector<RuleMatch>& matches, std::string_view maybe, const Reporter& rep) {
  std::vector<std::string> seen;
  for (const auto& m : matches) {
    auto line = fmt::format("{}{}{}\n", prefix, rep.cite(m.rule), m.how == Tri::Maybe ? maybe : "");
    if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;
    seen.push_back(line);
    out += line;
  }
}

// The tier rules that match a connection at one end, in order of evaluation.
void tier_lines(std::string& out, const std::vector<RuleMatch>& matches, const Reporter& rep) {
  std::vector<std::string> seen;
  for (const auto& m : matches) {
    auto what = m.rule->action == ir::Action::Allow ? "allows" : m.rule->action == ir::Action::Deny ? "denies" : "defers to the next tier";
    auto line = fmt::format("  {} {}: {}{}\n", tier_label(rep.ctx().program, *m.rule), what, rep.cite(m.rule), m.how == Tri::Maybe ? " (if it applies: see below)" : "");
    if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;
    seen.push_back(line);
    out += line;
  }
}

void side_details(std::string& out, const Side& s, const QueryPort& port, const Reporter& rep) {
  out += fmt::format("{}: {}\n", side_title(s), s.allowed == Tri::Yes ? "allowed" : s.allowed == Tri::No ? "denied" : "undecided");
  if (s.has_tiers) {
    tier_lines(out, s.admin, rep);
    if (s.admin_decides != nullptr && s.admin_decides->action != ir::Action::Pass) {
      out += "  the admin tier decides: the namespace's policies and the baseline are not consulted\n";
      return;
    }
    if (s.admin.empty()) out += "  no admin rule matches\n";
  }
  if (s.isolated == Tri::No) {
    out += fmt::format("  not isolated: no default deny {} covers namespace {}, and no {} rule selects {}\n", dir_name(s.direction), s.pod.ns,
                       dir_name(s.direction), s.pod.str());
  } else {
    out += fmt::format("  {}isolated by {}\n", s.isolated == Tri::Maybe ? "perhaps " : "",
                       isolation_line(s.default_denies, s.selecting, s.direction, rep));
  }
  // Matches that only might apply matter when they leave the answer open.
  auto shown = [&](const std::vector<RuleMatch>& ms) {
    std::vector<RuleMatch> out_ms;
    for (const auto& m : ms) {
      if (m.how == Tri::Yes || s.allowed == Tri::Maybe) out_ms.push_back(m);
    }
    return out_ms;
  };
  cite_lines(out, "  allowed by ", shown(s.allows), " (if it applies: see below)", rep);
  cite_lines(out, "  denied by ", shown(s.denies), " (if it applies: see below)", rep);
  if (s.isolated != Tri::No && s.allows.empty()) {
    out += fmt::format("  {}\n", nothing_lets(s, port));
    std::vector<RuleMatch> other;
    for (const auto* r : s.other_ports) other.push_back({r, Tri::Yes});
    cite_lines(out, "  on other ports only: ", other, "", rep);
  }
  if (s.has_tiers) {
    if (s.isolated == Tri::Yes) {
      if (!s.baseline.empty()) out += "  the baseline is not consulted: the namespace's policies isolate the pod\n";
    } else {
      tier_lines(out, s.baseline, rep);
      if (s.isolated == Tri::No && (s.baseline_decides == nullptr || s.baseline_decides->action == ir::Action::Pass) && s.allowed == Tri::Yes) {
        out += "  no baseline rule decides: admitted by default\n";
      }
    }
  }
}

json side_json(const Side& s, const Reporter& rep) {
  json j;
  j["pod"] = s.pod.str();
  j["isolated"] = tri_json(s.isolated);
  j["allowed"] = tri_json(s.allowed);
  json iso = json::array();
  for (const auto* dd : s.default_denies) iso.push_back(rep.cite_json(dd));
  for (const auto& c : rep.cites_json(s.selecting)) iso.push_back(c);
  j["isolated_by"] = iso;
  std::vector<RuleMatch> other;
  for (const auto* r : s.other_ports) other.push_back({r, Tri::Yes});
  j["allowed_by"] = rep.cites_json(s.allows);
  j["denied_by"] = rep.cites_json(s.denies);
  j["other_ports"] = rep.cites_json(other);
  if (s.has_tiers) {
    j["admin"] = rep.cites_json(s.admin);
    j["baseline"] = rep.cites_json(s.baseline);
    const ir::Rule* decides = nullptr;
    if (s.admin_decides != nullptr && s.admin_decides->action != ir::Action::Pass) {
      decides = s.admin_decides;
    } else if (s.isolated == Tri::No && s.baseline_decides != nullptr && s.baseline_decides->action != ir::Action::Pass) {
      decides = s.baseline_decides;
    }
    j["decided_by_tier"] = decides != nullptr ? rep.cite_json(decides) : json(nullptr);
  }
  return j;
}

std::string answer_word(Tri t) {
  return t == Tri::Yes ? "allowed" : t == Tri::No ? "denied" : "undecided";
}

std::string why_summary(const Verdict& v, const Reporter& rep) {
  std::vector<std::string> good, bad;
  for (const auto* side : {&v.egress, &v.ingress}) {
    if (!*side) continue;
    ((*side)->allowed == Tri::Yes ? good : bad).push_back(side_summary(**side, v.port, rep));
  }
  if (bad.empty()) return fmt::format("{}", fmt::join(good, "; "));
  if (good.empty()) return fmt::format("{}", fmt::join(bad, "; "));
  return fmt::format("{}, but {}", fmt::join(good, "; "), fmt::join(bad, "; "));
}

}  // namespace

std::string why_text(const Verdict& v, const ReportContext& ctx) {
  Reporter rep(ctx);
  std::string out;
  if (ctx.environment) out += fmt::format("environment {}\n", *ctx.environment);
  out += fmt::format("{}: {} -> {} on {}\n", answer_word(v.allowed), v.from.str(), v.to.str(), v.port.str());
  out += fmt::format("  {}\n", why_summary(v, rep));
  for (const auto* side : {&v.egress, &v.ingress}) {
    if (!*side) continue;
    out += "\n";
    side_details(out, **side, v.port, rep);
  }
  if (!v.egress) out += fmt::format("\n{} is not a pod: it has no egress side\n", v.from.str());
  if (!v.ingress) out += fmt::format("\n{} is not a pod: it has no ingress side\n", v.to.str());
  caveat_block(out, "the answer depends on:", v.caveats, rep);
  if (!v.assumptions.empty()) {
    out += "\nassumed:\n";
    for (const auto& c : v.assumptions) out += fmt::format("  - {}\n", rep.caveat(c, true));
  }
  if (!v.suggestions.empty()) {
    out += "\nto allow it, add:\n";
    for (const auto& s : v.suggestions) out += fmt::format("  namespace {} {{ {} }}\n", s.ns, s.statement);
  }
  return out;
}

std::string why_json(const Verdict& v, const ReportContext& ctx) {
  Reporter rep(ctx);
  json j;
  j["environment"] = ctx.environment ? json(*ctx.environment) : json(nullptr);
  j["from"] = v.from.str();
  j["to"] = v.to.str();
  j["port"] = v.port.str();
  j["answer"] = answer_word(v.allowed);
  j["allowed"] = tri_json(v.allowed);
  j["summary"] = why_summary(v, rep);
  j["egress"] = v.egress ? side_json(*v.egress, rep) : json(nullptr);
  j["ingress"] = v.ingress ? side_json(*v.ingress, rep) : json(nullptr);
  json caveats = json::array();
  for (const auto& c : v.caveats) caveats.push_back(rep.caveat(c));
  j["depends_on"] = caveats;
  json assumed = json::array();
  for (const auto& c : v.assumptions) assumed.push_back(rep.caveat(c, true));
  j["assumed"] = assumed;
  json sugg = json::array();
  for (const auto& s : v.suggestions) sugg.push_back({{"namespace", s.ns}, {"statement", s.statement}});
  j["suggestions"] = sugg;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// ---- explain ----

namespace {

std::string far_title(const FarSide& f, ir::Direction far_dir) {
  return far_dir == ir::Direction::Ingress ? fmt::format("ingress at {}", f.pod.str()) : fmt::format("egress from {}", f.pod.str());
}

Tri far_admitted(const FarSide& f) {
  Tri denied = Tri::No;
  for (const auto& m : f.denying) denied = tri_or(denied, m.how);
  return tri_and(tri_or(tri_not(f.isolated), f.covered), tri_not(denied));
}

std::string far_phrase(const FarSide& f, ir::Direction far_dir, const Endpoint& workload, const Reporter& rep) {
  auto title = far_title(f, far_dir);
  auto dir = dir_name(far_dir);
  std::vector<RuleMatch> sure_denies;
  for (const auto& m : f.denying) {
    if (m.how == Tri::Yes) sure_denies.push_back(m);
  }
  if (!sure_denies.empty()) return fmt::format("{}: denied by {} (a deny wins over every allow)", title, rep.places(sure_denies));
  if (f.isolated == Tri::No) return fmt::format("{}: open (nothing isolates it)", title);
  if (f.covered == Tri::Yes) return fmt::format("{}: admitted by {}", title, rep.places(f.admitting));
  if (f.covered == Tri::Maybe) return fmt::format("{}: perhaps admitted by {} (ask `fence why` with the port)", title, rep.places(f.admitting));
  std::string why = f.default_denies.empty() ? fmt::format("its {} rules isolate it ({})", dir, rep.places(f.selecting))
                                             : deny_phrase(*f.default_denies.front(), f.pod, far_dir, "it", rep);
  if (!f.admitting.empty()) return fmt::format("{}: only partly admitted ({}): {}; ask `fence why` per port", title, rep.places(f.admitting), why);
  auto lets =
      far_dir == ir::Direction::Ingress ? fmt::format("nothing lets {} in", workload.str()) : fmt::format("nothing lets it reach {}", workload.str());
  return fmt::format("{}: NOT admitted: {} and {}", title, why, lets);
}

// An explanation's tier rules, in order of evaluation: "  admin priority 10: f:3: stmt".
void tier_rule_lines(std::string& out, const std::vector<RuleMatch>& rules, const Reporter& rep) {
  std::vector<std::string> seen;
  for (const auto& m : rules) {
    auto line = fmt::format("  {}: {}{}\n", tier_label(rep.ctx().program, *m.rule), rep.cite(m.rule), m.how == Tri::Maybe ? " (if it selects the pod)" : "");
    if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;
    seen.push_back(line);
    out += line;
  }
}

void namespace_direction_text(std::string& out, const DirectionView& v, const Endpoint& w, const Reporter& rep);

void direction_text(std::string& out, const DirectionView& v, const Endpoint& w, const Reporter& rep) {
  auto dir = dir_name(v.direction);
  if (!v.admin.empty()) {
    out += fmt::format("{}, first the admin tier (first match decides; a defer goes on):\n", dir);
    tier_rule_lines(out, v.admin, rep);
  }
  namespace_direction_text(out, v, w, rep);
  if (!v.baseline.empty()) {
    if (v.isolated == Tri::Yes) {
      out += fmt::format("{}, baseline tier: not consulted, the namespace's policies isolate it\n", dir);
    } else {
      out += fmt::format("{}, then the baseline tier{} (first match decides; else admitted):\n", dir,
                         v.isolated == Tri::Maybe ? ", if the namespace's policies do not isolate it" : "");
      tier_rule_lines(out, v.baseline, rep);
    }
  }
}

void namespace_direction_text(std::string& out, const DirectionView& v, const Endpoint& w, const Reporter& rep) {
  auto dir = dir_name(v.direction);
  if (v.isolated == Tri::No) {
    if (!v.admin.empty() || !v.baseline.empty()) {
      out += fmt::format("{}: not isolated: no default deny {} covers namespace {} and no namespace's {} rule selects {}\n", dir, dir, w.ns, dir,
                         w.str());
      return;
    }
    out += fmt::format("{}: open: no default deny {} covers namespace {} and no {} rule selects {}, so {} on every port\n", dir, dir, w.ns, dir,
                       w.str(), v.direction == ir::Direction::Egress ? "it may reach anything" : "anything may reach it");
    return;
  }
  out += fmt::format("{}: {}isolated by {}\n", dir, v.isolated == Tri::Maybe ? "perhaps " : "",
                     isolation_line(v.default_denies, v.selecting, v.direction, rep));
  bool any_allow = false;
  for (int pass = 0; pass < 2; ++pass) {
    auto action = pass == 0 ? ir::Action::Allow : ir::Action::Deny;
    for (const auto& l : v.lines) {
      if (l.action != action) continue;
      any_allow = any_allow || action == ir::Action::Allow;
      const char* verb = v.direction == ir::Direction::Egress ? (action == ir::Action::Allow ? "may reach" : "must not reach")
                                                              : (action == ir::Action::Allow ? "may be reached by" : "must not be reached by");
      out += fmt::format("  {} {} on {}\n", verb, rep.peer(l.peer), Reporter::ports(l.ports));
      cite_lines(out, "      ", l.rules, " (if it selects the pod)", rep);
      if (l.far) {
        auto far_dir = v.direction == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
        out += fmt::format("      {}\n", far_phrase(*l.far, far_dir, w, rep));
      }
    }
  }
  if (!any_allow) {
    out += fmt::format("  nothing is allowed: {}\n", v.direction == ir::Direction::Egress ? "it may reach nothing" : "nothing may reach it");
  }
}

void direction_connections(std::vector<ConnectionLine>& out, const DirectionView& v, const std::string& w, const Reporter& rep) {
  bool egress = v.direction == ir::Direction::Egress;
  auto dir = dir_name(v.direction);
  for (const auto* tier : {&v.admin, &v.baseline}) {
    for (const auto& m : *tier) {
      const auto& r = *m.rule;
      const char* verb = r.action == ir::Action::Allow ? (egress ? "may reach" : "may be reached by")
                         : r.action == ir::Action::Deny ? (egress ? "must not reach" : "must not be reached by")
                                                        : (egress ? "defer reach" : "defer be reached by");
      std::vector<std::string> peers;
      for (const auto& p : r.peers) peers.push_back(rep.peer(p));
      out.push_back({fmt::format("{} {}: {} {} on {}", w, tier_label(rep.ctx().program, r), verb, fmt::join(peers, ", "), Reporter::ports(r.ports)),
                     r.origin.statement});
    }
  }
  if (v.isolated == Tri::No) {
    out.push_back({fmt::format("{} {}: open, {}", w, dir, egress ? "it may reach anything" : "anything may reach it"), Span{}});
    return;
  }
  std::string perhaps = v.isolated == Tri::Maybe ? " (if it is isolated)" : "";
  bool any_allow = false;
  for (const auto& l : v.lines) {
    bool allow = l.action == ir::Action::Allow;
    any_allow = any_allow || allow;
    const char* verb = egress ? (allow ? "may reach" : "must not reach") : (allow ? "may be reached by" : "must not be reached by");
    auto peer = rep.peer(l.peer);
    std::string text = fmt::format("{} {} {} on {}{}", w, verb, peer, Reporter::ports(l.ports), perhaps);
    if (allow && l.far) {
      auto far_side = egress ? fmt::format("ingress at {}", peer) : fmt::format("egress from {}", peer);
      switch (far_admitted(*l.far)) {
        case Tri::Yes:
          break;
        case Tri::Maybe:
          text += fmt::format(", if {} admits it", far_side);
          break;
        case Tri::No:
          text += fmt::format(", but {} does not admit it", far_side);
          break;
      }
    }
    out.push_back({std::move(text), l.rules.empty() ? Span{} : l.rules.front().rule->origin.statement});
  }
  if (!any_allow) {
    out.push_back({fmt::format("{} {}: isolated, {}{}", w, dir, egress ? "it may reach nothing" : "nothing may reach it", perhaps), Span{}});
  }
}

json direction_json(const DirectionView& v, const Endpoint& w, const Reporter& rep) {
  json j;
  j["isolated"] = tri_json(v.isolated);
  json iso = json::array();
  for (const auto* dd : v.default_denies) iso.push_back(rep.cite_json(dd));
  for (const auto& c : rep.cites_json(v.selecting)) iso.push_back(c);
  j["isolated_by"] = iso;
  json allow = json::array(), deny = json::array();
  auto far_dir = v.direction == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
  for (const auto& l : v.lines) {
    json lj;
    lj["peer"] = rep.peer(l.peer);
    json ports = json::array();
    for (const auto& p : l.ports) ports.push_back(p.str());
    lj["ports"] = ports;  // empty: every port
    lj["sources"] = rep.cites_json(l.rules);
    if (l.far) {
      json f;
      f["pod"] = l.far->pod.str();
      f["direction"] = dir_name(far_dir);
      f["isolated"] = tri_json(l.far->isolated);
      f["admitted"] = tri_json(far_admitted(*l.far));
      f["admitted_by"] = rep.cites_json(l.far->admitting);
      f["denied_by"] = rep.cites_json(l.far->denying);
      f["summary"] = far_phrase(*l.far, far_dir, w, rep);
      lj["far_side"] = f;
    }
    (l.action == ir::Action::Allow ? allow : deny).push_back(lj);
  }
  j["allow"] = allow;
  j["deny"] = deny;
  if (!v.admin.empty() || !v.baseline.empty()) {
    j["admin"] = rep.cites_json(v.admin);
    j["baseline"] = rep.cites_json(v.baseline);
  }
  return j;
}

}  // namespace

std::string explain_text(const Explanation& e, const ReportContext& ctx) {
  Reporter rep(ctx);
  std::string out;
  if (ctx.environment) out += fmt::format("environment {}\n", *ctx.environment);
  out += fmt::format("{}: {}\n\n", e.workload.str(), rep.labels_phrase(e.workload));
  direction_text(out, e.egress, e.workload, rep);
  out += "\n";
  direction_text(out, e.ingress, e.workload, rep);
  caveat_block(out, "undecided:", e.caveats, rep);
  return out;
}

std::string explain_json(const Explanation& e, const ReportContext& ctx) {
  Reporter rep(ctx);
  json j;
  j["environment"] = ctx.environment ? json(*ctx.environment) : json(nullptr);
  j["workload"] = e.workload.str();
  j["namespace"] = e.workload.ns;
  json labels = json::object();
  for (const auto& [k, v] : e.workload.labels) labels[k] = v;
  j["labels"] = labels;
  j["egress"] = direction_json(e.egress, e.workload, rep);
  j["ingress"] = direction_json(e.ingress, e.workload, rep);
  json caveats = json::array();
  for (const auto& c : e.caveats) caveats.push_back(rep.caveat(c));
  j["depends_on"] = caveats;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<ConnectionLine> connection_lines(const Explanation& e, const std::string& workload, const ReportContext& ctx) {
  Reporter rep(ctx);
  std::vector<ConnectionLine> out;
  direction_connections(out, e.egress, workload, rep);
  direction_connections(out, e.ingress, workload, rep);
  return out;
}

std::string caveat_text(const Caveat& c, const ReportContext& ctx, bool assumed) {
  return Reporter(ctx).caveat(c, assumed);
}

}  // namespace fence::analyze
