// A plan as JSON (the schema is in docs/probe.md) and as a POSIX sh script that runs it with
// kubectl exec.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "diag/source.h"
#include "probe/probe.h"

namespace fence::probe {

namespace {

using json = nlohmann::ordered_json;

json workload_json(const Workload& w) {
  return json{{"namespace", w.ns}, {"kind", w.kind}, {"name", w.name}, {"resource", w.resource()}};
}

std::string_view to_kind_name(Probe::To t) {
  switch (t) {
    case Probe::To::Workload:
      return "workload";
    case Probe::To::ClusterDns:
      return "cluster-dns";
    case Probe::To::Address:
      return "address";
    case Probe::To::Name:
      return "name";
  }
  return "?";
}

}  // namespace

std::string to_json(const Plan& plan) {
  json j;
  j["fence_probe"] = 1;
  j["environment"] = plan.environment ? json(*plan.environment) : json(nullptr);
  j["target"] = plan.target;
  json probes = json::array();
  for (const auto& p : plan.probes) {
    json e;
    e["id"] = p.id;
    e["kind"] = kind_name(p.kind);
    e["from"] = workload_json(p.from);
    json to{{"type", to_kind_name(p.to_kind)}};
    if (p.to_kind == Probe::To::Workload || p.to_kind == Probe::To::ClusterDns) {
      auto w = workload_json(p.to);
      for (const auto& [k, v] : w.items()) to[k] = v;
    } else {
      to["address"] = p.address;
    }
    e["to"] = to;
    e["port"] = p.port;
    e["protocol"] = net::protocol_lower(p.protocol);
    e["port_name"] = p.port_name.empty() ? json(nullptr) : json(p.port_name);
    json connect;
    if (!p.host.empty()) {
      connect["host"] = p.host;
    } else {
      connect["pod_selector"] = p.selector;
      connect["namespace"] = p.to.ns;
    }
    connect["port"] = p.host_port;
    e["connect"] = connect;
    e["expect"] = p.expect_allowed ? "allowed" : "denied";
    json cites = json::array();
    for (const auto& c : p.decided_by) cites.push_back(json{{"file", c.file}, {"line", c.line}, {"statement", c.statement}, {"role", c.role}});
    e["decided_by"] = cites;
    e["reason"] = p.reason;
    probes.push_back(e);
  }
  j["probes"] = probes;
  json by_kind = json::object();
  for (const auto& [k, n] : plan.total) by_kind[std::string(kind_name(k))] = n;
  j["counts"] = json{{"planned", plan.probes.size()},
                     {"left_out", plan.left_out},
                     {"undecided", plan.undecided},
                     {"not_under_policy", plan.unpoliced},
                     {"udp_not_probed", plan.udp_skipped},
                     {"candidates_by_kind", by_kind}};
  j["notes"] = plan.notes;
  return j.dump(2) + "\n";
}

std::string to_script(const Plan& plan, ProbeCommand command) {
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Connectivity test plan written by `fence probe`";
  if (plan.environment) s += fmt::format(" (environment {})", *plan.environment);
  s += fmt::format(": {} probes", plan.probes.size());
  if (plan.left_out > 0) s += fmt::format(", {} more left out by --max", plan.left_out);
  s += ".\n";
  if (plan.undecided > 0) s += fmt::format("# {} connections are not probed: the program alone cannot decide them (see `fence why`).\n", plan.undecided);
  if (plan.unpoliced > 0) s += fmt::format("# {} connections between workloads are not probed: no statement is about them (neither end is isolated).\n", plan.unpoliced);
  if (plan.udp_skipped > 0) s += fmt::format("# {} UDP/SCTP ports other than DNS are not probed: nc cannot tell a dropped datagram from a delivered one.\n", plan.udp_skipped);
  s += R"(#
# Usage: sh THIS-SCRIPT [RESULTS-FILE]     (or RESULTS=FILE sh THIS-SCRIPT)
# Each probe runs in the source workload's first pod (kubectl exec -n NS TYPE/NAME -- ...), so its
# image needs )";
  s += command == ProbeCommand::Nc ? "`nc`" : "`/agnhost`";
  s += R"( (and `nslookup` for the DNS probes). Prints one line per probe and a summary;
# exits 0 when every outcome is the expected one, 1 when some differ, 2 when some probes could not
# run. RESULTS-FILE receives the observed outcomes, for `fence probe --results RESULTS-FILE ...`.
# KUBECTL overrides the kubectl command (e.g. KUBECTL="kubectl --context staging").
set -u
KUBECTL=${KUBECTL:-kubectl}
RESULTS=${1:-${RESULTS:-}}
passed=0
failed=0
errors=0
observed=""
exec_ok=" "
exec_bad=" "
results_tmp=""
if [ -n "$RESULTS" ]; then
  results_tmp="$RESULTS.tmp.$$"
  printf '# fence probe results: observed outcome, a tab, the probe id\n' > "$results_tmp" || { echo "cannot write $results_tmp" >&2; exit 2; }
fi

# can_exec NS RESOURCE: whether kubectl can run a command in the workload (asked once per workload).
can_exec() {
  case "$exec_ok" in *" $1/$2 "*) return 0 ;; esac
  case "$exec_bad" in *" $1/$2 "*) return 1 ;; esac
  if $KUBECTL exec -n "$1" "$2" -- true >/dev/null 2>&1; then
    exec_ok="$exec_ok$1/$2 "
    return 0
  fi
  exec_bad="$exec_bad$1/$2 "
  return 1
}

