// W0603: an allow that admits nothing another allow of the same subject (same scope and
// direction) does not already admit. Rules are compared only within their subject's group, and
// within it only with candidates found through an index on one of the rule's peers: a rule
// that contains another must contain that peer, so it has that peer's CIDR or a CIDR around it,
// the same endpoint or a broad one, or the same DNS name or entity.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

// How many candidates one rule is compared with at most; a miss is a warning not given.
constexpr std::size_t kCandidates = 64;

bool http_contained(const ir::Rule& small, const ir::Rule& big) {
  if (big.http.empty()) return true;
  return !small.http.empty() && std::all_of(small.http.begin(), small.http.end(), [&](const ir::HttpRule& h) {
           return std::any_of(big.http.begin(), big.http.end(), [&](const ir::HttpRule& b) { return b.same_as(h); });
         });
}

bool peer_covered(const ir::Peer& p, const ir::Rule& big) {
  return std::any_of(big.peers.begin(), big.peers.end(), [&](const ir::Peer& q) {
    if (q.kind == ir::Peer::Kind::Any) return true;
    if (q.kind != p.kind) return false;
    switch (p.kind) {
      case ir::Peer::Kind::Endpoint:
        return ir::contains(q.endpoint, p.endpoint);
      case ir::Peer::Kind::DnsName:
        return q.dns == p.dns;
      case ir::Peer::Kind::Entity:
        return q.entity == p.entity || q.entity == "all";
      case ir::Peer::Kind::Cidr:
        return false;  // compared as address sets
      case ir::Peer::Kind::Any:
        return true;
    }
    return false;
  });
}

// A single equality on the pod labels in a named namespace: only an equal endpoint, or a broader
// one, can contain it.
bool narrow(const ir::Endpoint& e) {
  return e.ns.kind == ir::NamespaceSel::Kind::Named && e.pods.reqs.size() == 1 && e.pods.reqs[0].op == net::SelOp::Equals;
}

struct CidrKey {
  std::size_t operator()(const net::Cidr& c) const {
    std::size_t h = c.prefix;
    for (auto b : c.addr) h = h * 131 + b;
    return h;
  }
};

// Candidates for containing a rule, by peer. Built once and refilled per group, so that its
// tables keep their memory.
class GroupIndex {
 public:
  explicit GroupIndex(const Facts& facts) : facts_(facts) {}

  void fill(const std::vector<std::size_t>& rules) {
    // clear() costs as much as the table has buckets: after a large group, start afresh rather
    // than pay that for every small group that follows.
    reset(by_cidr_, rules.size());
    reset(by_endpoint_, rules.size());
    reset(by_name_, rules.size());
    broad_.clear();
    everything_.clear();
    const auto& prog = facts_.program();
    for (auto i : rules) {
      for (const auto& p : prog.rules[i].peers) {
        switch (p.kind) {
          case ir::Peer::Kind::Cidr:
            by_cidr_[p.cidr.cidr].push_back(i);
            break;
          case ir::Peer::Kind::Endpoint:
            if (narrow(p.endpoint)) {
              by_endpoint_[ir::endpoint_hash(p.endpoint)].push_back(i);
            } else {
              broad_.push_back(i);
            }
            break;
          case ir::Peer::Kind::DnsName:
            by_name_["dns:" + p.dns].push_back(i);
            break;
          case ir::Peer::Kind::Entity:
            by_name_["entity:" + p.entity].push_back(i);
            if (p.entity == "all") broad_.push_back(i);
            break;
          case ir::Peer::Kind::Any:
            broad_.push_back(i);
            everything_.push_back(i);
            break;
        }
      }
    }
  }

