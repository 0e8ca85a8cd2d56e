#!/usr/bin/env python3
"""`fence build -o DIR`: the tree it writes, the kustomization files in it, byte-identical
rebuilds, stale files removed, failed builds leaving DIR alone, and `--check` drift detection.
Needs no kubectl: test_kustomize.py renders the trees with it where it is installed."""
import os
import shutil
import time
import unittest

import yaml

from fence_e2e import ROOT, SHOP, SHOP_ENVS, documents, key, main, run, snapshot, tempdir

SEED = "examples/seed/production.fence"


def object_files(directory):
    """Relative paths of the object files below `directory` (everything but kustomizations and the marker)."""
    return sorted(p for p in snapshot(directory) if not p.endswith("kustomization.yaml") and not p.endswith(".fence-output"))


def golden_docs(env):
    with open(os.path.join(ROOT, "tests/golden/examples/shop", f"shop.{env}.k8s.yaml"), encoding="utf-8") as f:
        return documents(f.read())


class Tree(unittest.TestCase):
    def build_all(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--all-envs", "-o", out, SHOP], check=0)
        return out

    def test_one_directory_per_environment_with_one_file_per_object(self):
        out = self.build_all()
        self.assertEqual(sorted(e for e in os.listdir(out) if not e.startswith(".")), sorted(SHOP_ENVS))
        self.assertTrue(os.path.isfile(os.path.join(out, ".fence-output")))
        for env in SHOP_ENVS:
            docs = golden_docs(env)
            want = {}
            for d in docs:
                kind, ns, name = key(d)
                want[f"{ns}/{kind.lower()}-{name}.yaml"] = d
            got = object_files(os.path.join(out, env))
            self.assertEqual(got, sorted(want), env)
            for rel in got:
                with open(os.path.join(out, env, rel), encoding="utf-8") as f:
                    text = f.read()
                self.assertTrue(text.startswith("---\n"), rel)
                self.assertEqual(documents(text), [want[rel]], rel)

    def test_every_kustomization_lists_exactly_the_object_files_beneath_it(self):
        out = self.build_all()
        self.assertFalse(os.path.exists(os.path.join(out, "kustomization.yaml")),
                         "no kustomization may span environments: they are different clusters' objects")
        seen = 0
        for env in SHOP_ENVS:
            env_dir = os.path.join(out, env)
            dirs = [env_dir] + [os.path.join(env_dir, d) for d in os.listdir(env_dir) if os.path.isdir(os.path.join(env_dir, d))]
            for d in dirs:
                path = os.path.join(d, "kustomization.yaml")
                self.assertTrue(os.path.isfile(path), path)
                with open(path, encoding="utf-8") as f:
                    k = yaml.safe_load(f)
                self.assertEqual(k["apiVersion"], "kustomize.config.k8s.io/v1beta1")
                self.assertEqual(k["kind"], "Kustomization")
                self.assertEqual(k["resources"], object_files(d), path)
                for r in k["resources"]:
                    self.assertTrue(os.path.isfile(os.path.join(d, r)), r)
                seen += 1
        self.assertGreater(seen, 3 * 4)

    def test_a_single_environment_has_no_environment_level(self):
        out = os.path.join(tempdir(self), "prod")
        run(["build", "--env", "prod", "-o", out, SHOP], check=0)
        all_envs = self.build_all()
        self.assertEqual(object_files(out), object_files(os.path.join(all_envs, "prod")))
        mine = snapshot(out)
        theirs = snapshot(os.path.join(all_envs, "prod"))
        for rel in object_files(out) + ["kustomization.yaml"]:
            self.assertEqual(mine[rel], theirs[rel], rel)

    def test_a_program_without_environments_writes_namespaces_at_the_top(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "-o", out, SEED], check=0)
        self.assertEqual(object_files(out), ["production/networkpolicy-all-pods-egress.yaml",
                                             "production/networkpolicy-default-deny-egress.yaml",
                                             "production/networkpolicy-web-api-egress.yaml"])
        with open(os.path.join(out, "kustomization.yaml"), encoding="utf-8") as f:
            self.assertEqual(yaml.safe_load(f)["resources"], object_files(out))


