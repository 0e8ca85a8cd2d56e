#!/usr/bin/env python3
"""Times `fence fmt` on synthetic estates, against `fence check` on the same file, and prints a
Markdown table (figures go into docs/performance.md by hand, with the date and the machine).

  bench/bench_fmt.py [--build build] [--sizes 1000,10000,100000] [--repeat 3]

Each estate (bench/gen_estate.py, which writes the canonical layout) is also rewritten untidily
(tabs for indentation, no spaces after commas, every statement's targets one per line), and
formatting that must give the canonical text back, which is checked. Wall time is the best of
--repeat runs; peak RSS is each command's own (wait4).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, repeat, expect_stdout=None):
    best, rss = None, 0
    for _ in range(repeat):
        with tempfile.TemporaryFile() as out:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            elapsed = time.perf_counter() - t
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}")
            if expect_stdout is not None:
                out.seek(0)
                if out.read().decode() != expect_stdout:
                    raise SystemExit(f"{' '.join(cmd)}: not the canonical text")
        best = elapsed if best is None else min(best, elapsed)
        rss = max(rss, usage.ru_maxrss)
    return best * 1000.0, rss / 1024.0


def untidy(text):
    text = re.sub(r"^  ", "\t", text, flags=re.M)
    text = text.replace(", ", ",")
    return re.sub(r"(may reach|may be reached by|must not reach|must not be reached by) ", r"\1\n\t\t", text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fence = os.path.join(args.build, "compiler", "fence")
    print("| statements | input | `fence check` | `fence fmt` (formatted input) | `fence fmt` (untidy input) | fmt / check | peak RSS check / fmt |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            path = os.path.join(tmp, f"estate-{n}.fence")
            messy = os.path.join(tmp, f"untidy-{n}.fence")
            text = subprocess.run([sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(n)], capture_output=True, text=True,
                                  check=True).stdout
            canonical = subprocess.run([fence, "fmt", "-"], input=text, capture_output=True, text=True, check=True).stdout
            with open(path, "w") as f:
                f.write(canonical)
            with open(messy, "w") as f:
                f.write(untidy(canonical))
            check_ms, check_rss = timed([fence, "check", path], args.repeat)
            fmt_ms, fmt_rss = timed([fence, "fmt", path], args.repeat, canonical)
            messy_ms, _ = timed([fence, "fmt", messy], args.repeat, canonical)
            print(f"| {n:,} | {len(canonical) / 1024:.0f} KiB | {check_ms:.0f} ms | {fmt_ms:.0f} ms | {messy_ms:.0f} ms | "
                  f"{fmt_ms / check_ms:.2f} | {check_rss:.0f} / {fmt_rss:.0f} MiB |")


if __name__ == "__main__":
    main()
