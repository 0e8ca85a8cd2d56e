#!/usr/bin/env python3
"""Neovim as a real client: starts `nvim --headless --clean` with editors/vim on the runtimepath
and tests/editors/nvim_test.lua, which checks the Vim syntax and talks to `fence lsp` through the
shipped snippet (editors/vim/fence-lsp.lua). Fails, never hangs: nvim gets 90 seconds.

  nvim_test.py --fence build/compiler/fence
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    args = ap.parse_args()
    nvim = shutil.which("nvim")
    if not nvim:
        print("FAIL: nvim is not installed (scripts/setup installs Debian's neovim)")
        return 1
    fence_dir = os.path.dirname(os.path.abspath(args.fence))
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = dict(os.environ)
        env.update({
            "PATH": fence_dir + os.pathsep + env.get("PATH", ""),  # the snippet runs `fence lsp`
            "FENCE_OUT": out,
            "FENCE_SNIPPET": os.path.join(ROOT, "editors/vim/fence-lsp.lua"),
            "FENCE_SYNTAX_FIXTURE": os.path.join(ROOT, "editors/vscode/test/fixture.fence"),
            "FENCE_LSP_FIXTURE": os.path.join(ROOT, "tests/editors/lsp_fixture.fence"),
            "FENCE_PATH": os.path.join(ROOT, "stdlib"),
            "XDG_STATE_HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_CACHE_HOME": tmp,
        })
        cmd = [nvim, "--headless", "--clean", "--cmd", "set runtimepath^=" + os.path.join(ROOT, "editors/vim"),
               "-c", "luafile " + os.path.join(ROOT, "tests/editors/nvim_test.lua")]
        try:
            proc = subprocess.run(cmd, env=env, cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
        except subprocess.TimeoutExpired:
            print("FAIL: nvim did not finish within 90 s")
            return 1
        if not os.path.exists(out):
            print(f"FAIL: nvim wrote no result (exit {proc.returncode})\n{proc.stdout.decode()}\n{proc.stderr.decode()}")
            return 1
        result = json.load(open(out))

    check(not result["errors"], f"the Lua script ran without errors {result['errors']}")
    check(result.get("filetype") == "fence", f"ftdetect: filetype is fence ({result.get('filetype')})")
    check(result.get("commentstring") == "# %s", f"ftplugin: commentstring ({result.get('commentstring')!r})")
    expected_syntax = {
        "namespace production | namespace": "fenceKeyword",
        "namespace production | production": "fenceNamespace",
        "postgres:5432 | may": "fenceVerb",
        "postgres:5432 | 5432": "fencePort",
        "let stripe = | 203.0.113.0/24": "fenceCidr",
        "let api-v6 | 2001:db8::/32": "fenceCidr",
        "api.stripe.com | api.stripe.com": "fenceDnsName",
        "pods[tier=db | tier": "fenceLabelKey",
        "pods[tier=db | =db": "fenceSelectorOp",
        "# Every construct | #": "fenceComment",
        "set label-key | \"app": "fenceString",
        "pods[tier=db | udp": "fenceProtocol",
        "monitoring/prometheus | monitoring": "fenceNamespace",
        "let stripe = | stripe": "fenceDefinition",
        "payments:8080 | GET": "fenceMethod",
    }
    for probe, group in expected_syntax.items():
        got = result["syntax"].get(probe)
        check(got == group, f"syntax: {probe} is {group} (got {got})")

    diags = result.get("diagnostics", [])
    check(any(d.get("code") == "E0304" and d["lnum"] == 7 for d in diags),
          f"lsp: diagnostic E0304 on line 8 arrived ({diags})")
    check(all(d.get("source") == "fence" for d in diags), "lsp: diagnostics come from fence")
    hover = result.get("hover", {})
    check("let partners = 203.0.113.0/24:443" in hover.get("partners", ""), f"lsp: hover on a let shows it ({hover.get('partners')!r})")
    check("**workload** `postgres`" in hover.get("postgres", ""), f"lsp: hover on a workload says so ({hover.get('postgres')!r})")
    d = result.get("definition")
    loc = d[0] if isinstance(d, list) and d else d
    check(isinstance(loc, dict) and loc.get("range", {}).get("start", {}).get("line") == 2,
          f"lsp: definition of partners is line 3 ({d})")
    with open(os.path.join(ROOT, "tests/editors/lsp_fixture.fence"), encoding="utf-8") as f:
        fixture = f.read()
    expected = fixture.replace("web-api   may reach  cache:70000", "web-api may reach cache:70000").rstrip("\n")
    check(expected != fixture.rstrip("\n"), "the fixture has a line to format")
    check(result.get("formatted") == expected, f"lsp: formatting the buffer gives fence fmt's layout ({result.get('formatted')!r})")
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
