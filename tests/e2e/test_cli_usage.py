#!/usr/bin/env python3
"""The command line's usage errors, completion scripts and manual page: an unknown command or
option is named with a suggestion and exits 2, for every command; `fence completion bash`
completes in bash; `fence man` is a manual page that groff renders."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

FENCE = None
COMMANDS = ["build", "check", "fmt", "codes", "explain", "why", "diff", "import", "graph", "lsp", "completion"]


def fence(*args, stdin=None, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([FENCE, *args], capture_output=True, text=True, env=env, input=stdin, cwd=cwd, timeout=60)


class UnknownCommand(unittest.TestCase):
    def test_misspelt_command(self):
        p = fence("chek", "shop.fence")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("fence: error: unknown command 'chek'\n"), p.stderr)
        self.assertIn("did you mean 'check'?", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_each_command_is_suggested_for_a_typo(self):
        for cmd in COMMANDS:
            typo = cmd[:-1] + ("x" if cmd[-1] != "x" else "y")
            with self.subTest(cmd=cmd):
                p = fence(typo)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(f"unknown command '{typo}'", p.stderr)
                self.assertIn(f"did you mean '{cmd}'?", p.stderr)

    def test_far_from_every_command(self):
        p = fence("frobnicate")
        self.assertEqual(p.returncode, 2)
        self.assertIn("fence: error: unknown command 'frobnicate'", p.stderr)
        self.assertNotIn("did you mean", p.stderr)

    def test_no_command(self):
        p = fence()
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("fence: error: "), p.stderr)

    def test_top_level_option(self):
        p = fence("--verison")
        self.assertEqual(p.returncode, 2)
        self.assertIn("fence: error: unknown option '--verison'", p.stderr)
        self.assertIn("did you mean '--version'?", p.stderr)

    def test_help_and_version_still_work(self):
        self.assertEqual(fence("--help").returncode, 0)
        self.assertEqual(fence("-h").returncode, 0)
        self.assertEqual(fence("--version").returncode, 0)
        self.assertEqual(fence("check", "--help").returncode, 0)


class UnknownOption(unittest.TestCase):
    def test_misspelt_target(self):
        p = fence("build", "--tagret", "k8s", "shop.fence")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("fence: error: unknown option '--tagret'"), p.stderr)
        self.assertIn("did you mean '--target'?", p.stderr)
        self.assertIn("fence build --help", p.stderr)

    def test_with_equals(self):
        p = fence("check", "--tagret=cilium", "shop.fence")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option '--tagret'", p.stderr)
        self.assertIn("did you mean '--target'?", p.stderr)

    def test_every_command(self):
        # A misspelling of an option each command has, and an option none has.
        options = {"build": "--output", "check": "--werror", "fmt": "--write", "codes": "--markdown", "explain": "--workload",
                   "why": "--label-key", "diff": "--level", "import": "--verify", "graph": "--namespace", "lsp": "--stdio",
                   "completion": "--help"}
        self.assertEqual(sorted(options), sorted(COMMANDS))
        for cmd, opt in options.items():
            typo = opt[:3] + opt[4] + opt[3] + opt[5:]  # two letters swapped
            with self.subTest(cmd=cmd, typo=typo):
                p = fence(cmd, typo)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(f"fence: error: unknown option '{typo}' for `fence {cmd}`", p.stderr)
                self.assertIn(f"did you mean '{opt}'?", p.stderr)
                p = fence(cmd, "--no-such-option-anywhere")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("unknown option '--no-such-option-anywhere'", p.stderr)
                self.assertNotIn("did you mean", p.stderr)

    def test_short_option(self):
        p = fence("build", "-x", "shop.fence")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option '-x' for `fence build`", p.stderr)

    def test_values_that_look_like_options_are_values(self):
        # An option's value may start with a dash, and `--` ends the options: no unknown option here.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "-odd.fence"), "w") as f:
                f.write("namespace shop {\n  api may be reached by web\n}\n")
            p = fence("check", "--", "-odd.fence", cwd=d)
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            p = fence("check", "--allow", "W0604", "-odd.fence", cwd=d)
            self.assertIn("unknown option '-odd.fence'", p.stderr)  # without `--` it is an option
            p = fence("check", "--env", "-x", "--", "-odd.fence", cwd=d)
            self.assertNotIn("unknown option", p.stderr)

    def test_other_usage_errors_have_the_prefix(self):
        p = fence("build", "--target", "nope", "x.fence")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("fence: error: "), p.stderr)


class Completion(unittest.TestCase):
    def complete(self, script, line):
        """What bash's completion function offers for LINE (the cursor at its end)."""
        words = line.split(" ")
        program = script + "\n" + "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n" + \
            f"COMP_CWORD={len(words) - 1}\nCOMP_LINE='{line}'\nCOMP_POINT={len(line)}\n_fence\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [w for w in p.stdout.splitlines() if w]

    def test_bash(self):
        if not shutil.which("bash"):
            self.skipTest("no bash")
        p = fence("completion", "bash")
        self.assertEqual(p.returncode, 0)
        script = p.stdout
        self.assertEqual(self.complete(script, "fence ch"), ["check"])
        self.assertEqual(sorted(self.complete(script, "fence c")), ["check", "codes", "completion"])
        self.assertEqual(self.complete(script, "fence build --tar"), ["--target"])
        self.assertEqual(sorted(self.complete(script, "fence build --target ")), ["all", "calico", "cilium", "k8s"])
        self.assertEqual(sorted(self.complete(script, "fence check --format ")), ["json", "sarif", "text"])
        self.assertEqual(self.complete(script, "fence codes W060"), [f"W060{i}" for i in (2, 3, 4, 5, 6, 7, 8)])
        self.assertIn("--werror", self.complete(script, "fence check --w"))
        # Hidden commands are not offered.
        self.assertNotIn("man", self.complete(script, "fence m"))

    def test_zsh_and_fish_name_every_command_and_option(self):
        for shell in ("zsh", "fish"):
            p = fence("completion", shell)
            self.assertEqual(p.returncode, 0)
            for cmd in COMMANDS:
                self.assertIn(cmd, p.stdout)
            self.assertIn("k8s cilium calico all", p.stdout)
            self.assertIn("target", p.stdout)
        self.assertTrue(fence("completion", "zsh").stdout.startswith("#compdef fence\n"))
        fish = fence("completion", "fish").stdout
        self.assertIn("complete -c fence -n '__fish_seen_subcommand_from build' -s t -l target -x -a 'k8s cilium calico all'", fish)
        for shell in ("zsh", "fish"):
            if shutil.which(shell):
                p = subprocess.run([shell, "-n"], input=fence("completion", shell).stdout, capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_unknown_shell(self):
        p = fence("completion", "tcsh")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith("fence: error: "), p.stderr)


class Manual(unittest.TestCase):
    def test_structure(self):
        p = fence("man")
        self.assertEqual(p.returncode, 0)
        page = p.stdout
        self.assertTrue(page.startswith(".TH FENCE 1 "), page[:80])
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"):
            self.assertIn(f"\n.SH {section}\n", page)
        for cmd in COMMANDS:
            self.assertRegex(page, rf'\n\.SS "fence {cmd} ')
        # Every option --help shows for build is in the page.
        help_text = fence("build", "--help").stdout
        for opt in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", help_text)):
            self.assertIn(opt.replace("-", "\\-"), page, opt)
        self.assertNotIn('.SS "fence man', page)  # hidden

    def test_renders(self):
        groff = shutil.which("groff")
        if not groff:
            self.skipTest("no groff")
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z"], input=fence("man").stdout, capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        p = subprocess.run([groff, "-man", "-Tascii", "-P", "-cbou"], input=fence("man").stdout, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        text = p.stdout
        self.assertRegex(text, r"fence\s+-\s+compile network intent")
        self.assertIn("--target", text)
        self.assertIn("EXIT STATUS", text)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    args, rest = ap.parse_known_args()
    FENCE = os.path.abspath(args.fence)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=1)
