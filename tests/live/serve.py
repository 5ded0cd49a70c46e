"""Starts and stops `mailsim serve` for the live tests: free loopback ports
(port 0, read back from the server's first line), a fresh output
directory, and a stop that checks the server exits cleanly (sanitizers
included) and wrote its outputs."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time


class Server:
    def __init__(self, binary, *args, scenario=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="mailsim-serve-")
        self.out = os.path.join(self.dir, "out")
        cmd = [binary, "serve", "--smtp", "0", "--pop3", "0", "--imap", "0", "--http", "0",
               "-o", self.out] + list(args)
        if scenario:
            cmd.append(scenario)
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        environ = dict(os.environ, **env) if env else None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env=environ)
        self.lines = []
        first = self._line(20)
        m = re.search(r"SMTP (\d+) POP3 (\d+) IMAP (\d+)(?: HTTP (\d+))?", first or "")
        if not m:
            self.kill()
            raise RuntimeError("mailsim serve did not start: %r %s" % (first, self.err()))
        self.smtp, self.pop3, self.imap = int(m.group(1)), int(m.group(2)), int(m.group(3))
        self.http = int(m.group(4)) if m.group(4) else None
        self.stopped = False

    def _line(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stdout.readline()
            if line:
                self.lines.append(line.rstrip("\n"))
                return line
            if self.proc.poll() is not None:
                return None
        return None

    def err(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def connect(self, port, timeout=30):
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=120):
        """Stops the server (sig None: it was signalled already); returns
        (exit code, everything it printed)."""
        if self.stopped:
            return self.rc, self.text
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            rest, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.stopped = True
        self.rc = self.proc.returncode
        self.text = "\n".join(self.lines) + "\n" + (rest or "")
        return self.rc, self.text

    def kill(self):
        """Ends the server if it still runs and removes its folder (the
        tests call it last, in their finally)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True
        if not self.stderr.closed:
            self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def output(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()


class Lines:
    """A raw socket read line by line, as telnet shows it."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                rest, self.buf = self.buf, b""
                return rest.decode("utf-8", "replace")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").rstrip("\r")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def http_content(self):
        """The rest of an HTTP response whose status line was read: its
        field lines, then its content, by Content-Length; returns the
        content and leaves what follows it in the buffer."""
        length = 0
        while True:
            line = self.line()
            if line.lower().startswith("content-length:"):
                length = int(line.split(":")[1])
            if line == "":
                break
        while len(self.buf) < length:
            data = self.sock.recv(65536)
            if not data:
                break
            self.buf += data
        content, self.buf = self.buf[:length], self.buf[length:]
        return content

    def smtp_reply(self):
        """One whole SMTP reply (multi-line 250- included); returns its last line."""
        while True:
            line = self.line()
            if len(line) < 4 or line[3] != "-":
                return line
