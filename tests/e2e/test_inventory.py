#!/usr/bin/env python3
"""`--inventory` end to end, on the Online Boutique manifests of tests/inventory/boutique (a dozen
services in three namespaces and an ingress controller's, as kustomize, Helm, `kubectl get` and a
hand-kept CRLF file have them): the mistakes of issue 11 are found at their lines with what to
write, a right program is told nothing, `set inventory` works from any directory, the pipeline
formats carry the warnings, --werror refuses them, bad inventories are errors at their line, and
`fence why` / `fence explain` / `fence graph` answer with the inventory's labels and ports."""
import json
import os
import re
import shutil
import unittest

from fence_e2e import ROOT, main, run, tempdir

INVENTORY = "tests/inventory/boutique"
RIGHT = "tests/inventory/boutique.fence"
MISTAKES = "tests/inventory/mistakes.fence"
NS = ["--inventory-namespace", "boutique"]


def diagnostics(stderr):
    """(file, line, column, severity, code) of each diagnostic in the text form."""
    return re.findall(r"^(\S+?):(\d+):(\d+): (error|warning|info)\[(\w+)\]", stderr, re.M)


def codes_at(stderr):
    return {(f, int(line), code) for f, line, _, _, code in diagnostics(stderr)}


class RightProgram(unittest.TestCase):
    def test_nothing_to_say(self):
        _, out, err = run(["check", "--inventory", INVENTORY] + NS + [RIGHT], check=0)
        self.assertEqual(err, "")
        self.assertEqual(out, "")

    def test_the_build_is_the_same_with_or_without_an_inventory(self):
        _, plain, _ = run(["build", RIGHT], check=0)
        _, checked, err = run(["build", "--inventory", INVENTORY] + NS + [RIGHT], check=0)
        self.assertEqual(plain, checked)
        self.assertEqual(err, "")

    def test_objects_without_a_namespace_go_to_the_default_namespace(self):
        # Without --inventory-namespace the load generator (rendered without --namespace) is in
        # `default`, so no workload runs it in boutique.
        _, _, err = run(["check", "--inventory", INVENTORY, RIGHT], check=0)
        self.assertEqual({c for _, _, c in codes_at(err)}, {"W0805"})
        self.assertIn("no workload in the inventory runs pods labelled app=loadgenerator in namespace boutique", err)

    def test_files_in_any_order_give_the_same_answer(self):
        files = sorted(os.listdir(os.path.join(ROOT, INVENTORY)))
        forward = sum([["--inventory", os.path.join(INVENTORY, f)] for f in files], [])
        backward = sum([["--inventory", os.path.join(INVENTORY, f)] for f in reversed(files)], [])
        _, _, a = run(["check"] + forward + [MISTAKES], check=0)
        _, _, b = run(["check"] + backward + [MISTAKES], check=0)
        self.assertEqual(a, b)


