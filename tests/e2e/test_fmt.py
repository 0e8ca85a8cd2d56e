#!/usr/bin/env python3
"""`fence fmt` as a user runs it.

Equivalence: every example, golden program and docs program is formatted (with every file it
imports), and the formatted program compiles to what the original does: the same diagnostics
(`check --target all --format json`, places aside) and, for every target and environment, the same
YAML (line numbers in the source annotations aside). Every file formats idempotently and keeps
every comment. Then the command line: stdout, -w (atomic, only files that change, modes and
links kept, never a file with syntax errors), --check (a diff, exit 1), standard input, usage
errors (exit 2), and that the repository's examples are formatted."""
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import unittest

import fence_e2e
from fence_e2e import ROOT, main, run, tempdir

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
from check_docs import FENCE_RE  # noqa: E402

TARGETS = ["k8s", "cilium"]
SOURCE_DIRS = ["examples", "tests/golden", "stdlib"]


def comments(text):
    """The comments of a Fence text, in order, without trailing blanks (strings hold no '#')."""
    out = []
    for line in text.splitlines():
        in_string = False
        i = 0
        while i < len(line):
            c = line[i]
            if in_string and c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = not in_string
            elif c == "#" and not in_string:
                out.append(line[i:].rstrip())
                break
            i += 1
    return out


def sources(root):
    """Relative paths of the Fence files below `root` (programs and the .lib files they import)."""
    out = []
    for d in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, d)):
            out += [os.path.relpath(os.path.join(dirpath, f), root) for f in files if f.endswith((".fence", ".lib"))]
    return sorted(out)


def declared_envs(path):
    with open(path, encoding="utf-8") as f:
        m = re.search(r"^\s*environments\s+([^#\n]*)", f.read(), re.M)
    return [e.strip() for e in m.group(1).split(",") if e.strip()] if m else []


