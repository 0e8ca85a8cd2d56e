#!/usr/bin/env python3
"""Compiles every Fence example in the docs, so that the documentation cannot drift from the
compiler. In docs/*.md:
  ```fence [TARGET]        must compile with `fence check` (for TARGET, default k8s)
  ```fence-error [TARGET]  must be rejected with exit code 1; when a plain ``` block follows
                           directly, it must equal what fence prints (the file is example.fence)
  ```fence file=PATH       a library file that later examples of the same page may import
  ```fence-warning         must compile (exit 0) with diagnostics; when a plain ``` block follows
                           directly, it must equal what fence prints
  ```yaml file=PATH        a data file (an inventory's manifests) that later examples may name;
                           not compiled (```json file=PATH likewise; ```toml file=PATH, a
                           fence.toml, serves the next example only)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from yaml_docs import report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FENCE_RE = re.compile(r"^```(fence(?:-error|-warning)?|yaml|json|toml)(?:[ \t]+(\w+))?(?:[ \t]+file=(\S+))?[ \t]*\n(.*?)^```[ \t]*\n(?:\n?```[ \t]*\n(.*?)^```[ \t]*\n)?", re.M | re.S)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--targets", default="k8s")
    args = ap.parse_args()
    fence = os.path.abspath(args.fence)
    supported = args.targets.split(",")
    count, failures = 0, []
    docs = os.path.join(ROOT, "docs")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FENCE_PATH", None)
    for name in sorted(os.listdir(docs)):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(docs, name), encoding="utf-8").read()
        library, once = {}, {}
        for m in FENCE_RE.finditer(text):
            kind, target, lib_path, code, expected = m.group(1), m.group(2) or "k8s", m.group(3), m.group(4), m.group(5)
            if kind == "toml":
                if lib_path:
                    once[lib_path] = code  # a fence.toml: for the next example only, since it changes every path
                continue
            if kind in ("yaml", "json"):
                if lib_path:
                    library[lib_path] = code
                continue
            if target not in supported:
                failures.append(f"docs/{name}: an example asks for target {target!r}, which this build does not have")
                continue
            line = text[:m.start()].count("\n") + 1
            if lib_path:
                library[lib_path] = code
            with tempfile.TemporaryDirectory() as tmp:
                for path, content in list(library.items()) + list(once.items()):
                    os.makedirs(os.path.dirname(os.path.join(tmp, path)) or tmp, exist_ok=True)
                    with open(os.path.join(tmp, path), "w", encoding="utf-8") as f:
                        f.write(content)
                with open(os.path.join(tmp, "example.fence"), "w", encoding="utf-8") as f:
                    f.write(code)
                p = subprocess.run([fence, "check", "--target", target, "example.fence"], cwd=tmp, capture_output=True, text=True, env=env)
                once = {}
            count += 1
            where = f"docs/{name}:{line}"
            if kind == "fence" and p.returncode != 0:
                failures.append(f"{where}: the example does not compile (exit {p.returncode}):\n{p.stderr}")
            elif kind == "fence" and p.stderr:
                failures.append(f"{where}: the example compiles with diagnostics:\n{p.stderr}")
            elif kind == "fence-warning":
                if p.returncode != 0 or not p.stderr:
                    failures.append(f"{where}: the warning example exits {p.returncode}, with diagnostics:\n{p.stderr}")
                elif expected is not None and expected != p.stderr:
                    failures.append(f"{where}: the shown output differs from fence's:\n--- shown\n{expected}--- actual\n{p.stderr}")
            elif kind == "fence-error":
                if p.returncode != 1:
                    failures.append(f"{where}: the error example exits {p.returncode}, not 1:\n{p.stderr}")
                elif expected is not None and expected != p.stderr:
                    failures.append(f"{where}: the shown output differs from fence's:\n--- shown\n{expected}--- actual\n{p.stderr}")
    return report(count, failures, "documentation examples checked")


if __name__ == "__main__":
    sys.exit(main())
