#!/usr/bin/env python3
"""The pipeline interface: --format text|json|sarif on check and build, SARIF 2.1.0 validated
against the official schema (tests/schemas/sarif-2.1.0-rtm.5.json, see SOURCES.md) and checked
for what code-scanning tools need, colour only on a terminal, NO_COLOR, --quiet, and `-` for
standard input."""
import copy
import json
import os
import pty
import re
import subprocess
import unittest

import jsonschema

import fence_e2e
from fence_e2e import ROOT, SHOP, main, run, tempdir

ERRORS = "tests/golden/errors/env_only_some.fence"
SCHEMA = os.path.join(ROOT, "tests/schemas/sarif-2.1.0-rtm.5.json")
# A warning (W0214) and no error (web's missing DNS, W0604, is silenced).
WARNS = """namespace a {
  web may reach ns[team=x]/api:80   # fence:allow W0604
}
namespace b {
  default deny ingress
}
"""


def text_locations(stderr):
    """(file, line, column, code) of each diagnostic in the text form."""
    return re.findall(r"^(\S+?):(\d+):(\d+): (?:error|warning)\[(\w+)\]", stderr, re.M)


def sarif_validator():
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


class Sarif(unittest.TestCase):
    def setUp(self):
        self.validator = sarif_validator()

    def assert_valid(self, doc):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in self.validator.iter_errors(doc)]
        self.assertEqual(errors, [])
        # What code scanning needs beyond the schema's required properties.
        self.assertEqual(doc["version"], "2.1.0")
        self.assertTrue(doc["$schema"].startswith("https://"))
        self.assertEqual(len(doc["runs"]), 1)
        run_ = doc["runs"][0]
        driver = run_["tool"]["driver"]
        self.assertEqual(driver["name"], "fence")
        ids = [r["id"] for r in driver["rules"]]
        self.assertEqual(len(ids), len(set(ids)))
        for r in driver["rules"]:
            self.assertRegex(r["id"], r"^[EWI]\d{4}$")
            self.assertTrue(r["shortDescription"]["text"])
        for res in run_["results"]:
            self.assertEqual(ids[res["ruleIndex"]], res["ruleId"])
            self.assertIn(res["level"], ("error", "warning", "note"))
            self.assertTrue(res["message"]["text"])
            self.assertGreaterEqual(len(res["locations"]), 1)
            loc = res["locations"][0]["physicalLocation"]
            self.assertTrue(loc["artifactLocation"]["uri"])
            self.assertGreaterEqual(loc["region"]["startLine"], 1)
            self.assertGreaterEqual(loc["region"]["startColumn"], 1)
        return run_["results"]

    def test_the_validator_rejects_broken_logs(self):
        _, out, _ = run(["check", "--format", "sarif", ERRORS])
        good = json.loads(out)
        self.assert_valid(good)
        for mutate in (lambda d: d.__setitem__("version", "2.0.0"),
                       lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
                       lambda d: d["runs"][0]["results"][0].__setitem__("level", "fatal"),
                       lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].__setitem__("startLine", 0)):
            bad = copy.deepcopy(good)
            mutate(bad)
            self.assertTrue(list(self.validator.iter_errors(bad)), "the schema accepted a broken log")

    def test_errors_are_results_at_the_same_places_as_in_text(self):
        code, out, err = run(["check", "--format", "sarif", ERRORS])
        self.assertEqual(code, 1)
        self.assertEqual(err, "")
        results = self.assert_valid(json.loads(out))
        _, _, text = run(["check", ERRORS])
        want = [(f, int(l), int(c), k) for f, l, c, k in text_locations(text)]
        got = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"]) for r in results]
        self.assertEqual(got, want)
        self.assertEqual(len(got), 2)
        self.assertTrue(all(r["level"] == "error" for r in results))
        self.assertIn("only when building for environment 'staging'", results[1]["message"]["text"])

    def test_a_clean_program_gives_an_empty_log_and_exit_0(self):
        code, out, err = run(["check", "--format", "sarif", SHOP])
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(self.assert_valid(json.loads(out)), [])

    def test_warnings_are_warnings_and_quiet_drops_them(self):
        code, out, _ = run(["check", "--format", "sarif", "-"], input=WARNS)
        self.assertEqual(code, 0)
        results = self.assert_valid(json.loads(out))
        self.assertEqual([(r["ruleId"], r["level"]) for r in results], [("W0214", "warning")])
        self.assertEqual(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "%3Cstdin%3E")
        code, out, _ = run(["check", "--format", "sarif", "--quiet", "-"], input=WARNS)
        self.assertEqual(self.assert_valid(json.loads(out)), [])

    def test_drift_is_reported_in_sarif_at_the_output_file(self):
        out_dir = os.path.join(tempdir(self), "deploy")
        run(["build", "--env", "prod", "-o", out_dir, SHOP], check=0)
        path = os.path.join(out_dir, "shop/networkpolicy-api-egress.yaml")
        with open(path, "a", encoding="utf-8") as f:
            f.write("# edited by hand\n")
        code, out, err = run(["build", "--check", "--format", "sarif", "--env", "prod", "-o", out_dir, SHOP])
        self.assertEqual((code, err), (1, ""))
        results = self.assert_valid(json.loads(out))
        self.assertEqual([r["ruleId"] for r in results], ["E0701"])
        loc = results[0]["locations"][0]["physicalLocation"]
        self.assertEqual(loc["artifactLocation"]["uri"], "file://" + path)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(loc["region"]["startLine"], len(f.read().splitlines()))


