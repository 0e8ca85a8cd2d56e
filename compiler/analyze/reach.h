// Reachability over the IR, independent of any target. It reads the program the way the meaning's
// four rules say (see docs/language.md):
//   - a pod is isolated in a direction when a default deny covers its namespace in that
//     direction, or when any rule of that direction (allow or deny) has it as subject;
//   - an isolated direction admits only what an allow admits; a direction that is not isolated
//     admits everything;
//   - a deny that matches wins over every allow;
//   - a connection from pod A to pod B needs egress from A and ingress at B; an address or a DNS
//     name outside the cluster has no side of its own.
// The implied rules sema adds (the other side of a connection, where that side's namespace denies
// by default) are ordinary rules here, marked by their origin.
// Tiers (docs/tiers.md) come around those rules, at each end: the admin tier's rules first (by
// block priority, first match within a block; a defer goes on), then the namespace rules above if
// any isolates the pod, else the baseline tier's, else the connection is admitted. Tier rules
// isolate nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyze/match.h"
#include "analyze/query.h"
#include "ir/ir.h"

namespace fence::analyze {

struct Options {
  // The label key workload names stand for, when the program's own choice is not wanted.
  std::optional<std::string> label_key;
  // Namespaces' labels, as far as the user gave them (for pods explain describes on its own).
  std::map<std::string, Labels> ns_labels;
  // Names to show namespaces under, where they differ from the program's (the names the source
  // writes on their blocks, when comparing environments that name them differently).
  std::map<std::string, std::string> ns_shown;
};

struct RuleMatch {
  const ir::Rule* rule = nullptr;
  Tri how = Tri::Yes;  // Maybe: depends on a fact the caveats name
};

// One end's policy for a connection: egress at the source, or ingress at the destination.
struct Side {
  ir::Direction direction = ir::Direction::Egress;
  Endpoint pod;                                        // whose policy this is
  Endpoint peer;                                       // the other end
  std::vector<const ir::DefaultDeny*> default_denies;  // covering the pod's namespace
  std::vector<RuleMatch> selecting;                    // rules of this direction with the pod as subject
  std::vector<RuleMatch> allows;                       // allows that admit the connection
  std::vector<RuleMatch> denies;                       // denies that stop it
  std::vector<const ir::Rule*> other_ports;            // allows for this peer, on other ports only
  Tri isolated = Tri::No;  // by namespace policies (tier rules isolate nothing)
  Tri allowed = Tri::Yes;
  Caveats caveats;  // what an undecided answer depends on
  // Tiers: the tier rules of this direction that select the pod and match the connection, in
  // order of evaluation, up to the first that certainly matches; and the rule that decides in each
  // tier when one certainly does (its action: allow, deny, or pass to the next tier).
  std::vector<RuleMatch> admin;
  std::vector<RuleMatch> baseline;
  const ir::Rule* admin_decides = nullptr;
  const ir::Rule* baseline_decides = nullptr;
  Tri admin_through = Tri::Yes;  // whether the admin tier leaves the connection to the next steps
  bool has_tiers = false;        // whether any tier rule selects the pod in this direction
};

// A statement that would allow a denied connection, and the namespace block it belongs in.
struct Suggestion {
  std::string ns;
  std::string statement;
};

struct Verdict {
  Endpoint from;
  Endpoint to;
  QueryPort port;
  std::optional<Side> egress;   // when `from` is a pod
  std::optional<Side> ingress;  // when `to` is a pod
  Tri allowed = Tri::Yes;
  Caveats caveats;
  // Undecided only for want of pods' addresses, the answer assumes them outside every CIDR; these
  // are the rules that assumption set aside.
  Caveats assumptions;
  std::vector<Suggestion> suggestions;  // only for a connection that is denied and no deny stops
};

// One side of a connection as `why` reads it: the egress of `pod` towards `peer`, or its ingress
// from `peer`. `assume_outside` takes pods' unknown addresses to lie outside every CIDR.
Side side_of(const ir::Program& program, ir::Direction d, const Endpoint& pod, const Endpoint& peer, const QueryPort& port, bool destination_is_pod,
             bool assume_outside);

// Throws QueryError when neither end is a pod (Fence's rules are about pods).
Verdict why(const ir::Program& program, const Endpoint& from, const Endpoint& to, const QueryPort& port, const Options& options = {});

// The rules that can select a pod of a namespace: those whose subject names it, and those whose
// subject chooses namespaces by label or takes them all; in source order. Built once, it spares
// each explain a scan of every rule (`fence diff --level connections` explains every workload).
class RuleIndex {
 public:
  explicit RuleIndex(const ir::Program& program);
  std::vector<const ir::Rule*> candidates(const std::string& ns) const;

