#!/usr/bin/env python3
"""Fence against the tools people use today, on the peer benchmark estate, in one run.

  bench/peer_estate.py [--build build] [--sizes 1000,10000,100000] [--repeat 3] [--no-jsonnet]
                       [--generator ../shared/bench/gen_estate.py] [--baseline OLD_FENCE]
                       [--estates DIR]

For each size N, the estate of `gen_estate.py N DIR` (N workloads, N/50 namespaces, 5N intents,
default deny both ways; the generator is the one the issue's figures come from, beside the
checkout in ../shared/bench) is built by:
  - `fence build estate.fence`, `fence check estate.fence` and `fence build --target cilium`
    (best wall time and best CPU time, user + system, of --repeat runs, peak RSS of the largest),
    with the in-process stage breakdown of build/bench/bench_pipeline (CPU time per stage);
  - with --baseline, `fence build` of another binary (an older commit), its runs interleaved with
    the new one's, so that both meet the same machine;
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
    """Runs cmd with stdout to /dev/null; returns (seconds, peak RSS of that child in MiB, CPU seconds)."""
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
    return elapsed, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def best(runs):
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


def best_of(cmd, repeat, cwd=None):
    return best([timed(cmd, cwd) for _ in range(repeat)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generator", default=DEFAULT_GENERATOR)
    ap.add_argument("--no-jsonnet", action="store_true")
    ap.add_argument("--jsonnet-max", type=int, default=10000, help="largest size jsonnet runs on")
    ap.add_argument("--estates", help="keep the generated estates in DIR/eN (and reuse those there): the generator takes minutes at 100,000")
    ap.add_argument("--baseline", help="another fence binary whose `build` is timed beside this one's, interleaved")
    args = ap.parse_args()
    fence = os.path.join(args.build, "compiler", "fence")
    bench = os.path.join(args.build, "bench", "bench_pipeline")
    jsonnet = None if args.no_jsonnet else shutil.which("jsonnet")
    if not os.path.exists(args.generator):
        raise SystemExit(f"no estate generator at {args.generator}: pass --generator")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            d = os.path.join(args.estates or tmp, f"e{n}")
            if not os.path.exists(os.path.join(d, "estate.jsonnet")):
                subprocess.run([sys.executable, args.generator, str(n), d], check=True, stdout=subprocess.DEVNULL)
            src = os.path.join(d, "estate.fence")
            stages = json.loads(subprocess.run([bench, src, "--repeat", "1"], capture_output=True, text=True, check=True).stdout)
            r = {"n": n, "stages": stages}
            if args.baseline:
                new, old = [], []
                for _ in range(args.repeat):
                    old.append(timed([args.baseline, "build", src]))
                    new.append(timed([fence, "build", src]))
                r["build"], r["baseline"] = best(new), best(old)
            else:
                r["build"] = best_of([fence, "build", src], args.repeat)
            r["check"] = best_of([fence, "check", src], args.repeat)
            r["cilium"] = best_of([fence, "build", "--target", "cilium", src], args.repeat)
            if jsonnet and n <= args.jsonnet_max:
                r["jsonnet"] = timed([jsonnet, "-y", "estate.jsonnet"], cwd=d)
            rows.append(r)
            print(f"# {n}: {json.dumps(r)}", file=sys.stderr, flush=True)  # each size's figures as soon as they exist

    def cmd(x):
        return f"{x[0]:.2f} s ({x[2]:.2f} s CPU, {x[1]:.0f} MiB)"

    print("Wall time (CPU time, peak RSS) of each command, best of the runs; stages: CPU time in one process.\n")
    print("| workloads | input | `build` | `check` | `build --target cilium` | parse | resolve | check | lower | emit | `jsonnet -y` | jsonnet / build (wall, CPU) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r["stages"]
        j = r.get("jsonnet")
        if j:
            jtext = cmd(j)
            ratio = f"{j[0] / r['build'][0]:.0f}x, {j[2] / r['build'][2]:.0f}x"
        else:
            jtext = "absent" if not jsonnet else f"not run (above --jsonnet-max {args.jsonnet_max:,}: it takes many minutes)"
            ratio = "-"
        print(f"| {r['n']:,} | {s['input_bytes'] / 1024:.0f} KiB | {cmd(r['build'])} | {cmd(r['check'])} | {cmd(r['cilium'])} | "
              f"{s['parse_cpu_ms']:.0f} ms | {s['resolve_cpu_ms']:.0f} ms | {s['check_cpu_ms']:.0f} ms | "
              f"{s['lower_cpu_ms']:.0f} ms | {s['emit_cpu_ms']:.0f} ms | {jtext} | {ratio} |")
    if args.baseline:
        print(f"\n`fence build` of {args.baseline}, runs interleaved with the above:\n")
        print("| workloads | baseline `build` | this `build` | CPU this / baseline | peak RSS this / baseline |")
        print("|---:|---:|---:|---:|---:|")
        for r in rows:
            b, n = r["baseline"], r["build"]
            print(f"| {r['n']:,} | {cmd(b)} | {cmd(n)} | {n[2] / b[2]:.2f} | {n[1] / b[1]:.2f} |")
    for a, b in zip(rows, rows[1:]):
        print(f"\n{b['n'] // a['n']}x the workloads ({a['n']:,} -> {b['n']:,}) cost {b['build'][0] / a['build'][0]:.1f}x the build's wall time, "
              f"{b['build'][2] / a['build'][2]:.1f}x its CPU time and {b['build'][1] / a['build'][1]:.1f}x its peak RSS.")
    if not jsonnet and not args.no_jsonnet:
        print("\njsonnet is not installed (`apt-get install jsonnet`): no ratio measured.")


if __name__ == "__main__":
    main()
