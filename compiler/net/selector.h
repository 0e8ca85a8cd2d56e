// Label selectors in kubectl's terms, kept canonical (requirements sorted, values sorted and
// unique) so that equal selectors compare equal however they were written.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace fence::net {

enum class SelOp : std::uint8_t { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };

struct Requirement {
  std::string key;
  SelOp op = SelOp::Exists;
  std::vector<std::string> values;  // one for Equals/NotEquals, several for In/NotIn, none otherwise

  std::string str() const;  // "app=web", "env in (a,b)", "!canary"
  friend auto operator<=>(const Requirement&, const Requirement&) = default;
};

struct LabelSelector {
  std::vector<Requirement> reqs;  // canonical order; empty selects every pod

  bool selects_all() const { return reqs.empty(); }
  void add(Requirement r);  // keeps the canonical order and drops exact duplicates
  std::string str() const;  // kubectl form, e.g. "app=web,tier in (a,b)"; "" for all
  friend auto operator<=>(const LabelSelector&, const LabelSelector&) = default;
};

}  // namespace fence::net
