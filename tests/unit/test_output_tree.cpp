#include <catch2/catch.hpp>

#include "emit/output.h"
#include "emit/yaml.h"
#include "helpers.h"

using namespace fence;

namespace {

emit::Object object(std::string kind, std::string ns, std::string name) {
  emit::Object o;
  o.kind = std::move(kind);
  o.ns = std::move(ns);
  o.name = std::move(name);
  o.doc = emit::Node::make_map();
  o.doc.set("kind", emit::Node::string(o.kind));
  return o;
}

std::vector<std::string> paths(const std::vector<emit::OutputFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.path);
  return out;
}

const emit::OutputFile& file(const std::vector<emit::OutputFile>& files, const std::string& path) {
  for (const auto& f : files) {
    if (f.path == path) return f;
  }
  FAIL("no file " << path);
  return files.front();
}

}  // namespace

TEST_CASE("one unit: namespaces at the top, a kustomization at each level", "[emit][tree]") {
  std::vector<emit::Object> objs = {object("NetworkPolicy", "shop", "b"), object("NetworkPolicy", "shop", "a"), object("NetworkPolicy", "data", "c")};
  auto files = emit::output_tree({{"", "k8s", &objs}}, {});
  CHECK(paths(files) == std::vector<std::string>{"data/kustomization.yaml", "data/networkpolicy-c.yaml", "kustomization.yaml",
                                                 "shop/kustomization.yaml", "shop/networkpolicy-a.yaml", "shop/networkpolicy-b.yaml"});
  CHECK(file(files, "kustomization.yaml").content ==
        "# Written by fence: every object below this directory. `kubectl kustomize` renders them.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        "  - data/networkpolicy-c.yaml\n  - shop/networkpolicy-a.yaml\n  - shop/networkpolicy-b.yaml\n");
  CHECK(file(files, "shop/kustomization.yaml").content.find("  - networkpolicy-a.yaml\n  - networkpolicy-b.yaml\n") != std::string::npos);
}

TEST_CASE("several environments and targets: env, then target; no kustomization spans environments or targets", "[emit][tree]") {
  std::vector<emit::Object> dev_k8s = {object("NetworkPolicy", "shop", "a")};
  std::vector<emit::Object> dev_cilium = {object("CiliumNetworkPolicy", "shop", "a"), object("CiliumClusterwideNetworkPolicy", "", "z")};
  std::vector<emit::Object> prod_k8s = {};
  std::vector<emit::Object> prod_cilium = {object("CiliumNetworkPolicy", "shop", "a")};
  auto files = emit::output_tree({{"dev", "k8s", &dev_k8s}, {"dev", "cilium", &dev_cilium}, {"prod", "k8s", &prod_k8s}, {"prod", "cilium", &prod_cilium}},
                                 {true, true});
  CHECK(paths(files) == std::vector<std::string>{
                            "dev/cilium/cluster/ciliumclusterwidenetworkpolicy-z.yaml",
                            "dev/cilium/cluster/kustomization.yaml",
                            "dev/cilium/kustomization.yaml",
                            "dev/cilium/shop/ciliumnetworkpolicy-a.yaml",
                            "dev/cilium/shop/kustomization.yaml",
                            "dev/k8s/kustomization.yaml",
                            "dev/k8s/shop/kustomization.yaml",
                            "dev/k8s/shop/networkpolicy-a.yaml",
                            "prod/cilium/kustomization.yaml",
                            "prod/cilium/shop/ciliumnetworkpolicy-a.yaml",
                            "prod/cilium/shop/kustomization.yaml",
                            "prod/k8s/kustomization.yaml",
                        });
  // Each target's tree is whole on its own: `kubectl apply -k dev/cilium` applies Cilium's objects only.
  CHECK(file(files, "dev/cilium/kustomization.yaml").content.find("resources:\n  - cluster/ciliumclusterwidenetworkpolicy-z.yaml\n"
                                                                  "  - shop/ciliumnetworkpolicy-a.yaml\n") != std::string::npos);
  CHECK(file(files, "dev/k8s/kustomization.yaml").content.find("resources:\n  - shop/networkpolicy-a.yaml\n") != std::string::npos);
  // An environment with no objects for a target still renders (to nothing).
  CHECK(file(files, "prod/k8s/kustomization.yaml").content.find("resources: []\n") != std::string::npos);
}

TEST_CASE("targets without environments put the target first", "[emit][tree]") {
  std::vector<emit::Object> k8s = {object("NetworkPolicy", "shop", "a")};
  std::vector<emit::Object> cilium = {object("CiliumNetworkPolicy", "shop", "a")};
  auto files = emit::output_tree({{"", "k8s", &k8s}, {"", "cilium", &cilium}}, {false, true});
  CHECK(paths(files) == std::vector<std::string>{"cilium/kustomization.yaml", "cilium/shop/ciliumnetworkpolicy-a.yaml", "cilium/shop/kustomization.yaml",
                                                 "k8s/kustomization.yaml", "k8s/shop/kustomization.yaml", "k8s/shop/networkpolicy-a.yaml"});
  // No kustomization lists two targets' files.
  for (const auto& f : files) {
    if (f.path.size() < 18 || f.path.substr(f.path.size() - 18) != "kustomization.yaml") continue;
    bool cilium_files = f.content.find("ciliumnetworkpolicy-") != std::string::npos;
    bool k8s_files = f.content.find("/networkpolicy-") != std::string::npos;
    CHECK_FALSE((cilium_files && k8s_files));
  }
}

TEST_CASE("two objects in one file is an internal error, not a silent overwrite", "[emit][tree]") {
  std::vector<emit::Object> objs = {object("NetworkPolicy", "shop", "a"), object("NetworkPolicy", "shop", "a")};
  CHECK_THROWS_AS(emit::output_tree({{"", "k8s", &objs}}, {}), std::logic_error);
}

TEST_CASE("a unit that gives its objects' YAML to the files: the same files, the objects left without YAML", "[emit][tree]") {
  std::vector<emit::Object> kept = {object("NetworkPolicy", "shop", "b"), object("NetworkPolicy", "data", "c"), object("NetworkPolicy", "shop", "a")};
  emit::seal(kept[0]);  // sealed and unsealed objects alike
  emit::seal(kept[2]);
  auto given = kept;
  auto expected = emit::output_tree({{"", "k8s", &kept}}, {});
  auto files = emit::output_tree({{"", "k8s", nullptr, &given}}, {});
  REQUIRE(files.size() == expected.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    CHECK(files[i].path == expected[i].path);
    CHECK(files[i].content == expected[i].content);
  }
  CHECK(file(files, "shop/networkpolicy-b.yaml").content == "---\nkind: NetworkPolicy\n");
  CHECK(file(files, "data/networkpolicy-c.yaml").content == "---\nkind: NetworkPolicy\n");
  for (const auto& o : given) {
    CHECK(o.yaml.empty());
    CHECK(o.doc.map.empty());
    CHECK(!o.name.empty());
  }
  CHECK(!kept[0].yaml.empty());  // `objects` is only read
}
