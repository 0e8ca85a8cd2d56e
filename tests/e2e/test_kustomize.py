#!/usr/bin/env python3
"""`kubectl kustomize DIR` renders exactly the objects Fence compiled, for every environment's
directory and every namespace directory below it.

Needs kubectl (with its built-in kustomize): $FENCE_KUBECTL, or `kubectl` on PATH. On Debian
bookworm, scripts/setup installs the `kubernetes-client` package (kubectl 1.20, kustomize 2.0.3)
when no kubectl is there. Without one this test exits 77, which ctest reports as skipped, never
as passed."""
import json
import os
import subprocess
import unittest

from fence_e2e import KUBECTL, SHOP, SHOP_ENVS, documents, main_with_kubectl, run, tempdir



def canonical(docs):
    return sorted(json.dumps(d, sort_keys=True) for d in docs)


def kustomize(directory):
    p = subprocess.run([KUBECTL, "kustomize", directory], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory}: exit {p.returncode}\n{p.stderr}")
    return documents(p.stdout)


class Kustomize(unittest.TestCase):
    def test_each_environment_renders_exactly_its_compiled_objects(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--all-envs", "-o", out, SHOP], check=0)
        for env in SHOP_ENVS:
            _, stream, _ = run(["build", "--env", env, SHOP], check=0)
            compiled = documents(stream)
            self.assertGreater(len(compiled), 10, env)
            rendered = kustomize(os.path.join(out, env))
            self.assertEqual(canonical(rendered), canonical(compiled), env)
            by_ns = {}
            for d in compiled:
                by_ns.setdefault(d["metadata"]["namespace"], []).append(d)
            for ns, docs in by_ns.items():
                self.assertEqual(canonical(kustomize(os.path.join(out, env, ns))), canonical(docs), f"{env}/{ns}")

    def test_a_program_without_environments_renders_from_the_top(self):
        out = os.path.join(tempdir(self), "out")
        seed = "examples/seed/production.fence"
        run(["build", "-o", out, seed], check=0)
        _, stream, _ = run(["build", seed], check=0)
        self.assertEqual(canonical(kustomize(out)), canonical(documents(stream)))

    def test_each_target_of_a_multi_target_program_renders_its_own_objects(self):
        out = os.path.join(tempdir(self), "out")
        multi = "examples/multi-target/payments.fence"
        run(["build", "--all-envs", "-o", out, multi], check=0)
        for env in ("staging", "prod"):
            for target, kind in (("k8s", "NetworkPolicy"), ("cilium", "CiliumNetworkPolicy")):
                _, stream, _ = run(["build", "--env", env, "--target", target, multi], check=0)
                compiled = documents(stream)
                self.assertGreater(len(compiled), 2, f"{env}/{target}")
                rendered = kustomize(os.path.join(out, env, target))
                self.assertEqual(canonical(rendered), canonical(compiled), f"{env}/{target}")
                self.assertEqual({d["kind"] for d in rendered}, {kind}, f"{env}/{target}")


if __name__ == "__main__":
    main_with_kubectl()
