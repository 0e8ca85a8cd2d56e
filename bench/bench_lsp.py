#!/usr/bin/env python3
"""Editor latency: the time from a didChange to the publishDiagnostics that answers it, measured
end to end against a real `fence lsp` process over pipes, on a synthetic estate.

  bench_lsp.py --fence build/compiler/fence [--lines 5000] [--edits 30] [--opens 5]

Kinds of edit, each in a different place of the file per round:
  valid     change a port number in a statement (the file stays valid)
  broken    break a statement (`may reach` -> `may rech`): the file has a syntax error
  fixed     undo the break
  unclosed  open a brace that nothing closes (`may reach {`): the worst case, where the error
            runs to the end of the file and the rest of it is parsed whole
  closed    undo that
Prints one Markdown table row per kind (median, 90th percentile, max in ms, and the server's
CPU time per edit from /proc, which a busy machine disturbs less than wall time) plus the first
analysis after didOpen, for docs/performance.md.

Each time runs until the whole answer has arrived, its last byte read from the pipe; decoding its
JSON is the client's work and is reported apart ("+ decode"): Python takes about 40 ms for the
1.6 MB of 3,377 diagnostics this estate draws. The first analysis is timed in --opens fresh
servers (one `fence lsp` process each, as an editor starts one), median and range; the edits run
on the last of them.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Client:
    def __init__(self, fence):
        self.p = subprocess.Popen([fence, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, obj):
        self.p.stdin.write(frame(obj))
        self.p.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise SystemExit("fence lsp closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = self.p.stdout.read(length)
        self.received = time.perf_counter()  # the answer is here; decoding it is the client's work
        return json.loads(body)

    def cpu_ms(self):
        """User plus system CPU time of the server so far, from /proc."""
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")

    def wait_for(self, pred, limit_s=60):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            msg = self.read()
            if pred(msg):
                return msg
        raise SystemExit("timed out")


def stop(c):
    c.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
    c.wait_for(lambda m: m.get("id") == 99)
    c.send({"jsonrpc": "2.0", "method": "exit"})
    c.p.wait(timeout=10)


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fence", required=True)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--opens", type=int, default=5, help="fresh servers that time the first analysis")
    args = ap.parse_args()

    # gen_estate writes about one line per statement plus two per namespace.
    statements = int(args.lines * 0.97)
    text = subprocess.run([sys.executable, os.path.join(HERE, "gen_estate.py"), "--statements", str(statements)],
                          check=True, capture_output=True, text=True).stdout
    lines = text.split("\n")
    path = os.path.abspath("bench-lsp-estate.fence")
    uri = "file://" + path
    # Statements with a port to change, spread over the file.
    candidates = [i for i, l in enumerate(lines) if " may reach " in l and ":443" in l]
    step = max(1, len(candidates) // args.edits)
    targets = candidates[::step][:args.edits]

    # The first analysis, in fresh servers: the last one stays for the edits.
    opens, opens_decoded, opens_cpu = [], [], []
    for n in range(args.opens):
        if n > 0:
            stop(c)
        c = Client(args.fence)
        c.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        c.wait_for(lambda m: m.get("id") == 1)
        c.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        t0 = time.perf_counter()
        open_cpu0 = c.cpu_ms()
        c.send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "fence", "version": 1, "text": text}}})
        first = c.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        opens.append((c.received - t0) * 1000)
        opens_decoded.append((time.perf_counter() - t0) * 1000)
        opens_cpu.append(c.cpu_ms() - open_cpu0)
    open_ms = statistics.median(opens)
    warnings = len(first["params"]["diagnostics"])

    version = 1
    kinds = ("valid", "broken", "fixed", "unclosed", "closed")
    results = {k: [] for k in kinds}
    cpu = {k: 0.0 for k in kinds}
    decode = {k: [] for k in kinds}
    errors_seen = {k: 0 for k in kinds}

    def edit(kind, line, col, old, new):
        nonlocal version
        version += 1
        change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + len(old)}}, "text": new}
        cpu0 = c.cpu_ms()
        t = time.perf_counter()
        c.send({"jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
        msg = c.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version)
        results[kind].append((c.received - t) * 1000)
        decode[kind].append((time.perf_counter() - c.received) * 1000)
        cpu[kind] += c.cpu_ms() - cpu0
        errors_seen[kind] += sum(1 for d in msg["params"]["diagnostics"] if d.get("severity") == 1)

    for n, i in enumerate(targets):
        col = lines[i].index(":443") + 1
        new = "8443" if n % 2 == 0 else "4443"
        edit("valid", i, col, "443", new)
        lines[i] = lines[i][:col] + new + lines[i][col + 3:]
        col = lines[i].index(" reach ") + 1
        edit("broken", i, col, "reach", "rech")
        edit("fixed", i, col, "rech", "reach")
        col += len("reach ")
        edit("unclosed", i, col, "", "{")
        edit("closed", i, col, "{", "")

    with open(f"/proc/{c.p.pid}/status") as f:
        peak_mib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    stop(c)

    print(f"estate: {len(text.splitlines())} lines, {len(text)} bytes, {warnings} diagnostics published; "
          f"{len(targets)} edits of each kind")
    print(f"didOpen to first diagnostics (a whole analysis), {len(opens)} fresh servers: median {open_ms:.0f} ms "
          f"(range {min(opens):.0f}-{max(opens):.0f}; + decode: {statistics.median(opens_decoded):.0f}), "
          f"server CPU median {statistics.median(opens_cpu):.0f} ms; server peak RSS {peak_mib:.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| edit | median ms | p90 ms | max ms | + decode ms | server CPU ms per edit | errors published | median / didOpen |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        v = results[kind]
        print(f"| {kind} | {statistics.median(v):.0f} | {percentile(v, 0.9):.0f} | {max(v):.0f} | {statistics.median(decode[kind]):.0f} "
              f"| {cpu[kind] / len(v):.0f} | {errors_seen[kind] / len(v):.0f} per publish | {statistics.median(v) / open_ms:.2f} |")


if __name__ == "__main__":
    main()
