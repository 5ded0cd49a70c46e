#!/usr/bin/env python3
"""test_report_browser.py - report.html in a real browser.

Runs `mailsim run` on shipped scenarios, opens each report.html from
file:// in headless Chromium driven by chromedriver (WebDriver is HTTP and
JSON: only the standard library is needed), steps with the keyboard, clicks
arrows and the language button, and checks the text of the page against
what trace.json says.  Screenshots go to build/tests/report-*.png (for
people; the checks read DOM text, never pixels).

Prints "MS-TESTS run=N failed=M" like the CUnit suites; when Chromium or
chromedriver is missing, every test is reported skipped ("  skipped: "
lines and skipped=N), never passed.  Every browser process started here is stopped on
the way out, whatever happens.

    tests/test_report_browser.py [MAILSIM]      (default build/san/mailsim)
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "build", "tests")
KEYS = {"right": "\ue014", "left": "\ue012", "space": "\ue00d", "home": "\ue011", "end": "\ue010",
        "tab": "\ue004", "shift": "\ue008"}
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
TIMEOUT = 600  # seconds for the whole file
LIST_MAX = 12  # entries a state list shows (report.js)
# Drawn from the model, as a long run is (MAILSIM_HTML_SVG_MAX_ARROWS lowers
# the threshold): a shipped run, with its TCP segments.
LONG = "smtp-persistent"
LONG_ARGS = ("--view", "full", "--tcp")
# A run longer than --html-lines: its page shows its beginning only.
WINDOW = "tests/data/report/campus-40.mss"
WINDOW_ARGS = ("--html-lines", "300")
# A body line with characters that reorder or hide text unseen.
UNSEEN = "tests/data/report/unseen.mss"


def find(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


class Driver:
    """A chromedriver process and one browser session, always cleaned up."""

    def __init__(self, chromium, chromedriver):
        self.proc = None
        self.session = None
        self.profile = tempfile.mkdtemp(prefix="mailsim-chromium-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # Its own process group, so that the browser it starts is stopped
        # with it.
        self.proc = subprocess.Popen([chromedriver, "--port=%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.base = "http://127.0.0.1:%d" % self.port
        try:
            self.start(chromium)
        except BaseException:
            self.close()
            raise

    def start(self, chromium):
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--allow-file-access-from-files",
                "--window-size=1024,768", "--user-data-dir=" + self.profile]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        value = self.call("POST", "/session", caps)
        self.session = value["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read().decode())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read().decode()[:500]))

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def keys(self, *names):
        """Presses each key in turn; "shift+right" holds Shift for it."""
        acts = []
        for n in names:
            mods = [KEYS[m] for m in n.split("+")[:-1]]
            k = KEYS[n.split("+")[-1]]
            acts += [{"type": "keyDown", "value": m} for m in mods]
            acts += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
            acts += [{"type": "keyUp", "value": m} for m in mods]
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": acts}]})

    def console_errors(self):
        """The browser's console messages of level SEVERE since the last call."""
        try:
            logs = self.s("POST", "/se/log", {"type": "browser"})
        except RuntimeError:
            logs = self.s("POST", "/log", {"type": "browser"})
        return [e["message"] for e in logs if e.get("level") == "SEVERE"]

    def element(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.element(css), {})

    def text(self, css):
        return self.js("var e = document.querySelector(arguments[0]);"
                       "return e ? e.textContent : null;", css)

    def screenshot(self, name):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        os.makedirs(SHOTS, exist_ok=True)
        with open(os.path.join(SHOTS, name), "wb") as f:
            f.write(png)

    def close(self):
        try:
            if self.session:
                self.call("DELETE", "/session/" + self.session)
        except Exception:
            pass
        if self.proc is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Whatever the browser left in the group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


# ---- What trace.json says -------------------------------------------------

