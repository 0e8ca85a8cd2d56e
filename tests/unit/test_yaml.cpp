#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "emit/yaml.h"

using namespace fence::emit;

TEST_CASE("plain scalars are used only where YAML reads them back as the same string", "[emit][yaml]") {
  for (const char* s : {"web-api", "Egress", "app.kubernetes.io/name", "10.0.0.0/8", "kube-dns", "_x"}) {
    INFO(s);
    CHECK(plain_safe(s));
  }
  for (const char* s : {"",     "1", "1.0", "0755", "1e3",  "true", "False", "yes",           "No",  "on", "OFF", "y",
                        "null", "~", "-x",  ".5",   ".inf", "a: b", "a#b",   "2001:db8::/32", "x y", "*"}) {
    INFO(s);
    CHECK_FALSE(plain_safe(s));
  }
}

TEST_CASE("every string survives a round trip through a YAML parser", "[emit][yaml]") {
  Node doc = Node::make_map();
  std::vector<std::string> values = {"web",   "1",        "1.0",         "true",      "yes",         "null",          "",
                                     "a: b",  "quote\"d", "back\\slash", "tab\there", "line\nbreak", "2001:db8::/32", "0x1F",
                                     "1_000", "12:30:00", "-",           "#x",        "[a]",         "{a}",           "é"};
  for (std::size_t i = 0; i < values.size(); ++i) doc.set("k" + std::to_string(i), Node::string(values[i]));
  doc.set("int", Node::integer(5432));
  doc.set("empty_map", Node::make_map());
  doc.set("empty_seq", Node::make_seq());
  auto text = to_yaml(doc);
  auto back = YAML::Load(text);
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(values[i]);
    INFO(text);
    CHECK(back["k" + std::to_string(i)].as<std::string>() == values[i]);
  }
  CHECK(back["int"].as<int>() == 5432);
  CHECK(back["empty_map"].IsMap());
  CHECK(back["empty_seq"].IsSequence());
}

TEST_CASE("block layout: nested maps and sequences, comments before items", "[emit][yaml]") {
  Node doc = Node::make_map();
  auto& seq = doc.set("egress", Node::make_seq());
  Node item = Node::make_map();
  item.comment = "x.fence:3: dns";
  item.set("to", Node::make_seq()).push(Node::make_map()).set("podSelector", Node::make_map());
  seq.push(item);
  CHECK(to_yaml(doc) ==
        "egress:\n"
        "  # x.fence:3: dns\n"
        "  - to:\n"
        "      - podSelector: {}\n");
}
