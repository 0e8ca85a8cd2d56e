#!/usr/bin/env python3
"""One program means one thing, however its files reach the command line: the entry file alone,
the entry file with the files it imports in every order, or the directory that holds them. The
output (exit code, stdout and stderr) must be byte-identical, for every example, environment and
target. Directories of independent programs are built in every order of their files too.

This pins issue 10, part 1: a definition in the file loaded first was invisible to the files that
import it, so `build examples/shop` wrote objects into namespaces named after the `let`s."""
import itertools
import os
import re
import unittest

from fence_e2e import ROOT, main, run

EXAMPLES = os.path.join(ROOT, "examples")
MAX_PERMUTATIONS = 24


def path_imports(path):
    """The files a program imports by path, relative to ROOT, transitively, itself included."""
    seen, todo = [], [path]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        with open(os.path.join(ROOT, p), encoding="utf-8") as f:
            for line in f:
                m = re.match(r'\s*import\s+"([^"]+)"', line)
                if m:
                    todo.append(os.path.normpath(os.path.join(os.path.dirname(p), m.group(1))))
    return sorted(seen)


def declared_envs(paths):
    for p in paths:
        with open(os.path.join(ROOT, p), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*environments\s+([^#]*)", line)
                if m:
                    return [e.strip() for e in m.group(1).split(",") if e.strip()]
    return []


def declared_targets(paths):
    """The targets every file can build for (`# targets: cilium` in a header narrows them)."""
    targets = ["k8s", "cilium"]
    for p in paths:
        with open(os.path.join(ROOT, p), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"#\s*targets:\s*(.*)$", line.strip())
                if m:
                    own = [t.strip() for t in m.group(1).split(",")]
                    targets = [t for t in targets if t in own]
    return targets


def builds(paths):
    """(extra args) for every environment and target worth building."""
    envs = declared_envs(paths) or [None]
    for env in envs:
        for target in declared_targets(paths):
            yield ["--target", target] + (["--env", env] if env else [])


def example_dirs():
    for d in sorted(os.listdir(EXAMPLES)):
        full = os.path.join(EXAMPLES, d)
        if os.path.isdir(full):
            files = sorted(os.path.relpath(os.path.join(full, f), ROOT) for f in os.listdir(full) if f.endswith(".fence"))
            yield os.path.relpath(full, ROOT), files


def orders(files):
    perms = list(itertools.permutations(files))
    # Every order for small sets; the sorted and reversed orders and a spread of the rest beyond.
    if len(perms) > MAX_PERMUTATIONS:
        step = len(perms) // MAX_PERMUTATIONS
        perms = perms[::step] + [tuple(reversed(files))]
    return perms


class InputOrder(unittest.TestCase):
    def assertSame(self, reference, args, label):
        got = run(args)
        self.assertEqual(got, reference, f"{label}: `fence {' '.join(args)}` differs from the reference build")

    def test_entry_file_with_its_imports_in_every_order(self):
        checked = 0
        for _, files in example_dirs():
            for entry in files:
                if os.path.basename(entry).startswith("_"):
                    continue
                closure = path_imports(entry)
                for extra in builds(closure):
                    reference = run(["build"] + extra + [entry])
                    self.assertEqual(reference[0], 0, f"fence build {' '.join(extra)} {entry}: {reference[2]}")
                    for order in orders(closure):
                        self.assertSame(reference, ["build"] + extra + list(order), entry)
                        checked += 1
                    # `check` must agree as well: the same diagnostics whatever the order.
                    ref_check = run(["check"] + extra[2:] + [entry])
                    for order in orders(closure):
                        self.assertSame(ref_check, ["check"] + extra[2:] + list(order), entry)
        self.assertGreater(checked, 20)

    def test_directory_is_its_files_in_any_order(self):
        for directory, files in example_dirs():
            programs = [f for f in files if not os.path.basename(f).startswith("_")]
            for extra in builds(files):
                reference = run(["build"] + extra + [directory])
                for order in orders(files):
                    self.assertSame(reference, ["build"] + extra + list(order), directory)
                # A directory that holds one program and its libraries is that program.
                if len(programs) == 1 and path_imports(programs[0]) == files:
                    self.assertEqual(reference[0], 0, reference[2])
                    self.assertSame(reference, ["build"] + extra + programs, directory)

    def test_shop_namespaces_are_the_values_of_the_lets(self):
        # The symptom of the original bug, stated directly.
        code, out, err = run(["build", "--env", "prod", "examples/shop"])
        self.assertEqual((code, err), (0, ""))
        namespaces = set(re.findall(r"^  namespace: (\S+)$", out, re.M))
        self.assertEqual(namespaces, {"data", "monitoring", "shop", "storefront"})
        code, out, _ = run(["build", "--env", "dev", "examples/shop/_addresses.fence", "examples/shop/_monitoring.fence",
                            "examples/shop/shop.fence"])
        self.assertEqual(set(re.findall(r"^  namespace: (\S+)$", out, re.M)), {"dev-data", "monitoring", "dev-shop", "dev-storefront"})


if __name__ == "__main__":
    main()