def fmt_time(ns):
    """The page's time format (report.js fmtTime)."""
    if ns < 1e9:
        return "%.3f ms" % (ns / 1e6)
    if ns < 600e9:
        return "%.3f s" % (ns / 1e9)
    m = int(ns // 60e9)
    return "%d min %.3f s" % (m, (ns - m * 60e9) / 1e9)


def run_scenario(mailsim, name, out, *extra):
    d = os.path.join(out, os.path.basename(name))
    path = name if name.endswith(".mss") else "scenarios/%s.mss" % name
    env = dict(os.environ)
    if name == LONG:
        env["MAILSIM_HTML_SVG_MAX_ARROWS"] = "100"
    subprocess.run([mailsim, "run", "-q", "-o", d, *extra, path],
                   check=True, cwd=ROOT, timeout=120, env=env)
    with open(os.path.join(d, "trace.json"), encoding="utf-8") as f:
        trace = json.load(f)
    with open(os.path.join(d, "report.html"), encoding="utf-8") as f:
        html = f.read()
    m = re.search(r'<script type="application/json" id="ms-page">(.*?)</script>', html, re.S)
    page = json.loads(m.group(1))
    return "file://" + os.path.join(d, "report.html"), trace, page


def lines_of(trace):
    return [r for r in trace["records"] if r["kind"] == "line"]


def inbox_at(trace, t):
    """Message-IDs in each owner's INBOX at time t: deliveries minus POP3
    deletions (enough for the scenarios below, which do not use IMAP)."""
    boxes = {}
    for r in trace["records"]:
        if r["time_ns"] > t:
            break
        if r.get("note") == "mailbox.deliver":
            boxes.setdefault(r["subject"], []).append(r["text"])
        elif r.get("note") == "mailbox.delete":
            boxes.setdefault(r["subject"], []).remove(r["text"])
    return boxes


def conn_label(trace, conn):
    for r in trace["records"]:
        if r["kind"] == "conn-open" and r["conn"] == conn:
            return "[%d] %s %s:%d → %s:%d" % (conn, r["protocol"], r["src"], r["src_port"],
                                              r["dst"], r["dst_port"])
    raise AssertionError("no conn-open for %d" % conn)


# ---- The checks -------------------------------------------------------------

class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def wait_ready(drv):
    for _ in range(100):
        st = drv.js("return document.body.getAttribute('data-state');")
        if st in ("ready", "error"):
            break
        time.sleep(0.05)
    check(st == "ready", "page not ready: %s %s" % (st, drv.text("#problem")))


def go_to_line(drv, n):
    """Steps with the keyboard from the start to protocol line n."""
    drv.keys("home")
    drv.keys(*(["right"] * n))
    got = drv.js("return +document.body.getAttribute('data-line');")
    check(got == n, "after %d steps the page is at line %s" % (n, got))


def check_line_panel(drv, trace, page, n, lang):
    line = lines_of(trace)[n - 1]
    det = drv.text("#details")
    check(line["text"] in det, "details lack the line %r: %r" % (line["text"], det[:300]))
    if line["eol"] == "\r\n":
        check("CRLF" in re.sub(r"\s", "", drv.text(".sent-line")), "CR LF not shown")
    check(conn_label(trace, line["conn"]) in det, "details lack the connection")
    check(fmt_time(line["time_ns"]) in det, "details lack the send time")
    if "arrival_ns" in line:
        check(fmt_time(line["arrival_ns"]) in det, "details lack the arrival time")
    idx = 1 if lang == "zh" else 0
    if line.get("note") in page["notes"]:
        want = page["notes"][line["note"]][idx]
        check(want in det, "annotation %r not in %r" % (want, det[:400]))
    if line.get("phase") in page["phases"]:
        check(page["phases"][line["phase"]][idx] in det, "phase not shown")


def check_mailboxes(drv, trace, n):
    t = lines_of(trace)[n - 1]["time_ns"]
    want = inbox_at(trace, t)
    # A folder lists its latest LIST_MAX messages (report.js) and says how
    # many it holds.
    got = drv.js("""
        var out = {};
        document.querySelectorAll('#mailboxes .mailbox').forEach(function (b) {
          var f = b.querySelector('.folder[data-folder="INBOX"]');
          out[b.getAttribute('data-owner')] = f ? [+f.getAttribute('data-count'),
            Array.prototype.map.call(f.querySelectorAll('li[data-id]'),
                                     function (li) { return li.getAttribute('data-id'); })] : [0, []];
        });
        return out;""")
    for owner, ids in want.items():
        check(got.get(owner) == [len(ids), ids[-LIST_MAX:]], "at line %d %s holds %r, page shows %r"
              % (n, owner, ids, got.get(owner)))
    for owner, (count, ids) in got.items():
        check(ids == want.get(owner, [])[-LIST_MAX:], "page shows %r in %s at line %d"
              % (ids, owner, n))
    return want


def test_strings_bilingual(drv, urls):
    drv.open(urls["smtp-basic"])
    wait_ready(drv)
    missing = drv.js("""
        var ui = window.mailsimReport.ui, bad = [];
        Object.keys(ui).forEach(function (k) {
          if (!ui[k].en || !ui[k].zh) bad.push(k);
        });
        return bad;""")
    check(missing == [], "UI strings without both languages: %r" % missing)
    check(drv.js("return Object.keys(window.mailsimReport.ui).length;") > 50, "too few UI strings")


def test_offline(drv, urls):
    drv.open(urls["smtp-basic"])
    wait_ready(drv)
    # Nothing but the page itself was loaded.
    res = drv.js("return performance.getEntriesByType('resource').map(function (e) { return e.name; });")
    check(res == [], "the page loaded %r" % res)


def test_step_smtp_basic(drv, urls, traces, pages):
    trace, page = traces["smtp-basic"], pages["smtp-basic"]
    drv.open(urls["smtp-basic"])
    wait_ready(drv)
    check(drv.js("return window.mailsimReport.lang();") == "en", "default language not en")
    lines = lines_of(trace)
    deliver = next(r for r in trace["records"] if r.get("note") == "mailbox.deliver")
    after = next(i + 1 for i, l in enumerate(lines) if l["time_ns"] >= deliver["time_ns"])
    before = after - 1
    go_to_line(drv, before)
    check_line_panel(drv, trace, page, before, "en")
    check(deliver["text"] not in check_mailboxes(drv, trace, before).get(deliver["subject"], []),
          "delivery seen too early")
    drv.keys("right")
    check_line_panel(drv, trace, page, after, "en")
    check(deliver["text"] in check_mailboxes(drv, trace, after)[deliver["subject"]],
          "delivered message not in the mailbox")
    check("Protocol line %d of %d" % (after, len(lines)) in drv.text("#details"), "heading")
    # Back one line, and the message is gone again.
    drv.keys("left")
    check_mailboxes(drv, trace, before)
    # Arrows up to the cursor are drawn as sent, the later ones are not.
    sent = drv.js("return document.querySelectorAll('#diagram g.arw.sent').length;")
    total = drv.js("return document.querySelectorAll('#diagram g.arw').length;")
    check(0 < sent < total, "sent arrows %d of %d" % (sent, total))
    drv.screenshot("report-smtp-basic-en.png")
    # Switch to Chinese on the page.
    drv.click("#b-lang")
    check(drv.js("return document.documentElement.lang;") == "zh-CN", "lang attribute")
    check("协议行 %d / %d" % (before, len(lines)) in drv.text("#details"), "zh heading")
    check_line_panel(drv, trace, page, before, "zh")
    check("时的状态" in drv.text("#state"), "zh state heading")
    check("时序图" in drv.text("#diagram-pane"), "zh diagram heading")
    check(drv.js("return document.querySelectorAll('#diagram g.arw').length;") == total,
          "zh diagram has other arrows")
    drv.screenshot("report-smtp-basic-zh.png")
    drv.click("#b-lang")
    check("Protocol line" in drv.text("#details"), "back to English")


def test_queue_retry_zh(drv, urls, traces, pages):
    name = "smtp-server-down-retry"
    trace, page = traces[name], pages[name]
    drv.open(urls[name])
    wait_ready(drv)
    check(drv.js("return window.mailsimReport.lang();") == "zh", "--lang zh is not the default")
    recs = trace["records"]
    retry = next(r for r in recs if r.get("note") == "queue.retry")
    nxt = next(r for r in recs if r["id"] > retry["id"] and r.get("note") == "queue.attempt")
    lines = lines_of(trace)
    # No line is sent while the server is down: step to the last line before
    # the retry, then move the slider (by keyboard, 1/100 of the way to the
    # next line a press) into the wait.
    n = next(i for i, l in enumerate(lines) if l["time_ns"] >= retry["time_ns"])
    go_to_line(drv, n)
    check_line_panel(drv, trace, page, n, "zh")
    a, b = lines[n - 1]["time_ns"], lines[n]["time_ns"]
    presses = next(j for j in range(1, 100) if a + j / 100 * (b - a) >= retry["time_ns"])
    check(a + presses / 100 * (b - a) < nxt["time_ns"], "no slider position inside the wait")
    drv.js("document.getElementById('slider').focus();")
    drv.keys(*(["shift+right"] * presses))
    check(drv.js("return +document.body.getAttribute('data-line');") == n, "slider left the line")
    q = drv.text('#queues .queue[data-server="%s"]' % retry["src"])
    check(q is not None and retry["subject"] in q, "queued message not shown: %r" % q)
    check("下次尝试在 %s" % fmt_time(nxt["time_ns"]) in q, "retry timer not shown: %r" % q)
    check("第 1 次尝试失败" in q, "attempt count not shown: %r" % q)
    drv.screenshot("report-%s-zh.png" % name)
    # At the end the queue is empty and the message reached Bob.
    drv.keys("end")
    check(drv.js("return document.querySelectorAll('#queues li').length;") == 0,
          "queue not empty at the end")


def test_click_picture(drv, urls, traces, pages):
    name = "mime-picture"
    trace, page = traces[name], pages[name]
    drv.open(urls[name])
    wait_ready(drv)
    # The first arrow drawn for a base64 body line.
    recs = trace["records"]
    idx = next(i for i, a in enumerate(page["arrows"])
               if recs[a[0]]["kind"] == "line" and recs[a[0]].get("note", "").endswith(".data.line")
               and a[2] == 1 and re.fullmatch(r"[A-Za-z0-9+/=]{40,}", recs[a[0]]["text"]))
    drv.click("#al%d" % idx)
    rid = page["arrows"][idx][0]
    n = [r["id"] for r in lines_of(trace)].index(rid) + 1
    check(drv.js("return +document.body.getAttribute('data-line');") == n, "click did not select")
    det = drv.text("#details")
    check(recs[rid]["text"] in det, "clicked line not shown")
    check("image/jpeg" in det and "ketchup.jpg" in det, "picture part not described: %r" % det[-400:])
    ok = drv.js("""
        var img = document.querySelector('#details .part img');
        return img ? img.complete && img.naturalWidth > 0 : false;""")
    check(ok, "the picture is not decoded and shown")
    check("Do you like ketchup" in det or "ketchup" in det.lower(), "text part not decoded")
    drv.screenshot("report-%s.png" % name)


def test_unseen_characters_named(drv, urls, traces, pages):
    """A right-to-left override and a zero-width space in a body line are
    named in the details panel, the line as sent and the decoded message,
    as transcript.txt names them: never left to rearrange the page."""
    trace = traces[UNSEEN]
    drv.open(urls[UNSEEN])
    wait_ready(drv)
    n = next(i for i, r in enumerate(lines_of(trace), 1) if "\u202e" in r["text"])
    go_to_line(drv, n)
    det = drv.text("#details")
    check("pay <U+202E>fdp.exe now<U+200B>" in drv.text(".sent-line"),
          "the line as sent does not name them: %r" % drv.text(".sent-line"))
    check(det.count("<U+202E>") >= 2, "the decoded message does not name the override: %r"
          % det[-400:])
    check(not re.search("[\u202e\u200b]", drv.js("return document.body.innerText;")),
          "an override or a zero-width space is left in the page")


def test_long_run_model(drv, urls, traces, pages):
    trace, page = traces[LONG], pages[LONG]
    check("model" in page and "svg" not in page, "the long run is not drawn from its model")
    drv.open(urls[LONG])
    wait_ready(drv)
    lines = lines_of(trace)
    n = len(lines) // 2
    drv.js("window.mailsimReport.goToLine(arguments[0]);", n - 2)
    drv.keys("right", "right")
    check_line_panel(drv, trace, page, n, "en")
    check_mailboxes(drv, trace, n)
    # The selected arrow is drawn, marked and in view; the pane holds only
    # what is near the view, not the whole diagram.
    rid = lines[n - 1]["id"]
    arrow = next((i for i, a in enumerate(page["arrows"]) if a[0] == rid), None)
    if arrow is None:  # an elided body line: the arrow before it stands for it
        arrow = max(i for i, a in enumerate(page["arrows"]) if a[0] < rid)
    inview = drv.js("""
        var g = document.getElementById('al' + arguments[0]);
        if (!g || !g.classList.contains('selected')) return 'not drawn as selected';
        var r = g.getBoundingClientRect(), p = document.getElementById('diagram-pane').getBoundingClientRect();
        return r.bottom > p.top && r.top < p.bottom && r.right > p.left && r.left < p.right ? 'ok'
          : 'out of view';""", arrow)
    check(inview == "ok", "selected arrow al%d: %s" % (arrow, inview))
    size = drv.js("return window.mailsimReport.diagramSize();")
    check(size < 2 * len(page["arrows"]), "%d elements in the pane for %d arrows"
          % (size, len(page["arrows"])))
    sent = drv.js("return document.querySelectorAll('#diagram g.arw.sent').length;")
    check(sent > 0, "no arrow drawn as sent")
    drv.screenshot("report-long-run.png")
    # Click another arrow in view.
    other = drv.js("""
        var gs = document.querySelectorAll('#diagram g.arw[id^="al"]');
        var p = document.getElementById('diagram-pane').getBoundingClientRect();
        for (var i = 0; i < gs.length; i++) {
          var r = gs[i].getBoundingClientRect();
          if (gs[i].classList.contains('selected') || r.top < p.top + 10 || r.bottom > p.bottom - 10
              || r.left < p.left || r.right > p.right) continue;
          // Not under the lifelines' heads, which stay on top of the pane.
          var hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
          if (hit && gs[i].contains(hit)) return +gs[i].id.slice(2);
        }
        return -1;""")
    check(other >= 0, "no other arrow in view to click")
    drv.click("#al%d" % other)
    rec = trace["records"][page["arrows"][other][0]]
    if rec["kind"] == "line":
        check(rec["text"] in drv.text("#details"), "clicked arrow's line not shown")
    # Zoom in: the drawing grows; Chinese: the host roles change language.
    w0 = drv.js("return document.querySelector('#diagram svg.model-body').getBoundingClientRect().width;")
    drv.click("#b-zoom-in")
    w1 = drv.js("return document.querySelector('#diagram svg.model-body').getBoundingClientRect().width;")
    check(w1 > w0 * 1.2, "zoom in: %r -> %r" % (w0, w1))
    drv.click("#b-lang")
    drv.keys("home")
    check("用户代理" in drv.text("#diagram"), "model drawing not in Chinese")
    drv.keys("end")
    check(drv.js("return +document.body.getAttribute('data-line');") == len(lines), "End")


def test_window_note(drv, urls, traces, pages):
    trace, page = traces[WINDOW], pages[WINDOW]
    w = page.get("window")
    check(w is not None, "a run past --html-lines has no window")
    total = len(lines_of(trace))  # trace.json beside it has the whole run
    check(w["total"] == total and 0 < w["lines"] <= 300,
          "window %r for a run of %d lines" % (w, total))
    drv.open(urls[WINDOW])
    wait_ready(drv)
    check(drv.js("return document.getElementById('window-note').hidden;") is False,
          "the window's note is hidden")
    # Before anything else on the page.
    first = drv.js("""
        var n = document.getElementById('window-note'), m = document.getElementById('main');
        return n.getBoundingClientRect().bottom <= m.getBoundingClientRect().top + 1;""")
    check(first, "the window's note is not above the diagram")
    en = drv.text("#window-note")
    for want in ("first part", str(w["lines"]), str(w["total"]), fmt_time(w["until_ns"]),
                 "trace.json", "--html-lines 0"):
        check(want in en, "%r not in the note %r" % (want, en))
    drv.keys("end")
    check(drv.js("return +document.body.getAttribute('data-line');") == w["lines"],
          "End is not the window's last line")
    drv.click("#b-lang")
    zh = drv.text("#window-note")
    for want in ("本页只显示", str(w["lines"]), str(w["total"]), "trace.json"):
        check(want in zh, "%r not in the Chinese note %r" % (want, zh))
    drv.click("#b-lang")
    # A lecture's run is whole: no note.
    drv.open(urls["smtp-basic"])
    wait_ready(drv)
    check(drv.js("return document.getElementById('window-note').hidden;") is True,
          "a short run's page has a window note")


def luminance(rgb):
    """WCAG 2.x relative luminance of an sRGB triple (0..255)."""
    def lin(c):
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b):
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_greyscale(drv, urls, traces, pages):
    """Push and pull arrows differ in grey, not only in hue: the colour the
    browser computes for each arrow's line, blended with the white page by
    the arrow's opacity as it is drawn sent, in flight and not yet sent.
    Sent and in-flight push and pull are 3:1 apart in luminance; a pending
    arrow is lighter than any sent one, and pending push and pull still
    differ.  A long run's diagram, drawn by the page from its model, has
    the colours of the SVG."""
    first = None
    for name in ("smtp-basic", "pop3-two-clients", LONG):
        drv.open(urls[name])
        wait_ready(drv)
        drv.keys("right")  # stepping: arrows drawn by their state
        got = drv.js("""
            function rgb(c) {
              var m = /rgba?\\((\\d+), (\\d+), (\\d+)/.exec(c);
              return m ? [+m[1], +m[2], +m[3]] : null;
            }
            var out = {};
            ['push', 'pull'].forEach(function (f) {
              var g = document.querySelector('#diagram g.arw.f-' + f + ':not(.selected)');
              if (!g || !g.querySelector('path')) return;
              var keep = g.getAttribute('class');
              g.style.transition = 'none';
              ['sent', 'flying', 'pending'].forEach(function (st) {
                g.classList.remove('sent', 'flying');
                if (st !== 'pending') g.classList.add(st);
                var p = g.querySelector('path'), s = getComputedStyle(p);
                out[f + '-' + st] = [rgb(s.stroke), +getComputedStyle(g).opacity * +s.strokeOpacity,
                                     s.strokeDasharray];
              });
              g.setAttribute('class', keep);
              g.style.transition = '';
            });
            return out;""")
        if name == LONG:  # SMTP only: its arrows are drawn as the SVG's are
            check("push-sent" in got and all(got[k] == first[k] for k in got),
                  "%s: drawn otherwise than the SVG: %r, %r" % (name, got, first))
            continue
        check(len(got) == 6, "%s: push or pull arrow missing: %r" % (name, got))
        first = first or got
        lum = {}
        for k, (c, alpha, _) in got.items():
            check(c is not None, "%s: %s drawn in %r" % (name, k, c))
            lum[k] = luminance([alpha * v + (1 - alpha) * 255 for v in c])
        for st in ("sent", "flying"):
            r = ratio(lum["push-" + st], lum["pull-" + st])
            check(r >= 3.0, "%s: %s push and pull alike in grey (%.2f:1): %r" % (name, st, r, lum))
        check(got["push-flying"][2] not in ("none", "", None), "%s: in-flight arrows not dashed" % name)
        check(ratio(lum["push-pending"], lum["pull-pending"]) >= 1.25,
              "%s: pending push and pull alike in grey: %r" % (name, lum))
        check(min(lum["push-pending"], lum["pull-pending"]) > max(lum["push-sent"], lum["pull-sent"])
              and ratio(lum["push-pending"], lum["pull-sent"]) >= 1.25,
              "%s: a pending arrow as dark as a sent one: %r" % (name, lum))


