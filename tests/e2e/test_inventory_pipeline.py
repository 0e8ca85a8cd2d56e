#!/usr/bin/env python3
"""The pipeline docs/ci.md shows: render the manifests with `kubectl kustomize`, then check the
policies against what was rendered (`fence check --inventory -`). A kustomization that adds labels
(commonLabels) makes the difference visible: the rendered pods carry `env=prod`, the files do not.

Needs kubectl (with its built-in kustomize): $FENCE_KUBECTL, or `kubectl` on PATH (scripts/setup
installs Debian's kubernetes-client). Without one this test exits 77, which ctest reports as
skipped, never as passed."""
import os
import shutil
import subprocess
import unittest

from fence_e2e import KUBECTL, ROOT, main_with_kubectl, run, tempdir

MANIFESTS = ["namespaces.yaml", "boutique.yaml", "ingress-nginx.yaml", "loadgenerator.yml"]
PROGRAM = """import std

namespace boutique {
  default deny all
  frontend may reach pods[app=cartservice, env=prod]:7070, dns
  loadgenerator may reach frontend:http, dns
  frontend may be reached by ingress-nginx/pods[app.kubernetes.io/component=controller]:http
}
"""


class Pipeline(unittest.TestCase):
    def setUp(self):
        self.dir = tempdir(self)
        base = os.path.join(self.dir, "deploy")
        os.makedirs(base)
        for name in MANIFESTS:
            shutil.copy(os.path.join(ROOT, "tests/inventory/boutique", name), base)
        with open(os.path.join(base, "kustomization.yaml"), "w") as f:
            f.write("commonLabels:\n  env: prod\nresources:\n" + "".join(f"- {m}\n" for m in MANIFESTS))
        self.program = os.path.join(self.dir, "policy.fence")
        with open(self.program, "w") as f:
            f.write(PROGRAM)
        p = subprocess.run([KUBECTL, "kustomize", base], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError(f"kubectl kustomize: exit {p.returncode}\n{p.stderr}")
        self.rendered = p.stdout

    def test_the_rendered_manifests_are_what_is_checked(self):
        args = ["check", "--werror", "--inventory-namespace", "boutique", "--inventory", "-", self.program]
        code, _, err = run(args, input=self.rendered)
        self.assertEqual((code, err), (0, ""))
        # The files themselves lack the label the kustomization adds: the selector finds no pod.
        files = sum([["--inventory", os.path.join(self.dir, "deploy", m)] for m in MANIFESTS], [])
        code, _, err = run(["check", "--werror", "--inventory-namespace", "boutique"] + files + [self.program])
        self.assertEqual(code, 1)
        self.assertIn("error[W0805]: no workload in the inventory runs pods labelled app=cartservice,env=prod in namespace boutique", err)
        # The directory, kustomization and all, is not what the cluster runs: Fence says how to render it.
        code, _, err = run(["check", "--inventory", os.path.join(self.dir, "deploy"), self.program])
        self.assertEqual(code, 1)
        self.assertIn("kustomization.yaml:1:1: error[E0802]: this is a kustomization, not a Kubernetes object", err)
        self.assertIn("help: render it (kubectl kustomize DIR) and give Fence the output", err)

    def test_a_rendered_file_works_as_well(self):
        path = os.path.join(self.dir, "rendered.yaml")
        with open(path, "w") as f:
            f.write(self.rendered)
        code, out, err = run(["build", "--werror", "--inventory-namespace", "boutique", "--inventory", path, self.program])
        self.assertEqual((code, err), (0, ""))
        self.assertIn("kind: NetworkPolicy", out)


if __name__ == "__main__":
    main_with_kubectl()