 private:
  std::map<std::string, std::vector<const ir::Rule*>> by_ns_;
  std::vector<const ir::Rule*> others_;
};

// The part of one end's policy that depends on the pod alone: the default denies that isolate
// it (of its namespace, or `for` pods it is among) and the rules of one direction that select it (or may: `how` is Maybe, with the
// caveats). Made once, it answers questions about many peers and ports (`fence graph`).
struct Selected {
  const ir::Rule* rule = nullptr;
  Tri how = Tri::Yes;
  Caveats caveats;
};
struct Selection {
  ir::Direction direction = ir::Direction::Egress;
  Endpoint pod;
  std::vector<const ir::DefaultDeny*> default_denies;  // those that certainly isolate the pod
  Tri deny_isolated = Tri::No;  // whether a default deny isolates it: Maybe where one may, on a fact in deny_caveats
  Caveats deny_caveats;
  std::vector<Selected> rules;  // in source order
};
// `index`, when given, must be built from `program`.
Selection select_rules(const ir::Program& program, ir::Direction direction, const Endpoint& pod, const RuleIndex* index = nullptr);

// why's answer without the suggestions, from selections made beforehand: `egress` is the egress
// selection of `from` (required when it is a pod), `ingress` the ingress selection of `to`.
// `settle_sides`: when the answer is "denied" by one side, settle the other side too as the answer
// settles an undecided one (pods taken to lie outside CIDRs), so that each side says what it
// admits (`fence graph` tells a connection one side opens from one neither does).
Verdict verdict(const ir::Program& program, const Endpoint& from, const Endpoint& to, const QueryPort& port, const Selection* egress,
                const Selection* ingress, bool settle_sides = false);


// ---- explain ----

// The other end of one of the workload's lines, judged for a pod with exactly the labels the
// line's selector names (only when it names a namespace and labels by equality).
struct FarSide {
  Endpoint pod;
  std::vector<const ir::DefaultDeny*> default_denies;
  std::vector<RuleMatch> selecting;
  std::vector<RuleMatch> admitting;  // allows there whose peers hold the workload
  std::vector<RuleMatch> denying;    // denies there whose peers hold the workload
  Tri isolated = Tri::No;
  Tri covered = Tri::No;  // whether `admitting` covers every port of the line
};

struct Line {
  ir::Action action = ir::Action::Allow;
  ir::Peer peer;
  std::vector<net::Port> ports;  // empty: every port
  std::vector<RuleMatch> rules;
  std::optional<FarSide> far;
};

struct DirectionView {
  ir::Direction direction = ir::Direction::Egress;
  std::vector<const ir::DefaultDeny*> default_denies;
  std::vector<RuleMatch> selecting;  // namespace rules only
  Tri isolated = Tri::No;
  std::vector<Line> lines;  // in source order of their first rule
  // The tier rules that select the workload, in order of evaluation.
  std::vector<RuleMatch> admin;
  std::vector<RuleMatch> baseline;
};

// Tier rules in order of evaluation: by their block's priority, then the blocks' source order,
// then source order within a block.
void sort_tier_rules(const ir::Program& program, std::vector<RuleMatch>& rules);

// "admin priority 10"
std::string tier_label(const ir::Program& program, const ir::Rule& r);

struct Explanation {
  Endpoint workload;
  DirectionView egress;
  DirectionView ingress;
  Caveats caveats;
};

// `index`, when given, must be built from `program`.
Explanation explain(const ir::Program& program, const Endpoint& workload, const Options& options = {}, const RuleIndex* index = nullptr);

// How a selector names pods, in the source's own terms where it can: "production/postgres",
// "production/all pods", "ns[team=obs]/pods[tier=db]".
std::string display(const ir::Endpoint& ep, const ir::Program& program, const Options& options);
std::string display(const ir::Peer& peer, const ir::Program& program, const Options& options);

}  // namespace fence::analyze
