// The label-selector algebra against brute force: every pod over two keys, each absent or one of
// the values the selectors mention, plus one value none mentions (which stands for all others).
#include <random>

#include <catch2/catch.hpp>

#include "net/selector.h"

using fence::net::LabelSelector;
using fence::net::Requirement;
using fence::net::SelOp;

namespace {

const std::vector<std::string> kKeys = {"a", "b"};
const std::vector<std::string> kValues = {"x", "y", "z"};

std::vector<std::map<std::string, std::string>> all_pods() {
  std::vector<std::string> choices = {"", "x", "y", "z", "w"};  // "" is absent; w is unmentioned
  std::vector<std::map<std::string, std::string>> pods;
  for (const auto& va : choices) {
    for (const auto& vb : choices) {
      std::map<std::string, std::string> pod;
      if (!va.empty()) pod["a"] = va;
      if (!vb.empty()) pod["b"] = vb;
      pods.push_back(pod);
    }
  }
  return pods;
}

LabelSelector random_selector(std::mt19937& rng) {
  LabelSelector s;
  int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    Requirement r;
    r.key = kKeys[rng() % kKeys.size()];
    r.op = static_cast<SelOp>(rng() % 6);
    if (r.op == SelOp::Equals || r.op == SelOp::NotEquals) r.values = {kValues[rng() % 3]};
    if (r.op == SelOp::In || r.op == SelOp::NotIn) {
      for (const auto& v : kValues) {
        if (rng() % 2) r.values.push_back(v);
      }
      if (r.values.empty()) r.values.push_back(kValues[rng() % 3]);
    }
    s.add(r);
  }
  return s;
}

LabelSelector parse(std::initializer_list<Requirement> reqs) {
  LabelSelector s;
  for (const auto& r : reqs) s.add(r);
  return s;
}

}  // namespace

TEST_CASE("selector algebra matches brute force over every pod", "[net][selector][property]") {
  std::mt19937 rng(11);
  auto pods = all_pods();
  for (int round = 0; round < 20000; ++round) {
    auto s = random_selector(rng), t = random_selector(rng);
    INFO("s = {" << s.str() << "}, t = {" << t.str() << "}");
    bool s_any = false, both = false, t_in_s = true;
    for (const auto& pod : pods) {
      bool ms = s.matches(pod), mt = t.matches(pod);
      s_any = s_any || ms;
      both = both || (ms && mt);
      if (mt && !ms) t_in_s = false;
      CHECK(s.conjoin(t).matches(pod) == (ms && mt));
    }
    CHECK(s.selects_nothing() == !s_any);
    CHECK(s.overlaps(t) == both);
    CHECK(s.contains(t) == t_in_s);
  }
}

TEST_CASE("selector algebra: the cases the checks rely on", "[net][selector]") {
  auto app_a = parse({{"app", SelOp::Equals, {"a"}}});
  auto app_b = parse({{"app", SelOp::Equals, {"b"}}});
  auto all = LabelSelector{};
  CHECK(parse({{"app", SelOp::In, {"a"}}, {"app", SelOp::NotIn, {"a"}}}).selects_nothing());
  CHECK(parse({{"tier", SelOp::Exists, {}}, {"tier", SelOp::DoesNotExist, {}}}).selects_nothing());
  CHECK(parse({{"app", SelOp::Equals, {"a"}}, {"app", SelOp::Equals, {"b"}}}).selects_nothing());
  CHECK_FALSE(parse({{"app", SelOp::NotIn, {"a"}}, {"app", SelOp::DoesNotExist, {}}}).selects_nothing());
  CHECK(all.contains(app_a));
  CHECK_FALSE(app_a.contains(all));
  CHECK_FALSE(app_a.overlaps(app_b));
  CHECK(app_a.overlaps(parse({{"tier", SelOp::Equals, {"db"}}})));  // a pod may carry both labels
  CHECK(parse({{"app", SelOp::In, {"a", "b"}}}).contains(app_a));
  CHECK(parse({{"app", SelOp::NotEquals, {"b"}}}).contains(app_a));
  CHECK_FALSE(parse({{"app", SelOp::NotEquals, {"a"}}}).contains(app_a));
  CHECK(parse({{"app", SelOp::Exists, {}}}).contains(app_a));
  CHECK(app_a.contains(parse({{"app", SelOp::Equals, {"a"}}, {"canary", SelOp::DoesNotExist, {}}})));
  CHECK(app_b.contains(parse({{"app", SelOp::In, {"a"}}, {"app", SelOp::NotIn, {"a"}}})));  // it selects nothing
}
