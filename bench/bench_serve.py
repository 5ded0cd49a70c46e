#!/usr/bin/env python3
"""bench_serve.py - `mailsim serve` under a class: 200 SMTP sessions at
once from one machine (EHLO, MAIL, RCPT, DATA with a short message, QUIT),
driven by one selector.  Prints the sessions per second, the slowest
session's time, and the server's resident memory after the burst and after
1000 more sessions (what it holds).  The issue's target: 200 at once, none
blocked; each figure is one run.  Usage: bench_serve.py MAILSIM"""
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "live"))
import test_serve  # noqa: E402
from serve import Server  # noqa: E402

N = 200
ROUNDS = 6  # the first, timed, and five more for the memory held


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    # A round's clients start the next round as soon as the server has
    # closed their connections, and the server counts a session until it
    # has read the client's close too, so sessions of earlier rounds may
    # still count while the next round connects.  The limits are set past
    # every round's sessions together: this measures speed and memory, and
    # tests/live/test_serve.py tests the limits themselves.
    limit = str(ROUNDS * N + 50)
    srv = Server(sys.argv[1], "--max-per-client", limit, "--max-sessions", limit,
                 "-q", "--format", "txt")
    try:
        before = rss_kb(srv.proc.pid)
        t0 = time.time()
        times = test_serve.many_sessions(srv, N)
        took = time.time() - t0
        after = rss_kb(srv.proc.pid)
        for _ in range(ROUNDS - 1):
            test_serve.many_sessions(srv, N)
        held = rss_kb(srv.proc.pid)
        print("serve: %d concurrent SMTP sessions in %.3f s: %.0f sessions/s" % (N, took, N / took))
        print("serve: slowest session %.3f s, median %.3f s" %
              (max(times), sorted(times)[len(times) // 2]))
        print("serve: memory %.1f MiB at start, %.1f MiB after %d sessions, %.1f MiB after %d"
              " (%d messages stored)" % (before / 1024, after / 1024, N, held / 1024, ROUNDS * N,
                                       ROUNDS * N))
        rc, _ = srv.stop()
        if rc != 0:
            print("serve: exited %d: %s" % (rc, srv.err()[-2000:]))
            return 1
    finally:
        srv.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
