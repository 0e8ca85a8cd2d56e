#!/usr/bin/env python3
"""Packaging: `cmake --install` into a DESTDIR lays out the binary, the standard library, the
manual page and the completions, and the installed binary builds with the installed standard
library; `cpack -G DEB` makes a package whose Depends are runtime libraries only, and whose
extracted tree runs. With FENCE_STATIC_DEPS=ON the binary needs only libc, libstdc++, libm and
libgcc (ldd), and is under 15 MB."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = None
PROGRAM = "import std\n\nnamespace shop {\n  web may reach api:8080, dns, installed-marker\n}\n"
MARKER = "\n# Added by the packaging test: only the installed standard library has it.\nlet installed-marker = 192.0.2.0/24:443\n"
LAYOUT = [
    "bin/fence",
    "share/fence/stdlib/std.fence",
    "share/man/man1/fence.1",
    "share/bash-completion/completions/fence",
    "share/zsh/site-functions/_fence",
    "share/fish/vendor_completions.d/fence.fish",
    "share/doc/fence/LICENSE",
    "share/doc/fence/CHANGELOG.md",
]
ALLOWED_LIBS = {"linux-vdso.so.1", "libc.so.6", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"}


def env():
    e = dict(os.environ, NO_COLOR="1")
    e.pop("FENCE_PATH", None)
    return e


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


class Package(unittest.TestCase):
    def check_runs(self, prefix):
        """The binary under PREFIX builds a program with PREFIX's standard library."""
        std = os.path.join(prefix, "share", "fence", "stdlib", "std.fence")
        with open(std, "a", encoding="utf-8") as f:
            f.write(MARKER)
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "shop.fence"), "w") as f:
                f.write(PROGRAM)
            p = subprocess.run([os.path.join(prefix, "bin", "fence"), "build", "-o", "out", "shop.fence"], cwd=work,
                               capture_output=True, text=True, env=env())
            self.assertEqual(p.returncode, 0, p.stderr)
            files = [os.path.join(r, n) for r, _, ns in os.walk(os.path.join(work, "out")) for n in ns]
            self.assertTrue(files)
            text = ""
            for name in files:
                with open(name, encoding="utf-8") as f:
                    text += f.read()
            self.assertIn("192.0.2.0/24", text)  # from the installed std.fence only
            example = os.path.join(ROOT, "examples", "shop")
            p = subprocess.run([os.path.join(prefix, "bin", "fence"), "check", example], capture_output=True, text=True, env=env())
            self.assertEqual(p.returncode, 0, p.stderr)

    def check_binary(self, binary):
        if not ARGS.static:
            return
        self.assertLess(os.path.getsize(binary), 15 * 1024 * 1024)
        p = run(["ldd", binary])
        libs = {line.split()[0].split("/")[-1] for line in p.stdout.splitlines() if line.strip()}
        self.assertEqual(libs - ALLOWED_LIBS, set(), p.stdout)

    def test_install(self):
        with tempfile.TemporaryDirectory() as dest:
            run(["cmake", "--install", ARGS.build, "--prefix", "/usr/local", "--strip"], env=dict(os.environ, DESTDIR=dest))
            prefix = os.path.join(dest, "usr", "local")
            for path in LAYOUT:
                self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
            self.assertTrue(os.access(os.path.join(prefix, "bin", "fence"), os.X_OK))
            with open(os.path.join(prefix, "share", "man", "man1", "fence.1")) as f:
                self.assertTrue(f.read().startswith(".TH FENCE 1"))
            with open(os.path.join(prefix, "share", "bash-completion", "completions", "fence")) as f:
                self.assertIn("complete -o filenames -o bashdefault -F _fence fence", f.read())
            self.check_binary(os.path.join(prefix, "bin", "fence"))
            # Relocatable: the tree moved elsewhere still finds its standard library.
            moved = os.path.join(dest, "elsewhere")
            shutil.move(prefix, moved)
            self.check_runs(moved)

    def test_deb(self):
        if not shutil.which("dpkg-deb"):
            self.skipTest("no dpkg-deb")
        with tempfile.TemporaryDirectory() as out:
            run(["cpack", "-G", "DEB", "-B", out, "--config", os.path.join(ARGS.build, "CPackConfig.cmake")])
            debs = [f for f in os.listdir(out) if f.endswith(".deb")]
            self.assertEqual(len(debs), 1, os.listdir(out))
            self.assertRegex(debs[0], r"^fence_\d+\.\d+\.\d+_[a-z0-9]+\.deb$")
            deb = os.path.join(out, debs[0])
            info = run(["dpkg-deb", "--field", deb, "Package", "Version", "Depends", "Maintainer"]).stdout
            fields = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line)
            self.assertEqual(fields["Package"], "fence")
            depends = [re.sub(r"\s*\(.*\)", "", d).strip() for d in fields.get("Depends", "").split(",") if d.strip()]
            self.assertIn("libc6", depends)
            self.assertFalse([d for d in depends if d.endswith("-dev")], depends)
            if ARGS.static:
                self.assertEqual(set(depends) - {"libc6", "libstdc++6", "libgcc-s1"}, set(), depends)
            contents = run(["dpkg-deb", "--contents", deb]).stdout
            for path in LAYOUT:
                self.assertIn("./usr/" + path, contents)
            tree = os.path.join(out, "tree")
            run(["dpkg-deb", "-x", deb, tree])
            self.check_binary(os.path.join(tree, "usr", "bin", "fence"))
            self.check_runs(os.path.join(tree, "usr"))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--static", action="store_true", help="the build has FENCE_STATIC_DEPS=ON")
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