class Mistakes(unittest.TestCase):
    """The program names its inventory itself: `set inventory = "boutique/"`."""

    def setUp(self):
        _, _, self.err = run(["check", MISTAKES], check=0)
        self.found = codes_at(self.err)

    def test_each_mistake_at_its_line(self):
        m = MISTAKES
        expected = {
            (m, 10, "W0615"),  # dns without import std
            (m, 11, "W0805"),  # strpe
            (m, 12, "W0807"),  # emailservice:5000, the Service's port
            (m, 13, "W0807"),  # redis-cart:6380
            (m, 17, "W0808"),  # :metrics
            (m, 20, "W0806"),  # namespace boutque
            (m, 5, "W0614"),   # stripe, unused since its one use is misspelt
        }
        self.assertLessEqual(expected, self.found, self.err)
        self.assertEqual({c for _, _, c in self.found} - {"W0604"}, {c for _, _, c in expected}, self.err)

    def test_what_to_write_instead(self):
        for text in ("help: did you mean 'stripe'? it is a definition, at tests/inventory/mistakes.fence:5:5",
                     "tests/inventory/boutique/boutique.yaml:302:11: note: the Service emailservice maps 5000 to 8080; policy sees the pods' port 8080",
                     "help: write :8080 instead of :5000",
                     "help: these pods serve one port, redis=6379/tcp: write :redis or :6379",
                     "help: these pods serve one port, http=8080/tcp: write :http or :8080",
                     "help: did you mean 'boutique'?",
                     "help: add `import std` at the top of this file"):
            self.assertIn(text, self.err)

    def test_werror_refuses_them_and_writes_nothing(self):
        code, out, err = run(["build", "--werror", MISTAKES])
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn("error[W0807]", err)
        d = tempdir(self)
        code, _, _ = run(["build", "--werror", "-o", os.path.join(d, "out"), MISTAKES])
        self.assertEqual(code, 1)
        self.assertFalse(os.path.exists(os.path.join(d, "out")))

    def test_json_and_sarif_carry_them(self):
        _, out, _ = run(["check", "--format", "json", MISTAKES], check=0)
        doc = json.loads(out)
        w = [d for d in doc["diagnostics"] if d["code"] == "W0807" and d["location"]["line"] == 12][0]
        self.assertEqual(w["name"], "port-not-served")
        self.assertEqual((w["location"]["column"], w["location"]["end_column"]), (42, 46))
        self.assertEqual(w["notes"][0]["location"]["file"], "tests/inventory/boutique/boutique.yaml")
        self.assertEqual(w["help"], ["write :8080 instead of :5000"])
        _, out, _ = run(["check", "--format", "sarif", MISTAKES], check=0)
        results = json.loads(out)["runs"][0]["results"]
        ids = {r["ruleId"] for r in results}
        self.assertLessEqual({"W0805", "W0806", "W0807", "W0808", "W0614", "W0615"}, ids)

    def test_a_statement_can_say_the_finding_is_right(self):
        d = tempdir(self)
        shutil.copytree(os.path.join(ROOT, INVENTORY), os.path.join(d, "boutique"))
        with open(os.path.join(ROOT, MISTAKES), encoding="utf-8") as f:
            text = f.read().replace("cartservice may reach boutique-data/redis-cart:6380",
                                    "cartservice may reach boutique-data/redis-cart:6380   # fence:allow W0807")
        path = os.path.join(d, "m.fence")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        _, _, err = run(["check", path], check=0)
        found = {(line, code) for _, line, code in codes_at(err)}
        self.assertNotIn((13, "W0807"), found)
        self.assertIn((12, "W0807"), found)

    def test_without_an_inventory_the_names_are_still_caught(self):
        d = tempdir(self)
        with open(os.path.join(ROOT, MISTAKES), encoding="utf-8") as f:
            text = f.read().replace('set inventory = "boutique/"\n', "")
        path = os.path.join(d, "m.fence")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        _, _, err = run(["check", path], check=0)
        found = {(line, code) for _, line, code in codes_at(err)}
        # One line up: the setting is gone.
        self.assertLessEqual({(10, "W0613"), (19, "W0613"), (9, "W0615"), (4, "W0614")}, found, err)
        self.assertIn("'strpe' is not defined here, so it means the pods labelled app=strpe; it looks like the definition 'stripe'", err)
        self.assertIn("namespace 'boutque' looks like namespace 'boutique'", err)


class Paths(unittest.TestCase):
    def test_set_inventory_is_relative_to_the_file(self):
        # From another working directory, by absolute path: the same findings.
        _, _, here = run(["check", MISTAKES], check=0)
        _, _, there = run(["check", os.path.join(ROOT, MISTAKES)], cwd="/", check=0)
        self.assertEqual({(os.path.basename(f), l, c) for f, l, c in codes_at(here)},
                         {(os.path.basename(f), l, c) for f, l, c in codes_at(there)})

    def test_the_command_line_replaces_the_setting(self):
        d = tempdir(self)
        with open(os.path.join(d, "empty.yaml"), "w") as f:
            f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: elsewhere}\n")
        _, _, err = run(["check", "--inventory", os.path.join(d, "empty.yaml"), MISTAKES], check=0)
        self.assertIn("the inventory has no namespace 'boutique'", err)

    def test_a_missing_path_is_a_usage_error(self):
        code, out, err = run(["check", "--inventory", "no/such/dir", RIGHT])
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertIn("fence: error: --inventory 'no/such/dir': no such file or directory", err)
        d = tempdir(self)
        code, _, err = run(["check", "--inventory", d, RIGHT])
        self.assertEqual(code, 2)
        self.assertIn("holds no *.yaml, *.yml or *.json files", err)
        code, _, err = run(["check", "--inventory-namespace", "Not_A_Name", "--inventory", INVENTORY, RIGHT])
        self.assertEqual(code, 2)

    def test_a_setting_that_names_nothing_is_an_error_at_the_setting(self):
        d = tempdir(self)
        path = os.path.join(d, "p.fence")
        with open(path, "w") as f:
            f.write('import std\nset inventory = "deploy/"\nnamespace a {\n  web may reach dns\n}\n')
        code, out, err = run(["build", path])
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        # The source file is named relative to the project root, its inputs' directory here.
        self.assertIn(f"p.fence:2:17: error[E0803]: the inventory '{d}/deploy/': no such file or directory", err)
        self.assertTrue(err.startswith("p.fence:"), err)

    def test_standard_input(self):
        with open(os.path.join(ROOT, INVENTORY, "boutique.yaml"), encoding="utf-8") as f:
            stream = f.read()
        code, _, err = run(["check", "--inventory", "-", RIGHT], input=stream)
        self.assertEqual(code, 0)
        # Only boutique's manifests: the other namespaces are unknown now.
        self.assertIn("warning[W0806]: the inventory has no namespace 'boutique-data'", err)
        code, _, err = run(["check", "--inventory", "-", "-"], input=stream)
        self.assertEqual(code, 2)
        self.assertIn("standard input holds the program already", err)


