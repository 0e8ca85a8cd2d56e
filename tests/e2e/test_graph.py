#!/usr/bin/env python3
"""`fence graph` as a user runs it: SVG through Graphviz for every example (parsed as XML, its
nodes and edges those of the DOT), the seed example's picture, deterministic output, `-o`
written whole or not at all, and the errors (exit 2 for usage, 1 for a program with errors).

What each edge means is checked against the reference evaluator by tests/graph/graph_netpol.cpp,
and the Mermaid output by Mermaid's own parser (tests/graph/mermaid)."""
import os
import re
import shutil
import stat
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

from fence_e2e import ROOT, SKIP, main, run

SVG = "{http://www.w3.org/2000/svg}"
SEED = "examples/seed/production.fence"


def examples():
    """(arguments, description) for every example program in every environment it declares, and
    for each target of a program with a `targets` line (the graph answers for one target)."""
    out = []
    for dirpath, dirnames, files in os.walk(os.path.join(ROOT, "examples")):
        dirnames.sort()
        for name in sorted(files):
            if not name.endswith(".fence") or name.startswith("_"):
                continue
            path = os.path.relpath(os.path.join(dirpath, name), ROOT)
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                text = f.read()
            m = re.search(r"^\s*environments\s+([^#\n]*)", text, re.M)
            envs = [e.strip() for e in m.group(1).split(",")] if m else [None]
            t = re.search(r"^\s*targets\s+([^#\n]*)", text, re.M)
            targets = [x.strip() for x in t.group(1).split(",")] if t else [None]
            for env in envs:
                for target in targets:
                    out.append([path] + (["--env", env] if env else []) + (["--target", target] if target else []))
    return out


