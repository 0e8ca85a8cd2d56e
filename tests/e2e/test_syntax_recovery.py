#!/usr/bin/env python3
"""After a syntax error, the rest of the file is still resolved and checked (issue 13, part B):
its errors are reported, and nothing that follows only from the broken item is. Messages name
tokens in words, recovery adds no errors of its own, and no note repeats its error's place."""
import json
import os
import re
import unittest

from fence_e2e import main, run, tempdir


class SyntaxRecovery(unittest.TestCase):
    def check(self, text, fmt="text"):
        d = tempdir(self)
        path = os.path.join(d, "p.fence")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        args = ["check", path] + (["--format", fmt] if fmt != "text" else [])
        return run(args, cwd=d, env={"NO_COLOR": "1"})

    def errors(self, err):
        """(line, code) of every error in a text report."""
        return [(int(m.group(1)), m.group(2)) for m in re.finditer(r"^p\.fence:(\d+):\d+: error\[(E\d+)\]", err, re.M)]

    def test_a_bad_selector_hides_no_other_error(self):
        code, _, err = self.check(
            "namespace shop {\n"
            "  default deny all\n"
            "  api may reach db:80\n"
            "  api may reach db:70000\n"
            "  api may reach cache:80000\n"
            "  web may reach db:90000\n"
            "  web may reach pods[app=web,]\n"
            "}\n")
        self.assertEqual(code, 1)
        self.assertEqual(self.errors(err), [(4, "E0304"), (5, "E0304"), (6, "E0304"), (7, "E0101")], err)
        self.assertIn("fence: 4 errors", err)

    def test_a_broken_let_is_poisoned_not_undefined(self):
        # Were `internal` forgotten, it would be a workload's name, and `except` would reject it.
        code, _, err = self.check(
            "let internal = 10.0.0.0/8 @\n"
            "namespace shop {\n"
            "  api may reach 0.0.0.0/0 except internal\n"
            "  api may reach db:70000\n"
            "}\n")
        self.assertEqual(code, 1)
        self.assertEqual(self.errors(err), [(1, "E0102"), (4, "E0304")], err)

    def test_no_warning_about_the_program_as_a_whole(self):
        # The only use of `db` is in the broken statement: no "unused definition" for it.
        code, _, err = self.check("let db = pods[app=database]\nnamespace shop {\n  api may rech db\n}\n")
        self.assertEqual(code, 1)
        self.assertEqual(self.errors(err), [(3, "E0101")], err)
        self.assertNotIn("warning", err)

    def test_messages_name_no_grammar_token(self):
        for text in ("namespace a {\n  api may reach pods[app=web x]\n}\n",
                     "namespace a {\n  api may reach pods[app in (a b)]\n}\n",
                     "namespace a {\n  api may reach ns[team=x]/pods[app=web x]\n}\n",
                     "namespace a {\n  api may reach db:80 http GET \"/x\" host\n}\n",
                     "let = 3\n",
                     "namespace a {\n  api may\n}\n"):
            code, _, err = self.check(text)
            self.assertEqual(code, 1, text)
            self.assertIsNone(re.search(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\bIDENT\b|\bSTRING\b|\bINT\b", err), err)
        code, _, err = self.check("namespace a {\n  api may reach pods[app=web x]\n}\n")
        self.assertIn("expected ']' or ','", err)

    def test_recovery_adds_no_errors(self):
        cases = [
            # An unclosed selector: the block's '}' is still the block's.
            "namespace a {\n  api may reach pods[app=web\n  web may reach db\n}\n",
            # An unclosed group: the next line is the next statement.
            "namespace a {\n  api may reach {db, cache\n  web may reach db\n}\n",
            # A broken block header: its body and '}' go with it.
            "namespace 9a {\n  api may reach db\n}\nnamespace b {\n  x may reach y\n}\n",
            "namespace a b {\n  api may reach db\n}\n",
            "when {\n  api may reach db\n}\n",
        ]
        for text in cases:
            code, _, err = self.check(text)
            self.assertEqual(code, 1, text)
            self.assertEqual(len(self.errors(err)), 1, f"{text}\n{err}")
            self.assertNotIn("end of file", err)

    def test_no_note_repeats_its_error(self):
        for text in ("namespace a {\n  api may reach db\n", "namespace a {\n  api may reach pods[app=web", "namespace a {",
                     "namespace a {\n  api may reach pods[app=web x]\n}\n"):
            code, out, _ = self.check(text, fmt="json")
            self.assertEqual(code, 1)
            for d in json.loads(out)["diagnostics"]:
                for n in d["notes"]:
                    self.assertNotEqual(n["location"], d["location"], f"{text!r}: {d}")


if __name__ == "__main__":
    main()