class BadInventories(unittest.TestCase):
    def write(self, name, text):
        d = tempdir(self)
        path = os.path.join(d, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def test_yaml_that_is_not_yaml(self):
        path = self.write("bad.yaml", "kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata:\n  name: [b\n")
        code, out, err = run(["build", "--inventory", path, RIGHT])
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, re.escape(path) + r":\d+:\d+: error\[E0801\]: this is not valid YAML")

    def test_an_object_the_api_server_would_refuse(self):
        path = self.write("bad.yaml", "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\n  labels:\r\n    version: 1.0\r\n")
        code, _, err = run(["check", "--inventory", path, RIGHT])
        self.assertEqual(code, 1)
        self.assertIn(f"{path}:6:14: error[E0802]: the value of label 'version' is a string, but YAML reads 1.0 as a number", err)
        self.assertIn('help: write it in quotes: "1.0"', err)

    def test_an_unrendered_chart(self):
        path = self.write("deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n")
        code, _, err = run(["check", "--inventory", path, RIGHT])
        self.assertEqual(code, 1)
        self.assertIn("render it first (helm template CHART, kubectl kustomize DIR)", err)


class Analysis(unittest.TestCase):
    def test_why_uses_the_workloads_labels_and_ports(self):
        args = ["why", "--inventory", INVENTORY] + NS + [RIGHT]
        # The named rule (checkoutservice:grpc) decides 7070 at once: the inventory names the port.
        _, out, _ = run(args + ["--from", "boutique/checkoutservice", "--to", "boutique/cartservice:7070"], check=0)
        self.assertTrue(out.startswith("allowed:"), out)
        _, out, _ = run(["why", RIGHT, "--from", "boutique/checkoutservice", "--to", "boutique/cartservice:7070"], check=0)
        self.assertTrue(out.startswith("undecided:"), out)
        # The ingress controller by its workload name, with the labels of its pods.
        _, out, _ = run(args + ["--from", "ingress-nginx/ingress-nginx-controller", "--to", "boutique/frontend:8080", "--format", "json"], check=0)
        doc = json.loads(out)
        self.assertIs(doc["allowed"], True, out)

    def test_explain_describes_the_real_pods(self):
        _, out, _ = run(["explain", "--inventory", INVENTORY] + NS + [RIGHT, "--workload", "boutique/frontend"], check=0)
        self.assertIn("app.kubernetes.io/part-of=boutique", out.splitlines()[0])

    def test_graph_draws_the_real_pods(self):
        # The controller's pods match the program's selector by their labels, which only the
        # inventory knows; by its name alone it is pods labelled app=ingress-nginx-controller.
        args = [RIGHT, "--workload", "ingress-nginx/ingress-nginx-controller", "--format", "mermaid"]
        _, out, _ = run(["graph", "--inventory", INVENTORY] + NS + args, check=0)
        self.assertIn("frontend", out)
        _, out, _ = run(["graph"] + args, check=0)
        self.assertNotIn("frontend", out)


if __name__ == "__main__":
    main()