class Json(unittest.TestCase):
    def test_json_carries_every_part_of_a_diagnostic(self):
        code, out, err = run(["check", "--format", "json", ERRORS])
        self.assertEqual((code, err), (1, ""))
        doc = json.loads(out)
        self.assertEqual(doc["version"], 1)
        self.assertEqual(doc["tool"]["name"], "fence")
        self.assertEqual((doc["errors"], doc["warnings"], doc["not_shown"]), (2, 0, 0))
        first = doc["diagnostics"][0]
        self.assertEqual((first["code"], first["name"], first["severity"]), ("E0309", "cidr-host-bits", "error"))
        self.assertEqual(first["location"], {"file": ERRORS, "line": 5, "column": 22, "end_line": 5, "end_column": 37})
        self.assertEqual(first["notes"], [{"message": "only when building for environment 'dev'", "location": None}])
        self.assertEqual(first["help"], ["write 198.51.100.0/24 for the whole network, or 198.51.100.7/32 for the one address"])

    def test_build_to_stdout_cannot_share_it_with_a_report(self):
        code, out, err = run(["build", "--format", "json", "--env", "prod", SHOP])
        self.assertEqual((code, out), (2, ""))
        self.assertIn("add -o DIR", err)

    def test_build_into_a_directory_reports_on_stdout(self):
        out_dir = os.path.join(tempdir(self), "out")
        code, out, err = run(["build", "--format", "json", "--all-envs", "-o", out_dir, SHOP])
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(json.loads(out)["diagnostics"], [])
        self.assertTrue(os.path.isdir(os.path.join(out_dir, "prod")))


def run_on_terminal(args, env):
    """Runs fence with stderr on a pseudo-terminal; returns what it wrote there."""
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env)
    p = subprocess.Popen([fence_e2e.FENCE] + args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave, env=e)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait()
    os.close(master)
    return b"".join(chunks).decode()


class Colour(unittest.TestCase):
    ESC = "\x1b["

    def test_colour_only_on_a_terminal(self):
        _, _, err = run(["check", ERRORS])
        self.assertIn("error[E0309]", err)
        self.assertNotIn(self.ESC, err)
        self.assertIn(self.ESC, run_on_terminal(["check", ERRORS], {"TERM": "xterm"}))

    def test_no_color_and_the_flag(self):
        on_tty = run_on_terminal(["check", ERRORS], {"TERM": "xterm", "NO_COLOR": "1"})
        self.assertIn("error[E0309]", on_tty)
        self.assertNotIn(self.ESC, on_tty)
        self.assertNotIn(self.ESC, run_on_terminal(["check", "--color", "never", ERRORS], {"TERM": "xterm"}))
        _, _, err = run(["check", "--color", "always", ERRORS])
        self.assertIn(self.ESC, err)


class QuietAndStdin(unittest.TestCase):
    def test_quiet_reports_errors_only(self):
        code, out, err = run(["check", "-"], input=WARNS)
        self.assertEqual(code, 0)
        self.assertIn("warning[W0214]", err)
        self.assertIn("fence: 1 warning", err)
        code, out, err = run(["check", "--quiet", "-"], input=WARNS)
        self.assertEqual((code, out, err), (0, "", ""))
        code, _, err = run(["check", "-q", ERRORS])
        self.assertEqual(code, 1)
        self.assertEqual(len(text_locations(err)), 2)
        self.assertNotIn("fence: 2 errors", err)

    def test_standard_input(self):
        src = "environments dev, prod\nlet net = 10.0.0.0/8:443\nlet net in dev = 10.1.0.0/16:443\nnamespace x {\n  web may reach net\n}\n"
        code, out, err = run(["build", "--env", "dev", "--allow", "W0604", "-"], input=src)
        self.assertEqual((code, err), (0, ""))
        self.assertIn("cidr: 10.1.0.0/16", out)
        self.assertIn('fence.dev/source: "<stdin>:5"', out)
        code, _, err = run(["check", "-"], input=src.replace("10.1.0.0/16", "10.1.0.1/16"))
        self.assertEqual(code, 1)
        self.assertIn("<stdin>:3:18: error[E0309]", err)


if __name__ == "__main__":
    main()