def normalize_yaml(text):
    """Source line numbers out (so two statements that shared a line are one source); in comments,
    which quote the source, white space out too."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"(\.fence|\.lib):\d+", r"\1:N", line)
        m = re.match(r'(\s*fence\.dev/source: ")(.*)"$', line)
        if m:
            line = m.group(1) + ", ".join(dict.fromkeys(m.group(2).split(", "))) + '"'
        if line.lstrip().startswith("#"):
            line = re.sub(r"\s+", "", line)
        out.append(line)
    return "\n".join(out)


def normalize_json(text):
    """Diagnostics without their places (which formatting moves); messages with single spaces."""
    doc = json.loads(text)
    squash = lambda s: re.sub(r"\s+", "", re.sub(r"\.fence:\d+(:\d+)?", ".fence:N", s))
    return [(d["code"], d["severity"], squash(d["message"]), [squash(n["message"]) for n in d["notes"]], [squash(h) for h in d["help"]])
            for d in doc["diagnostics"]]


class Equivalence(unittest.TestCase):
    """Two copies of every program, as written and formatted, compiled side by side."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="fence-e2e-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.orig = os.path.join(cls.work, "orig")
        cls.fmt = os.path.join(cls.work, "fmt")
        for tree in (cls.orig, cls.fmt):
            for d in SOURCE_DIRS:
                shutil.copytree(os.path.join(ROOT, d), os.path.join(tree, d))
            # The copy is a project like the repository, so that `check` names files as `fmt` does.
            shutil.copy(os.path.join(ROOT, "fence.toml"), os.path.join(tree, "fence.toml"))
        # Each docs example is a program of its own, next to the library files of its page.
        cls.docs = []
        for name in sorted(os.listdir(os.path.join(ROOT, "docs"))):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as f:
                text = f.read()
            library = {}
            for n, m in enumerate(FENCE_RE.finditer(text)):
                if m.group(1) == "toml":
                    continue  # a fence.toml, for one example of diagnostics.md: no program
                if m.group(3):
                    library[m.group(3)] = m.group(4)
                for tree in (cls.orig, cls.fmt):
                    base = os.path.join(tree, "docs", name[:-3], str(n))
                    for path, content in list(library.items()) + [("example.fence", m.group(4))]:
                        os.makedirs(os.path.dirname(os.path.join(base, path)), exist_ok=True)
                        with open(os.path.join(base, path), "w", encoding="utf-8") as f:
                            f.write(content)
                cls.docs.append(os.path.join("docs", name[:-3], str(n), "example.fence"))
        cls.files = sources(cls.orig) + [os.path.relpath(os.path.join(dp, f), cls.orig)
                                         for dp, _, fs in os.walk(os.path.join(cls.orig, "docs")) for f in fs]
        cls.formatted = {}  # path -> formatted text, for the files without syntax errors
        cls.refused = {}    # path -> stderr, for the others
        for path in cls.files:
            code, out, err = run(["fmt", path], cwd=cls.orig)
            if code == 0:
                cls.formatted[path] = out
                with open(os.path.join(cls.fmt, path), "w", encoding="utf-8") as f:
                    f.write(out)
            else:
                cls.refused[path] = (code, out, err)

    def original(self, path):
        with open(os.path.join(self.orig, path), encoding="utf-8") as f:
            return f.read()

    def test_the_corpus_is_large_and_formatting_changes_some_of_it(self):
        self.assertGreater(len(self.files), 80)
        self.assertGreater(len(self.formatted), 70)
        changed = [p for p, t in self.formatted.items() if t != self.original(p)]
        print(f"{len(self.files)} files, {len(self.formatted)} formatted, {len(changed)} changed by formatting", file=sys.stderr)
        self.assertGreater(len(changed), 20, "formatting changes too little for the equivalence to test anything")

    def test_idempotent_and_every_comment_kept(self):
        for path, once in self.formatted.items():
            with self.subTest(path=path):
                code, twice, err = run(["fmt", "-"], input=once)
                self.assertEqual(code, 0, err)
                self.assertEqual(twice, once)
                self.assertEqual(comments(once), comments(self.original(path)))

    def test_files_with_syntax_errors_are_reported_as_check_reports_them(self):
        self.assertTrue(self.refused)
        for path, (code, out, err) in self.refused.items():
            with self.subTest(path=path):
                self.assertEqual(code, 1)
                self.assertEqual(out, "")
                self.assertRegex(err, r"error\[E01\d\d\]")
                if "E0113" in err:
                    continue
                if "e0113" not in path:  # no other file puts two statements under one fence:allow
                    self.assertNotIn("E0113", err)
                _, _, check_err = run(["check", path], cwd=self.orig)
                for line in err.splitlines():
                    if re.match(r"\S+:\d+:\d+: error", line):
                        self.assertIn(line, check_err)
        # The syntax error goldens: exactly what `fence check` prints.
        for name in ("e0101-syntax", "e0102-characters"):
            path = f"tests/golden/errors/{name}.fence"
            with open(os.path.join(ROOT, f"tests/golden/errors/{name}.err"), encoding="utf-8") as f:
                self.assertEqual("exit: 1\n" + self.refused[path][2], f.read())

    def programs(self):
        out = [p for p in sources(self.orig) if p.endswith(".fence") and not os.path.basename(p).startswith("_")]
        return out + self.docs

    def test_formatted_programs_compile_to_the_same_diagnostics_and_yaml(self):
        compared = yaml_compared = 0
        for path in self.programs():
            if path in self.refused:
                continue
            with self.subTest(path=path):
                results = []
                for tree in (self.orig, self.fmt):
                    code, out, err = run(["check", "--target", "all", "--format", "json", path], cwd=tree)
                    results.append((code, normalize_json(out)))
                self.assertEqual(results[0], results[1])
                compared += 1
                for target in TARGETS:
                    for env in declared_envs(os.path.join(self.orig, path)) or [None]:
                        args = ["build", "--target", target, path] + (["--env", env] if env else [])
                        builds = []
                        for tree in (self.orig, self.fmt):
                            code, out, err = run(args, cwd=tree)
                            builds.append((code, normalize_yaml(out), sorted(set(re.findall(r"\[(\w\d{4})\]", err)))))
                        self.assertEqual(builds[0], builds[1], " ".join(args))
                        yaml_compared += 1 if builds[0][0] == 0 else 0
        print(f"{compared} programs checked, {yaml_compared} builds compared", file=sys.stderr)
        self.assertGreater(compared, 60)
        self.assertGreater(yaml_compared, 40)


