#!/usr/bin/env python3
"""`fence probe` as a user runs it, against a stand-in cluster.

No cluster is reachable from the tests, so the script `fence probe` writes runs against a stand-in
`kubectl` (tests/probe/kubectl) that answers each probe from the reference NetworkPolicy evaluator
(tests/netpol/np_eval.*, which shares no code with the compiler) on the YAML the same program
compiles to, in a model cluster made of the inventory (tests/probe/probe_oracle.cpp). A script
that passes every probe there shows that every expected answer of the plan is the evaluator's.
Then a stand-in for a network plugin that enforces nothing: every probe expected to be blocked
connects, the script says so and exits 1, and `fence probe --results` explains it once.

    test_probe.py --fence PATH --oracle PATH"""
import json
import os
import re
import subprocess
import sys
import unittest

import fence_e2e
from fence_e2e import ROOT, run, tempdir

ORACLE = None
STANDIN = os.path.join(ROOT, "tests", "probe")

# (name, inventory, inventory namespace, program files, extra flags)
CASES = [
    ("boutique", "tests/inventory/boutique", "boutique", ["tests/inventory/boutique.fence"], []),
    ("seed", "tests/probe/seed", "production", ["examples/seed/production.fence", "examples/seed/allow-monitoring.fence"], []),
    ("strict", "tests/probe/seed", "production", ["tests/probe/strict.fence"], []),
]


def flags(case):
    _, inv, ns, files, extra = case
    return ["--inventory", inv, "--inventory-namespace", ns] + extra + files


class Cluster:
    """The compiled YAML and the stand-in's environment for one case."""

    def __init__(self, test, case, cni="enforcing"):
        self.dir = tempdir(test)
        self.policies = os.path.join(self.dir, "policies.yaml")
        _, out, _ = run(["build"] + flags(case), check=0)
        with open(self.policies, "w", encoding="utf-8") as f:
            f.write(out)
        self.errors = os.path.join(self.dir, "standin-errors")
        self.env = dict(os.environ)
        self.env.update({
            "PATH": STANDIN + os.pathsep + os.environ.get("PATH", ""),
            "FENCE_PROBE_ORACLE": ORACLE,
            "FENCE_PROBE_POLICIES": self.policies,
            "FENCE_PROBE_INVENTORY": os.path.join(ROOT, case[1]),
            "FENCE_PROBE_INVENTORY_NAMESPACE": case[2],
            "FENCE_PROBE_CNI": cni,
            "FENCE_PROBE_ERRORS": self.errors,
        })

    def run_script(self, script, *args):
        p = subprocess.run(["sh", script] + list(args), cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=600)
        errors = open(self.errors, encoding="utf-8").read() if os.path.exists(self.errors) else ""
        return p.returncode, p.stdout, p.stderr, errors


def plan(case, *extra):
    _, out, _ = run(["probe", "--format", "json"] + list(extra) + flags(case), check=0)
    return json.loads(out)