READABLE_PX = 11.0  # a protocol line's text on screen, at the least


def test_readable_at_1024(drv, urls, traces, pages):
    """At a projector's 1024x768 the diagram's words are readable: every
    arrow label drawn is at least READABLE_PX on screen (its computed font
    size times the drawing's scale), however wide the diagram; a diagram too
    wide for the pane scrolls sideways, and stepping keeps the selected
    arrow in view."""
    for name in ("smtp-basic", "pop3-two-clients", LONG):
        drv.open(urls[name])
        wait_ready(drv)
        check(drv.js("return window.innerWidth;") <= 1024, "the window is wider than 1024 px")
        drv.js("window.mailsimReport.goToLine(arguments[0]);", len(lines_of(traces[name])) // 2)
        got = drv.js("""
            var px = [];
            document.querySelectorAll('#diagram g.arw text').forEach(function (t) {
              var m = t.getScreenCTM();
              if (m) px.push(parseFloat(getComputedStyle(t).fontSize) * Math.sqrt(m.a * m.a + m.b * m.b));
            });
            var pane = document.getElementById('diagram-pane');
            var sel = document.querySelector('#diagram g.arw.selected');
            var r = sel ? sel.getBoundingClientRect() : null, p = pane.getBoundingClientRect();
            return {n: px.length, min: Math.min.apply(null, px), wide: pane.scrollWidth > pane.clientWidth,
                    inview: !!r && r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom};""")
        check(got["n"] > 0, "%s: no arrow label drawn" % name)
        check(got["min"] >= READABLE_PX - 0.01, "%s: arrow labels %.1f px on screen at 1024x768"
              % (name, got["min"]))
        check(got["inview"], "%s: the selected arrow is out of view: %r" % (name, got))
        if name == "pop3-two-clients":
            check(got["wide"], "%s: a diagram this wide should scroll sideways" % name)
    drv.screenshot("report-1024x768.png")


def folder_messages(drv, owner, folder):
    """{Message-ID: [UID, flags]} the page shows in one folder."""
    return drv.js("""
        var out = {}, owner = arguments[0], folder = arguments[1], f = null;
        document.querySelectorAll('#mailboxes .mailbox').forEach(function (b) {
          if (b.getAttribute('data-owner') !== owner) return;
          b.querySelectorAll('.folder').forEach(function (e) {
            if (e.getAttribute('data-folder') === folder) f = e;
          });
        });
        if (!f) return null;
        f.querySelectorAll('li[data-id]').forEach(function (li) {
          out[li.getAttribute('data-id')] = [+li.getAttribute('data-uid'),
            li.getAttribute('data-flags').split(' ').filter(Boolean), li.textContent];
        });
        return out;""", owner, folder)


def store_at(trace, t):
    """Each folder's {uid: [Message-ID, flags]} at time t, from the store
    records (docs/trace-format.md)."""
    boxes = {}
    for r in trace["records"]:
        if r["time_ns"] > t:
            break
        if r["kind"] != "store":
            continue
        box = boxes.setdefault(r["subject"], {"INBOX": {}})
        f = box.setdefault(r["folder"], {})
        if r["note"] == "store.append":
            f[r["uid"]] = [r.get("text", ""), r["flags"]]
        elif r["note"] == "store.flags":
            f[r["uid"]][1] = r["flags"]
        elif r["note"] == "store.expunge":
            del f[r["uid"]]
        elif r["note"] == "store.delete":
            del box[r["folder"]]
        elif r["note"] == "store.rename":
            box[r["text"]] = box.pop(r["folder"])
    return boxes


def test_imap_flags(drv, urls, traces, pages):
    """The state panel shows each IMAP message with its flags at the
    cursor: \\Seen appears on the protocol line the FETCH that set it is
    answered on, not before; \\Flagged after the STORE; and moving back
    takes them away."""
    name = "imap-two-devices"
    trace = traces[name]
    drv.open(urls[name])
    wait_ready(drv)
    lines = lines_of(trace)
    recs = trace["records"]
    seen = next(r for r in recs if r["kind"] == "store" and r["note"] == "store.flags"
                and "\\Seen" in r["flags"])
    flagged = next(r for r in recs if r["kind"] == "store" and r["note"] == "store.flags"
                   and "\\Flagged" in r["flags"])
    mid = next(r["text"] for r in recs if r["kind"] == "store" and r["note"] == "store.append"
               and r["uid"] == seen["uid"] and r["folder"] == seen["folder"])
    owner, folder = seen["subject"], seen["folder"]
    after = next(i + 1 for i, l in enumerate(lines) if l["time_ns"] >= seen["time_ns"])
    # The line the server answers the FETCH with says what the panel shows.
    check("\\Seen" in lines[after - 1]["text"] or "FETCH" in lines[after - 1]["text"],
          "line %d is not the FETCH's: %r" % (after, lines[after - 1]["text"]))
    go_to_line(drv, after - 1)
    got = folder_messages(drv, owner, folder)
    check(got is not None and mid in got, "%s's %s lacks %s before the FETCH: %r"
          % (owner, folder, mid, got))
    check(got[mid][1] == [], "flags before the FETCH: %r" % got[mid][1])
    check(got[mid][0] == seen["uid"], "UID shown %r" % got[mid][0])
    want = store_at(trace, lines[after - 2]["time_ns"])[owner][folder][seen["uid"]]
    check(want[1] == [], "the trace has flags before the FETCH: %r" % want)
    drv.keys("right")
    got = folder_messages(drv, owner, folder)
    check(got[mid][1] == seen["flags"], "after the FETCH the page shows %r, the trace %r"
          % (got[mid][1], seen["flags"]))
    check("\\Seen" in got[mid][2], "\\Seen not written in the panel: %r" % got[mid][2])
    # The STORE +FLAGS (\\Flagged): on its line, both flags.
    n = next(i + 1 for i, l in enumerate(lines) if l["time_ns"] >= flagged["time_ns"])
    drv.js("window.mailsimReport.goToLine(arguments[0]);", n)
    got = folder_messages(drv, owner, folder)
    check(sorted(got[mid][1]) == sorted(flagged["flags"]), "after the STORE: %r" % got[mid][1])
    drv.screenshot("report-%s-flags.png" % name)
    drv.keys("left")
    got = folder_messages(drv, owner, folder)
    check("\\Flagged" not in got[mid][1], "\\Flagged shown before the STORE: %r" % got[mid][1])
    # In Chinese, the flags stay as IMAP writes them.
    drv.click("#b-lang")
    check("\\Seen" in folder_messages(drv, owner, folder)[mid][2], "zh: \\Seen not shown")
    drv.click("#b-lang")


def test_imap_folders(drv, urls, traces, pages):
    """A run with folders: at every tenth line (and the last), each folder
    the page shows holds exactly the messages, UIDs and flags the store
    records give."""
    name = "imap-folders"
    trace = traces[name]
    drv.open(urls[name])
    wait_ready(drv)
    lines = lines_of(trace)
    checked = set()
    for n in list(range(1, len(lines), 10)) + [len(lines)]:
        drv.js("window.mailsimReport.goToLine(arguments[0]);", n)
        t = lines[n - 1]["time_ns"]
        if n == len(lines):
            t = max(t, trace["records"][-1]["time_ns"])
        for owner, box in store_at(trace, t).items():
            for folder, msgs in box.items():
                got = folder_messages(drv, owner, folder)
                check(got is not None, "line %d: %s's folder %s not shown" % (n, owner, folder))
                shown = {v[0]: [k, v[1]] for k, v in got.items()}
                want = {uid: [m[0], m[1]] for uid, m in msgs.items()}
                check(shown == want, "line %d: %s/%s shows %r, the trace says %r"
                      % (n, owner, folder, shown, want))
                if msgs:
                    checked.add(folder)
    check(len(checked) >= 2, "only the folders %r ever held a message" % sorted(checked))


def test_keyboard_only(drv, urls, traces, pages):
    """Everything from the keyboard: Tab reaches the controls with a visible
    focus; ← → step one line wherever the focus is (the slider included;
    Shift moves the slider finely); space plays and pauses."""
    name = "pop3-two-clients"
    trace = traces[name]
    n_lines = len(lines_of(trace))
    drv.open(urls[name])
    wait_ready(drv)
    seen = []
    for _ in range(20):
        drv.keys("tab")
        seen.append(drv.js("return document.activeElement.id;"))
        if seen[-1] == "b-next":
            break
    check(seen[-1] == "b-next", "Tab did not reach the next-line button: %r" % seen)
    ring = drv.js("""
        var e = document.activeElement, s = getComputedStyle(e);
        return [e.matches(':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth)];""")
    check(ring[0] and ring[1] != "none" and ring[2] >= 2, "focus not visible: %r" % ring)
    drv.keys("right", "right", "right", "left")
    check(drv.js("return +document.body.getAttribute('data-line');") == 2, "← → on a button")
    for _ in range(20):
        if drv.js("return document.activeElement.id;") == "slider":
            break
        drv.keys("tab")
    check(drv.js("return document.activeElement.id;") == "slider", "Tab did not reach the slider")
    drv.keys("right")
    check(drv.js("return +document.body.getAttribute('data-line');") == 3, "→ on the slider")
    v0 = drv.js("return +document.getElementById('slider').value;")
    drv.keys("shift+right", "shift+right")
    check(drv.js("return +document.getElementById('slider').value;") == v0 + 2,
          "Shift+→ on the slider does not move it finely")
    check(drv.js("return +document.body.getAttribute('data-line');") == 3, "Shift+→ left the line")
    # ← from between lines 3 and 4 goes back to line 3 itself, then to 2.
    drv.keys("left")
    check(drv.js("return +document.getElementById('slider').value;") == v0, "← back to line 3")
    drv.keys("left")
    check(drv.js("return +document.body.getAttribute('data-line');") == 2, "← on the slider")
    drv.screenshot("report-%s-keyboard.png" % name)
    # Space plays (speed 2 lines a second) and pauses.
    drv.keys("space")
    moved = False
    for _ in range(60):
        time.sleep(0.1)
        if drv.js("return +document.body.getAttribute('data-line');") > 2:
            moved = True
            break
    check(moved, "space did not play")
    drv.keys("space")
    at = drv.js("return +document.body.getAttribute('data-line');")
    time.sleep(1.2)
    check(drv.js("return +document.body.getAttribute('data-line');") == at, "space did not pause")
    check(at < n_lines, "played to the end")


def test_second_client_sees_nothing(drv, urls, traces, pages):
    """POP3 download-and-delete: Bob's laptop, checking after his PC, is
    listed with nothing, and the mailbox shows Bob's copy gone; a message
    sent to Bob and Carol is not shown as fetched from Carol's mailbox by
    Bob's PC."""
    name = "pop3-two-clients"
    trace = traces[name]
    recs, lines = trace["records"], lines_of(trace)
    drv.open(urls[name])
    wait_ready(drv)
    look = next(r for r in recs if r["kind"] == "conn-open" and r["src"] == "bob-laptop")
    n = next(i + 1 for i, l in enumerate(lines) if l["time_ns"] >= look["time_ns"])

    def agent(dev):
        return drv.js("""
            var li = document.querySelector('#copies li[data-agent="' + arguments[0] + '"]');
            return li ? [+li.getAttribute('data-count'), li.textContent] : null;""", dev)
    drv.js("window.mailsimReport.goToLine(arguments[0]);", n - 1)
    check(agent("bob-laptop") is None, "bob-laptop listed before it looked: %r" % agent("bob-laptop"))
    check(agent("bob-pc") is not None and agent("bob-pc")[0] == 1, "bob-pc: %r" % agent("bob-pc"))
    drv.keys("end")
    got = agent("bob-laptop")
    check(got is not None and got[0] == 0 and "nothing" in got[1], "bob-laptop at the end: %r" % got)
    check(fmt_time(look["time_ns"]) in got[1], "when bob-laptop looked is not said: %r" % got[1])
    check(drv.js("""return document.querySelector('#mailboxes .mailbox[data-owner="bob@hamburger.edu"]'
                    + ' .folder[data-folder="INBOX"]').getAttribute('data-count');""") == "0",
          "Bob's mailbox is not empty at the end")
    carol = drv.text('#mailboxes .mailbox[data-owner="carol@hamburger.edu"] li[data-id]')
    check("carol-pc" in carol and "carol-laptop" in carol and "bob-pc" not in carol,
          "who fetched Carol's copy: %r" % carol)
    drv.screenshot("report-%s-end.png" % name)
    drv.click("#b-lang")
    check("什么也没有" in agent("bob-laptop")[1], "zh: %r" % agent("bob-laptop")[1])
    drv.click("#b-lang")


def test_summary_bars(drv, urls, traces, pages):
    """The delay table: one bar per delivery, its length the end-to-end
    delay on one scale (the longest fills the column), and its stages in
    proportion to their delays, in the order the summary gives them."""
    for name in ("pop3-two-clients", "smtp-server-down-retry"):
        trace = traces[name]
        drv.open(urls[name])
        wait_ready(drv)
        for _ in range(100):
            if drv.js("return document.body.getAttribute('data-summary');") == "ready":
                break
            time.sleep(0.05)
        rows = drv.js("""
            return Array.prototype.map.call(document.querySelectorAll('#summary .bar'), function (b) {
              return [b.getBoundingClientRect().width, b.parentNode.getBoundingClientRect().width,
                      Array.prototype.map.call(b.children, function (c) {
                        return [c.className, c.getBoundingClientRect().width]; })];
            });""")
        want = [d for m in trace["summary"]["messages"] for d in m.get("deliveries", [])]
        check(len(rows) == len(want) and rows, "%s: %d bars for %d deliveries"
              % (name, len(rows), len(want)))
        totals = [d["end_to_end_ns"] if "end_to_end_ns" in d
                  else sum(s.get("delay_ns", 0) for s in d.get("stages", [])) for d in want]
        top = max(totals)
        full = max(r[0] for r in rows)
        for (width, cell, parts), total, d in zip(rows, totals, want):
            check(abs(width - full * total / top) <= 2, "%s: bar %.1f px for %d ns (full %.1f px = %d ns)"
                  % (name, width, total, full, top))
            check(full <= cell, "%s: a bar wider than its column" % name)
            stages = d.get("stages", [])
            check([p[0] for p in parts] == ["st-" + s["stage"] for s in stages],
                  "%s: stages %r" % (name, parts))
            for (cls, w), st in zip(parts, stages):
                # Inside the bar's 1-pixel border; a stage too short to see
                # is drawn one pixel wide (the others give way a little).
                exp = (width - 2) * st["delay_ns"] / total if total else 0
                check(abs(w - max(exp, 1)) <= 3, "%s: %s %.1f px, to scale %.1f px"
                      % (name, cls, w, exp))
        said = ("整条宽度 = %s" if drv.js("return window.mailsimReport.lang();") == "zh"
                else "Full width = %s") % fmt_time(top)
        check(said in drv.text("#summary"), "%s: scale not said (%r)" % (name, said))


def test_every_scenario(drv, urls, traces, pages, mailsim, out):
    """Every shipped scenario: its page opens without a script error, steps
    to the end, and there shows the end state trace.json's summary gives
    (each mailbox folder's messages, each queue's length)."""
    names = sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, "scenarios")) if f.endswith(".mss"))
    check(len(names) >= 20, "only %d shipped scenarios found" % len(names))
    bad = []
    for name in names:
        url, trace, _ = run_scenario(mailsim, name, os.path.join(out, "all"))
        drv.open(url)
        wait_ready(drv)
        drv.js("window.mailsimReport.goToLine(1);")
        drv.keys("right", "right", "left")
        drv.keys("end")
        n = len(lines_of(trace))
        got_line = drv.js("return +document.body.getAttribute('data-line');")
        if got_line != n:
            bad.append("%s: End went to line %s of %d" % (name, got_line, n))
        got = drv.js("""
            var out = {boxes: {}, queues: {}};
            document.querySelectorAll('#mailboxes .mailbox').forEach(function (b) {
              b.querySelectorAll('.folder').forEach(function (f) {
                var name = b.getAttribute('data-owner') +
                  (f.getAttribute('data-folder') === 'INBOX' ? '' : '/' + f.getAttribute('data-folder'));
                out.boxes[name] = [+f.getAttribute('data-count'),
                  Array.prototype.map.call(f.querySelectorAll('li[data-id]'),
                                           function (li) { return li.getAttribute('data-id'); })];
              });
            });
            document.querySelectorAll('#queues .queue').forEach(function (q) {
              out.queues[q.getAttribute('data-server')] = +q.getAttribute('data-count');
            });
            return out;""")
        end = trace["summary"]["end_state"]
        for mb in end["mailboxes"]:
            want = [mb["count"], mb["messages"][-LIST_MAX:]]
            shown = got["boxes"].get(mb["name"], [0, []])
            if mb["count"] and shown != want:
                bad.append("%s: %s holds %r at the end, the page shows %r"
                           % (name, mb["name"], want, shown))
            elif not mb["count"] and shown[0] != 0:
                bad.append("%s: %s is empty at the end, the page shows %r" % (name, mb["name"], shown))
        for q in end["queues"]:
            if got["queues"].get(q["server"], 0) != q["count"]:
                bad.append("%s: %s's queue holds %d at the end, the page shows %r"
                           % (name, q["server"], q["count"], got["queues"].get(q["server"])))
        errors = drv.console_errors()
        if errors:
            bad.append("%s: console errors %r" % (name, errors[:3]))
    check(not bad, "; ".join(bad[:6]))


