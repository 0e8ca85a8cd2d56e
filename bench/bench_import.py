#!/usr/bin/env python3
"""Measures `fence import` on an estate next to compiling it, in one run:

  compile   fence build FILE > estate.yaml           (the estate's NetworkPolicy YAML)
  import    fence import estate.yaml                 (YAML -> Fence)
  verify    fence import --verify estate.yaml        (and the proof that both mean the same)

  bench_import.py --fence build/compiler/fence [--statements 10000] [--repeat 3]

Prints the median wall and CPU time and the peak memory of each, and the ratios to `compile`. Numbers go to
docs/performance.md; they are never asserted in tests."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, out):
    """Wall time, CPU time and peak resident memory (MiB) of one run."""
    t = time.perf_counter()
    with open(out, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit status {status}")
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--statements", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fence = os.path.abspath(args.fence)
    with tempfile.TemporaryDirectory(prefix="fence-bench-") as work:
        src = os.path.join(work, "estate.fence")
        with open(src, "w", encoding="utf-8") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(args.statements)], stdout=f, check=True)
        yaml = os.path.join(work, "estate.yaml")
        program = os.path.join(work, "imported.fence")
        runs = {
            "compile": ([fence, "build", "-q", src], yaml),
            "import": ([fence, "import", "-q", yaml], program),
            "verify": ([fence, "import", "-q", "--verify", yaml], program),
        }
        times = {k: [] for k in runs}
        cpu = {k: [] for k in runs}
        memory = {k: 0.0 for k in runs}
        for _ in range(args.repeat):
            for k, (cmd, out) in runs.items():
                wall, used, peak = timed(cmd, out)
                times[k].append(wall)
                cpu[k].append(used)
                memory[k] = max(memory[k], peak)
        objects = sum(1 for line in open(yaml, encoding="utf-8") if line.startswith("kind: "))
        statements = sum(1 for line in open(program, encoding="utf-8") if line.strip() and not line.strip().startswith("#"))
        base = statistics.median(times["compile"])
        print(f"estate: {args.statements} statements -> {objects} NetworkPolicies ({os.path.getsize(yaml) / 1e6:.1f} MB) -> {statements} lines of Fence")
        cpu_base = statistics.median(cpu["compile"])
        for k, v in times.items():
            m, c = statistics.median(v), statistics.median(cpu[k])
            print(f"{k:8s} wall {m:6.2f} s x{m / base:4.2f}   cpu {c:6.2f} s x{c / cpu_base:4.2f}   peak {memory[k]:5.0f} MiB   (wall runs: {', '.join(f'{x:.2f}' for x in v)})")


if __name__ == "__main__":
    main()
