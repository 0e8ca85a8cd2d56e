"""The YAML documents under some directories, as the test tools read them."""
import os
import sys

import yaml


def documents(dirs):
    """Yields (path, index from 1, document) for every document of every *.yaml file, sorted."""
    for d in dirs:
        for dirpath, dirnames, files in os.walk(d):
            dirnames.sort()
            for name in sorted(files):
                if not name.endswith(".yaml"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    docs = [x for x in yaml.safe_load_all(f) if x is not None]
                for i, doc in enumerate(docs):
                    yield path, i + 1, doc


def report(count, failures, what):
    """Prints the failures and a summary line; the exit code, which fails when nothing was checked."""
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    print(f"{count} {what}, {len(failures)} failures")
    if count == 0:
        print("FAIL nothing was checked", file=sys.stderr)
        return 1
    return 1 if failures else 0
