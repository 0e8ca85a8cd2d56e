#!/usr/bin/env python3
"""Packages the VS Code extension with scripts/package-vscode and checks the .vsix: a zip with the
VSIX manifest, the extension's package.json, grammar, language configuration, client code and
its runtime dependency, and none of the development packages.

  check_vsix.py PACKAGE_SCRIPT OUT.vsix
"""
import json
import os
import subprocess
import sys
import zipfile


def main():
    script, out = sys.argv[1], sys.argv[2]
    if os.path.exists(out):
        os.remove(out)
    proc = subprocess.run([script, out], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or not os.path.exists(out):
        print(f"FAIL: {script} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return 1
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    check(zipfile.is_zipfile(out), "the .vsix is a zip file")
    z = zipfile.ZipFile(out)
    names = set(z.namelist())
    for required in ["extension.vsixmanifest", "[Content_Types].xml", "extension/package.json", "extension/extension.js",
                     "extension/syntaxes/fence.tmLanguage.json", "extension/language-configuration.json",
                     "extension/node_modules/vscode-languageclient/package.json"]:
        check(required in names, f"contains {required}")
    manifest = z.read("extension.vsixmanifest").decode()
    check('Id="fence"' in manifest and "Microsoft.VisualStudio.Code" in manifest, "the manifest names the extension and VS Code")
    pkg = json.loads(z.read("extension/package.json"))
    check(pkg["contributes"]["languages"][0]["extensions"] == [".fence"], "package.json registers .fence")
    grammar = json.loads(z.read("extension/syntaxes/fence.tmLanguage.json"))
    check(grammar["scopeName"] == "source.fence", "the grammar is source.fence")
    dev = [n for n in names if any(f"node_modules/{d}/" in n for d in ("vscode-textmate", "vscode-oniguruma", "@vscode/vsce"))]
    check(not dev, f"no development packages ({len(dev)} files)")
    check(not any(n.startswith("extension/test/") for n in names), "no tests")
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
