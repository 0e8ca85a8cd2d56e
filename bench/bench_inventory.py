#!/usr/bin/env python3
"""What an inventory costs: `fence build` of the shared benchmark estate, alone and checked
against the estate's own inventory (its Namespaces and Deployments, resources.yaml), interleaved
in one run; and the speed of reading the inventory alone (a one-statement program checked with
and without it).

  bench/bench_inventory.py [--build build] [--workloads 10000] [--repeat 5]
                           [--gen ../shared/bench/gen_estate.py]

The estate comes from the shared generator (../shared/bench/gen_estate.py, relative to the
repository): N workloads in N/50 namespaces, five intents each, and resources.yaml with a
Deployment per workload, the form `kubectl get -o yaml` and kustomize give. The goal (issue 11):
with the inventory, at most 1.5x the build alone. Prints a Markdown table for
docs/performance.md; figures go there by hand, with the date, the commit and the load.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd):
    """(wall seconds, CPU seconds, peak RSS MiB, stderr) of one run, from the child's own rusage;
    fails on a non-zero exit."""
    with tempfile.TemporaryFile(mode="w+") as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}\n{text[:2000]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--workloads", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--gen", default=os.path.join(ROOT, "..", "shared", "bench", "gen_estate.py"))
    args = ap.parse_args()
    if not os.path.exists(args.gen):
        sys.exit(f"no estate generator at {args.gen}: give its path with --gen")
    fence = os.path.join(args.build, "compiler", "fence")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "estate")
        subprocess.run([sys.executable, args.gen, str(args.workloads), out], check=True, stdout=subprocess.DEVNULL)
        program = os.path.join(out, "estate.fence")
        inventory = os.path.join(out, "resources.yaml")
        # One statement against the whole inventory: its difference from the same program alone
        # is the cost of reading the inventory (startup and the program cancel out).
        small = os.path.join(out, "small.fence")
        with open(small, "w", encoding="utf-8") as f:
            f.write("namespace ns0 {\n  default deny ingress\n}\n")
        variants = {
            "check small": [fence, "check", small],
            "check small --inventory": [fence, "check", "--inventory", inventory, small],
            "build": [fence, "build", program],
            "build --inventory": [fence, "build", "--inventory", inventory, program],
            "check": [fence, "check", program],
            "check --inventory": [fence, "check", "--inventory", inventory, program],
        }
        results = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, cmd in variants.items():  # interleaved, so that the machine's load falls on all alike
                wall, cpu, rss, err = timed(cmd)
                if "warning" in err or "error" in err:
                    raise SystemExit(f"{name}: the estate should check clean against its inventory:\n{err[:2000]}")
                results[name].append((wall, cpu, rss))
        size = os.path.getsize(inventory)
        with open(inventory, encoding="utf-8") as f:
            documents = sum(1 for line in f if line.startswith("kind:"))
    print(f"{args.workloads:,} workloads; inventory {size / 1048576:.1f} MiB, {documents:,} objects; "
          f"{args.repeat} interleaved runs, median (min)\n")
    print("| command | wall | CPU | peak RSS | CPU against the same without inventory |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in results.items():
        wall = [r[0] for r in runs]
        cpu = [r[1] for r in runs]
        rss = max(r[2] for r in runs)
        base = name.replace(" --inventory", "")
        ratio = ""
        if base != name and "small" not in name:  # the small program's ratio would say nothing
            ratio = f"{statistics.median(cpu) / statistics.median([r[1] for r in results[base]]):.2f}x"
        print(f"| `fence {name}` | {statistics.median(wall):.2f} s ({min(wall):.2f}) | {statistics.median(cpu):.2f} s ({min(cpu):.2f}) | "
              f"{rss:.0f} MiB | {ratio} |")
    read = statistics.median([r[1] for r in results["check small --inventory"]]) - statistics.median(
        [r[1] for r in results["check small"]])
    print(f"\nReading the inventory ({documents:,} objects, {size / 1048576:.1f} MiB): {read:.2f} s of CPU, "
          f"{size / 1048576 / max(read, 1e-6):.1f} MiB/s, {documents / max(read, 1e-6):,.0f} objects/s")


if __name__ == "__main__":
    main()
