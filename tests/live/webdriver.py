"""Just enough of the W3C WebDriver protocol (over HTTP, Python's stdlib
only) to drive Debian's headless chromium through chromedriver."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tools():
    """(chromium, chromedriver) paths, or None when one is missing."""
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    if browser is None or not os.access(driver, os.X_OK):
        return None
    return browser, driver


class Browser:
    def __init__(self):
        browser, driver = tools()
        self.profile = tempfile.mkdtemp(prefix="mailsim-chromium-")
        self.port = free_port()
        self.driver = subprocess.Popen([driver, "--port=%d" % self.port],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(100):
            try:
                self._call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + self.profile]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": browser, "args": args}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read().decode())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError("webdriver %s %s: %s" % (method, path, e.read()[:500]))

    def _s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def go(self, url):
        self._s("POST", "/url", {"url": url})

    def find(self, css):
        return self._s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_xpath(self, xpath):
        return self._s("POST", "/element", {"using": "xpath", "value": xpath})[ELEMENT]

    def type(self, css, text):
        self._s("POST", "/element/%s/value" % self.find(css), {"text": text})

    def click(self, css=None, element=None):
        e = element or self.find(css)
        self._s("POST", "/element/%s/click" % e, {})

    def source(self):
        return self._s("GET", "/source")

    def text(self, css):
        return self._s("GET", "/element/%s/text" % self.find(css))

    def wait_for(self, text, timeout=20):
        """The page source once it holds text (a form's answer may still
        be loading when click returns); the last source if it never does."""
        end = time.time() + timeout
        src = ""
        while time.time() < end:
            try:
                src = self.source()
            except RuntimeError:
                src = ""
            if text in src:
                return src
            time.sleep(0.1)
        return src

    def url(self):
        return self._s("GET", "/url")

    def close(self):
        try:
            self._s("DELETE", "")
        except Exception:
            pass
        self.driver.terminate()
        try:
            self.driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.driver.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
