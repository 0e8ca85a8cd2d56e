#!/usr/bin/env python3
"""Times `fence graph` on a large estate and measures how big its output is.

  bench/bench_graph.py --estate estate.fence [--build build] [--repeat 3] [--workload ns0/w0] [--namespace ns0]

The estate is a Fence program, e.g. the 10,000-workload estate that the shared benchmark generator
writes (`gen_estate.py 10000 OUT` makes OUT/estate.fence). For each view it runs the command
--repeat times (interleaved with the others), keeps the fastest wall time and the largest peak RSS
(from each child's own rusage), and counts the nodes and edges of the DOT output. `fence explain` of the
same workload is the baseline: loading and analyzing the program, which every view pays too.
Figures go into docs/performance.md by hand, with the date and the machine's load.
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd):
    """Runs cmd; returns (wall seconds, its own peak RSS in KiB, stdout)."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}")
        out.seek(0)
        return elapsed, usage.ru_maxrss, out.read().decode()


def shape(dot):
    nodes = len(re.findall(r'^\s*"(?:[^"\\]|\\.)*" \[label=', dot, re.M))
    edges = len(re.findall(r'^\s*"(?:[^"\\]|\\.)*" -> ', dot, re.M))
    return nodes, edges


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--estate", required=True)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workload", default="ns0/w0")
    ap.add_argument("--namespace", default="ns0")
    args = ap.parse_args()
    fence = os.path.join(args.build, "compiler", "fence")
    e = args.estate
    views = [
        ("`explain --workload W` (baseline)", ["explain", e, "--workload", args.workload], False),
        ("`graph --workload W`", ["graph", e, "--workload", args.workload, "--format", "dot"], True),
        ("`graph --workload W --format svg`", ["graph", e, "--workload", args.workload, "--format", "svg"], False),
        ("`graph --level namespace --namespace NS`", ["graph", e, "--level", "namespace", "--namespace", args.namespace, "--format", "dot"], True),
        ("`graph --namespace NS`", ["graph", e, "--namespace", args.namespace, "--format", "dot"], True),
        ("`graph --level namespace`", ["graph", e, "--level", "namespace", "--format", "dot"], True),
        ("`graph` (every workload)", ["graph", e, "--format", "dot"], True),
    ]
    best = {name: None for name, _, _ in views}
    rss = {name: 0 for name, _, _ in views}
    out = {}
    for _ in range(args.repeat):
        for name, cmd, _ in views:
            elapsed, peak, stdout = run([fence] + cmd)
            best[name] = elapsed if best[name] is None else min(best[name], elapsed)
            rss[name] = max(rss[name], peak)
            out[name] = stdout
    base = best[views[0][0]]
    print(f"W = {args.workload}, NS = {args.namespace}; load average {os.getloadavg()[0]:.1f}")
    print("| view | wall (best of %d) | vs. explain | peak RSS | output | nodes | edges |" % args.repeat)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, _, is_dot in views:
        nodes, edges = shape(out[name]) if is_dot else ("", "")
        size = len(out[name].encode())
        print(f"| {name} | {best[name]:.2f} s | {best[name] / base:.2f} | {rss[name] / 1024:.0f} MiB | {size / 1024:.0f} KiB | {nodes} | {edges} |")


if __name__ == "__main__":
    main()
