"""Shared helpers for the end-to-end tests: the fence binary as a user runs it, in temporary
directories, with the repository's examples."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP = "examples/shop/shop.fence"
SHOP_ENVS = ["dev", "staging", "prod"]
# ctest treats this exit code as "skipped" (SKIP_RETURN_CODE), never as passed.
SKIP = 77

FENCE = None


def fence_from_argv():
    """Takes `--fence PATH` off the command line, leaving the rest to unittest."""
    global FENCE
    if "--fence" not in sys.argv:
        sys.exit("usage: TEST --fence PATH [unittest args]")
    i = sys.argv.index("--fence")
    FENCE = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]


def run(args, cwd=ROOT, env=None, input=None, check=None):
    """Runs fence; returns (exit code, stdout, stderr). `check`: the exit code expected."""
    e = dict(os.environ)
    e.pop("FENCE_PATH", None)
    e.pop("NO_COLOR", None)
    if env:
        e.update(env)
    p = subprocess.run([FENCE] + args, cwd=cwd, capture_output=True, text=True, env=e, input=input, timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"fence {' '.join(args)}: exit {p.returncode}, expected {check}\nstdout:\n{p.stdout[:3000]}\nstderr:\n{p.stderr[:3000]}")
    return p.returncode, p.stdout, p.stderr


def snapshot(directory):
    """Every file and symlink below `directory` (hidden ones included) -> sha256 of its bytes."""
    out = {}
    for dirpath, dirnames, files in os.walk(directory):
        dirnames.sort()
        for name in files:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, directory)] = hashlib.sha256(f.read()).hexdigest()
    return out


def documents(text):
    """The YAML documents of a stream, empty ones left out."""
    return [d for d in yaml.safe_load_all(text) if d is not None]


def key(doc):
    return (doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])


def tempdir(test):
    d = tempfile.mkdtemp(prefix="fence-e2e-")
    test.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
    return d


def main():
    fence_from_argv()
    unittest.main(verbosity=2)


# kubectl, for the tests that render with kustomize: $FENCE_KUBECTL, or `kubectl` on PATH.
KUBECTL = os.environ.get("FENCE_KUBECTL") or shutil.which("kubectl")


def main_with_kubectl():
    """main(), or exit 77 (skipped, never passed) where there is no kubectl."""
    if not KUBECTL:
        print("SKIPPED: no kubectl (set FENCE_KUBECTL, or install the kubernetes-client package: scripts/setup does)")
        sys.exit(SKIP)
    print(f"using {KUBECTL}")
    main()