def dot_shape(dot):
    """The node ids, edges (from, to) and namespace boxes of `fence graph --format dot`."""
    unq = lambda s: re.sub(r"\\(.)", r"\1", s)  # noqa: E731
    nodes = [unq(m) for m in re.findall(r'^\s*"((?:[^"\\]|\\.)*)" \[label=', dot, re.M)]
    edges = [(unq(a), unq(b)) for a, b in re.findall(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)" \[', dot, re.M)]
    boxes = len(re.findall(r'^\s*subgraph "cluster_', dot, re.M))
    return nodes, edges, boxes


def svg_shape(svg):
    root = ET.fromstring(svg)
    self_title = lambda g: g.find(SVG + "title").text  # noqa: E731
    groups = root.iter(SVG + "g")
    nodes, edges, boxes = [], [], 0
    for g in groups:
        cls = g.get("class")
        if cls == "node":
            nodes.append(self_title(g))
        elif cls == "edge":
            edges.append(tuple(self_title(g).split("->")))
        elif cls == "cluster":
            boxes += 1
    return nodes, edges, boxes


class Graph(unittest.TestCase):
    def graph(self, args, code=0):
        rc, out, err = run(["graph"] + args)
        self.assertEqual(rc, code, f"fence graph {' '.join(args)}\n{err}")
        return out, err

    def test_svg_of_every_example(self):
        if shutil.which("dot") is None:
            print("Graphviz's dot is not installed (scripts/setup installs it)")
            sys.exit(SKIP)
        cases = examples()
        self.assertGreaterEqual(len(cases), 8)
        for args in cases:
            for extra in ([], ["--level", "namespace"]):
                with self.subTest(args=args + extra):
                    dot, _ = self.graph(args + extra + ["--format", "dot"])
                    svg, _ = self.graph(args + extra + ["--format", "svg"])
                    nodes, edges, boxes = dot_shape(dot)
                    s_nodes, s_edges, s_boxes = svg_shape(svg)
                    self.assertEqual(sorted(s_nodes), sorted(nodes))
                    self.assertEqual(sorted(s_edges), sorted(edges))
                    self.assertEqual(s_boxes, boxes)
                    # A program whose statements only refuse (the guardrails user stories 1 and 5,
                    # an admin or baseline deny and nothing else) admits nothing to draw.
                    with open(os.path.join(ROOT, args[0]), encoding="utf-8") as f:
                        admits = re.search(r"\bmay\b", re.sub(r"#.*", "", f.read())) is not None
                    if admits:
                        self.assertTrue(edges, "an example with no edge")

    def test_seed_shows_what_the_seed_diagram_shows(self):
        dot, _ = self.graph([SEED, "--format", "dot"])
        edges = re.findall(r'^\s*"([^"]+)" -> "([^"]+)" \[label="([^"]*)"', dot, re.M)
        by_pair = {(a, b): label for a, b, label in edges}
        web = "w:production/app=web-api"
        self.assertEqual(by_pair[(web, "w:production/app=postgres")], "5432/tcp")
        self.assertEqual(by_pair[(web, "p:all namespaces/pods[k8s-app=kube-dns]")], "53/tcp, 53/udp")
        # 443 by its own statement; `all pods may reach 0.0.0.0/0 ...` opens the rest, and the
        # graph says so rather than drawing the statement alone.
        self.assertEqual(by_pair[(web, "a:203.0.113.0/24")], "every port")
        self.assertEqual(by_pair[("p:production/", "a:169.254.169.254/32")], "blocked: every port")
        self.assertIn('label="namespace production\\ndefault deny egress"', dot)
        mermaid, _ = self.graph([SEED])
        self.assertTrue(mermaid.startswith("flowchart LR\n"))
        self.assertRegex(mermaid, r'-\.-x\|"blocked: every port · examples/seed/production\.fence:18"\|')
        self.assertRegex(mermaid, r'-->\|"5432/tcp · examples/seed/production\.fence:16"\|')

    def test_one_sided_and_denied_edges(self):
        src = ("namespace a {\n  default deny egress\n  web may reach b/db:5432\n  web must not reach 10.0.0.0/8\n}\n"
               "namespace b {\n  db may be reached by a/other:5432\n}\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.fence")
            with open(path, "w") as f:
                f.write(src)
            dot, _ = self.graph([path, "--format", "dot"])
        self.assertRegex(dot, r'"w:a/app=web" -> "w:b/app=db" \[label="egress only: 5432/tcp", tooltip="[^"]*'
                              r'ingress at b/db does not admit it, isolated by its own rules \([^)]*p\.fence:7\)')
        self.assertRegex(dot, r'"w:a/app=web" -> "a:10\.0\.0\.0/8" \[label="denied: every port"')
        self.assertRegex(dot, r'label="namespace a\\ndefault deny egress"; [^\n]*color="#c62828"')

    def test_deterministic_and_independent_of_input_order(self):
        for fmt in ("mermaid", "dot"):
            for args in (["examples/seed/production.fence", "examples/seed/allow-monitoring.fence"],
                         ["examples/seed/allow-monitoring.fence", "examples/seed/production.fence"],
                         ["examples/seed"]):
                first, _ = self.graph(args + ["--format", fmt])
                again, _ = self.graph(args + ["--format", fmt])
                self.assertEqual(first, again)
                if args[0] == "examples/seed/production.fence":
                    reference = first
                self.assertEqual(first, reference, f"{args} gives another graph")
            shop = [self.graph(a + ["--env", "prod", "--format", fmt])[0] for a in
                    (["examples/shop"], ["examples/shop/shop.fence"],
                     ["examples/shop/_monitoring.fence", "examples/shop/shop.fence", "examples/shop/_addresses.fence"])]
            self.assertEqual(len(set(shop)), 1)

    def test_neighbourhoods(self):
        whole, _ = self.graph(["examples/shop", "--env", "prod", "--format", "dot"])
        one, _ = self.graph(["examples/shop", "--env", "prod", "--format", "dot", "--workload", "shop/api"])
        edges = dot_shape(one)[1]
        self.assertTrue(edges)
        api = "w:shop/app.kubernetes.io/name=api"
        self.assertTrue(all(api in e for e in edges), edges)
        self.assertIn("penwidth=3", one)
        self.assertLess(len(edges), len(dot_shape(whole)[1]))
        ns, _ = self.graph(["examples/shop", "--env", "prod", "--format", "dot", "--level", "namespace"])
        nodes = dot_shape(ns)[0]
        self.assertIn("n:shop", nodes)
        self.assertFalse([n for n in nodes if n.startswith("w:")], nodes)
        self.assertRegex(ns, r'"n:data" \[label="data\\ndefault deny all"')
        data, _ = self.graph(["examples/shop", "--env", "prod", "--format", "dot", "--namespace", "data"])
        self.assertTrue(all("w:data/" in a + b or "p:data/" in a + b for a, b in dot_shape(data)[1]))

    def test_output_file_is_written_whole(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "g.dot")
            with open(out, "w") as f:
                f.write("old\n")
            _, err = self.graph([SEED, "--format", "dot", "-o", out])
            self.assertEqual(os.listdir(tmp), ["g.dot"])
            with open(out) as f:
                self.assertTrue(f.read().startswith("digraph fence {"))
            # A program with errors, a failing dot, a missing dot: exit codes, and the file untouched.
            with open(out, "w") as f:
                f.write("old\n")
            bad = os.path.join(tmp, "bad.fence")
            with open(bad, "w") as f:
                f.write("namespace a {\n  web may reach db:70000\n}\n")
            self.graph([bad, "-o", out], code=1)
            bin_dir = os.path.join(tmp, "bin")
            os.mkdir(bin_dir)
            fake = os.path.join(bin_dir, "dot")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\ncat >/dev/null\necho 'dot: out of memory' >&2\nexit 1\n")
            os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)
            rc, _, err = run(["graph", SEED, "--format", "svg", "-o", out], env={"PATH": bin_dir})
            self.assertEqual(rc, 2, err)
            self.assertIn("dot: out of memory", err)
            os.remove(fake)
            rc, _, err = run(["graph", SEED, "--format", "svg", "-o", out], env={"PATH": bin_dir})
            self.assertEqual(rc, 2, err)
            self.assertIn("Graphviz", err)
            self.assertIn("apt-get install graphviz", err)
            with open(out) as f:
                self.assertEqual(f.read(), "old\n")
            self.assertEqual(sorted(os.listdir(tmp)), ["bad.fence", "bin", "g.dot"])
            rc, _, err = run(["graph", SEED, "-o", os.path.join(tmp, "no", "such", "dir", "g.mmd")])
            self.assertEqual(rc, 2)
            self.assertIn("no directory", err)

    def test_usage_errors(self):
        cases = [
            (["--namespace", "nowhere"], "--namespace nowhere: the program does not name it; it names production"),
            (["--workload", "web-api"], "give the namespace too"),
            (["--workload", "production/web-api", "--namespace", "production"], "excludes"),
            (["--level", "pods"], "--level"),
            (["--format", "png"], "--format"),
            (["--all-envs"], "graph answers for one environment at a time"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                rc, out, err = run(["graph", SEED] + args)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertIn(message, err)
        rc, _, err = run(["graph", "examples/shop"])
        self.assertEqual(rc, 2)
        self.assertIn("choose one with --env", err)

    def test_a_workload_nothing_names(self):
        # `all pods` selects production/batch: its egress to the internet is drawn, and the
        # blocked metadata endpoint.
        out, err = self.graph([SEED, "--workload", "production/batch"])
        self.assertNotIn("fence: note:", err)
        self.assertIn("blocked: every port", out)
        out, err = self.graph([SEED, "--workload", "elsewhere/batch"])
        self.assertIn("fence: note: no statement selects elsewhere/batch or names it as a peer", err)
        self.assertNotIn("-->", out)


if __name__ == "__main__":
    main()
