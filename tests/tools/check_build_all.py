#!/usr/bin/env python3
"""`fence build --target all -o DIR` as a user runs it: one folder per target (and per environment
when several are built), the same documents as each target's golden stream, and nothing written
when one target cannot express the program."""
import argparse
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(fence, args):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FENCE_PATH", None)
    return subprocess.run([fence] + args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def tree(d):
    """The object files under d (kustomization.yaml files are checked by tests/e2e/test_build_output.py)."""
    out = {}
    for dirpath, _, files in os.walk(d):
        for name in files:
            if name.endswith(".yaml") and name != "kustomization.yaml":
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    out[os.path.relpath(path, d)] = yaml.safe_load(f)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    args = ap.parse_args()
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        # Both targets from one source, each with the documents of its golden file.
        out = os.path.join(tmp, "all")
        p = run(args.fence, ["build", "--target", "all", "-o", out, "examples/cilium/portable.fence"])
        expect(p.returncode == 0, f"build --target all: exit {p.returncode}\n{p.stderr}")
        files = tree(out)
        for target, kind in (("k8s", "networkpolicy"), ("cilium", "ciliumnetworkpolicy")):
            mine = sorted(files[k]["metadata"]["name"] for k in files if k.startswith(f"{target}/shop/{kind}-"))
            golden = os.path.join(ROOT, f"tests/golden/examples/cilium/portable.{target}.yaml")
            with open(golden, encoding="utf-8") as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
            expect(mine == sorted(d["metadata"]["name"] for d in docs), f"{target}: {mine} are not the golden objects")
            for d in docs:
                path = f"{target}/shop/{kind}-{d['metadata']['name']}.yaml"
                expect(files.get(path) == d, f"{path} differs from its golden document")
        # The program has namespace blocks only: cnp writes them as k8s does.
        k8s_files = {k[len("k8s/"):]: v for k, v in files.items() if k.startswith("k8s/")}
        cnp_files = {k[len("cnp/"):]: v for k, v in files.items() if k.startswith("cnp/")}
        expect(cnp_files and cnp_files == k8s_files, f"cnp/ does not hold the k8s objects: {sorted(cnp_files)}")
        expect(all(k.split("/")[0] in ("k8s", "cilium", "cnp", "calico") for k in files), f"files outside the target folders: {sorted(files)}")

        # Cluster-wide objects go under cluster/.
        out = os.path.join(tmp, "cluster")
        p = run(args.fence, ["build", "--target", "cilium", "-o", out, "examples/cilium/cluster-baseline.fence"])
        expect(p.returncode == 0, f"build cluster-baseline: exit {p.returncode}\n{p.stderr}")
        expect("cluster/ciliumclusterwidenetworkpolicy-default-deny-ingress.yaml" in tree(out), f"no cluster/ folder: {sorted(tree(out))}")

        # One target cannot express the program: exit 1, and nothing written.
        out = os.path.join(tmp, "none")
        p = run(args.fence, ["build", "--target", "all", "-o", out, "examples/cilium/payments.fence"])
        expect(p.returncode == 1, f"build --target all of a Cilium-only program: exit {p.returncode}")
        expect("E0401" in p.stderr and "--target cilium" in p.stderr, f"the k8s errors do not name the way out:\n{p.stderr}")
        expect(not os.path.exists(out), "a failed build wrote its output directory")

        # Environments: one level per environment only when several are built.
        src = os.path.join(tmp, "envs.fence")
        with open(src, "w", encoding="utf-8") as f:
            f.write("environments dev, prod\nnamespace shop {\n  web may reach db:5432\n}\n")
        out = os.path.join(tmp, "one-env")
        p = run(args.fence, ["build", "--target", "all", "--env", "prod", "-o", out, src])
        expect(p.returncode == 0, f"build --env prod: exit {p.returncode}\n{p.stderr}")
        expect(sorted(tree(out)) == ["calico/shop/networkpolicy-web.yaml", "cilium/shop/ciliumnetworkpolicy-web.yaml",
                                     "cnp/shop/networkpolicy-web-egress.yaml", "k8s/shop/networkpolicy-web-egress.yaml"],
               f"one environment, every target: {sorted(tree(out))}")
        out = os.path.join(tmp, "all-envs")
        p = run(args.fence, ["build", "--target", "all", "--all-envs", "-o", out, src])
        expect(p.returncode == 0, f"build --all-envs: exit {p.returncode}\n{p.stderr}")
        expect(sorted(tree(out)) == [f"{e}/{t}" for e in ("dev", "prod") for t in
                                     ("calico/shop/networkpolicy-web.yaml", "cilium/shop/ciliumnetworkpolicy-web.yaml",
                                      "cnp/shop/networkpolicy-web-egress.yaml", "k8s/shop/networkpolicy-web-egress.yaml")],
               f"two environments, every target: {sorted(tree(out))}")

    for f in failures:
        print("FAIL", f, file=sys.stderr)
    print(f"build --target all: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
