#include <catch2/catch.hpp>

#include "net/names.h"

using namespace fence::net;

TEST_CASE("label keys follow the API's qualified-name rule", "[net][names]") {
  for (const char* ok : {"app", "app.kubernetes.io/name", "k8s-app", "a", "A_b.c-d", "example.com/x"}) {
    INFO(ok);
    CHECK(check_label_key(ok).empty());
  }
  CHECK_FALSE(check_label_key("").empty());
  CHECK_FALSE(check_label_key("-app").empty());
  CHECK_FALSE(check_label_key("app-").empty());
  CHECK_FALSE(check_label_key("a/b/c").empty());
  CHECK_FALSE(check_label_key("/name").empty());
  CHECK_FALSE(check_label_key("Example.com/name").empty());  // prefixes are lower case
  CHECK_FALSE(check_label_key(std::string(64, 'a')).empty());
  CHECK(check_label_key(std::string(63, 'a')).empty());
  CHECK_FALSE(check_label_key(std::string(254, 'a') + "/x").empty());
}

TEST_CASE("label values may be empty, else 63 characters of a limited set", "[net][names]") {
  CHECK(check_label_value("").empty());
  CHECK(check_label_value("web-api").empty());
  CHECK(check_label_value("v1.2_3").empty());
  CHECK_FALSE(check_label_value("web api").empty());
  CHECK_FALSE(check_label_value("_web").empty());
  CHECK_FALSE(check_label_value(std::string(64, 'x')).empty());
}

TEST_CASE("namespace names are DNS labels", "[net][names]") {
  CHECK(check_dns_label("production").empty());
  CHECK(check_dns_label("kube-system").empty());
  CHECK_FALSE(check_dns_label("Production").empty());
  CHECK_FALSE(check_dns_label("prod.eu").empty());
  CHECK_FALSE(check_dns_label("-prod").empty());
  CHECK_FALSE(check_dns_label(std::string(64, 'a')).empty());
}

TEST_CASE("object names are DNS subdomains", "[net][names]") {
  CHECK(check_dns_subdomain("web-api-egress").empty());
  CHECK(check_dns_subdomain("a.b.c").empty());
  CHECK_FALSE(check_dns_subdomain("a..b").empty());
  CHECK_FALSE(check_dns_subdomain(std::string(254, 'a')).empty());
}

TEST_CASE("port names are IANA service names", "[net][names]") {
  CHECK(check_port_name("http").empty());
  CHECK(check_port_name("h2c").empty());
  CHECK(check_port_name("metrics-tls").empty());
  CHECK_FALSE(check_port_name("HTTP").empty());
  CHECK_FALSE(check_port_name("123").empty());  // needs a letter
  CHECK_FALSE(check_port_name("-http").empty());
  CHECK_FALSE(check_port_name("a--b").empty());
  CHECK_FALSE(check_port_name("abcdefghijklmnop").empty());  // 16 characters
}

TEST_CASE("DNS names and patterns", "[net][names]") {
  CHECK(check_dns_name("api.stripe.com", false).empty());
  CHECK(check_dns_name("api.stripe.com.", false).empty());
  CHECK(check_dns_name("*.stripe.com", true).empty());
  CHECK_FALSE(check_dns_name("*.stripe.com", false).empty());
  CHECK_FALSE(check_dns_name("a..b", true).empty());
  CHECK_FALSE(check_dns_name("-a.b", true).empty());
}
