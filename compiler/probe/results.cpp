// Reading the outcomes a probe script observed, and explaining where they differ from the plan.
#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "probe/probe.h"

namespace fence::probe {

std::vector<Observation> parse_results(const std::string& text) {
  std::vector<Observation> out;
  std::istringstream in(text);
  std::string line;
  std::uint32_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos) throw ResultsError{n, "expected an outcome (connected or blocked), a tab, and a probe id"};
    auto outcome = line.substr(0, tab);
    Observation o;
    o.id = line.substr(tab + 1);
    o.line = n;
    if (outcome == "connected") {
      o.connected = true;
    } else if (outcome != "blocked") {
      throw ResultsError{n, fmt::format("unknown outcome '{}': expected connected or blocked", outcome)};
    }
    if (o.id.empty()) throw ResultsError{n, "the probe id is missing"};
    out.push_back(std::move(o));
  }
  return out;
}

namespace {

std::string cites_text(const Probe& p) {
  std::vector<std::string> out;
  for (const auto& c : p.decided_by) out.push_back(fmt::format("      {} {}: {}", c.where(), c.role, c.statement));
  return out.empty() ? std::string() : fmt::format("{}\n", fmt::join(out, "\n"));
}

}  // namespace

Comparison compare(const Plan& plan, const std::vector<Observation>& observed) {
  Comparison c;
  std::map<std::string, const Probe*> by_id;
  for (const auto& p : plan.probes) by_id.emplace(p.id, &p);
  std::vector<std::pair<const Probe*, const Observation*>> opened, closed;  // expected denied but connected; the reverse
  std::size_t negatives = 0, dns_blocked = 0, dns_expected = 0;
  std::string unknown;
  std::map<std::string, bool> seen;
  for (const auto& o : observed) {
    auto it = by_id.find(o.id);
    if (it == by_id.end()) {
      ++c.unknown;
      unknown += fmt::format("  line {}: {}: not a probe of this plan (another program, inventory or environment?)\n", o.line, o.id);
      continue;
    }
    seen[o.id] = true;
    const auto* p = it->second;
    if (!p->expect_allowed) ++negatives;
    if (p->kind == Kind::Dns && p->expect_allowed) {
      ++dns_expected;
      if (!o.connected) ++dns_blocked;
    }
    if (o.connected == p->expect_allowed) {
      ++c.matched;
    } else if (o.connected) {
      opened.emplace_back(p, &o);
    } else {
      closed.emplace_back(p, &o);
    }
  }
  c.discrepancies = opened.size() + closed.size();
  std::string& t = c.text;
  t += fmt::format("{} observed outcomes: {} as expected, {} not", c.matched + c.discrepancies, c.matched, c.discrepancies);
  if (c.unknown > 0) t += fmt::format(", {} not in the plan", c.unknown);
  t += "\n";
  if (negatives >= 2 && opened.size() == negatives) {
    t += fmt::format(
        "\nEvery probe expected to be blocked connected ({} of {}): the cluster enforces none of these policies. Either they are not "
        "applied (kubectl get networkpolicy -A), or the network plugin does not enforce NetworkPolicy (Flannel does not; Calico and "
        "Cilium do: kubectl get pods -n kube-system). The program's statements are not at fault.\n",
        opened.size(), negatives);
  } else if (!opened.empty()) {
    t += "\nExpected to be blocked, but connected:\n";
    for (const auto& [p, o] : opened) {
      t += fmt::format("  {} (line {})\n    the program denies it: {}\n{}", p->id, o->line, p->reason, cites_text(*p));
      t += "    a policy the program does not know of may allow it, or the policy above is not applied as built\n";
    }
  }
  if (!opened.empty() && negatives >= 2 && opened.size() == negatives) {
    // The statements that should have blocked them, each once, and the probes.
    std::vector<std::string> where;
    for (const auto& [p, o] : opened) {
      for (const auto& cite : p->decided_by) {
        auto w = fmt::format("  {}: {}", cite.where(), cite.statement);
        if (std::find(where.begin(), where.end(), w) == where.end()) where.push_back(w);
      }
    }
    if (!where.empty()) t += fmt::format("Statements that should have blocked them:\n{}\n", fmt::join(where, "\n"));
    std::vector<std::string> ids;
    for (const auto& [p, o] : opened) ids.push_back(p->id);
    t += fmt::format("Probes that connected: {}\n", fmt::join(ids, "; "));
  }
  if (!closed.empty()) {
    t += "\nExpected to connect, but blocked:\n";
    if (dns_expected >= 1 && dns_blocked == dns_expected) {
      t += "  (the cluster DNS did not answer any workload that may use it: check kube-dns in kube-system, and that probes by\n"
           "  name then fail for that reason; probes of Services by name need DNS)\n";
    }
    for (const auto& [p, o] : closed) {
      t += fmt::format("  {} (line {})\n    the program allows it: {}\n{}", p->id, o->line, p->reason, cites_text(*p));
      t += fmt::format(
          "    check that the policies applied are the ones built from these statements (fence build ... | kubectl diff -f -), that "
          "something listens on port {}, and that no other policy of the cluster isolates {}\n",
          p->port, p->to_kind == Probe::To::Workload ? p->to.str() : p->from.str());
    }
  }
  if (!unknown.empty()) t += "\nNot in the plan:\n" + unknown;
  std::size_t missing = 0;
  for (const auto& p : plan.probes) missing += seen.count(p.id) == 0 ? 1 : 0;
  if (missing > 0 && !observed.empty()) t += fmt::format("\n{} probes of the plan have no observed outcome (left out by --max, or could not run)\n", missing);
  return c;
}

}  // namespace fence::probe
