#!/usr/bin/env python3
"""The seed reproduction: examples/seed/ compiled by fence reproduces the seed article's
manifests (tests/seed/), `spec` for `spec`, list order aside. Names may differ (the examples'
comments say why); the fragment (an egress list) must equal the compiled policy's egress list."""
import argparse
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def canonical(x):
    """Lists become sorted lists of canonical forms, so that order does not matter."""
    if isinstance(x, dict):
        return {k: canonical(v) for k, v in x.items()}
    if isinstance(x, list):
        return sorted((canonical(v) for v in x), key=repr)
    return x


def compile_docs(fence, path):
    p = subprocess.run([fence, "build", "--target", "k8s", path], cwd=ROOT, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"fence build {path} failed ({p.returncode}):\n{p.stderr}")
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    args = ap.parse_args()
    seed = os.path.join(ROOT, "tests", "seed")
    production = compile_docs(args.fence, "examples/seed/production.fence")
    monitoring = compile_docs(args.fence, "examples/seed/allow-monitoring.fence")
    failures = []

    for name in ("default-deny-egress.yaml", "app-egress.yaml", "block-metadata.yaml"):
        with open(os.path.join(seed, name), encoding="utf-8") as f:
            want = yaml.safe_load(f)
        matches = [d for d in production
                   if d["metadata"]["namespace"] == want["metadata"]["namespace"] and canonical(d["spec"]) == canonical(want["spec"])]
        if len(matches) != 1:
            failures.append(f"{name}: {len(matches)} compiled objects have its spec")
        else:
            print(f"ok {name} <- {matches[0]['metadata']['name']}")
    # No extra objects either: the three manifests are the whole of production.fence.
    if len(production) != 3:
        failures.append(f"production.fence compiles to {len(production)} objects, not 3")

    with open(os.path.join(seed, "allow-monitoring.egress-fragment.yaml"), encoding="utf-8") as f:
        fragment = yaml.safe_load(f)
    egress_lists = [d["spec"].get("egress") for d in monitoring]
    if canonical(fragment["egress"]) not in [canonical(e) for e in egress_lists if e is not None]:
        failures.append(f"allow-monitoring: no compiled policy has the fragment's egress list; got {egress_lists}")
    else:
        print("ok allow-monitoring.egress-fragment.yaml")

    for f in failures:
        print("FAIL", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
