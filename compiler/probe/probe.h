// `fence probe`: a connectivity test plan, made from the program and the cluster's inventory (the
// "test before enforcing" step: run it before the policy is applied, and after). Each probe is one
// connection from a workload of the inventory to another workload, an address or a DNS name, on
// one port, with the answer the semantic engine (compiler/analyze/, the engine of `fence why`)
// expects and the statements that decide it. Probes whose answer the engine cannot decide (it
// depends on facts the program and inventory do not hold) are left out and counted, never guessed.
//
// Kinds of probes:
//   allowed      a connection the program allows, on a port the destination declares (or, to an
//                address or DNS name, on a port the rule names);
//   other-source the same destination and port, from a workload that is not allowed;
//   other-port   another declared port of an allowed destination, from the allowed source;
//   metadata     169.254.169.254:80/tcp (the cloud metadata endpoint) from a workload whose egress
//                is under policy;
//   dns          the cluster DNS (kube-system/pods[k8s-app=kube-dns], 53/udp) from a workload
//                whose egress is under policy.
// Rendering (probe/render.cpp) turns a plan into a POSIX sh script or JSON; results.cpp reads the
// outcomes a script recorded and explains where they differ from the plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyze/reach.h"
#include "diag/source.h"
#include "inventory/inventory.h"
#include "ir/ir.h"

namespace fence::probe {

enum class Kind : std::uint8_t { Allowed, OtherSource, OtherPort, Metadata, Dns };
std::string_view kind_name(Kind k);  // "allowed", "other-source", ...

// A statement that decides a probe's answer.
struct Cite {
  std::string file;
  std::uint32_t line = 0;
  std::string statement;  // one line of source; "the ingress side of `...`" for an implied rule
  std::string role;       // "allows", "denies", "isolates"

  std::string where() const;  // "shop.fence:12"
};

struct Workload {
  std::string ns;
  std::string kind;  // "Deployment", ...
  std::string name;
  std::string resource() const;  // kubectl's TYPE/NAME: "deploy/frontend", "sts/redis-cart", "pod/x"
  std::string str() const { return ns + "/" + name; }
};

struct Probe {
  std::string id;  // stable: "boutique/frontend -> boutique/cartservice:7070/tcp"
  Kind kind = Kind::Allowed;
  Workload from;
  // The destination: a workload of the inventory, the cluster DNS, an address or a DNS name.
  enum class To : std::uint8_t { Workload, ClusterDns, Address, Name } to_kind = To::Workload;
  Workload to;          // To::Workload; To::ClusterDns: kube-system/kube-dns
  std::string address;  // To::Address: the address probed; To::Name: the name
  std::uint16_t port = 0;  // the port of the destination pod (or address) that policy sees
  net::Protocol protocol = net::Protocol::TCP;
  std::string port_name;  // the destination pod's name for the port, if any
  // How the script reaches it: a host name or address and a port (a Service's port, when a
  // Service is in front of the pod); or, with `host` empty, the pod's address, looked up at run
  // time by `selector` (KEY=VALUE,...) in the destination's namespace.
  std::string host;
  std::uint16_t host_port = 0;
  std::string selector;
  bool expect_allowed = true;
  std::vector<Cite> decided_by;
  std::string reason;  // one sentence: why this answer
};

struct Plan {
  std::optional<std::string> environment;
  std::string target;
  std::vector<Probe> probes;           // in a stable order: by kind, then id
  std::map<Kind, std::size_t> total;   // candidates of each kind before --max
  std::size_t left_out = 0;            // candidates beyond --max
  std::size_t undecided = 0;           // connections the engine cannot decide: not probed
  std::size_t unpoliced = 0;           // connections between workloads that no statement is about
  std::size_t udp_skipped = 0;         // UDP ports other than DNS: nc cannot tell a dropped datagram
  std::vector<std::string> notes;      // for the user (stderr)
};

struct Options {
  analyze::Options analysis;
  std::size_t max = 200;
  std::string target = "k8s";
  std::optional<std::string> environment;
};

Plan make_plan(const ir::Program& program, const inventory::Inventory& inventory, const SourceManager& sm, const Options& options);

// ---- rendering (render.cpp) ----

enum class ProbeCommand : std::uint8_t { Nc, Agnhost };

std::string to_json(const Plan& plan);
std::string to_script(const Plan& plan, ProbeCommand command);

// ---- results (results.cpp) ----

// One observed outcome, as the script records it: "connected" or "blocked", a tab, the probe id.
struct Observation {
  std::string id;
  bool connected = false;
  std::uint32_t line = 0;  // in the results file
};

struct ResultsError {
  std::uint32_t line = 0;
  std::string message;
};

// Parses a results file. Lines starting with '#' and blank lines are skipped. Throws ResultsError.
std::vector<Observation> parse_results(const std::string& text);

struct Comparison {
  std::string text;        // the report, one line per discrepancy with its explanation
  std::size_t matched = 0;
  std::size_t discrepancies = 0;
  std::size_t unknown = 0;  // observations of probes the plan does not have
};

// Compares observations with the plan (made without --max, so that any probe of the program can be
// matched) and explains each discrepancy at the statements that decide it.
Comparison compare(const Plan& plan, const std::vector<Observation>& observed);

}  // namespace fence::probe
