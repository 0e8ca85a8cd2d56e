// Label selectors in kubectl's terms, kept canonical (requirements sorted, values sorted and
// unique) so that equal selectors compare equal however they were written.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fence::net {

// Every namespace carries this label with its name (Kubernetes sets it since 1.21).
inline constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

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

  // The algebra (selector_algebra.cpp). It is exact: a pod may carry any labels, so keys are
  // independent, and a key may take values no selector mentions.
  bool matches(const std::map<std::string, std::string>& labels) const;
  // No pod can match, e.g. `app in (a), app notin (a)` or `tier, !tier`.
  bool selects_nothing() const { return contradiction().has_value(); }
  // The first key whose requirements contradict each other, if any.
  std::optional<std::string> contradiction() const;
  // Some pod could match both.
  bool overlaps(const LabelSelector& o) const;
  // Every pod that `o` matches, this matches too (true when `o` selects nothing).
  bool contains(const LabelSelector& o) const;
  // The pods both match: the requirements of both.
  LabelSelector conjoin(const LabelSelector& o) const;
  // Each key the selector constrains, once, in key order, with the one value the key must have
  // when there is exactly one (`app=a`, `app in (a)`); for indexes of selectors.
  std::vector<std::pair<std::string, std::optional<std::string>>> key_values() const;

  friend auto operator<=>(const LabelSelector&, const LabelSelector&) = default;
};

}  // namespace fence::net