class Plan(unittest.TestCase):
    def test_kinds_and_citations(self):
        p = plan(CASES[0], "--max", "100000")
        kinds = {x["kind"] for x in p["probes"]}
        # Boutique's destinations declare one port each that anyone may reach: no other-port probe.
        self.assertEqual(kinds, {"allowed", "other-source", "metadata", "dns"})
        self.assertEqual(p["counts"]["left_out"], 0)
        self.assertEqual(p["counts"]["planned"], len(p["probes"]))
        for x in p["probes"]:
            self.assertIn(x["expect"], ("allowed", "denied"))
            self.assertTrue(x["decided_by"], x["id"])  # boutique isolates everything: each answer has statements
            for c in x["decided_by"]:
                self.assertEqual(c["file"], "tests/inventory/boutique.fence")
                self.assertGreater(c["line"], 0)
        ids = [x["id"] for x in p["probes"]]
        self.assertEqual(len(ids), len(set(ids)))
        by_id = {x["id"]: x for x in p["probes"]}
        # Spot checks, read off the program by hand.
        x = by_id["boutique/frontend -> boutique/cartservice:7070/tcp"]
        self.assertEqual((x["kind"], x["expect"]), ("allowed", "allowed"))
        self.assertEqual(x["connect"], {"host": "cartservice.boutique.svc.cluster.local", "port": 7070})
        self.assertEqual({c["line"] for c in x["decided_by"]}, {11})
        x = by_id["boutique/loadgenerator -> boutique/frontend:8080/tcp"]
        self.assertEqual(x["connect"], {"host": "frontend.boutique.svc.cluster.local", "port": 80})  # the Service's port
        x = by_id["boutique/loadgenerator -> boutique/cartservice:7070/tcp"]
        self.assertEqual((x["kind"], x["expect"]), ("other-source", "denied"))
        x = by_id["boutique/paymentservice -> 203.0.113.1:443/tcp"]
        self.assertEqual(x["expect"], "allowed")
        x = by_id["boutique/frontend -> 169.254.169.254:80/tcp"]
        self.assertEqual((x["kind"], x["expect"]), ("metadata", "denied"))
        self.assertEqual([c["line"] for c in x["decided_by"]], [8])  # default deny all
        self.assertTrue(any(i.startswith("boutique/frontend -> cluster DNS") and by_id[i]["expect"] == "allowed" for i in ids))

    def test_max_is_stable_and_mixed(self):
        full = plan(CASES[0], "--max", "100000")
        a = plan(CASES[0], "--max", "7")
        b = plan(CASES[0], "--max", "7")
        self.assertEqual(a, b)
        self.assertEqual(len(a["probes"]), 7)
        self.assertEqual(a["counts"]["left_out"], len(full["probes"]) - 7)
        self.assertEqual(len({x["kind"] for x in a["probes"]}), 4)  # some of each kind
        full_ids = {x["id"] for x in full["probes"]}
        self.assertTrue({x["id"] for x in a["probes"]} <= full_ids)
        _, out, _ = run(["probe", "--max", "7"] + flags(CASES[0]), check=0)
        self.assertRegex(out, r"7 probes, \d+ more left out by --max")

    def test_undecided_is_left_out(self):
        # The seed's `all pods may reach 0.0.0.0/0` may match pods' addresses (ipBlock does, in
        # Kubernetes): connections between production's pods that nothing else allows are undecided.
        p = plan(CASES[1], "--max", "100000")
        self.assertGreater(p["counts"]["undecided"], 0)
        ids = {x["id"] for x in p["probes"]}
        self.assertNotIn("production/postgres -> production/web-api:8080/tcp", ids)
        self.assertIn("production/web-api -> production/postgres:5432/tcp", ids)
        # Connections no statement is about (monitoring is not isolated, nor is postgres's ingress)
        # are not the program's to predict.
        self.assertNotIn("monitoring/prometheus -> production/postgres:5432/tcp", ids)
        self.assertGreater(p["counts"]["not_under_policy"], 0)

    def test_every_kind(self):
        p = plan(CASES[2])
        self.assertEqual({x["kind"] for x in p["probes"]}, {"allowed", "other-source", "other-port", "metadata", "dns"})
        by_id = {x["id"]: x for x in p["probes"]}
        x = by_id["production/web-api -> kube-system/coredns:9153/tcp"]
        self.assertEqual((x["kind"], x["expect"]), ("other-port", "denied"))
        x = by_id["production/postgres -> cluster DNS (kube-system/coredns):53/udp"]
        self.assertEqual((x["kind"], x["expect"], [c["line"] for c in x["decided_by"]]), ("dns", "denied", [6]))
        x = by_id["monitoring/prometheus -> production/web-api:8080/tcp"]  # `:http`, numbered by the inventory
        self.assertEqual((x["expect"], x["port_name"]), ("allowed", "http"))
        self.assertEqual(x["connect"], {"host": "web-api.production.svc.cluster.local", "port": 80})


