#!/usr/bin/env python3
"""Measures what writing a build's output costs next to compiling it, in one run on one estate:

  compile   fence build FILE > /dev/null            (the YAML stream, no files)
  fresh     fence build -o DIR FILE                  (DIR does not exist)
  replace   fence build -o DIR FILE                  (DIR holds the same output: swapped, old tree removed)
  check     fence build --check -o DIR FILE          (reads and compares every file, writes nothing)

  bench_output.py --fence build/compiler/fence [--statements 100000] [--repeat 3]

Prints the median wall time of each, the ratio to `compile`, the file count and the bytes written.
Numbers go to docs/performance.md; they are never asserted in tests."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--statements", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fence = os.path.abspath(args.fence)
    with tempfile.TemporaryDirectory(prefix="fence-bench-") as work:
        src = os.path.join(work, "estate.fence")
        with open(src, "w", encoding="utf-8") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(args.statements)], stdout=f, check=True)
        out = os.path.join(work, "out")
        times = {"compile": [], "fresh": [], "replace": [], "check": []}
        for _ in range(args.repeat):
            with open(os.devnull, "w") as null:
                times["compile"].append(timed([fence, "build", "-q", src], stdout=null))
            subprocess.run(["rm", "-rf", out], check=True)
            times["fresh"].append(timed([fence, "build", "-q", "-o", out, src]))
            times["replace"].append(timed([fence, "build", "-q", "-o", out, src]))
            times["check"].append(timed([fence, "build", "-q", "--check", "-o", out, src]))
        files, size = 0, 0
        for dirpath, _, names in os.walk(out):
            for n in names:
                files += 1
                size += os.path.getsize(os.path.join(dirpath, n))
        base = statistics.median(times["compile"])
        print(f"estate: {args.statements} statements, {os.path.getsize(src) / 1e6:.1f} MB of source; output: {files} files, {size / 1e6:.1f} MB")
        for k, v in times.items():
            m = statistics.median(v)
            print(f"{k:8s} {m:7.2f} s   x{m / base:4.2f}   (runs: {', '.join(f'{x:.2f}' for x in v)})")


if __name__ == "__main__":
    main()
