#!/usr/bin/env python3
"""`fence diff --env A --env B`: what one environment's build has and the other's does not, in the
source's terms (rules), workload by workload as the semantic engine sees them (connections), or object
by object (objects)."""
import json
import unittest

from fence_e2e import SHOP, main, run

PAYMENTS_PROD = "shop-ns/pods[app.kubernetes.io/name=api] may reach 203.0.113.0/26:443/tcp  # examples/shop/shop.fence:25"
PAYMENTS_SANDBOX = "shop-ns/pods[app.kubernetes.io/name=api] may reach 198.51.100.0/28:443/tcp  # examples/shop/shop.fence:25"


class Rules(unittest.TestCase):
    def test_staging_against_prod(self):
        code, out, err = run(["diff", "--env", "staging", "--env", "prod", SHOP])
        self.assertEqual((code, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[:2], ["--- staging", "+++ prod"])
        self.assertIn(" shop-ns: staging-shop -> shop", lines)
        self.assertIn("-" + PAYMENTS_SANDBOX, lines)
        self.assertIn("+" + PAYMENTS_PROD, lines)
        # prod's mail relay replaces staging's mail catcher; only prod pages the on-call engineer.
        self.assertTrue(any(l.startswith("+shop-ns/pods[app.kubernetes.io/name=worker] may reach 192.0.2.25/32:587/tcp") for l in lines))
        self.assertTrue(any(l.startswith("-shop-ns/pods[app.kubernetes.io/name=worker] may reach shop-ns/pods[app.kubernetes.io/name=mailcatcher]")
                            for l in lines))
        self.assertTrue(any(l.startswith("+monitoring/pods[app.kubernetes.io/name=alertmanager] may reach 203.0.113.128/27:443/tcp")
                            for l in lines))
        # What both have is not listed: the same rules, the same default denies.
        self.assertFalse(any("grafana" in l for l in lines))
        self.assertFalse(any("default deny" in l for l in lines))
        changes = [l for l in lines if l[:1] in "+-" and not l.startswith(("---", "+++"))]
        self.assertEqual(len(changes), 9, out)

    def test_dev_has_no_default_deny_ingress_and_a_toolbox(self):
        _, out, _ = run(["diff", "--env", "dev", "--env", "prod", SHOP], check=0)
        lines = out.splitlines()
        self.assertIn("+namespace shop-ns: default deny ingress  # examples/shop/shop.fence:23", lines)
        self.assertTrue(any(l.startswith("-shop-ns/pods[app.kubernetes.io/name=toolbox] may reach data-ns/pods[app.kubernetes.io/name=postgres]:5432/tcp")
                            for l in lines))

    def test_exit_code_and_identical_environments(self):
        code, _, _ = run(["diff", "--exit-code", "--env", "staging", "--env", "prod", SHOP])
        self.assertEqual(code, 1)
        same = "environments a, b\nlet net = 10.0.0.0/8:443\nnamespace x {\n  web may reach net\n}\n"
        code, out, err = run(["diff", "--exit-code", "--env", "a", "--env", "b", "-"], input=same)
        self.assertEqual((code, out), (0, ""))
        self.assertIn("a and b do not differ", err)

    def test_json(self):
        _, out, _ = run(["diff", "--format", "json", "--env", "staging", "--env", "prod", SHOP], check=0)
        doc = json.loads(out)
        self.assertEqual((doc["from"], doc["to"], doc["level"]), ("staging", "prod", "rules"))
        self.assertIn({"source": "data-ns", "from": "staging-data", "to": "data"}, doc["namespaces"])
        self.assertIn({"text": PAYMENTS_PROD.split("  #")[0], "file": SHOP, "line": 25}, doc["only_in_to"])
        self.assertIn({"text": PAYMENTS_SANDBOX.split("  #")[0], "file": SHOP, "line": 25}, doc["only_in_from"])

    def test_usage(self):
        for args in (["--env", "prod"], ["--env", "prod", "--env", "prod"], ["--all-envs"], ["--env", "prod", "--env", "qa"]):
            code, out, err = run(["diff"] + args + [SHOP])
            self.assertEqual((code, out), (2, ""), args)
            self.assertIn("fence: error:", err)


class PerTarget(unittest.TestCase):
    PAYMENTS = "examples/multi-target/payments.fence"

    def test_a_program_with_values_per_target_is_compared_for_one(self):
        code, out, err = run(["diff", "--env", "staging", "--env", "prod", self.PAYMENTS])
        self.assertEqual((code, out), (2, ""))
        self.assertIn("builds for several targets (k8s, cilium): diff compares one, choose it with --target", err)
        # Each target's own values: k8s compares the provider's ranges, cilium its DNS names.
        code, out, err = run(["diff", "--target", "k8s", "--env", "staging", "--env", "prod", self.PAYMENTS])
        self.assertEqual((code, err), (0, ""))
        self.assertIn("198.51.100.0/28:443/tcp", out)
        self.assertNotIn("stripe.com", out)
        code, out, err = run(["diff", "--target", "cilium", "--env", "staging", "--env", "prod", self.PAYMENTS])
        self.assertEqual((code, err), (0, ""))
        self.assertIn("stripe.com", out)
        self.assertNotIn("198.51.100.0/28", out)


class Connections(unittest.TestCase):
    def changes(self, out):
        return [l for l in out.splitlines() if l[:1] in "+-" and not l.startswith(("---", "+++"))]

    def test_staging_against_prod(self):
        code, out, err = run(["diff", "--level", "connections", "--env", "staging", "--env", "prod", SHOP])
        self.assertEqual((code, err), (0, ""))
        self.assertIn("@@ connections", out.splitlines())
        # Reviewed: staging's alertmanager may reach nothing (its egress rule is prod-only), the
        # payment provider and the mail relay differ, and staging's mail catcher loses its client.
        self.assertEqual(self.changes(out), [
            "-monitoring/alertmanager egress: isolated, it may reach nothing",
            "+monitoring/alertmanager may reach 203.0.113.128/27 on 443/tcp  # examples/shop/_monitoring.fence:16",
            "+monitoring/alertmanager may reach kube-system/pods[k8s-app=kube-dns] on 53/udp, 53/tcp  # examples/shop/_monitoring.fence:16",
            "-shop-ns/api may reach 198.51.100.0/28 on 443/tcp  # examples/shop/shop.fence:25",
            "+shop-ns/api may reach 203.0.113.0/26 on 443/tcp  # examples/shop/shop.fence:25",
            "-shop-ns/mailcatcher may be reached by shop-ns/worker on 1025/tcp  # examples/shop/shop.fence:26",
            "+shop-ns/worker may reach 192.0.2.25/32 on 587/tcp  # examples/shop/shop.fence:26",
            "-shop-ns/worker may reach 198.51.100.0/28 on 443/tcp  # examples/shop/shop.fence:26",
            "+shop-ns/worker may reach 203.0.113.0/26 on 443/tcp  # examples/shop/shop.fence:26",
            "-shop-ns/worker may reach shop-ns/mailcatcher on 1025/tcp  # examples/shop/shop.fence:26",
        ])

    def test_isolation_is_a_difference_the_rules_level_cannot_show(self):
        # dev has no `default deny ingress`: its pods are open to everything, where prod's are not.
        _, out, _ = run(["diff", "--level", "connections", "--env", "dev", "--env", "prod", SHOP], check=0)
        lines = self.changes(out)
        self.assertIn("-shop-ns/api ingress: open, anything may reach it", lines)
        self.assertIn("+shop-ns/api may be reached by storefront-ns/web on 8080/tcp  # examples/shop/shop.fence:18", lines)
        # toolbox exists in dev only; in prod nothing lets it out.
        self.assertIn("+shop-ns/toolbox egress: isolated, it may reach nothing", lines)

    def test_the_other_side_of_a_connection(self):
        # In b, db's own ingress rule isolates it, and nothing lets web in: egress alone is not enough.
        program = ("environments a, b\nnamespace x {\n  web may reach y/db:5432\n}\n"
                   "namespace y {\n  when b { db may be reached by z/admin:5432 }\n}\n")
        code, out, _ = run(["diff", "--level", "connections", "--env", "a", "--env", "b", "-"], input=program)
        self.assertEqual(code, 0)
        self.assertEqual(self.changes(out), [
            "-x/web may reach y/db on 5432/tcp  # <stdin>:3",
            "+x/web may reach y/db on 5432/tcp, but ingress at y/db does not admit it  # <stdin>:3",
            "-y/db ingress: open, anything may reach it",
            "+y/db may be reached by z/admin on 5432/tcp  # <stdin>:6",
        ])

    def test_json(self):
        _, out, _ = run(["diff", "--level", "connections", "--format", "json", "--env", "staging", "--env", "prod", SHOP], check=0)
        doc = json.loads(out)
        self.assertEqual(doc["level"], "connections")
        self.assertIn({"text": "shop-ns/api may reach 203.0.113.0/26 on 443/tcp", "file": SHOP, "line": 25}, doc["only_in_to"])


class Objects(unittest.TestCase):
    def test_objects_and_their_changed_lines(self):
        _, out, _ = run(["diff", "--level", "objects", "--env", "dev", "--env", "prod", SHOP], check=0)
        lines = out.splitlines()
        self.assertIn("@@ objects", lines)
        i = lines.index("~NetworkPolicy shop-ns/api-egress")
        detail = []
        for l in lines[i + 1:]:
            if not l.startswith("    "):
                break
            detail.append(l)
        self.assertEqual(detail, ["    -              kubernetes.io/metadata.name: dev-data", "    +              kubernetes.io/metadata.name: data",
                                  "    -              kubernetes.io/metadata.name: dev-data", "    +              kubernetes.io/metadata.name: data",
                                  "    -            cidr: 198.51.100.0/28", "    +            cidr: 203.0.113.0/26"])
        self.assertIn("+NetworkPolicy shop-ns/default-deny-ingress", lines)
        self.assertIn("-NetworkPolicy shop-ns/toolbox-egress", lines)
        self.assertNotIn("~NetworkPolicy data-ns/default-deny-all", lines, "renamed namespaces alone are no change")


if __name__ == "__main__":
    main()