class Script(unittest.TestCase):
    def check_case(self, case, command):
        cluster = Cluster(self, case)
        script = os.path.join(cluster.dir, "probes.sh")
        run(["probe", "--max", "100000", "--probe-command", command, "-o", script] + flags(case), check=0)
        rc, out, err, errors = cluster.run_script(script, "results.txt")
        self.assertEqual(errors, "", "the stand-in did not understand a command")
        lines = [l for l in out.splitlines() if l.startswith(("PASS", "FAIL", "ERROR"))]
        n = len(plan(case, "--max", "100000")["probes"])
        self.assertEqual(len(lines), n)
        failed = [l for l in lines if not l.startswith("PASS")]
        self.assertEqual(failed, [], f"{case[0]}: the plan and the reference evaluator disagree")
        self.assertIn(f"{n} passed, 0 failed, 0 could not run", out)
        self.assertEqual(rc, 0, out + err)
        results = os.path.join(cluster.dir, "results.txt")
        self.assertFalse(os.path.exists(results + ".tmp"))
        rc, out, err = run(["probe", "--results", results] + flags(case))
        self.assertEqual(rc, 0, out + err)
        self.assertIn(f"{n} observed outcomes: {n} as expected, 0 not", out)
        return n

    def test_agrees_with_reference_evaluator(self):
        for case in CASES:
            with self.subTest(case=case[0]):
                self.assertGreater(self.check_case(case, "nc"), 5)

    def test_agnhost(self):
        self.check_case(CASES[0], "agnhost")

    def test_cni_that_enforces_nothing(self):
        case = CASES[0]
        cluster = Cluster(self, case, cni="none")
        script = os.path.join(cluster.dir, "probes.sh")
        run(["probe", "--max", "100000", "-o", script] + flags(case), check=0)
        rc, out, _, errors = cluster.run_script(script, "results.txt")
        self.assertEqual(errors, "")
        self.assertEqual(rc, 1)
        p = plan(case, "--max", "100000")
        negatives = sum(1 for x in p["probes"] if x["expect"] == "denied")
        fails = [l for l in out.splitlines() if l.startswith("FAIL")]
        self.assertEqual(len(fails), negatives)
        self.assertTrue(all("(expected denied)" in l for l in fails))
        rc, out, err = run(["probe", "--results", os.path.join(cluster.dir, "results.txt")] + flags(case))
        self.assertEqual(rc, 1)
        self.assertEqual(out.count("Every probe expected to be blocked connected"), 1, out)
        self.assertIn(f"({negatives} of {negatives})", out)
        self.assertIn("does not enforce NetworkPolicy", out)

    def test_results_explain_one_discrepancy(self):
        case = CASES[0]
        p = plan(case, "--max", "100000")
        d = tempdir(self)
        results = os.path.join(d, "results.txt")
        with open(results, "w", encoding="utf-8") as f:
            for x in p["probes"]:
                connected = (x["expect"] == "allowed") != (x["id"] == "boutique/loadgenerator -> boutique/cartservice:7070/tcp")
                f.write(f"{'connected' if connected else 'blocked'}\t{x['id']}\n")
        rc, out, _ = run(["probe", "--results", results] + flags(case))
        self.assertEqual(rc, 1)
        self.assertIn("1 not", out)
        self.assertNotIn("Every probe expected to be blocked", out)
        self.assertIn("boutique/loadgenerator -> boutique/cartservice:7070/tcp", out)
        self.assertRegex(out, r"tests/inventory/boutique.fence:\d+ ")


class Errors(unittest.TestCase):
    def test_bad_results_line(self):
        d = tempdir(self)
        results = os.path.join(d, "results.txt")
        with open(results, "w", encoding="utf-8") as f:
            f.write("# fence probe results\nperhaps\tx -> y:1/tcp\n")
        rc, out, err = run(["probe", "--results", results] + flags(CASES[0]))
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("E1001", err)
        self.assertIn("results.txt:2:1", err)

    def test_unknown_probe(self):
        d = tempdir(self)
        results = os.path.join(d, "results.txt")
        with open(results, "w", encoding="utf-8") as f:
            f.write("connected\tnowhere/a -> nowhere/b:1/tcp\n")
        rc, out, err = run(["probe", "--results", results] + flags(CASES[0]))
        self.assertEqual(rc, 0)
        self.assertIn("W1002", err)
        self.assertIn("not in the plan", out)

    def test_usage(self):
        rc, out, err = run(["probe", "tests/inventory/boutique.fence"])
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("--inventory", err)
        rc, out, _ = run(["probe", "--max", "0"] + flags(CASES[0]))
        self.assertEqual((rc, out), (2, ""))
        rc, out, _ = run(["probe", "--results", "/nonexistent/results.txt"] + flags(CASES[0]))
        self.assertEqual((rc, out), (2, ""))

    def test_output_whole_or_not_at_all(self):
        d = tempdir(self)
        target = os.path.join(d, "missing-dir", "probes.sh")
        rc, _, _ = run(["probe", "-o", target] + flags(CASES[0]))
        self.assertEqual(rc, 2)
        self.assertFalse(os.path.exists(os.path.dirname(target)))
        bad = os.path.join(d, "bad.fence")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("namespace x {\n  a may reach\n}\n")
        out_file = os.path.join(d, "probes.sh")
        rc, out, _ = run(["probe", "-o", out_file, "--inventory", "tests/inventory/boutique", bad])
        self.assertEqual((rc, out), (1, ""))
        self.assertFalse(os.path.exists(out_file))
        self.assertEqual(sorted(os.listdir(d)), ["bad.fence"])


if __name__ == "__main__":
    if "--oracle" not in sys.argv:
        sys.exit("usage: test_probe.py --fence PATH --oracle PATH")
    i = sys.argv.index("--oracle")
    ORACLE = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]
    fence_e2e.main()