TESTS = [
    ("report/strings_bilingual", lambda drv, urls, traces, pages: test_strings_bilingual(drv, urls)),
    ("report/offline", lambda drv, urls, traces, pages: test_offline(drv, urls)),
    ("report/step_smtp_basic", test_step_smtp_basic),
    ("report/queue_retry_zh", test_queue_retry_zh),
    ("report/click_picture", test_click_picture),
    ("report/unseen_characters_named", test_unseen_characters_named),
    ("report/long_run_model", test_long_run_model),
    ("report/window_note", test_window_note),
    ("report/greyscale", test_greyscale),
    ("report/readable_at_1024", test_readable_at_1024),
    ("report/imap_flags", test_imap_flags),
    ("report/imap_folders", test_imap_folders),
    ("report/keyboard_only", test_keyboard_only),
    ("report/second_client_sees_nothing", test_second_client_sees_nothing),
    ("report/summary_bars", test_summary_bars),
    ("report/every_scenario", test_every_scenario),
]


def main():
    mailsim = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/san/mailsim")
    chromium = find("chromium", "chromium-browser", "google-chrome")
    chromedriver = find("chromedriver")
    if chromium is None or chromedriver is None:
        for name, _ in TESTS:
            print("  skipped: %s needs chromium and chromedriver (Debian: chromium, "
                  "chromium-driver; scripts/deps.sh installs them)" % name)
        print("\nMS-TESTS run=%d failed=0 skipped=%d" % (len(TESTS), len(TESTS)))
        return 0

    def on_signal(signum, frame):
        raise SystemExit("stopped by signal %d" % signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(sig, on_signal)
    signal.alarm(TIMEOUT)

    out = tempfile.mkdtemp(prefix="mailsim-report-")
    urls, traces, pages = {}, {}, {}
    run = failed = 0
    drv = None
    try:
        for name, extra in (("smtp-basic", ()), ("smtp-server-down-retry", ("--lang", "zh")),
                            # one arrow per line: a base64 line is clicked
                            ("mime-picture", ("--view", "full")), (LONG, LONG_ARGS),
                            ("imap-two-devices", ()), ("imap-folders", ()),
                            ("pop3-two-clients", ()), (WINDOW, WINDOW_ARGS), (UNSEEN, ())):
            urls[name], traces[name], pages[name] = run_scenario(mailsim, name, out, *extra)
        drv = Driver(chromium, chromedriver)
        drv.s("POST", "/window/rect", {"width": 1024, "height": 768})
        for name, fn in TESTS:
            run += 1
            try:
                if fn is test_every_scenario:
                    fn(drv, urls, traces, pages, mailsim, out)
                else:
                    fn(drv, urls, traces, pages)
                print("  %-36s ok" % name)
            except Failed as e:
                failed += 1
                print("  %-36s FAILED: %s" % (name, e))
            except Exception:
                failed += 1
                print("  %-36s ERROR" % name)
                traceback.print_exc(file=sys.stdout)
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        failed += 1
        run = max(run, 1)
    finally:
        signal.alarm(0)
        if drv is not None:
            drv.close()
        shutil.rmtree(out, ignore_errors=True)
    print("\nMS-TESTS run=%d failed=%d" % (run, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
