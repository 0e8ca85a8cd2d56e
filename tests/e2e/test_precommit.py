#!/usr/bin/env python3
"""The pre-commit hooks this repository offers (.pre-commit-hooks.yaml), run by pre-commit itself
(`pre-commit try-repo`) in a scratch git repository that holds the shop example. Needs the
`pre-commit` package (scripts/setup installs it); without it this test exits 77 (skipped)."""
import os
import shutil
import subprocess
import sys
import unittest

import yaml

import fence_e2e
from fence_e2e import ROOT, SKIP, fence_from_argv, tempdir

PRE_COMMIT = shutil.which("pre-commit")


class Hooks(unittest.TestCase):
    def setUp(self):
        self.repo = tempdir(self)
        shutil.copytree(os.path.join(ROOT, "examples/shop"), os.path.join(self.repo, "policies"))
        # The repository is the project: diagnostics name files from its top (docs/cli.md).
        with open(os.path.join(self.repo, "fence.toml"), "w", encoding="utf-8") as f:
            f.write("")
        self.env = dict(os.environ, PRE_COMMIT_HOME=os.path.join(self.repo, ".cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                        PATH=os.path.dirname(fence_e2e.FENCE) + os.pathsep + os.environ.get("PATH", ""))
        self.env.pop("NO_COLOR", None)
        self.git("init", "-q")
        self.git("add", "policies", "fence.toml")
        self.git("commit", "-q", "-m", "policies")

    def git(self, *args):
        subprocess.run(["git"] + list(args), cwd=self.repo, env=self.env, check=True, capture_output=True)

    def try_repo(self, hook, *args):
        p = subprocess.run([PRE_COMMIT, "try-repo", ROOT, hook, "--all-files", "--verbose"] + list(args), cwd=self.repo, env=self.env,
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr

    def test_manifest_shape(self):
        with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as f:
            hooks = yaml.safe_load(f)
        self.assertEqual([h["id"] for h in hooks], ["fence-check", "fence-build-check", "fence-fmt"])
        for h in hooks:
            self.assertEqual(h["language"], "system")
            # Programs are checked as a whole; only formatting takes the changed files.
            self.assertEqual(h["pass_filenames"], h["id"] == "fence-fmt")
            self.assertTrue(h["entry"].startswith("fence "))

    def test_fence_check_passes_a_good_program_and_fails_a_broken_one(self):
        code, out = self.try_repo("fence-check")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"fence check\.+Passed")
        path = os.path.join(self.repo, "policies/_addresses.fence")
        with open(path, "a", encoding="utf-8") as f:
            f.write("let payments in prd = 10.0.0.0/8:443\n")
        with open(path, encoding="utf-8") as f:
            line = len(f.read().splitlines())
        self.git("add", "policies")
        code, out = self.try_repo("fence-check")
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"fence check\.+Failed")
        self.assertIn(f"policies/_addresses.fence:{line}:17: error[E0209]: unknown environment 'prd'", out)

    def test_fence_fmt_passes_formatted_files_and_rewrites_others(self):
        code, out = self.try_repo("fence-fmt")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"fence fmt\.+Passed")
        path = os.path.join(self.repo, "policies/_monitoring.fence")
        with open(path, encoding="utf-8") as f:
            tidy = f.read()
        messy = tidy.replace("  grafana may reach prometheus:9090, dns", "grafana   may reach prometheus : 9090,dns")
        self.assertNotEqual(messy, tidy)
        with open(path, "w", encoding="utf-8") as f:
            f.write(messy)
        self.git("add", "policies")
        code, out = self.try_repo("fence-fmt")
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"fence fmt\.+Failed")
        self.assertIn("files were modified by this hook", out)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), tidy)
        # A file with a syntax error fails the hook and is left as it is.
        broken = os.path.join(self.repo, "policies/broken.fence")
        with open(broken, "w", encoding="utf-8") as f:
            f.write("namespace shop {\n  api   may rech db\n}\n")
        self.git("add", "policies")
        code, out = self.try_repo("fence-fmt")
        self.assertEqual(code, 1, out)
        self.assertIn("policies/broken.fence:2:13: error[E0101]", out)
        with open(broken, encoding="utf-8") as f:
            self.assertEqual(f.read(), "namespace shop {\n  api   may rech db\n}\n")


if __name__ == "__main__":
    if not PRE_COMMIT:
        print("SKIPPED: pre-commit is not installed (scripts/setup installs the Debian package)")
        sys.exit(SKIP)
    fence_from_argv()
    unittest.main(verbosity=2)
