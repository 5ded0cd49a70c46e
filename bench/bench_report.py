#!/usr/bin/env python3
"""bench_report.py - report.html of a long run in headless Chromium.

Generates a campus scenario (bench/gen-scenario) with about 20,000
protocol lines, runs it, and prints the page's size, its time to
interactive (navigation start to the page saying it is ready, measured by
the browser) and the time of one step at the keyboard's pace, with the
number of elements in the diagram pane.  The issue's target: under 2 s to
open at 20,000 lines.  Each figure is one run on this machine; nothing is
asserted.  Skipped (and said so) without chromium and chromedriver.

    bench/bench_report.py MAILSIM [MESSAGES]     (default 300 messages)
"""
import json
import os
import subprocess
import sys
import tempfile
import shutil
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, os.path.join(root, "tests"))
import test_report_browser as trb  # noqa: E402


def main():
    mailsim = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./mailsim")
    messages = sys.argv[2] if len(sys.argv) > 2 else "300"
    chromium = trb.find("chromium", "chromium-browser", "google-chrome")
    chromedriver = trb.find("chromedriver")
    if chromium is None or chromedriver is None:
        print("report: skipped (needs chromium and chromedriver; scripts/deps.sh installs them)")
        return 0
    out = tempfile.mkdtemp(prefix="mailsim-bench-report-")
    drv = None
    try:
        mss = os.path.join(out, "campus.mss")
        with open(mss, "w") as f:
            subprocess.run([os.path.join(here, "gen-scenario"), messages], stdout=f, check=True)
        t0 = time.time()
        subprocess.run([mailsim, "run", "-q", "-o", os.path.join(out, "run"), mss], check=True)
        took = time.time() - t0
        page = os.path.join(out, "run", "report.html")
        with open(os.path.join(out, "run", "trace.json"), encoding="utf-8") as f:
            n_lines = sum(1 for r in json.load(f)["records"] if r["kind"] == "line")
        size = os.path.getsize(page)
        print("report: %d protocol lines; mailsim run (all outputs) %.2f s; report.html %.1f MB"
              % (n_lines, took, size / 1e6))
        drv = trb.Driver(chromium, chromedriver)
        drv.s("POST", "/window/rect", {"width": 1024, "height": 768})
        for attempt in (1, 2):
            w0 = time.time()
            drv.open("file://" + page)
            trb.wait_ready(drv)
            wall = time.time() - w0
            tti = drv.js("return window.mailsimReport.readyAt;")
            print("report: open #%d: interactive %.0f ms after navigation start (browser clock), "
                  "%.2f s by the driver's clock; %d elements in the diagram pane"
                  % (attempt, tti, wall, drv.js("return window.mailsimReport.diagramSize();")))
            # Where the time went (report.js's marks, ms since navigation start).
            laps = drv.js("""
                var n = performance.getEntriesByType('navigation')[0], t = window.mailsimReport.timing;
                var out = [['file read', n.responseEnd]];
                ['script', 'parsed-trace', 'parsed', 'unpacked', 'checked', 'index', 'indexed',
                 'diagram', 'drawn'].forEach(function (k) { if (k in t) out.push([k, t[k]]); });
                return out;""")
            prev, parts = 0, []
            for name, at in laps:
                parts.append("%s %.0f" % (name, at - prev))
                prev = at
            print("report:   ms per stage: " + ", ".join(parts) +
                  " (then the summary below the fold, after it is interactive)")
        steps = drv.js("""
            var r = window.mailsimReport, n = Math.min(100, arguments[0] - 1), t0 = performance.now();
            var mid = Math.floor(arguments[0] / 2);
            for (var i = 0; i < n; i++) { r.goToLine(mid + i); document.body.offsetHeight; }
            var fwd = (performance.now() - t0) / n;
            t0 = performance.now();
            for (i = n; i > 0; i--) { r.goToLine(mid + i); document.body.offsetHeight; }
            var back = (performance.now() - t0) / n;
            t0 = performance.now();
            r.goToLine(arguments[0]); document.body.offsetHeight;
            var end = performance.now() - t0;
            t0 = performance.now();
            r.goToLine(1); document.body.offsetHeight;
            return [fwd, back, end, performance.now() - t0, r.diagramSize()];""", n_lines)
        print("report: one step forward %.2f ms, back %.2f ms (mean of 100 from the middle); "
              "jump to the end %.0f ms, back to the start %.0f ms; %d elements in the pane"
              % tuple(steps))
        drv.screenshot("bench-report.png")
    finally:
        if drv is not None:
            drv.close()
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
