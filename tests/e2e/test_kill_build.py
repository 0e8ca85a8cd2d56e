#!/usr/bin/env python3
"""A build killed (SIGKILL) while it writes a large estate leaves the previous output exactly as
it was: no partial file is ever visible in the output directory. The next build cleans up what
the killed one left beside it.

The estate comes from bench/gen_estate.py (50000 statements by default: over ten thousand
files, so that the writing takes long enough to be caught in the act)."""
import os
import signal
import subprocess
import sys
import time
import unittest

import fence_e2e
from fence_e2e import ROOT, main, run, snapshot, tempdir

STATEMENTS = int(os.environ.get("FENCE_KILL_STATEMENTS", "50000"))


def estate(directory, seed):
    path = os.path.join(directory, f"estate-{seed}.fence")
    with open(path, "w", encoding="utf-8") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_estate.py"), "--statements", str(STATEMENTS), "--seed", str(seed)],
                       stdout=f, check=True)
    return path


def temp_siblings(out):
    parent, name = os.path.split(out)
    return [os.path.join(parent, n) for n in os.listdir(parent) if n.startswith(f".{name}.fence-")]


class KillMidWrite(unittest.TestCase):
    def test_sigkill_while_writing_leaves_the_previous_output_untouched(self):
        work = tempdir(self)
        out = os.path.join(work, "out")
        first, second = estate(work, 1), estate(work, 2)
        run(["build", "--quiet", "-o", out, first], check=0)
        before = snapshot(out)
        self.assertGreater(len(before), 1000)

        proc = subprocess.Popen([fence_e2e.FENCE, "build", "--quiet", "-o", out, second], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        caught_files = 0
        deadline = time.time() + 600
        while time.time() < deadline and proc.poll() is None:
            tmp = [t for t in temp_siblings(out) if t.endswith(f"-{proc.pid}")]
            if tmp:
                # Wait until the writing is well under way, then kill it.
                caught_files = sum(len(files) for _, _, files in os.walk(tmp[0]))
                if caught_files >= 200:
                    proc.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.005)
        code = proc.wait()
        self.assertEqual(code, -signal.SIGKILL, "the build finished before it could be killed mid-write: give it a larger estate")
        leftover = temp_siblings(out)
        self.assertEqual(len(leftover), 1, "the killed build's temporary directory should be beside the output")
        self.assertGreater(caught_files, 0)
        print(f"killed after {caught_files} of its files were written")

        self.assertEqual(snapshot(out), before, "the output changed although the build that would replace it was killed")

        # The next build replaces the output and removes what the killed one left.
        run(["build", "--quiet", "-o", out, second], check=0)
        self.assertEqual(temp_siblings(out), [])
        fresh = os.path.join(work, "fresh")
        run(["build", "--quiet", "-o", fresh, second], check=0)
        self.assertEqual(snapshot(out), snapshot(fresh))
        self.assertNotEqual(snapshot(out), before)


if __name__ == "__main__":
    main()
