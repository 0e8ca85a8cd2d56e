#!/usr/bin/env python3
"""The command line as a user runs it: exit codes, output files, and nothing written on error."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

FENCE = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD = "namespace shop {\n  default deny egress\n  api may reach db:5432\n}\n"
BAD = "namespace shop {\n  api may reach db:70000\n}\n"


def slurp(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fence(*args, cwd=None, stdin=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([FENCE, *args], cwd=cwd, capture_output=True, text=True, input=stdin, env=env, timeout=60)


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.good = os.path.join(self.tmp, "good.fence")
        self.bad = os.path.join(self.tmp, "bad.fence")
        with open(self.good, "w") as f:
            f.write(GOOD)
        with open(self.bad, "w") as f:
            f.write(BAD)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_exit_codes(self):
        self.assertEqual(fence("build", self.good).returncode, 0)
        self.assertEqual(fence("check", self.good).returncode, 0)
        self.assertEqual(fence("build", self.bad).returncode, 1)
        self.assertEqual(fence("check", self.bad).returncode, 1)
        self.assertEqual(fence("build", os.path.join(self.tmp, "missing.fence")).returncode, 2)
        self.assertEqual(fence("build").returncode, 2)
        self.assertEqual(fence("build", "--target", "nope", self.good).returncode, 2)
        self.assertEqual(fence("frobnicate").returncode, 2)
        self.assertEqual(fence().returncode, 2)
        self.assertEqual(fence("build", self.tmp + "/empty-dir-does-not-exist").returncode, 2)

    def test_help_and_version(self):
        v = fence("--version")
        self.assertEqual(v.returncode, 0)
        self.assertRegex(v.stdout, r"^fence \d+\.\d+\.\d+")
        for cmd in ([], ["build"], ["check"], ["codes"]):
            r = fence(*cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("Usage:", r.stdout)

    def test_werror_and_allow(self):
        # GOOD's api is egress-isolated without DNS: a warning (W0604), not an error.
        plain = fence("build", self.good)
        self.assertEqual(plain.returncode, 0)
        self.assertIn("warning[W0604]", plain.stderr)
        out = os.path.join(self.tmp, "out")
        strict = fence("build", "--werror", "-o", out, self.good)
        self.assertEqual(strict.returncode, 1)
        self.assertIn("error[W0604]", strict.stderr)
        self.assertFalse(os.path.exists(out))
        allowed = fence("build", "--werror", "--allow", "W0604", self.good)
        self.assertEqual(allowed.returncode, 0)
        self.assertEqual(allowed.stderr, "")
        self.assertIn("kind: NetworkPolicy", allowed.stdout)
        for bad in ("W9999", "E0304", "w0604"):
            r = fence("check", "--allow", bad, self.good)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("--allow", r.stderr)

    def test_errors_write_nothing(self):
        r = fence("build", self.bad)
        self.assertEqual(r.stdout, "")
        self.assertIn("bad.fence:2:20: error[E0304]", r.stderr)
        out = os.path.join(self.tmp, "out")
        r = fence("build", "-o", out, self.bad)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(out))

    def test_output_directory(self):
        out = os.path.join(self.tmp, "out")
        r = fence("build", "-o", out, self.good)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        files = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs)
        self.assertEqual(files, [".fence-output", "kustomization.yaml", "shop/kustomization.yaml", "shop/networkpolicy-api-egress.yaml",
                                 "shop/networkpolicy-default-deny-egress.yaml"])
        # The files hold exactly what the stream holds.
        stream = fence("build", self.good).stdout
        joined = "".join(slurp(os.path.join(out, f)) for f in ["shop/networkpolicy-default-deny-egress.yaml", "shop/networkpolicy-api-egress.yaml"])
        self.assertEqual(stream, joined)
        # A failed build leaves the previous output as it was.
        before = slurp(os.path.join(out, "shop/networkpolicy-api-egress.yaml"))
        self.assertEqual(fence("build", "-o", out, self.bad).returncode, 1)
        self.assertEqual(slurp(os.path.join(out, "shop/networkpolicy-api-egress.yaml")), before)
        # A rebuild replaces the directory: objects that are gone leave no file behind.
        with open(self.good, "w") as f:
            f.write("namespace shop {\n  api may reach db:5432\n}\n")
        self.assertEqual(fence("build", "-o", out, self.good).returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(out, "shop/networkpolicy-default-deny-egress.yaml")))
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".out.fence-")], [])

    def test_refuses_to_replace_foreign_directory(self):
        out = os.path.join(self.tmp, "mine")
        os.makedirs(out)
        with open(os.path.join(out, "precious.txt"), "w") as f:
            f.write("keep me")
        r = fence("build", "-o", out, self.good)
        self.assertEqual(r.returncode, 2)
        self.assertIn("was not written by fence", r.stderr)
        self.assertEqual(slurp(os.path.join(out, "precious.txt")), "keep me")

    def test_directory_input_and_stdin(self):
        lib = os.path.join(self.tmp, "prog")
        os.makedirs(os.path.join(lib, "sub"))
        shutil.copy(self.good, os.path.join(lib, "b.fence"))
        with open(os.path.join(lib, "sub", "a.fence"), "w") as f:
            f.write("namespace other {\n  x may reach y\n}\n")
        r = fence("build", lib)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("namespace: other", r.stdout)
        self.assertIn("namespace: shop", r.stdout)
        s = fence("build", "-", stdin=GOOD)
        self.assertEqual(s.returncode, 0, s.stderr)
        # The file is named relative to its directory, the project root here.
        self.assertEqual(s.stdout, fence("build", self.good).stdout.replace('good.fence:', '<stdin>:'))
        e = fence("check", "-", stdin=BAD)
        self.assertIn("<stdin>:2:20: error[E0304]", e.stderr)

    def test_argument_order_does_not_change_output(self):
        other = os.path.join(self.tmp, "other.fence")
        with open(other, "w") as f:
            f.write("namespace aaa {\n  x may reach y\n}\n")
        self.assertEqual(fence("build", self.good, other).stdout, fence("build", other, self.good).stdout)

    def test_colour(self):
        r = fence("check", "--color", "always", self.bad)
        self.assertIn("\x1b[", r.stderr)
        r = fence("check", self.bad)  # not a terminal
        self.assertNotIn("\x1b[", r.stderr)

    def test_stdlib_from_fence_path(self):
        std = os.path.join(self.tmp, "lib")
        os.makedirs(std)
        with open(os.path.join(std, "std.fence"), "w") as f:
            f.write("let dns = 10.9.9.9/32:53/udp\n")
        prog = os.path.join(self.tmp, "p.fence")
        with open(prog, "w") as f:
            f.write("import std\nnamespace a {\n  x may reach dns\n}\n")
        env = dict(os.environ, FENCE_PATH=std)
        r = subprocess.run([FENCE, "build", prog], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("10.9.9.9/32", r.stdout)


if __name__ == "__main__":
    FENCE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
