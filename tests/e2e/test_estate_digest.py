#!/usr/bin/env python3
"""Speed work must not change a byte of output. A large generated estate (bench/gen_estate.py,
3,000 statements over 30 namespaces, with denies and excepts) is built for each target and the
SHA-256 of the YAML stream compared with the digest stored in tests/e2e/estate.sha256, which was
taken from the compiler before the speed work (commit f9ac6a5) and reviewed then: a change to
it is a change of output, to be justified in its commit.

When the output changes on purpose, print the new digests with `--print` and update the file
in the same commit as the change that explains them."""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

from fence_e2e import ROOT, fence_from_argv, main, run

GENERATOR = os.path.join(ROOT, "bench", "gen_estate.py")
DIGESTS = os.path.join(ROOT, "tests", "e2e", "estate.sha256")
ARGS = ["--statements", "3000", "--denies", "--seed", "1"]


def stored():
    out = {}
    with open(DIGESTS, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                target, digest = line.split()
                out[target] = digest
    return out


def estate(directory):
    path = os.path.join(directory, "estate.fence")
    with open(path, "w", encoding="utf-8") as f:
        subprocess.run([sys.executable, GENERATOR, *ARGS], stdout=f, check=True)
    return path


def digest(path, target):
    # From the estate's directory, by a relative name: source paths are part of the output.
    code, out, err = run(["build", "--target", target, os.path.basename(path)], cwd=os.path.dirname(path))
    if code != 0:
        raise AssertionError(f"fence build --target {target} exited {code}: {err[-2000:]}")
    return hashlib.sha256(out.encode("utf-8")).hexdigest(), len(out)


class EstateDigest(unittest.TestCase):
    def test_output_is_unchanged(self):
        want = stored()
        self.assertEqual(sorted(want), ["cilium", "k8s"])
        with tempfile.TemporaryDirectory() as d:
            path = estate(d)
            for target, expected in sorted(want.items()):
                got, size = digest(path, target)
                self.assertGreater(size, 1_000_000, f"{target}: the estate's output is too small to mean anything")
                self.assertEqual(got, expected, f"fence build --target {target} of the estate changed its output")


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.argv.remove("--print")
        fence_from_argv()
        with tempfile.TemporaryDirectory() as d:
            path = estate(d)
            for target in ["cilium", "k8s"]:
                print(target, digest(path, target)[0])
        sys.exit(0)
    main()