# probe ID EXPECT NS RESOURCE HOW HOST PORT [DEST-NS SELECTOR]
#   EXPECT: allowed or denied. HOW: tcp or dns. An empty HOST: the address of the first pod in
#   DEST-NS that SELECTOR selects, looked up now.
probe() {
  id=$1 expect=$2 ns=$3 res=$4 how=$5 host=$6 port=$7
  if ! can_exec "$ns" "$res"; then
    errors=$((errors + 1))
    printf 'ERROR %s: cannot run a command in %s/%s (kubectl exec -n %s %s -- true failed)\n' "$id" "$ns" "$res" "$ns" "$res"
    return
  fi
  if [ -z "$host" ]; then
    host=$($KUBECTL get pods -n "$8" -l "$9" -o 'jsonpath={.items[0].status.podIP}' 2>/dev/null)
    if [ -z "$host" ]; then
      errors=$((errors + 1))
      printf 'ERROR %s: no pod in namespace %s is labelled %s\n' "$id" "$8" "$9"
      return
    fi
  fi
  if [ "$how" = dns ]; then
    $KUBECTL exec -n "$ns" "$res" -- nslookup kubernetes.default.svc.cluster.local >/dev/null 2>&1
)";
  if (command == ProbeCommand::Nc) {
    s += R"(  else
    $KUBECTL exec -n "$ns" "$res" -- nc -z -w 2 "$host" "$port" >/dev/null 2>&1
  fi
)";
  } else {
    s += R"(  else
    case "$host" in *:*) target="[$host]:$port" ;; *) target="$host:$port" ;; esac
    $KUBECTL exec -n "$ns" "$res" -- /agnhost connect "$target" --timeout=2s >/dev/null 2>&1
  fi
)";
  }
  s += R"(  if [ $? -eq 0 ]; then observed=connected; else observed=blocked; fi
  if [ -n "$results_tmp" ]; then printf '%s\t%s\n' "$observed" "$id" >> "$results_tmp"; fi
  if { [ "$expect" = allowed ] && [ "$observed" = connected ]; } || { [ "$expect" = denied ] && [ "$observed" = blocked ]; }; then
    passed=$((passed + 1))
    printf 'PASS  %-9s %s\n' "$observed" "$id"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-9s %s (expected %s)\n' "$observed" "$id" "$expect"
  fi
}

)";
  Kind last = Kind::Allowed;
  bool first = true;
  for (const auto& p : plan.probes) {
    if (first || p.kind != last) s += fmt::format("# ---- {} ----\n", kind_name(p.kind));
    first = false;
    last = p.kind;
    std::vector<std::string> cites;
    for (const auto& c : p.decided_by) cites.push_back(c.where());
    s += fmt::format("# expected {}: {}{}\n", p.expect_allowed ? "allowed" : "denied", p.reason,
                     cites.empty() ? std::string() : fmt::format(" [{}]", fmt::join(cites, ", ")));
    s += fmt::format("probe {} {} {} {} {} {} {}", shell_quote(p.id), p.expect_allowed ? "allowed" : "denied", shell_quote(p.from.ns), shell_quote(p.from.resource()),
                     p.kind == Kind::Dns ? "dns" : "tcp", shell_quote(p.host), p.host_port);
    if (p.host.empty()) s += fmt::format(" {} {}", shell_quote(p.to.ns), shell_quote(p.selector));
    s += "\n";
  }
  s += R"(
printf '%d passed, %d failed, %d could not run\n' "$passed" "$failed" "$errors"
if [ -n "$results_tmp" ]; then
  mv "$results_tmp" "$RESULTS" || exit 2
  printf 'observed outcomes written to %s: explain them with fence probe --results %s ...\n' "$RESULTS" "$RESULTS"
fi
if [ "$failed" -gt 0 ]; then exit 1; fi
if [ "$errors" -gt 0 ]; then exit 2; fi
exit 0
)";
  return s;
}

}  // namespace fence::probe