MULTI = "examples/multi-target/payments.fence"
MULTI_ENVS = ["prod", "staging"]


class Targets(unittest.TestCase):
    """One source for both targets: each target's tree is whole, and no kustomization lists two
    targets' files (`kubectl apply -k out/prod` must not apply NetworkPolicy and Cilium together)."""

    def kustomizations(self, out):
        found = {}
        for rel in snapshot(out):
            if rel.endswith("kustomization.yaml"):
                with open(os.path.join(out, rel), encoding="utf-8") as f:
                    found[rel] = yaml.safe_load(f)["resources"]
        return found

    def assert_whole_trees(self, out, prefixes):
        ks = self.kustomizations(out)
        for rel, resources in ks.items():
            kinds = {"cilium" if "ciliumnetworkpolicy-" in r else "k8s" for r in resources}
            self.assertLessEqual(len(kinds), 1, f"{rel} lists both targets' files: {resources}")
        for prefix in prefixes:
            top = os.path.join(prefix, "kustomization.yaml") if prefix else "kustomization.yaml"
            self.assertIn(top, ks)
            self.assertEqual(ks[top], object_files(os.path.join(out, prefix)), top)
        return ks

    def test_a_multi_target_program_builds_a_tree_per_environment_and_target(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--all-envs", "-o", out, MULTI], check=0)
        self.assertEqual(sorted(e for e in os.listdir(out) if not e.startswith(".")), MULTI_ENVS)
        prefixes = [f"{env}/{t}" for env in MULTI_ENVS for t in ("k8s", "cilium")]
        ks = self.assert_whole_trees(out, prefixes)
        for env in MULTI_ENVS:
            self.assertNotIn(f"{env}/kustomization.yaml", ks, "a kustomization above the target level")
            self.assertEqual(sorted(os.listdir(os.path.join(out, env))), ["cilium", "k8s"])
            for target in ("k8s", "cilium"):
                with open(os.path.join(ROOT, f"tests/golden/examples/multi-target/payments.{env}.{target}.yaml"), encoding="utf-8") as f:
                    golden = documents(f.read())
                files = object_files(os.path.join(out, env, target))
                self.assertEqual(len(files), len(golden), f"{env}/{target}")
                self.assertTrue(all(("ciliumnetworkpolicy-" in p) == (target == "cilium") for p in files), files)
        # --target all says the same; without environments the target is the top level.
        again = os.path.join(tempdir(self), "again")
        run(["build", "--target", "all", "--all-envs", "-o", again, MULTI], check=0)
        self.assertEqual(snapshot(again), snapshot(out))

    def test_target_all_without_environments_has_no_top_kustomization(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--target", "all", "-o", out, "examples/cilium/portable.fence"], check=0)
        ks = self.assert_whole_trees(out, ["k8s", "cilium"])
        self.assertNotIn("kustomization.yaml", ks)

    def test_target_all_with_environments_has_no_environment_kustomization(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--target", "all", "--all-envs", "-o", out, SHOP], check=0)
        ks = self.assert_whole_trees(out, [f"{env}/{t}" for env in SHOP_ENVS for t in ("k8s", "cilium")])
        for env in SHOP_ENVS:
            self.assertNotIn(f"{env}/kustomization.yaml", ks)

    def test_one_target_of_a_multi_target_program(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--target", "cilium", "--env", "prod", "-o", out, MULTI], check=0)
        self.assert_whole_trees(out, [""])
        self.assertTrue(all("ciliumnetworkpolicy-" in p for p in object_files(out)))
        # A target the program's `targets` line leaves out is a usage error; so is a stream of two.
        src = os.path.join(tempdir(self), "only.fence")
        with open(src, "w", encoding="utf-8") as f:
            f.write("targets cilium\nnamespace a { web may reach api.example.com:443 }\n")
        code, _, err = run(["build", "--target", "k8s", src])
        self.assertEqual(code, 2, err)
        self.assertIn("builds for cilium only", err)
        code, _, err = run(["build", "--env", "prod", MULTI])
        self.assertEqual(code, 2, err)
        self.assertIn("several targets (k8s, cilium)", err)

    def test_check_checks_every_target_and_drift_follows_the_layout(self):
        code, _, err = run(["check", MULTI])
        self.assertEqual(code, 0, err)
        code, _, err = run(["check", os.path.dirname(MULTI)])
        self.assertEqual(code, 0, err)
        out = os.path.join(tempdir(self), "out")
        run(["build", "-o", out, MULTI], check=0)
        run(["build", "--check", "-o", out, MULTI], check=0)
        # A kustomization above the targets, as older builds wrote it, is drift.
        with open(os.path.join(out, "prod", "kustomization.yaml"), "w", encoding="utf-8") as f:
            f.write("resources: []\n")
        code, _, err = run(["build", "--check", "-o", out, MULTI])
        self.assertEqual(code, 1, err)
        self.assertIn("E0703", err)


class Determinism(unittest.TestCase):
    def test_rebuilds_are_byte_identical_whatever_the_argument_order_or_time(self):
        base = tempdir(self)
        a, b, c = (os.path.join(base, n) for n in "abc")
        run(["build", "--all-envs", "-o", a, SHOP], check=0)
        time.sleep(1.1)  # a timestamp in the output would show now
        run(["build", "--all-envs", "-o", b, SHOP], check=0)
        run(["build", "--all-envs", "-o", c, "examples/shop/_monitoring.fence", SHOP, "examples/shop/_addresses.fence"], check=0)
        self.assertEqual(snapshot(a), snapshot(b))
        self.assertEqual(snapshot(a), snapshot(c))

    def test_the_same_build_twice_into_one_directory_changes_nothing(self):
        out = os.path.join(tempdir(self), "out")
        run(["build", "--all-envs", "-o", out, SHOP], check=0)
        first = snapshot(out)
        run(["build", "--all-envs", "-o", out, SHOP], check=0)
        self.assertEqual(snapshot(out), first)


class Replacement(unittest.TestCase):
    def copy_shop(self):
        src = os.path.join(tempdir(self), "shop")
        shutil.copytree(os.path.join(ROOT, "examples/shop"), src)
        return src

    def test_files_of_objects_that_no_longer_exist_are_removed(self):
        src = self.copy_shop()
        out = os.path.join(tempdir(self), "out")
        with open(os.path.join(src, "shop.fence"), "a", encoding="utf-8") as f:
            f.write("\nnamespace shop-ns {\n  when prod { reporting may reach data-ns/postgres:5432 }\n}\n")
        run(["build", "--all-envs", "-o", out, os.path.join(src, "shop.fence")], check=0)
        extra = os.path.join(out, "prod/shop/networkpolicy-reporting-egress.yaml")
        self.assertTrue(os.path.isfile(extra))
        shutil.copy(os.path.join(ROOT, SHOP), os.path.join(src, "shop.fence"))
        run(["build", "--all-envs", "-o", out, os.path.join(src, "shop.fence")], check=0)
        self.assertFalse(os.path.exists(extra))
        with open(os.path.join(out, "prod/kustomization.yaml"), encoding="utf-8") as f:
            self.assertNotIn("shop/networkpolicy-reporting-egress.yaml", yaml.safe_load(f)["resources"])
        self.assertEqual([n for n in os.listdir(os.path.dirname(out)) if "fence-" in n], [], "no temporary directory may be left")

    def test_a_build_with_errors_leaves_the_previous_output_untouched(self):
        src = self.copy_shop()
        out = os.path.join(tempdir(self), "out")
        run(["build", "--all-envs", "-o", out, os.path.join(src, "shop.fence")], check=0)
        before = snapshot(out)
        with open(os.path.join(src, "shop.fence"), "a", encoding="utf-8") as f:
            f.write("\nnamespace shop-ns {\n  when prod { api may reach 10.0.0.1/8:443 }\n}\n")
        code, stdout, stderr = run(["build", "--all-envs", "-o", out, os.path.join(src, "shop.fence")])
        self.assertEqual(code, 1, stderr)
        self.assertIn("error[E0309]", stderr)
        self.assertIn("only when building for environment 'prod'", stderr)
        self.assertEqual(snapshot(out), before)

    def test_a_directory_fence_did_not_write_is_never_replaced(self):
        out = os.path.join(tempdir(self), "mine")
        os.makedirs(out)
        with open(os.path.join(out, "notes.txt"), "w", encoding="utf-8") as f:
            f.write("precious\n")
        code, _, stderr = run(["build", "--all-envs", "-o", out, SHOP])
        self.assertEqual(code, 2)
        self.assertIn("was not written by fence", stderr)
        self.assertEqual(os.listdir(out), ["notes.txt"])

    def test_several_environments_need_a_directory(self):
        code, stdout, stderr = run(["build", "--all-envs", SHOP])
        self.assertEqual((code, stdout), (2, ""))
        self.assertIn("-o DIR", stderr)
        code, stdout, stderr = run(["build", SHOP])
        self.assertEqual((code, stdout), (2, ""))
        self.assertIn("choose one with --env", stderr)


class Drift(unittest.TestCase):
    def setUp(self):
        self.out = os.path.join(tempdir(self), "deploy")
        run(["build", "--all-envs", "-o", self.out, SHOP], check=0)

    def check(self, *extra):
        return run(["build", "--check", "--all-envs", "-o", self.out, SHOP] + list(extra))

    def test_an_up_to_date_directory_passes(self):
        code, stdout, stderr = self.check()
        self.assertEqual((code, stdout, stderr), (0, "", ""))

    def test_every_kind_of_difference_is_listed_and_nothing_is_written(self):
        changed = os.path.join(self.out, "prod/shop/networkpolicy-api-egress.yaml")
        with open(changed, encoding="utf-8") as f:
            lines = f.read().split("\n")
        at = next(i for i, l in enumerate(lines) if "203.0.113.0/26" in l)
        lines[at] = lines[at].replace("203.0.113.0/26", "0.0.0.0/0")
        with open(changed, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        os.remove(os.path.join(self.out, "dev/dev-data/networkpolicy-default-deny-all.yaml"))
        with open(os.path.join(self.out, "staging/staging-shop/networkpolicy-legacy.yaml"), "w", encoding="utf-8") as f:
            f.write("kind: NetworkPolicy\n")
        before = snapshot(self.out)
        code, stdout, stderr = self.check()
        self.assertEqual(code, 1, stderr)
        self.assertEqual(stdout, "")
        self.assertIn(f"{self.out}/dev/dev-data/networkpolicy-default-deny-all.yaml:1:1: error[E0702]: this file is missing", stderr)
        self.assertIn(f"{self.out}/prod/shop/networkpolicy-api-egress.yaml:{at + 1}:", stderr)
        self.assertIn("error[E0701]: this file is not what the source compiles to", stderr)
        self.assertIn("203.0.113.0/26", stderr, "the note shows what the line should be")
        self.assertIn(f"{self.out}/staging/staging-shop/networkpolicy-legacy.yaml:1:1: error[E0703]", stderr)
        self.assertIn("fence: 3 errors", stderr)
        self.assertEqual(snapshot(self.out), before, "--check must write nothing")

    def test_a_missing_directory_is_drift(self):
        shutil.rmtree(self.out)
        code, _, stderr = self.check()
        self.assertEqual(code, 1)
        self.assertIn("error[E0702]: the output directory does not exist", stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_a_directory_with_another_layout_is_drift(self):
        code, _, stderr = run(["build", "--check", "--env", "prod", "-o", self.out, SHOP])
        self.assertEqual(code, 1)
        self.assertIn("error[E0703]", stderr)
        self.assertIn("error[E0702]", stderr)

    def test_check_needs_a_directory(self):
        code, _, stderr = run(["build", "--check", "--env", "prod", SHOP])
        self.assertEqual(code, 2)
        self.assertIn("-o DIR", stderr)


if __name__ == "__main__":
    main()