  // Rules that may contain rule `i` (at most kCandidates of them), into `out`.
  void candidates(std::size_t i, std::vector<std::size_t>& out) const {
    out.clear();
    const auto& r = facts_.program().rules[i];
    if (r.peers.empty()) return;
    const auto& anchor = r.peers.front();
    auto add = [&](const std::vector<std::size_t>& v) {
      for (std::size_t k = 0; k < v.size() && out.size() < kCandidates; ++k) out.push_back(v[k]);
    };
    switch (anchor.kind) {
      case ir::Peer::Kind::Cidr: {
        // Every CIDR that holds the anchor's: the anchor with each shorter prefix, clearing one
        // host bit more each time.
        net::Cidr c = anchor.cidr.cidr;
        for (int len = c.prefix; len >= 0; --len) {
          c.prefix = static_cast<std::uint8_t>(len);
          if (len < anchor.cidr.cidr.prefix) c.addr[static_cast<std::size_t>(len / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (len % 8)));
          if (auto it = by_cidr_.find(c); it != by_cidr_.end()) add(it->second);
        }
        break;
      }
      case ir::Peer::Kind::Endpoint:
        if (auto it = by_endpoint_.find(ir::endpoint_hash(anchor.endpoint)); it != by_endpoint_.end()) add(it->second);
        add(broad_);
        break;
      case ir::Peer::Kind::DnsName:
        if (auto it = by_name_.find("dns:" + anchor.dns); it != by_name_.end()) add(it->second);
        break;
      case ir::Peer::Kind::Entity:
        if (auto it = by_name_.find("entity:" + anchor.entity); it != by_name_.end()) add(it->second);
        add(broad_);
        break;
      case ir::Peer::Kind::Any:
        break;  // only another `anything` holds it, below
    }
    // `anything` holds every peer.
    add(everything_);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }

 private:
  template <class Map>
  static void reset(Map& m, std::size_t needed) {
    if (m.bucket_count() > 4 * needed + 64) {
      m = Map();
    } else {
      m.clear();
    }
  }

  const Facts& facts_;
  std::unordered_map<net::Cidr, std::vector<std::size_t>, CidrKey> by_cidr_;
  std::unordered_map<std::size_t, std::vector<std::size_t>> by_endpoint_;  // by endpoint hash: candidates only
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
  std::vector<std::size_t> broad_;
  std::vector<std::size_t> everything_;  // rules with `anything`
};

bool contained(const Facts& facts, std::size_t small, std::size_t big) {
  const auto& prog = facts.program();
  const auto& s = prog.rules[small];
  const auto& b = prog.rules[big];
  if (!facts.ports(big).contains(facts.ports(small)) || !http_contained(s, b)) return false;
  if (!facts.cidrs(big).contains(facts.cidrs(small))) return false;
  return std::all_of(s.peers.begin(), s.peers.end(), [&](const ir::Peer& p) { return p.kind == ir::Peer::Kind::Cidr || peer_covered(p, b); });
}

}  // namespace

void redundant_allows(Context& ctx) {
  const auto& facts = ctx.facts();
  const auto& prog = ctx.program;
  GroupIndex index(facts);
  std::vector<std::size_t> allows, candidates;
  for (const auto& g : facts.groups()) {
    // Rules Fence added for the other side of a connection are left out: they repeat what their
    // statements say, which is reported there.
    allows.clear();
    for (auto i : g.rules) {
      if (prog.rules[i].action == ir::Action::Allow && !prog.rules[i].origin.implied) allows.push_back(i);
    }
    if (allows.size() < 2) continue;
    index.fill(allows);
    std::optional<std::string> subject;  // the group's subject as text, written once when needed
    auto subject_text = [&]() -> const std::string& {
      if (!subject) subject = g.subject.str();
      return *subject;
    };
    for (auto i : allows) {
      index.candidates(i, candidates);
      for (auto j : candidates) {
        if (j == i || !contained(facts, i, j)) continue;
        // Two equal rules: only the later one is redundant.
        if (j > i && contained(facts, j, i)) continue;
        const auto& other = prog.rules[j];
        bool same_statement = other.origin.statement == prog.rules[i].origin.statement;
        ctx.sink
            .warning(Code::W0603, prog.rules[i].origin.target,
                     same_statement ? std::string("this allows nothing that the same statement does not already allow")
                                    : fmt::format("this allows nothing that another allow for {} does not already allow", subject_text()))
            .note(other.origin.target, "that allow is here")
            .hint("remove it, or narrow the other allow if this one says what is meant");
        break;
      }
    }
  }
}

}  // namespace fence::check
