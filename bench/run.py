#!/usr/bin/env python3
"""Runs the pipeline benchmark on synthetic estates of several sizes and prints a Markdown table.

  bench/run.py [--build build] [--sizes 1000,10000,100000] [--repeat 3]

For each size it generates an estate (bench/gen_estate.py), times each stage in-process
(build/bench/bench_pipeline, best of --repeat runs), and times the whole `fence build` command
end to end with its peak RSS (GNU time's %M is not needed: the child's rusage is read here).
Figures go into docs/performance.md by hand, with the date and the machine.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_cli(fence, path, repeat):
    best, rss = None, 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run([fence, "build", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise SystemExit(f"fence build {path} exited {p.returncode}")
        best = elapsed if best is None else min(best, elapsed)
        rss = max(rss, after.ru_maxrss)  # KiB; the largest child so far
        del before
    return best * 1000.0, rss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fence = os.path.join(args.build, "compiler", "fence")
    bench = os.path.join(args.build, "bench", "bench_pipeline")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            path = os.path.join(tmp, f"estate-{n}.fence")
            with open(path, "w") as f:
                subprocess.run([sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(n)], stdout=f, check=True)
            out = subprocess.run([bench, path, "--repeat", str(args.repeat)], capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            cli_ms, cli_rss = run_cli(fence, path, args.repeat)
            r.update(statements=n, cli_ms=cli_ms, cli_rss_mib=cli_rss)
            rows.append(r)
    print("| statements | input | objects | output | parse | resolve | check | lower | emit | stages total | `fence build` wall | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['statements']:,} | {r['input_bytes'] / 1024:.0f} KiB | {r['objects']:,} | {r['output_bytes'] / 1048576:.1f} MiB | "
              f"{r['parse_ms']:.0f} ms | {r['resolve_ms']:.0f} ms | {r['check_ms']:.0f} ms | {r['lower_ms']:.0f} ms | {r['emit_ms']:.0f} ms | "
              f"{r['total_ms']:.0f} ms | {r['cli_ms']:.0f} ms | {r['cli_rss_mib']:.0f} MiB |")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        print(f"\n{b['statements'] // a['statements']}x the statements cost {b['cli_ms'] / a['cli_ms']:.1f}x the wall time.")


if __name__ == "__main__":
    main()