class Command(unittest.TestCase):
    def setUp(self):
        self.dir = tempdir(self)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def read(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            return f.read()

    MESSY = "namespace shop{\n    api   may reach db : 5432,dns   # a comment\n}"
    TIDY = "namespace shop {\n  api may reach db:5432, dns  # a comment\n}\n"
    BROKEN = "namespace shop {\n  api may rech db\n}\n"

    def test_stdout_and_standard_input(self):
        path = self.write("a.fence", self.MESSY)
        code, out, err = run(["fmt", path])
        self.assertEqual((code, out, err), (0, self.TIDY, ""))
        self.assertEqual(self.read("a.fence"), self.MESSY)  # untouched
        self.assertEqual(run(["fmt", "-"], input=self.MESSY), (0, self.TIDY, ""))
        code, out, err = run(["fmt", "-"], input=self.BROKEN)
        self.assertEqual((code, out), (1, ""))
        self.assertIn("<stdin>:2:11: error[E0101]: unexpected 'rech'; expected 'reach', 'be', 'send' or 'receive'", err)

    def test_write_rewrites_only_what_changes_atomically(self):
        messy = self.write("p/messy.fence", self.MESSY)
        tidy = self.write("p/sub/tidy.fence", self.TIDY)
        broken = self.write("p/broken.fence", self.BROKEN)
        target = self.write("elsewhere/linked.fence", self.MESSY)
        link = os.path.join(self.dir, "p/link.fence")
        os.symlink(target, link)
        os.chmod(messy, 0o640)
        tidy_stat = os.stat(tidy)
        code, out, err = run(["fmt", "-w", os.path.join(self.dir, "p")])
        self.assertEqual(code, 1, err)  # the broken file
        self.assertEqual(out, "")
        self.assertEqual(self.read("p/messy.fence"), self.TIDY)
        self.assertEqual(stat.S_IMODE(os.stat(messy).st_mode), 0o640)
        self.assertEqual(self.read("p/broken.fence"), self.BROKEN)
        self.assertIn("broken.fence:2:11: error[E0101]", err)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(self.read("elsewhere/linked.fence"), self.TIDY)
        after = os.stat(tidy)
        self.assertEqual((after.st_ino, after.st_mtime_ns), (tidy_stat.st_ino, tidy_stat.st_mtime_ns))
        self.assertIn("formatted " + os.path.join(self.dir, "p/messy.fence"), err)
        self.assertNotIn("tidy.fence", err)
        leftovers = [f for _, _, fs in os.walk(self.dir) for f in fs if "fence-tmp" in f]
        self.assertEqual(leftovers, [])
        # Everything formatted now: nothing to do, exit 0.
        os.remove(broken)
        self.assertEqual(run(["fmt", "-w", os.path.join(self.dir, "p")]), (0, "", ""))

    def test_check_prints_a_diff_and_writes_nothing(self):
        self.write("a.fence", self.MESSY)
        self.write("b.fence", self.TIDY)
        before = fence_e2e.snapshot(self.dir)
        code, out, err = run(["fmt", "--check", "."], cwd=self.dir)
        self.assertEqual(code, 1)
        self.assertEqual(fence_e2e.snapshot(self.dir), before)
        self.assertEqual(out,
                         "--- a.fence\n+++ a.fence (formatted)\n@@ -1,3 +1,3 @@\n"
                         "-namespace shop{\n-    api   may reach db : 5432,dns   # a comment\n-}\n\\ No newline at end of file\n"
                         "+namespace shop {\n+  api may reach db:5432, dns  # a comment\n+}\n")
        self.assertEqual(err, "fence: a.fence is not formatted\nfence: 1 of 2 files would be reformatted (fence fmt -w)\n")
        # The diff applies: patch turns the file into its formatted self.
        if shutil.which("patch"):
            import subprocess
            subprocess.run(["patch", "-s", "-p0"], input=out, text=True, cwd=self.dir, check=True)
            self.assertEqual(self.read("a.fence"), self.TIDY)
            self.assertEqual(run(["fmt", "--check", "."], cwd=self.dir), (0, "", ""))
        self.write("c.fence", self.BROKEN)
        code, out, err = run(["fmt", "--check", "c.fence"], cwd=self.dir)
        self.assertEqual((code, out), (1, ""))
        self.assertIn("c.fence:2:11: error[E0101]", err)

    def test_a_fence_allow_that_would_move_is_refused(self):
        path = self.write("a.fence", "namespace a {\n  web may reach db  api may reach db  # fence:allow W0604\n}\n")
        code, out, err = run(["fmt", "-w", path])
        self.assertEqual((code, out), (1, ""))
        self.assertIn("a.fence:2:39: error[E0113]", err)
        self.assertEqual(self.read("a.fence"), "namespace a {\n  web may reach db  api may reach db  # fence:allow W0604\n}\n")

    def test_usage_and_io_errors_exit_2(self):
        a = self.write("a.fence", self.MESSY)
        b = self.write("b.fence", self.MESSY)
        for args, says in ((["fmt", a, b], "-w"), (["fmt", self.dir], "-w"), (["fmt", "-w", "-"], "standard input"),
                           (["fmt", "-w", "--check", a], "--check"), (["fmt", os.path.join(self.dir, "missing.fence")], "missing.fence"),
                           (["fmt"], "inputs"), (["fmt", "--width", "80", a], "width")):
            with self.subTest(args=args):
                code, out, err = run(args)
                self.assertEqual(code, 2, err)
                self.assertEqual(out, "")
                self.assertIn(says, err)
        self.assertEqual(self.read("a.fence"), self.MESSY)

    def test_help_says_the_exit_codes(self):
        code, out, _ = run(["fmt", "--help"])
        self.assertEqual(code, 0)
        self.assertIn("0 formatted", out)
        self.assertIn("--check", out)

    def test_the_example_in_the_docs_is_what_fmt_prints(self):
        with open(os.path.join(ROOT, "docs/fmt.md"), encoding="utf-8") as f:
            blocks = [m.group(4) for m in FENCE_RE.finditer(f.read())]
        self.assertNotEqual(blocks[0], blocks[1])
        self.assertEqual(run(["fmt", "-"], input=blocks[0]), (0, blocks[1], ""))

    def test_the_repository_examples_and_stdlib_are_formatted(self):
        self.assertEqual(run(["fmt", "--check", "examples", "stdlib"]), (0, "", ""))


if __name__ == "__main__":
    main()
