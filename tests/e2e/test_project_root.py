#!/usr/bin/env python3
"""Output does not depend on the working directory (issue 13, part A). Source paths are relative
to the project root: --root DIR, else the directory of the nearest fence.toml above the inputs,
else the inputs' common directory (docs/cli.md, "The project root and fence.toml")."""
import json
import os
import shutil
import unittest

from fence_e2e import ROOT, main, run, snapshot, tempdir

SHOP_DIR = os.path.join(ROOT, "examples", "shop")


class ProjectRoot(unittest.TestCase):
    def project(self, toml="", name="proj"):
        """A copy of examples/shop in a project directory of its own, with a fence.toml (None: none)."""
        base = tempdir(self)
        proj = os.path.join(base, name)
        shutil.copytree(SHOP_DIR, os.path.join(proj, "policies"))
        if toml is not None:
            with open(os.path.join(proj, "fence.toml"), "w", encoding="utf-8") as f:
                f.write(toml)
        return base, proj

    def test_two_working_directories_build_identical_trees(self):
        base, proj = self.project()
        out_a, out_b = os.path.join(base, "out-a"), os.path.join(base, "out-b")
        # From the project root, with a relative input; from elsewhere, with an absolute one.
        run(["build", "--all-envs", "-o", out_a, "policies/shop.fence"], cwd=proj, check=0)
        run(["build", "--all-envs", "-o", out_b, os.path.join(proj, "policies", "shop.fence")], cwd=base, check=0)
        a, b = snapshot(out_a), snapshot(out_b)
        self.assertTrue(a)
        self.assertEqual(a, b)
        # The annotation names the file relative to fence.toml's directory.
        text = ""
        for p in a:
            if p.endswith(".yaml"):
                with open(os.path.join(out_a, p), encoding="utf-8") as f:
                    text += f.read()
        self.assertIn('fence.dev/source: "policies/shop.fence:', text)
        self.assertNotIn(base, text)

    def test_check_from_another_directory_reports_no_drift(self):
        base, proj = self.project()
        out = os.path.join(proj, "deploy")
        run(["build", "--all-envs", "-o", "deploy", "policies"], cwd=proj, check=0)
        for cwd in (proj, base, os.path.join(proj, "policies"), "/"):
            code, _, err = run(["build", "--all-envs", "-o", out, "--check", os.path.join(proj, "policies")], cwd=cwd)
            self.assertEqual(code, 0, f"from {cwd}: {err}")

    def test_diagnostics_name_files_relative_to_the_root(self):
        base, proj = self.project()
        with open(os.path.join(proj, "policies", "bad.fence"), "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api may reach db:70000\n}\n")
        for cwd in (proj, base, "/"):
            code, _, err = run(["check", os.path.join(proj, "policies", "bad.fence")], cwd=cwd)
            self.assertEqual(code, 1)
            self.assertTrue(err.startswith("policies/bad.fence:2:"), f"from {cwd}: {err}")

    def test_without_fence_toml_the_common_directory_is_the_root(self):
        base, proj = self.project(toml=None)
        code, _, err = run(["check", os.path.join(proj, "policies", "shop.fence"), "--env", "prod"], cwd="/")
        self.assertEqual(code, 0, err)
        with open(os.path.join(proj, "policies", "bad.fence"), "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api may reach db:70000\n}\n")
        code, _, err = run(["check", os.path.join(proj, "policies", "bad.fence")], cwd="/")
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("bad.fence:2:"), err)

    def test_nearest_fence_toml_wins(self):
        base, proj = self.project()
        inner = os.path.join(proj, "policies", "fence.toml")
        with open(inner, "w", encoding="utf-8") as f:
            f.write("# a project of its own\nversion = 1\n")
        with open(os.path.join(proj, "policies", "bad.fence"), "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api may reach db:70000\n}\n")
        code, _, err = run(["check", os.path.join(proj, "policies", "bad.fence")], cwd=base)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("bad.fence:2:"), err)

    def test_root_flag(self):
        base, proj = self.project()
        with open(os.path.join(proj, "policies", "bad.fence"), "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api may reach db:70000\n}\n")
        bad = os.path.join(proj, "policies", "bad.fence")
        code, _, err = run(["check", "--root", base, bad], cwd="/")
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("proj/policies/bad.fence:2:"), err)
        # A file outside the root is shown relative to it, never by an absolute path.
        code, _, err = run(["check", "--root", os.path.join(proj, "policies", "sub"), bad], cwd="/")
        self.assertEqual(code, 2, err)  # not a directory: a usage error
        os.makedirs(os.path.join(proj, "other"))
        code, _, err = run(["check", "--root", os.path.join(proj, "other"), bad], cwd="/")
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("../policies/bad.fence:2:"), err)
        for cmd in (["why", "--from", "shop/api", "--to", "shop/db:80"], ["explain", "--workload", "shop/api"], ["graph"]):
            code, _, err = run(cmd + ["--root", base, bad], cwd="/")
            self.assertEqual(code, 1, f"{cmd}: {err}")
            self.assertIn("proj/policies/bad.fence:2:", err)

    def test_sarif_names_the_root_as_a_base(self):
        base, proj = self.project()
        with open(os.path.join(proj, "policies", "bad.fence"), "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api may reach db:70000\n}\n")
        code, out, _ = run(["check", "--format", "sarif", os.path.join(proj, "policies", "bad.fence")], cwd="/")
        self.assertEqual(code, 1)
        run_ = json.loads(out)["runs"][0]
        real = os.path.realpath(proj)
        self.assertEqual(run_["originalUriBaseIds"]["PROJECTROOT"]["uri"], "file://" + real + "/")
        loc = run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        self.assertEqual(loc, {"uri": "policies/bad.fence", "uriBaseId": "PROJECTROOT"})
        code, out, _ = run(["check", "--format", "json", os.path.join(proj, "policies", "bad.fence")], cwd="/")
        self.assertEqual(json.loads(out)["diagnostics"][0]["location"]["file"], "policies/bad.fence")

    def test_fence_toml_keys_are_checked(self):
        base, proj = self.project(toml="version = 1\n# comment\n\nsources = \"x\"\nversion = 1\n[table]\nversion 2\n")
        code, _, err = run(["check", "--env", "prod", os.path.join(proj, "policies", "shop.fence")], cwd=base)
        self.assertEqual(code, 1, err)
        self.assertIn("fence.toml:4:1: error[E0116]: fence.toml has no key 'sources'", err)
        self.assertIn("fence.toml:5:1: error[E0118]: the key 'version' is given twice", err)
        self.assertIn("fence.toml:6:1: error[E0115]:", err)
        self.assertIn("fence.toml:7:9: error[E0115]: expected '=' after the key 'version'", err)
        base, proj = self.project(toml="version = 2\n")
        code, _, err = run(["check", "--env", "prod", os.path.join(proj, "policies", "shop.fence")], cwd=base)
        self.assertEqual(code, 1, err)
        self.assertIn("fence.toml:1:11: error[E0117]:", err)
        base, proj = self.project(toml="versoin = 1\n")
        code, _, err = run(["check", "--env", "prod", os.path.join(proj, "policies", "shop.fence")], cwd=base)
        self.assertIn("did you mean 'version'?", err)


if __name__ == "__main__":
    main()
