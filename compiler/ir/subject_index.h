// Finding, among many endpoints of one scope, those that contain a given endpoint, without
// testing each. An endpoint that contains another constrains only keys the other constrains
// (a requirement never admits every value and absence), and where it pins a key to one value
// the other must pin it to that value too. So each endpoint is filed under its signature (its
// keys, with the pinned value or "any"), and a lookup tries the few signatures a container of
// the given endpoint could have.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"

namespace fence::ir {

class ContainmentIndex {
 public:
  // Not copied: entries point into copies_ (a moved deque keeps its elements in place).
  ContainmentIndex() = default;
  ContainmentIndex(const ContainmentIndex&) = delete;
  ContainmentIndex& operator=(const ContainmentIndex&) = delete;
  ContainmentIndex(ContainmentIndex&&) = default;
  ContainmentIndex& operator=(ContainmentIndex&&) = default;

  void add(const Endpoint& e, std::size_t id);
  // The same without a copy: `e` must stay where it is for as long as the index is used.
  void add_in_place(const Endpoint& e, std::size_t id);
  // The ids of the endpoints added that contain `e` (exactly tested), in the order added.
  std::vector<std::size_t> containing(const Endpoint& e) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    const Endpoint* endpoint;
    std::size_t id;
  };
  std::vector<Entry> entries_;
  std::deque<Endpoint> copies_;  // the endpoints add() was given
  // Positions in entries_ by the hash of their signature (a signature is never built as a
  // string): each hash's positions chained in order through next_. Two signatures with one hash
  // share a chain; every position found is tested exactly.
  struct Chain {
    std::uint32_t first;
    std::uint32_t last;
  };
  std::unordered_map<std::size_t, Chain> by_signature_;
  std::vector<std::uint32_t> next_;  // per entry
  std::vector<std::size_t> unfiled_;  // endpoints whose namespace is chosen by labels: tested always
};

}  // namespace fence::ir
