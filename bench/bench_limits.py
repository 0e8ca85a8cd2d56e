#!/usr/bin/env python3
"""Measures the inputs that used to fall off a cliff (docs/reliability.md), each next to a
baseline measured in the same run, so that the figure is a ratio:

  envs       `fence check` of a program with N environments, each giving one definition its own
             value (--envs 500,1000,2000,4000: the statements grow with N too, so linear in
             environments x statements means about 4x for each doubling, cubic 8x)
  one-line   `fence check` of an estate from bench/gen_estate.py with its lines joined into one,
             against the same estate on separate lines
  chain      `fence check` of a chain of N definitions (each `let dI = {dI-1}`): refused with
             E0216 past 256 levels, in about the time of the chain's parse
  memory     peak RSS of `fence check` on estates in one namespace, per statement
             (gen_estate.py --namespaces 1), and the largest again with --max-memory at a third of
             its peak (E0106, exit 2)

  bench_limits.py --fence build/compiler/fence [--envs 500,1000,2000,4000] [--statements 10000]
                  [--chain 5000] [--memory 100000] [--repeat 3]

Prints wall times (best of --repeat) and peak RSS; figures go to docs/reliability.md and are never
asserted in tests."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    """(wall seconds, peak RSS of this child in MiB, exit code)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, p.returncode


def best(cmd, repeat):
    runs = [run(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def envs_program(n):
    lines = ["environments " + ", ".join(f"e{i}" for i in range(n)), "let x = 10.255.255.0/24:443"]
    lines += [f"let x in e{i} = 10.{i // 256 % 256}.{i % 256}.0/24:443" for i in range(n)]
    lines += ["namespace a {", "  default deny all", "  web may reach x", "}"]
    return "\n".join(lines) + "\n"


def chain_program(n):
    lines = ["let d0 = 10.0.0.0/8:443"] + [f"let d{i} = {{d{i - 1}}}" for i in range(1, n)]
    return "\n".join(lines + [f"namespace a {{ web may reach d{n - 1} }}"]) + "\n"


def estate(statements, namespaces=None):
    cmd = [sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(statements)]
    if namespaces:
        cmd += ["--namespaces", str(namespaces)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def one_line(text):
    # Comments would swallow the rest of a joined line.
    kept = [line.split("#")[0].rstrip() for line in text.splitlines()]
    return " ".join(line for line in kept if line.strip()) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--envs", default="500,1000,2000,4000", help="comma-separated counts")
    ap.add_argument("--statements", type=int, default=10000)
    ap.add_argument("--chain", type=int, default=5000)
    ap.add_argument("--memory", type=int, default=100000, help="statements of the largest one-namespace estate (0: skip)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fence = os.path.abspath(args.fence)
    with tempfile.TemporaryDirectory(prefix="fence-bench-") as work:
        print(f"== environments (one definition with a value in each)")
        previous = None
        for n in (int(x) for x in args.envs.split(",")):
            src = write(os.path.join(work, f"envs{n}.fence"), envs_program(n))
            wall, rss, code = best([fence, "check", "-q", src], args.repeat)
            step = f"x{wall / previous:5.2f}" if previous else "      "
            previous = wall
            print(f"{n:6d} environments  {wall:7.2f} s  {step} (from the previous)  {rss:7.0f} MiB  exit {code}")

        print(f"== one long line ({args.statements} statements)")
        text = estate(args.statements)
        lines = write(os.path.join(work, "lines.fence"), text)
        joined = write(os.path.join(work, "joined.fence"), one_line(text))
        w1, r1, c1 = best([fence, "check", "-q", lines], args.repeat)
        w2, r2, c2 = best([fence, "check", "-q", joined], args.repeat)
        print(f"separate lines  {os.path.getsize(lines) / 1e6:5.2f} MB  {w1:7.2f} s  {r1:7.0f} MiB  exit {c1}")
        print(f"one line        {os.path.getsize(joined) / 1e6:5.2f} MB  {w2:7.2f} s  {r2:7.0f} MiB  exit {c2}  x{w2 / w1:4.2f}")

        print(f"== a chain of {args.chain} definitions")
        src = write(os.path.join(work, "chain.fence"), chain_program(args.chain))
        wall, rss, code = best([fence, "check", "-q", src], args.repeat)
        print(f"{args.chain:6d} links  {wall:7.2f} s  {rss:7.0f} MiB  exit {code} (1: E0216)")

        if args.memory:
            print("== memory at scale (one namespace), best of 1")
            for n in (args.memory // 10, args.memory):
                src = write(os.path.join(work, f"one{n}.fence"), estate(n, 1))
                wall, rss, code = run([fence, "check", "-q", src])
                print(f"{n:8d} statements  {os.path.getsize(src) / 1e6:6.1f} MB  {wall:7.2f} s  {rss:7.0f} MiB  {rss * 1024 / n:5.1f} KiB/statement  exit {code}")
            # The guard counts what operator new hands out, which is below the RSS: a third of
            # the peak is sure to be exceeded.
            limit = f"{max(16, int(rss / 3))}M"
            wall, rss, code = run([fence, "check", "-q", "--max-memory", limit, src])
            print(f"--max-memory {limit}: {wall:.2f} s, {rss:.0f} MiB, exit {code} (2: E0106)")


if __name__ == "__main__":
    main()
