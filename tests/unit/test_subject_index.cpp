// ContainmentIndex finds exactly the endpoints a brute-force scan with ir::contains finds.
#include <random>

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
