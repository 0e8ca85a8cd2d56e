#!/usr/bin/env python3
"""Fence against the tools people use today, on the peer benchmark estate, in one run.

  bench/peer_estate.py [--build build] [--sizes 1000,10000,100000] [--repeat 3] [--no-jsonnet]
                       [--generator ../shared/bench/gen_estate.py]

For each size N, the estate of `gen_estate.py N DIR` (N workloads, N/50 namespaces, 5N intents,
default deny both ways; the generator is the one the issue's figures come from, beside the
checkout in ../shared/bench) is built by:
  - `fence build estate.fence`, `fence check estate.fence` and `fence build --target cilium`
    (best wall time of --repeat runs, peak RSS of the largest), with the in-process stage
    breakdown of build/bench/bench_pipeline;
  - `jsonnet -y estate.jsonnet` (Debian's jsonnet; skipped with a note where it is absent, and
    for sizes above --jsonnet-max, where one run takes minutes), once.
It prints a Markdown table and the ratios jsonnet / fence, measured in the same run, and the
cost of 10x the workloads. Figures go into docs/performance.md by hand, with the commit.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_GENERATOR = os.path.join(os.path.dirname(ROOT), "shared", "bench", "gen_estate.py")


def timed(cmd, cwd=None):
    """Runs cmd with stdout to /dev/null; returns (seconds, peak RSS of that child in MiB)."""
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        if cwd:
            os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024.0


def best_of(cmd, repeat, cwd=None):
    runs = [timed(cmd, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generator", default=DEFAULT_GENERATOR)
    ap.add_argument("--no-jsonnet", action="store_true")
    ap.add_argument("--jsonnet-max", type=int, default=10000, help="largest size jsonnet runs on")
    args = ap.parse_args()
    fence = os.path.join(args.build, "compiler", "fence")
    bench = os.path.join(args.build, "bench", "bench_pipeline")
    jsonnet = None if args.no_jsonnet else shutil.which("jsonnet")
    if not os.path.exists(args.generator):
        raise SystemExit(f"no estate generator at {args.generator}: pass --generator")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            d = os.path.join(tmp, f"e{n}")
            subprocess.run([sys.executable, args.generator, str(n), d], check=True, stdout=subprocess.DEVNULL)
            src = os.path.join(d, "estate.fence")
            stages = json.loads(subprocess.run([bench, src, "--repeat", "1"], capture_output=True, text=True, check=True).stdout)
            r = {"n": n, "stages": stages}
            r["build"] = best_of([fence, "build", src], args.repeat)
            r["check"] = best_of([fence, "check", src], args.repeat)
            r["cilium"] = best_of([fence, "build", "--target", "cilium", src], args.repeat)
            if jsonnet and n <= args.jsonnet_max:
                r["jsonnet"] = timed([jsonnet, "-y", "estate.jsonnet"], cwd=d)
            rows.append(r)
            print(f"# {n}: done", file=sys.stderr)

    print("| workloads | input | `build` | `check` | `build --target cilium` | peak RSS (build) | parse | resolve | check | lower | emit | jsonnet -y | jsonnet / build |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r["stages"]
        j = r.get("jsonnet")
        jtext = f"{j[0]:.1f} s, {j[1]:.0f} MiB" if j else ("absent" if not jsonnet else "not run")
        ratio = f"{j[0] / r['build'][0]:.0f}x" if j else "-"
        print(f"| {r['n']:,} | {s['input_bytes'] / 1024:.0f} KiB | {r['build'][0]:.2f} s | {r['check'][0]:.2f} s | {r['cilium'][0]:.2f} s | "
              f"{r['build'][1]:.0f} MiB | {s['parse_ms']:.0f} ms | {s['resolve_ms']:.0f} ms | {s['check_ms']:.0f} ms | "
              f"{s['lower_ms']:.0f} ms | {s['emit_ms']:.0f} ms | {jtext} | {ratio} |")
    for a, b in zip(rows, rows[1:]):
        print(f"\n{b['n'] // a['n']}x the workloads ({a['n']:,} -> {b['n']:,}) cost {b['build'][0] / a['build'][0]:.1f}x the build time "
              f"and {b['build'][1] / a['build'][1]:.1f}x the peak RSS.")
    if not jsonnet:
        print("\njsonnet is not installed (`apt-get install jsonnet`): no ratio measured.")


if __name__ == "__main__":
    main()
