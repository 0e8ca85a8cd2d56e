// ContainmentIndex finds exactly the endpoints a brute-force scan with ir::contains finds;
// SubjectTable numbers keys as a map would.
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "ir/deny.h"
#include "ir/subject_index.h"

using fence::ir::Endpoint;
using fence::ir::NamespaceSel;
using fence::net::Requirement;
using fence::net::SelOp;

namespace {

Endpoint random_endpoint(std::mt19937& rng) {
  const std::vector<std::string> keys = {"app", "tier", "env"};
  const std::vector<std::string> values = {"a", "b", "c"};
  Endpoint e;
  switch (rng() % 6) {
    case 0:
      e.ns.kind = NamespaceSel::Kind::Any;
      break;
    case 1:
      e.ns.kind = NamespaceSel::Kind::Selector;
      e.ns.selector.add(Requirement{"team", SelOp::Equals, {values[rng() % 3]}});
      break;
    default:
      e.ns.kind = NamespaceSel::Kind::Named;
      e.ns.name = rng() % 2 ? "shop" : "kube-system";
  }
  int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    Requirement r;
    r.key = keys[rng() % keys.size()];
    r.op = static_cast<SelOp>(rng() % 6);
    if (r.op == SelOp::Equals || r.op == SelOp::NotEquals) r.values = {values[rng() % 3]};
    if (r.op == SelOp::In || r.op == SelOp::NotIn) {
      for (const auto& v : values) {
        if (rng() % 2) r.values.push_back(v);
      }
      if (r.values.empty()) r.values.push_back(values[rng() % 3]);
    }
    e.pods.add(r);
  }
  return e;
}

}  // namespace

TEST_CASE("the containment index agrees with a scan", "[ir][index][property]") {
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    fence::ir::ContainmentIndex index;
    std::vector<Endpoint> all;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      all.push_back(random_endpoint(rng));
      index.add(all.back(), static_cast<std::size_t>(i));
    }
    for (int q = 0; q < 20; ++q) {
      auto e = random_endpoint(rng);
      std::vector<std::size_t> want;
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (fence::ir::contains(all[i], e)) want.push_back(i);
      }
      INFO("query " << e.str());
      CHECK(index.containing(e) == want);
    }
  }
}

TEST_CASE("add_in_place finds the same as add", "[ir][index]") {
  std::mt19937 rng(11);
  std::deque<Endpoint> kept;  // stays in place
  fence::ir::ContainmentIndex copied, in_place;
  for (std::size_t i = 0; i < 60; ++i) {
    kept.push_back(random_endpoint(rng));
    copied.add(kept.back(), i);
    in_place.add_in_place(kept.back(), i);
  }
  for (int q = 0; q < 50; ++q) {
    auto e = random_endpoint(rng);
    CHECK(in_place.containing(e) == copied.containing(e));
  }
}

TEST_CASE("the subject table numbers keys in the order first seen, through growth", "[ir][index]") {
  std::mt19937 rng(7);
  fence::ir::SubjectTable table;
  std::map<std::tuple<fence::ir::Scope, fence::ir::Direction, Endpoint>, std::size_t> want;
  for (int i = 0; i < 3000; ++i) {
    fence::ir::Scope scope{rng() % 5 == 0, ""};
    if (!scope.cluster) scope.ns = "ns" + std::to_string(rng() % 4);
    auto dir = rng() % 2 ? fence::ir::Direction::Egress : fence::ir::Direction::Ingress;
    auto e = random_endpoint(rng);
    // Many distinct keys, so that the table grows several times.
    e.pods.add(Requirement{"w", SelOp::Equals, {std::to_string(rng() % 400)}});
    auto [number, fresh] = table.insert(scope, dir, e);
    auto [it, is_new] = want.try_emplace({scope, dir, e}, want.size());
    CHECK(fresh == is_new);
    CHECK(number == it->second);
    CHECK(table.find(scope, dir, e) == std::optional<std::size_t>(it->second));
  }
  CHECK(table.size() == want.size());
  CHECK(want.size() > 1000);
  Endpoint absent;
  absent.ns.name = "nowhere";
  CHECK_FALSE(table.find(fence::ir::Scope{false, "ns0"}, fence::ir::Direction::Egress, absent).has_value());
  CHECK_FALSE(fence::ir::SubjectTable{}.find(fence::ir::Scope{false, "ns0"}, fence::ir::Direction::Egress, absent).has_value());
}
