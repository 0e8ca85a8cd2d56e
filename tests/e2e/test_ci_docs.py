#!/usr/bin/env python3
"""The CI snippets in docs/ci.md work: each parses as YAML, the repository scripts they call
exist, and their fence commands, run by bash with the snippet's variables in a scratch copy of
the repository's example, pass on clean policies and fail on drift."""
import os
import re
import shutil
import subprocess
import unittest

import yaml

import fence_e2e
from fence_e2e import ROOT, main, tempdir


def snippets():
    with open(os.path.join(ROOT, "docs/ci.md"), encoding="utf-8") as f:
        text = f.read()
    out = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        first = block.splitlines()[0]
        if first.startswith("# ."):
            out[first[2:].strip()] = yaml.safe_load(block)
    return out


def github_commands(doc):
    job = doc["jobs"]["policies"]
    return job["env"], [s["run"] for s in job["steps"] if "run" in s]


def gitlab_commands(doc):
    job = doc["fence"]
    return job["variables"], job["script"]


class Snippets(unittest.TestCase):
    def setUp(self):
        self.docs = snippets()
        self.work = tempdir(self)
        shutil.copytree(os.path.join(ROOT, "examples"), os.path.join(self.work, "examples"))
        os.makedirs(os.path.join(self.work, "build/compiler"))
        os.symlink(fence_e2e.FENCE, os.path.join(self.work, "build/compiler/fence"))

    def run_snippet(self, variables, commands):
        """Runs the snippet's fence commands; returns their exit codes. Others must be repository scripts."""
        codes = []
        env = dict(os.environ, **{k: str(v) for k, v in variables.items()})
        env.pop("NO_COLOR", None)
        for cmd in commands:
            if cmd.startswith("scripts/"):
                self.assertTrue(os.access(os.path.join(ROOT, cmd.split()[0]), os.X_OK), cmd)
                continue
            self.assertTrue(cmd.startswith("build/compiler/fence "), cmd)
            p = subprocess.run(["bash", "-c", cmd], cwd=self.work, env=env, capture_output=True, text=True, timeout=300)
            codes.append((cmd, p.returncode))
        return codes

    def check_pipeline(self, variables, commands):
        policies, manifests = variables["POLICIES"], variables["MANIFESTS"]
        # The manifests name their sources as the build saw them: build them as CI does, from the root.
        subprocess.run([fence_e2e.FENCE, "build", "--all-envs", "-o", manifests, policies], cwd=self.work, check=True)
        codes = self.run_snippet(variables, commands)
        self.assertEqual([c for _, c in codes], [0] * len(codes), codes)
        reports = [name for name in ("fence.sarif", "fence.json") if os.path.exists(os.path.join(self.work, name))]
        self.assertEqual(len(reports), 1)
        self.assertTrue(os.path.getsize(os.path.join(self.work, reports[0])) > 0)
        # Drift fails the last step.
        with open(os.path.join(self.work, manifests, "prod/shop/networkpolicy-api-egress.yaml"), "a", encoding="utf-8") as f:
            f.write("# hand edit\n")
        codes = self.run_snippet(variables, commands)
        self.assertEqual(codes[-1][1], 1, codes)
        self.assertEqual([c for _, c in codes[:-1]], [0] * (len(codes) - 1), codes)

    def test_github_actions(self):
        doc = self.docs[".github/workflows/fence.yml"]
        self.assertIn("security-events", doc["jobs"]["policies"]["permissions"])
        uploads = [s for s in doc["jobs"]["policies"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
        self.assertEqual(uploads[0]["with"]["sarif_file"], "fence.sarif")
        self.check_pipeline(*github_commands(doc))

    def test_gitlab_ci(self):
        self.check_pipeline(*gitlab_commands(self.docs[".gitlab-ci.yml"]))

    def test_pre_commit_config_names_the_offered_hooks(self):
        doc = self.docs[".pre-commit-config.yaml"]
        with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as f:
            offered = {h["id"] for h in yaml.safe_load(f)}
        used = {h["id"] for r in doc["repos"] for h in r["hooks"]}
        self.assertEqual(used, offered)


if __name__ == "__main__":
    main()
