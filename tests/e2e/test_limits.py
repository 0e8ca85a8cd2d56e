#!/usr/bin/env python3
"""The limits, as a user meets them (docs/reliability.md): invalid UTF-8 in every report format,
the memory guard (--max-memory, E0106, exit 2), the file-size ceiling (--max-file-size, E0105),
and the `-o` leftovers that `--help` mentions."""
import json
import os
import subprocess

import fence_e2e
from fence_e2e import ROOT, SHOP, main, run, snapshot, tempdir

import unittest

# Examples, and what building each needs.
EXAMPLES = {"examples/shop/shop.fence": ["--env", "prod", "--target", "all"], "examples/seed/production.fence": ["--target", "all"],
            "examples/cilium/payments.fence": ["--target", "cilium"], "examples/denies/carve-outs.fence": []}
BAD_BYTES = [b"\xed\xa0\x80", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xff", b"\xc0\xaf"]


def run_bytes(args, cwd=ROOT):
    """fence with bytes out, for output that must be checked byte by byte."""
    e = dict(os.environ)
    e.pop("FENCE_PATH", None)
    e["NO_COLOR"] = "1"
    p = subprocess.run([fence_e2e.FENCE] + args, cwd=cwd, capture_output=True, env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr


class InvalidUtf8(unittest.TestCase):
    def test_every_format_reports_the_byte(self):
        work = tempdir(self)
        for i, bad in enumerate(BAD_BYTES):
            path = os.path.join(work, f"bad{i}.fence")
            with open(path, "wb") as f:
                f.write(b"namespace a {\n  web may reach b  # " + bad + b"\n}\n")
            with self.subTest(bytes=bad.hex()):
                code, out, err = run_bytes(["check", path])
                self.assertEqual(code, 1)
                self.assertEqual(out, b"")
                err.decode("utf-8")  # escaped: valid UTF-8
                self.assertRegex(err.decode(), r":2:22: error\[E0102\]: the file is not valid UTF-8 here: ")
                self.assertIn("  web may reach b  # \\x", err.decode())
                for fmt in ("json", "sarif"):
                    code, out, err = run_bytes(["check", "--format", fmt, path])
                    self.assertEqual(code, 1, err)
                    doc = json.loads(out.decode("utf-8"))
                    if fmt == "json":
                        d = doc["diagnostics"][0]
                        self.assertEqual((d["code"], d["location"]["line"], d["location"]["column"]), ("E0102", 2, 22))
                    else:
                        r = doc["runs"][0]["results"][0]
                        self.assertEqual(r["ruleId"], "E0102")
                        self.assertEqual(r["locations"][0]["physicalLocation"]["region"]["startColumn"], 22)
                code, out, err = run_bytes(["build", path])
                self.assertEqual((code, out), (1, b""))

    def test_paths_that_are_not_utf8(self):
        work = tempdir(self)
        name = os.path.join(work.encode(), b"odd\xff.fence")
        with open(name, "wb") as f:
            f.write(b"namespace a {\n  web may reach 10.0.0.1/8\n}\n")
        code, out, err = run_bytes(["check", "--format", "json", name.decode("utf-8", "surrogateescape")])
        self.assertEqual(code, 1)
        doc = json.loads(out.decode("utf-8"))
        self.assertTrue(doc["diagnostics"][0]["location"]["file"].endswith("odd\\xff.fence"))
        code, out, err = run_bytes(["check", name.decode("utf-8", "surrogateescape")])
        self.assertIn(b"odd\\xff.fence:2:17: error[E0309]", err)


class MemoryGuard(unittest.TestCase):
    def test_too_little_memory_is_e0106_in_every_format(self):
        code, out, err = run(["check", "--max-memory", "256K", SHOP])
        self.assertEqual(code, 2, err)
        self.assertEqual(out, "")
        self.assertIn("fence: error[E0106]: fence ran out of memory: compiling this needs more than the 256 KiB --max-memory allows", err)
        self.assertIn("help: allow more with --max-memory SIZE", err)
        code, out, err = run(["check", "--max-memory", "256K", "--format", "json", SHOP])
        self.assertEqual(code, 2)
        doc = json.loads(out)
        self.assertEqual([d["code"] for d in doc["diagnostics"]], ["E0106"])
        self.assertEqual(doc["errors"], 1)
        code, out, err = run(["check", "--max-memory", "256K", "--format", "sarif", SHOP])
        self.assertEqual(code, 2)
        self.assertEqual(json.loads(out)["runs"][0]["results"][0]["ruleId"], "E0106")

    def test_any_limit_ends_in_success_or_e0106(self):
        """Running out anywhere (parsing, resolving, checking, lowering, writing YAML) unwinds to
        the diagnostic: never a crash, never an internal error."""
        for example, args in EXAMPLES.items():
            done = False
            for limit_kb in (256, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 32768, 65536):
                code, out, err = run(["build", "--max-memory", f"{limit_kb}K", example] + args)
                with self.subTest(example=example, limit=limit_kb):
                    self.assertIn(code, (0, 2), err)
                    if code == 2:
                        self.assertEqual(out, "")
                        self.assertIn("error[E0106]", err)
                    else:
                        done = True
                        self.assertTrue(out.startswith("---"))
            self.assertTrue(done, f"{example} did not build within 64 MiB")

    def test_a_build_that_runs_out_writes_nothing(self):
        work = tempdir(self)
        out_dir = os.path.join(work, "out")
        run(["build", "-o", out_dir, SHOP, "--env", "prod"], check=0)
        before = snapshot(out_dir)
        for limit in ("256K", "1M", "3M"):
            code, _, err = run(["build", "--max-memory", limit, "-o", out_dir, SHOP, "--env", "dev"])
            self.assertIn(code, (0, 2), err)
            if code == 2:
                self.assertEqual(snapshot(out_dir), before)
            self.assertEqual([n for n in os.listdir(work) if n != "out"], [])

    def test_bad_sizes_are_usage_errors(self):
        for bad in ("lots", "4X", "-1", "99999999999999999999G"):
            code, _, err = run(["check", "--max-memory", bad, SHOP])
            self.assertEqual(code, 2, err)
            self.assertIn("--max-memory", err)
        code, _, err = run(["check", "--max-file-size", "2G", SHOP])
        self.assertEqual(code, 2)
        self.assertIn("expected a size from 1 to 1G", err)
        run(["check", "--max-memory", "none", SHOP], check=0)


class FileSize(unittest.TestCase):
    def test_a_file_over_the_ceiling_is_e0105(self):
        code, out, err = run(["check", "--max-file-size", "1K", SHOP])
        self.assertEqual(code, 1)
        self.assertIn("examples/shop/shop.fence:1:1: error[E0105]: this file is larger than 1024 bytes, the most Fence reads (--max-file-size)", err)
        # Standard input and imported files too.
        text = open(os.path.join(ROOT, SHOP), encoding="utf-8").read()
        code, out, err = run(["check", "--max-file-size", "1K", "-"], input=text)
        self.assertIn("<stdin>:1:1: error[E0105]", err)
        work = tempdir(self)
        with open(os.path.join(work, "big.fence"), "w", encoding="utf-8") as f:
            f.write("# padding\n" * 200 + "let x = 10.0.0.0/8\n")
        with open(os.path.join(work, "main.fence"), "w", encoding="utf-8") as f:
            f.write('import "big.fence"\nnamespace a {\n  web may reach x\n}\n')
        code, out, err = run(["check", "--max-file-size", "1K", os.path.join(work, "main.fence")])
        self.assertEqual(code, 1)
        self.assertIn("big.fence:1:1: error[E0105]", err)
        run(["check", os.path.join(work, "main.fence")], check=0)


class OutputLeftovers(unittest.TestCase):
    def test_help_says_what_a_killed_build_leaves(self):
        code, out, err = run(["build", "--help"], check=0)
        self.assertIn(".DIR.fence-tmp-<pid>", out)
        self.assertIn("next build into the same parent removes it", " ".join(out.split()))


if __name__ == "__main__":
    main()
