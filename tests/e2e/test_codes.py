#!/usr/bin/env python3
"""`fence codes CODE`: every code of compiler/diag/codes.def has an explanation,
compiler/diag/explain/CODE.md, with an example and a fix, and the examples are run:

  ```fence-error [TARGET]     the example program (example.fence): `fence check --target TARGET`
  ```fence-warning [TARGET]   must exit 1 (error) or 0 (warning) and report the code
  ```LANG file=NAME           a file the example needs (a library, an inventory, YAML to import)
  ```sh                       `$ ` lines run in order in bash, in the example's directory, with
                              this fence first on PATH; the last must report the code
  ```fence [TARGET]           a fixed program: must compile without any diagnostic

Codes whose example is no Fence program (the nets under Fence's own invariants) are listed in
UNTESTED, and must be exactly those.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPLAIN = os.path.join(ROOT, "compiler", "diag", "explain")
BLOCK_RE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
CODE_RE = re.compile(r'^FENCE_CODE\((\w+), (\w+), "([^"]+)"', re.M)
# E0611 and E0910 guard invariants of the targets' naming and of the importer: no input is known
# to reach them (the unit tests build E0611's clash directly).
UNTESTED = {"E0611", "E0910"}
FENCE = None


def codes():
    with open(os.path.join(ROOT, "compiler", "diag", "codes.def"), encoding="utf-8") as f:
        return CODE_RE.findall(f.read())


def env():
    e = dict(os.environ, NO_COLOR="1")
    e.pop("FENCE_PATH", None)
    return e


def fence(*args, cwd=None):
    return subprocess.run([FENCE, *args], cwd=cwd, capture_output=True, text=True, env=env(), timeout=120)


class Explanations(unittest.TestCase):
    def test_every_code_has_one_and_nothing_else_does(self):
        ids = {c for c, _, _ in codes()}
        files = {f[:-3] for f in os.listdir(EXPLAIN) if f.endswith(".md")}
        self.assertEqual(files - ids, set(), "explanations of codes codes.def does not have")
        self.assertEqual(ids - files, set(), "codes without an explanation")
        for code in ids:
            with open(os.path.join(EXPLAIN, code + ".md"), encoding="utf-8") as f:
                text = f.read()
            self.assertIn("\n## Example\n", text, code)
            self.assertIn("\n## Fix\n", text, code)
            self.assertGreater(len(text.split("\n## Example\n")[0]), 120, f"{code}: say what it means")

    def test_examples_report_their_code(self):
        untested = set()
        for code, severity, _ in codes():
            with self.subTest(code=code):
                with open(os.path.join(EXPLAIN, code + ".md"), encoding="utf-8") as f:
                    text = f.read()
                if not self.run_example(code, severity, text):
                    untested.add(code)
        self.assertEqual(untested, UNTESTED)

    def run_example(self, code, severity, text):
        example = text.split("\n## Example\n", 1)[1].split("\n## Fix\n", 1)[0]
        fix = text.split("\n## Fix\n", 1)[1]
        ran = False
        with tempfile.TemporaryDirectory() as tmp:
            bindir = os.path.join(tmp, ".bin")
            os.mkdir(bindir)
            os.symlink(os.path.abspath(FENCE), os.path.join(bindir, "fence"))
            work = os.path.join(tmp, "work")
            os.mkdir(work)
            commands, program = [], None
            for lang, info, body in [(m.group(1), m.group(2).split(), m.group(3)) for m in BLOCK_RE.finditer(example)]:
                name = next((i[5:] for i in info if i.startswith("file=")), None)
                if name:
                    with open(os.path.join(work, name), "w", encoding="utf-8") as f:
                        f.write(body)
                elif lang in ("fence-error", "fence-warning"):
                    program = (lang, info[0] if info else "k8s", body)
                elif lang == "sh":
                    commands += [line[2:] for line in body.splitlines() if line.startswith("$ ")]
            if code in UNTESTED:
                return False
            if commands:
                for c in commands:
                    p = subprocess.run(["bash", "-c", c], cwd=work, capture_output=True, text=True, timeout=120,
                                       env=dict(env(), PATH=bindir + os.pathsep + os.environ["PATH"]))
                out = p.stdout + p.stderr
                self.assertIn(code, out, f"{code}: `{commands[-1]}` does not report it:\n{out}")
                self.assertEqual(p.returncode != 0, severity == "Error", f"{code}: `{commands[-1]}` exits {p.returncode}:\n{out}")
                ran = True
            elif program:
                kind, target, body = program
                with open(os.path.join(work, "example.fence"), "w", encoding="utf-8") as f:
                    f.write(body)
                p = fence("check", "--target", target, "example.fence", cwd=work)
                self.assertIn(f"[{code}]", p.stderr, f"{code}: the example does not report it:\n{p.stderr}")
                self.assertEqual(p.returncode, 1 if kind == "fence-error" else 0, f"{code}: the example exits {p.returncode}:\n{p.stderr}")
                ran = True
            # The fixed programs compile cleanly (with the example's files beside them).
            for m in BLOCK_RE.finditer(fix):
                info = m.group(2).split()
                if m.group(1) != "fence" or any(i.startswith("file=") for i in info):
                    continue
                with open(os.path.join(work, "fixed.fence"), "w", encoding="utf-8") as f:
                    f.write(m.group(3))
                p = fence("check", "--target", info[0] if info else "k8s", "fixed.fence", cwd=work)
                self.assertEqual((p.returncode, p.stderr), (0, ""), f"{code}: the fixed program does not compile cleanly")
        return ran


class Command(unittest.TestCase):
    def test_prints_the_explanation(self):
        p = fence("codes", "W0604")
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("W0604 (warning, isolated-without-dns): "), p.stdout)
        with open(os.path.join(EXPLAIN, "W0604.md"), encoding="utf-8") as f:
            self.assertIn(f.read(), p.stdout)

    def test_lower_case_and_names(self):
        want = fence("codes", "W0604").stdout
        self.assertEqual(fence("codes", "w0604").stdout, want)
        self.assertEqual(fence("codes", "isolated-without-dns").stdout, want)
        self.assertEqual(fence("codes", "ISOLATED-WITHOUT-DNS").stdout, want)

    def test_unknown_code_suggests(self):
        p = fence("codes", "W06004")
        self.assertEqual(p.returncode, 2)
        self.assertIn("fence: error: there is no diagnostic code 'W06004'", p.stderr)
        self.assertIn("did you mean 'W0604'?", p.stderr)
        p = fence("codes", "isolated-without-dsn")
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'isolated-without-dns'?", p.stderr)
        p = fence("codes", "nothing-like-any-code")
        self.assertEqual(p.returncode, 2)
        self.assertNotIn("did you mean", p.stderr)

    def test_markdown_holds_every_explanation(self):
        p = fence("codes", "--markdown")
        self.assertEqual(p.returncode, 0)
        for code, _, slug in codes():
            self.assertIn(f"\n## {code} {slug}\n", p.stdout)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    args, rest = ap.parse_known_args()
    FENCE = os.path.abspath(args.fence)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=1)
