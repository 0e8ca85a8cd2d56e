#!/usr/bin/env python3
"""Golden tests: the fence binary as a user runs it, against reviewed expected files.

  examples/**/*.fence       -> tests/golden/examples/<path>[.<env>].<target>.yaml
                               (files whose name starts with '_' are libraries, not programs)
  tests/golden/errors/*.fence -> <name>.err: "exit: N" and then the exact stderr

An error case may start with a line `# args: ...` giving extra command-line arguments, and
`# command: check` to run `fence check` instead of `fence build`.

  tests/golden/commands/*.cmd -> <name>.out: any command's exit code, stdout and stderr
                               (the .cmd file holds the arguments after `fence` on one line,
                               shell-quoted; lines starting with '#' are comments)
  tests/golden/fmt/*.fence    -> <name>.out: what `fence fmt` makes of it, which must be
                               formatted already (the layout decisions, reviewed)
Run with --update to rewrite the expected files; review the diff before committing it.
"""
import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(fence, args):
    env = dict(os.environ)
    env.pop("FENCE_PATH", None)
    env["NO_COLOR"] = "1"
    p = subprocess.run([fence] + args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def declared_envs(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*environments\s+(.*?)\s*(#.*)?$", line)
            if m:
                return [e.strip() for e in m.group(1).split(",") if e.strip()]
    return []


def example_targets(path):
    """Targets an example is compiled for: `# targets: k8s, cilium` in its header, else the
    program's own `targets` line, default every target."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        m = re.match(r"#\s*targets:\s*(.*)$", line.strip())
        if m:
            return [t.strip() for t in m.group(1).split(",") if t.strip()]
    for line in lines:
        m = re.match(r"targets\s+([^#]*)", line)
        if m:
            return [t.strip() for t in m.group(1).split(",") if t.strip()]
    return None


def compare(expected_path, actual, update, failures):
    rel = os.path.relpath(expected_path, ROOT)
    if update:
        os.makedirs(os.path.dirname(expected_path), exist_ok=True)
        old = open(expected_path, encoding="utf-8").read() if os.path.exists(expected_path) else None
        if old != actual:
            with open(expected_path, "w", encoding="utf-8") as f:
                f.write(actual)
            print(f"updated {rel}")
        return
    if not os.path.exists(expected_path):
        failures.append(f"{rel}: missing (run with --update, then review it)")
        return
    expected = open(expected_path, encoding="utf-8").read()
    if expected != actual:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), rel, "actual"))
        failures.append(f"{rel}: differs\n{diff}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--targets", default="k8s", help="comma-separated targets the binary supports")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    supported = args.targets.split(",")
    failures = []
    expected_files = set()
    count = 0

    examples = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "examples")):
        for name in files:
            if name.endswith(".fence") and not name.startswith("_"):
                examples.append(os.path.relpath(os.path.join(dirpath, name), ROOT))
    for ex in sorted(examples):
        envs = declared_envs(ex) or [None]
        targets = example_targets(ex) or supported
        for env in envs:
            for target in targets:
                if target not in supported:
                    continue
                cmd = ["build", "--target", target, ex] + (["--env", env] if env else [])
                code, out, err = run(args.fence, cmd)
                count += 1
                stem = os.path.join(ROOT, "tests", "golden", ex[:-len(".fence")])
                expected = stem + (f".{env}" if env else "") + f".{target}.yaml"
                expected_files.add(os.path.abspath(expected))
                if code != 0:
                    failures.append(f"fence {' '.join(cmd)}: exit {code}\n{err}")
                    continue
                compare(expected, out, args.update, failures)

    err_dir = os.path.join(ROOT, "tests", "golden", "errors")
    for name in sorted(os.listdir(err_dir) if os.path.isdir(err_dir) else []):
        if not name.endswith(".fence"):
            continue
        path = os.path.relpath(os.path.join(err_dir, name), ROOT)
        extra, command = [], "build"
        # surrogateescape: an error case may hold bytes that are not UTF-8 (e0102-invalid-utf8).
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                m = re.match(r"#\s*args:\s*(.*)$", line.strip())
                if m:
                    extra = shlex.split(m.group(1))
                m = re.match(r"#\s*command:\s*(\w+)", line.strip())
                if m:
                    command = m.group(1)
        code, out, err = run(args.fence, [command] + extra + [path])
        count += 1
        if out:
            failures.append(f"{path}: wrote to stdout although it has errors:\n{out[:500]}")
        expected = os.path.join(err_dir, name[:-len(".fence")] + ".err")
        expected_files.add(os.path.abspath(expected))
        compare(expected, f"exit: {code}\n{err}", args.update, failures)

    cmd_dir = os.path.join(ROOT, "tests", "golden", "commands")
    for name in sorted(os.listdir(cmd_dir) if os.path.isdir(cmd_dir) else []):
        if not name.endswith(".cmd"):
            continue
        with open(os.path.join(cmd_dir, name), encoding="utf-8") as f:
            lines = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]
        rel = os.path.relpath(os.path.join(cmd_dir, name), ROOT)
        if len(lines) != 1:
            failures.append(f"{rel}: expected one command line, found {len(lines)}")
            continue
        code, out, err = run(args.fence, shlex.split(lines[0]))
        count += 1
        expected = os.path.join(cmd_dir, name[:-len(".cmd")] + ".out")
        expected_files.add(os.path.abspath(expected))
        actual = f"$ fence {lines[0]}\nexit: {code}\n{out}"
        if err:
            actual += f"--- stderr\n{err}"
        compare(expected, actual, args.update, failures)

    fmt_dir = os.path.join(ROOT, "tests", "golden", "fmt")
    for name in sorted(os.listdir(fmt_dir) if os.path.isdir(fmt_dir) else []):
        if not name.endswith(".fence"):
            continue
        path = os.path.relpath(os.path.join(fmt_dir, name), ROOT)
        code, out, err = run(args.fence, ["fmt", path])
        count += 1
        if code != 0 or err:
            failures.append(f"fence fmt {path}: exit {code}\n{err}")
            continue
        expected = os.path.join(fmt_dir, name[:-len(".fence")] + ".out")
        expected_files.add(os.path.abspath(expected))
        compare(expected, out, args.update, failures)
        again = subprocess.run([args.fence, "fmt", "-"], input=out, capture_output=True, text=True, timeout=120)
        if again.returncode != 0 or again.stdout != out:
            failures.append(f"{path}: formatting its output again changes it (exit {again.returncode}):\n{again.stdout}{again.stderr}")

    # Expected files nobody produces any more are stale. tests/golden/cnp/ belongs to the unit
    # tests of --target cnp (tests/unit/test_lower_cnp.cpp, test_cnp_guardrails.cpp), which compare
    # and rewrite it themselves (FENCE_UPDATE_GOLDEN=1).
    for dirpath, _, files in os.walk(os.path.join(ROOT, "tests", "golden")):
        if os.path.relpath(dirpath, os.path.join(ROOT, "tests", "golden")).split(os.sep)[0] == "cnp":
            continue
        for name in files:
            full = os.path.abspath(os.path.join(dirpath, name))
            if (name.endswith(".yaml") or name.endswith(".err") or name.endswith(".out")) and full not in expected_files:
                rel = os.path.relpath(full, ROOT)
                if args.update:
                    os.remove(full)
                    print(f"removed stale {rel}")
                else:
                    failures.append(f"{rel}: stale (no example or error case produces it)")

    for f in failures:
        print("FAIL", f, file=sys.stderr)
    print(f"{count} golden runs, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
