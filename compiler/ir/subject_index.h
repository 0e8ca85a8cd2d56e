// Finding, among many endpoints of one scope, those that contain a given endpoint, without
// testing each. An endpoint that contains another constrains only keys the other constrains
// (a requirement never admits every value and absence), and where it pins a key to one value
// the other must pin it to that value too. So each endpoint is filed under its signature (its
// keys, with the pinned value or "any"), and a lookup tries the few signatures a container of
// the given endpoint could have.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"

namespace fence::ir {

class ContainmentIndex {
 public:
  void add(const Endpoint& e, std::size_t id);
  // The ids of the endpoints added that contain `e` (exactly tested), in the order added.
  std::vector<std::size_t> containing(const Endpoint& e) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Endpoint endpoint;
    std::size_t id;
  };
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_signature_;  // -> positions in entries_
  std::vector<std::size_t> unfiled_;  // endpoints whose namespace is chosen by labels: tested always
};

}  // namespace fence::ir
