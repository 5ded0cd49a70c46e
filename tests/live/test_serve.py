#!/usr/bin/env python3
"""Real clients against `mailsim serve`: a raw-socket telnet session, curl,
Python's smtplib/poplib/imaplib, broken and abusive clients, and many at
once.  Each test starts its own server on free loopback ports and stops it.
Usage: test_serve.py MAILSIM [TEST...]; prints one line per test and a last
line "MS-TESTS run=N failed=N skipped=N", skipped ones counted in run
(tests/run-tests.sh reads it)."""
import http.client
import imaplib
import os
import poplib
import re
import selectors
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve import Lines, Server  # noqa: E402

BIN = None
TESTS = []


class Skip(Exception):
    pass


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def stop_clean(srv):
    rc, text = srv.stop()
    check(rc == 0, "serve exited %s: %s %s" % (rc, srv.err()[-3000:], text[-1500:]))
    check("ERROR: AddressSanitizer" not in srv.err(), "sanitizer: " + srv.err()[-3000:])
    return text


def pop3_retr(srv, user, password, n):
    p = poplib.POP3("127.0.0.1", srv.pop3, timeout=30)
    p.user(user)
    p.pass_(password)
    resp, lines, octets = p.retr(n)
    p.quit()
    return lines


def body_start(lines):
    """Where the header of a message as poplib gives it ends."""
    return lines.index(b"")


def body_of(lines):
    """The body (after the first empty line) of a message as poplib gives it
    (dot-stuffing undone, lines without ends)."""
    i = lines.index(b"")
    return lines[i + 1:]


@test
def telnet_session_bare_lf_lowercase_pipelined():
    srv = Server(BIN)
    try:
        s = Lines(srv.connect(srv.smtp))
        check(s.line().startswith("220 "), "greeting")
        # A bare LF is refused (RFC 5321 2.3.8), and the session goes on.
        s.send("helo student\n")
        check(s.smtp_reply().startswith("500"), "bare LF is answered 500")
        # Lower case, and pipelined: every command in one write.
        s.send("ehlo student\r\nmail from:<alice@crepes.fr>\r\nrcpt to:<bob@hamburger.edu>\r\n"
               "data\r\n")
        check(s.smtp_reply().startswith("250 "), "ehlo")
        check(s.smtp_reply().startswith("250"), "mail")
        check(s.smtp_reply().startswith("250"), "rcpt")
        check(s.smtp_reply().startswith("354"), "data")
        s.send("Subject: dots\r\n\r\n..leading dot\r\nplain\r\n...\r\n.\r\nquit\r\n")
        check(s.smtp_reply().startswith("250"), "message accepted")
        check(s.smtp_reply().startswith("221"), "quit")
        s.sock.close()
        body = body_of(pop3_retr(srv, "bob", "hungry", 1))
        check(body == [b".leading dot", b"plain", b".."], "dot-stuffing undone: %r" % body)
        text = stop_clean(srv)
        check("open  [" in text and "close [" in text, "a line per session: " + text)
        t = srv.output("transcript.txt")
        check("C: mail from:<alice@crepes.fr>" in t, "the client's lines are recorded")
        check("C: helo student<LF>" in t or "helo student" in t, "the bare-LF line is recorded")
        check("S: 354" in t and "POP3" in t, "replies and the POP3 session recorded")
        for name in ("summary.txt", "trace.json", "transcript.md", "report.html"):
            check(os.path.getsize(os.path.join(srv.out, name)) > 0, name)
    finally:
        srv.kill()


@test
def smtp_smuggling_in_one_write():
    """A "." after a bare LF is not CRLF.CRLF (RFC 5321 4.1.1.4): the text
    is refused, the session closed, and the second message written after
    it in the same write never becomes one (CVE-2023-51764)."""
    srv = Server(BIN)
    try:
        s = Lines(srv.connect(srv.smtp))
        check(s.line().startswith("220 "), "greeting")
        s.send("EHLO student\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
               "DATA\r\n")
        for what in ("ehlo", "mail", "rcpt", "data"):
            check(s.smtp_reply()[:1] in "23", what)
        s.send("Subject: one\r\n\r\nfirst\r\n.\nMAIL FROM:<mallory@crepes.fr>\r\n"
               "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\nSubject: smuggled\r\n\r\nsecond\r\n"
               ".\r\nQUIT\r\n")
        check(s.smtp_reply().startswith("554 5.6.0"), "the text is refused")
        check(s.smtp_reply().startswith("421 4.5.0"), "then 421")
        check(s.line() == "", "and the connection closed, nothing more answered")
        s.sock.close()
        p = poplib.POP3("127.0.0.1", srv.pop3, timeout=30)
        p.user("bob")
        p.pass_("hungry")
        check(p.stat()[0] == 0, "no message, smuggled or not, reached bob")
        p.quit()
        stop_clean(srv)
    finally:
        srv.kill()


@test
def quoted_local_part_is_the_same_mailbox():
    # RFC 5321 4.1.2, RFC 5322 3.4.1: "bob"@ and bob@ name one mailbox.
    srv = Server(BIN, "-q")
    try:
        s = Lines(srv.connect(srv.smtp))
        check(s.line().startswith("220 "), "greeting")
        s.send("HELO student\r\n")
        check(s.smtp_reply().startswith("250"), "helo")
        s.send('MAIL FROM:<"alice"@crepes.fr>\r\n')
        check(s.smtp_reply().startswith("250"), "mail")
        s.send('RCPT TO:<"bob"@hamburger.edu>\r\n')
        reply = s.smtp_reply()
        check(reply.startswith("250"), "the quoted recipient is bob: %r" % reply)
        s.send('RCPT TO:<"bob smith"@hamburger.edu>\r\n')
        check(s.smtp_reply().startswith("550"), "a local part that needs its quotes is another")
        s.send("DATA\r\n")
        check(s.smtp_reply().startswith("354"), "data")
        s.send("Subject: quoted\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        check(s.smtp_reply().startswith("250"), "accepted")
        check(s.smtp_reply().startswith("221"), "quit")
        lines = pop3_retr(srv, "bob", "hungry", 1)
        check(b"Subject: quoted" in lines, "in bob's mailbox: %r" % lines)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def submission_without_date_gets_one():
    # RFC 6409 8.2: the submission server adds a missing Date (and 8.3 a
    # missing Message-ID); a Date the client wrote is kept, alone.
    srv = Server(BIN, "-q")
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=30) as c:
            c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"],
                       "Subject: no date\r\n\r\nhi\r\n")
            c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"],
                       "Date: Thu, 1 Jan 2015 00:00:00 +0000\r\nSubject: dated\r\n\r\nhi\r\n")
        first = pop3_retr(srv, "bob", "hungry", 1)
        dates = [l for l in first[:body_start(first)] if l.startswith(b"Date: ")]
        check(len(dates) == 1 and re.match(rb"Date: \w{3}, \d{1,2} \w{3} \d{4} ", dates[0]),
              "one Date added: %r" % first)
        check(any(l.startswith(b"Message-ID: ") for l in first), "and a Message-ID")
        second = pop3_retr(srv, "bob", "hungry", 2)
        dates = [l for l in second[:body_start(second)] if l.startswith(b"Date: ")]
        check(dates == [b"Date: Thu, 1 Jan 2015 00:00:00 +0000"], "the client's kept: %r" % dates)
        m = imaplib.IMAP4("127.0.0.1", srv.imap, timeout=30)
        m.login("bob", "hungry")
        m.select("INBOX")
        typ, data = m.fetch("1", "(ENVELOPE)")
        check(typ == "OK" and b"ENVELOPE (NIL" not in data[0], "ENVELOPE has a date: %r" % data)
        m.logout()
        stop_clean(srv)
    finally:
        srv.kill()


@test
def python_smtplib_poplib_imaplib():
    srv = Server(BIN)
    try:
        msg = ("From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: Ketchup\r\n\r\n"
               "Do you like ketchup?\r\n.How about pickles?\r\n")
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=30) as c:
            c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], msg)
        lines = pop3_retr(srv, "bob", "hungry", 1)
        check(body_of(lines) == [b"Do you like ketchup?", b".How about pickles?"],
              "POP3 body: %r" % lines)
        # RFC 5321 4.4: the client, known by its address, as a literal.
        check(lines[1].startswith(b"Received: from ") and b"([127.0.0.1])" in lines[1],
              "Received: names the client's address as a literal: %r" % lines[:3])
        m = imaplib.IMAP4("127.0.0.1", srv.imap, timeout=30)
        m.login("bob", "hungry")
        typ, data = m.select("INBOX")
        check(typ == "OK" and data[0] == b"1", "one message: %r" % data)
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
        check(typ == "OK", "fetch")
        check(data[0][1] == b"Do you like ketchup?\r\n.How about pickles?\r\n",
              "IMAP body byte for byte: %r" % data[0][1])
        typ, _ = m.store("1", "+FLAGS", "(\\Flagged)")
        check(typ == "OK", "store")
        typ, _ = m.create("Saved")
        check(typ == "OK", "create")
        typ, _ = m.copy("1", "Saved")
        check(typ == "OK", "copy")
        m.logout()
        # Wrong password: refused, and the server goes on.
        try:
            p = poplib.POP3("127.0.0.1", srv.pop3, timeout=30)
            p.user("bob")
            p.pass_("wrong")
            check(False, "a wrong password is refused")
        except poplib.error_proto:
            pass
        stop_clean(srv)
        t = srv.output("transcript.txt")
        check("IMAP" in t and "LOGIN" in t.upper(), "IMAP recorded")
    finally:
        srv.kill()


@test
def relay_inside_the_world():
    # Mail for crepes.fr leaves hamburger.edu by simulated SMTP, with its
    # simulated delays, and lands in alice's mailbox there.
    srv = Server(BIN)
    try:
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=30) as c:
            c.sendmail("bob@hamburger.edu", ["alice@crepes.fr"],
                       "Subject: hi\r\n\r\nrelayed\r\n")
        time.sleep(1.5)
        stop_clean(srv)
        t = srv.output("transcript.txt")
        check("crepes.fr:25" in t, "a simulated SMTP connection to crepes.fr")
        check("placed in alice@crepes.fr's mailbox" in t, "delivered to alice: " + t[-2000:])
    finally:
        srv.kill()


@test
def curl_smtp_pop3_imap():
    if shutil.which("curl") is None:
        raise Skip("curl is not installed (scripts/deps.sh installs it)")
    srv = Server(BIN)
    try:
        mail = b"Subject: curl\r\n\r\nfrom curl\r\n.dot line\r\n"
        r = subprocess.run(["curl", "-sS", "--max-time", "30", "smtp://127.0.0.1:%d" % srv.smtp,
                            "--mail-from", "alice@crepes.fr", "--mail-rcpt",
                            "bob@hamburger.edu", "-T", "-"], input=mail, capture_output=True)
        check(r.returncode == 0, "curl smtp: %r" % r.stderr)
        r = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", "bob:hungry",
                            "pop3://127.0.0.1:%d/1" % srv.pop3], capture_output=True)
        check(r.returncode == 0, "curl pop3: %r" % r.stderr)
        check(r.stdout.endswith(b"\r\nfrom curl\r\n.dot line\r\n"), "pop3 %r" % r.stdout)
        r = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", "bob:hungry",
                            "imap://127.0.0.1:%d/INBOX;UID=1" % srv.imap], capture_output=True)
        check(r.returncode == 0, "curl imap: %r" % r.stderr)
        check(r.stdout.endswith(b"\r\nfrom curl\r\n.dot line\r\n"), "imap %r" % r.stdout)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def abrupt_disconnect_mid_data():
    srv = Server(BIN)
    try:
        s = Lines(srv.connect(srv.smtp))
        s.line()
        s.send("EHLO x\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n")
        for _ in range(4):
            s.smtp_reply()
        s.send("Subject: half\r\n\r\nhalf a mess")
        s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sock.close()  # RST
        time.sleep(0.3)
        # Nothing was delivered, and the server still serves.
        p = poplib.POP3("127.0.0.1", srv.pop3, timeout=30)
        p.user("bob")
        p.pass_("hungry")
        count, _ = p.stat()
        p.quit()
        check(count == 0, "a message cut short is not delivered (%d)" % count)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def oversized_lines():
    srv = Server(BIN)
    try:
        s = Lines(srv.connect(srv.smtp))
        s.line()
        s.send("HELO " + "x" * 600 + "\r\n")
        check(s.smtp_reply().startswith("500"), "a 600-octet command is too long (RFC 5321)")
        s.send("NOOP\r\n")
        check(s.smtp_reply().startswith("250"), "the session goes on")
        s.send("y" * (200 * 1024))  # no line end at all
        reply = s.smtp_reply()
        check(reply.startswith("421") and "line too long" in reply, "cut off: %r" % reply)
        check(s.line() == "", "and closed")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def message_text_is_no_command():
    # 120,000 short lines (360 KB, far below SIZE): a message's text and an
    # IMAP literal do not count as commands, whose number per session is
    # bounded.
    srv = Server(BIN, "-q", "--format", "txt")
    try:
        text = b"Subject: x\r\n\r\n" + b"a\r\n" * 120000
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=120) as c:
            c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], text)
        m = imaplib.IMAP4("127.0.0.1", srv.imap, timeout=120)
        m.login("bob", "hungry")
        typ, data = m.append("INBOX", None, None, text)
        check(typ == "OK", "APPEND of 120,000 lines: %r" % data)
        typ, data = m.select("INBOX")
        check(data[0] == b"2", "two messages: %r" % data)
        typ, data = m.fetch("2", "(RFC822.SIZE)")
        check(b"RFC822.SIZE %d" % len(text) in data[0], "all of it: %r" % data)
        m.logout()
        stop_clean(srv)
    finally:
        srv.kill()


@test
def message_text_far_past_size_is_cut_off():
    # A message's text is bounded by SIZE: a little past it gets 552 after
    # the final dot; far past it (twice), the client is cut off.
    scenario = os.path.join(tempfile.mkdtemp(prefix="mailsim-sc-"), "small.mss")
    with open(scenario, "w") as f:
        f.write("server hamburger.edu domain hamburger.edu max-size 10KiB\n"
                "agent bob-pc user bob@hamburger.edu server hamburger.edu password hungry\n"
                "link bob-pc hamburger.edu latency 2ms bandwidth 10Mbit\n")
    srv = Server(BIN, scenario=scenario)
    try:
        s = Lines(srv.connect(srv.smtp))
        s.line()
        s.send("EHLO x\r\nMAIL FROM:<bob@hamburger.edu>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
               "DATA\r\n")
        for _ in range(4):
            s.smtp_reply()
        s.send("Subject: big\r\n\r\n" + ("b" * 70 + "\r\n") * 200 + ".\r\n")
        check(s.smtp_reply().startswith("552"), "a little past SIZE: 552")
        s.send("MAIL FROM:<bob@hamburger.edu>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n")
        for _ in range(3):
            s.smtp_reply()
        try:
            s.send(("c" * 70 + "\r\n") * 400)
        except OSError:
            pass
        reply = s.smtp_reply()
        check(reply.startswith("421") and "far larger than the SIZE limit" in reply,
              "cut off: %r" % reply)
        stop_clean(srv)
    finally:
        srv.kill()
        shutil.rmtree(os.path.dirname(scenario), ignore_errors=True)


@test
def imap_literal_lines_are_not_lines():
    # RFC 9051 4.3: a literal's octets are no line; a 99,977-octet line in
    # one is not "line too long", and the transcript marks the literal.
    srv = Server(BIN, "-q", "--format", "txt")
    try:
        s = Lines(srv.connect(srv.imap))
        check(s.line().startswith("* OK"), "greeting")
        s.send("a LOGIN bob hungry\r\nb APPEND INBOX {100000}\r\n")
        check(s.line().startswith("a OK"), "logged in")
        check(s.line().startswith("+ "), "literal invited")
        body = b"Subject: wide\r\n\r\n" + b"w" * 99981 + b"\r\n"
        check(len(body) == 100000, "the literal's size")
        s.send(body + b"\r\n")
        reply = s.line()
        check(reply.startswith("b OK"), "appended: %r" % reply)
        # A literal whose octets end without a line end, then the command
        # line goes on after it (RFC 9051 4.3).
        s.send("c LOGIN {3}\r\n")
        check(s.line().startswith("+ "), "literal invited")
        s.send("bob {6}\r\n")
        check(s.line().startswith("+ "), "second literal invited")
        s.send("hungry\r\n")
        check(s.line().startswith("c "), "the command was read whole")
        s.send("d LOGOUT\r\n")
        stop_clean(srv)
        t = srv.output("transcript.txt")
        check("line too long" not in t, "not cut off")
        # Each literal's last octets with the rest of its command line.
        check("C: bob {6}" in t and "C: hungry\n" in t, "the LOGIN literals as sent")
    finally:
        srv.kill()


@test
def imap_literal_before_login_is_small():
    # Before LOGIN a literal may hold 8 KiB (credentials), not the 10 MiB
    # of an APPEND: a larger one gets a tagged BAD [TOOBIG] at once, with
    # no "+" for a synchronizing one (RFC 9051 7.1, 7.5), and the session
    # goes on; a non-synchronizing one (RFC 7888), whose octets come
    # anyway, is answered BAD and BYE and the connection closed, however
    # many octets follow.  After LOGIN the large literal is taken.
    srv = Server(BIN, "-q")
    try:
        s = Lines(srv.connect(srv.imap))
        check(s.line().startswith("* OK"), "greeting")
        s.send(b"b LOGIN {9000000+}\r\n" + b"x" * 65536)
        reply = s.line()
        check(reply.startswith("b BAD [TOOBIG]"), "a non-synchronizing one refused: %r" % reply)
        check(s.line().startswith("* BYE Literal too large"), "and the connection closed")
        s = Lines(srv.connect(srv.imap))
        check(s.line().startswith("* OK"), "greeting")
        s.send("a LOGIN {8193}\r\n")
        reply = s.line()
        check(reply.startswith("a BAD [TOOBIG]") and "before authentication" in reply,
              "a synchronizing literal refused: %r" % reply)
        # At the bound it is taken (and the login refused: no such user).
        s.send(b"c LOGIN {8192+}\r\n" + b"y" * 8192 + b" hungry\r\n")
        reply = s.line()
        check(reply.startswith("c NO"), "8192 octets taken: %r" % reply)
        s.send("d LOGIN bob hungry\r\ne APPEND INBOX {9000}\r\n")
        check(s.line().startswith("d OK"), "logged in")
        check(s.line().startswith("+ "), "after login the literal is invited")
        s.send(b"Subject: big\r\n\r\n" + b"z" * 8982 + b"\r\n" + b"\r\n")
        reply = s.line()
        check(reply.startswith("e OK"), "appended: %r" % reply)
        s.send("f LOGOUT\r\n")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def imap_zero_length_literal_is_invited():
    # RFC 3501 7.5 (RFC 9051 7.5): a client sends nothing more of the
    # command before "+", even for "{0}": the server must say it.
    srv = Server(BIN, "-q")
    try:
        s = Lines(srv.connect(srv.imap))
        check(s.line().startswith("* OK"), "greeting")
        s.send("a LOGIN bob {0}\r\n")
        check(s.line().startswith("+ "), "the continuation for {0} before LOGIN")
        s.send("\r\n")
        check(s.line().startswith("a NO"), "an empty password refused")
        s.send("b LOGIN bob hungry\r\nc APPEND INBOX {0}\r\n")
        check(s.line().startswith("b OK"), "logged in")
        check(s.line().startswith("+ "), "the continuation for {0} in APPEND")
        s.send("\r\n")
        reply = s.line()
        check(reply.startswith("c NO"), "an empty message refused: %r" % reply)
        s.send("d LOGOUT\r\n")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def idle_client_is_cut_off_and_others_go_on():
    srv = Server(BIN, "--idle", "1s")
    try:
        silent = Lines(srv.connect(srv.smtp))
        check(silent.line().startswith("220"), "greeting")
        p = Lines(srv.connect(srv.pop3))
        check(p.line().startswith("+OK"), "pop3 greeting")
        p.send("USER bob\r\n")
        check(p.line().startswith("+OK"), "USER answered while the other is silent")
        reply = silent.smtp_reply()
        check(reply.startswith("421") and "idle" in reply, "told why: %r" % reply)
        check(silent.line() == "", "closed")
        stop_clean(srv)
        check("cut off: idle" in srv.text, "the session line says why")
    finally:
        srv.kill()


@test
def http_idle_and_long_lines():
    # RFC 9112 9.6: an idle keep-alive connection is closed without a word;
    # 408 when a request was begun.  A request line or field line past the
    # transport's 64 KiB gets 414 / 431 as one past 8,000 octets does, not
    # 503 (which tells a client to retry).
    srv = Server(BIN, "--idle", "1s")
    try:
        h = Lines(srv.connect(srv.http))
        h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        check(h.line().startswith("HTTP/1.1 200"), "a page")
        h.sock.settimeout(30)
        h.http_content()
        rest = h.buf
        while True:
            data = h.sock.recv(65536)
            if not data:
                break
            rest += data
        check(rest == b"", "closed without a word after the page: %r" % rest[-300:])
        h = Lines(srv.connect(srv.http))
        h.send("GET / HTTP/1.1\r\nHost: x\r\n")
        check(h.line().startswith("HTTP/1.1 408"), "a request begun: 408")
        # Dated like every response (RFC 9110 6.6.1).
        check(re.match(r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$", h.line()),
              "the 408 page has a Date")
        for what, data, status in (
                ("request line", b"GET /" + b"a" * (70 * 1024) + b" HTTP/1.1\r\n\r\n", "414"),
                ("field line", b"GET / HTTP/1.1\r\nX-Long: " + b"b" * (70 * 1024) + b"\r\n\r\n",
                 "431"),
                ("request line without end", b"GET /" + b"a" * (70 * 1024), "414")):
            h = Lines(srv.connect(srv.http))
            try:
                h.send(data)
            except OSError:
                pass
            line = h.line()
            check(line.startswith("HTTP/1.1 " + status), "%s: %r" % (what, line))
        stop_clean(srv)
    finally:
        srv.kill()


def http_fields(h):
    """The field lines of an HTTP response whose status line was read, up to
    the empty line, lower-cased names; leaves the content in the buffer."""
    fields = []
    while True:
        line = h.line()
        if line == "":
            return fields
        fields.append(line.lower())


@test
def http10_keep_alive_is_said():
    # RFC 9112 9.3, Appendix C.2.2: an HTTP/1.0 client keeps the connection
    # only when the response says keep-alive; the server that keeps it says
    # so, and the next request on it is answered.
    srv = Server(BIN, "-q")
    try:
        h = Lines(srv.connect(srv.http))
        for i in range(2):
            h.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            check(h.line().startswith("HTTP/1.1 200"), "page %d" % i)
            fields = http_fields(h)
            check("connection: keep-alive" in fields, "keep-alive said: %r" % fields)
            n = [int(f.split(":")[1]) for f in fields if f.startswith("content-length:")][0]
            while len(h.buf) < n:
                h.buf += h.sock.recv(65536)
            h.buf = h.buf[n:]
        h.send("GET / HTTP/1.0\r\n\r\n")
        check(h.line().startswith("HTTP/1.1 200"), "a last page")
        check("connection: close" in http_fields(h), "without keep-alive: close")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def http_options_asterisk():
    # RFC 9110 9.3.7: OPTIONS * asks about the server in general: 200 with
    # Allow, no content; the connection goes on.
    srv = Server(BIN, "-q")
    try:
        h = Lines(srv.connect(srv.http))
        h.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        line = h.line()
        check(line.startswith("HTTP/1.1 200"), "200, not 404: %r" % line)
        fields = http_fields(h)
        check("allow: get, head, post, options" in fields, "Allow: %r" % fields)
        check("content-length: 0" in fields, "no content: %r" % fields)
        h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        check(h.line().startswith("HTTP/1.1 200"), "the connection goes on")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def http_request_deadline():
    # A client that trickles its request an octet at a time never lets the
    # idle timer fire; the request deadline answers 408 (RFC 9110 15.5.9)
    # and closes, for a head or a content not in whole in time.  The clock
    # starts again with each request of a keep-alive connection.
    srv = Server(BIN, "--request-timeout", "2s", "--idle", "1min")
    try:
        for what, start, drip in (
                ("head", b"GET / HTTP/1.1\r\n", b"X-Slow: " + b"a" * 200),
                ("content", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n",
                 b"u" * 100)):
            h = Lines(srv.connect(srv.http))
            h.sock.settimeout(0.25)
            h.send(start)
            t0 = time.time()
            got = b""
            for octet in drip:
                try:
                    h.send(bytes([octet]))
                except OSError:
                    break
                try:
                    data = h.sock.recv(65536)
                    got += data
                    if not data or b"\r\n\r\n" in got:
                        break
                except socket.timeout:
                    pass
            took = time.time() - t0
            check(got.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), "%s: 408: %r" % (what, got))
            check(1.5 < took < 8, "%s: at the deadline, not the idle time: %.1f s" % (what, took))
            h.sock.close()
        # Two whole requests 2.5 s apart on one connection: each in time.
        h = Lines(srv.connect(srv.http))
        for i in range(2):
            if i:
                time.sleep(2.5)
            h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            check(h.line().startswith("HTTP/1.1 200"), "request %d answered" % (i + 1))
            h.http_content()
        h.sock.close()
        stop_clean(srv)
        check(srv.text.count("cut off: the request did not arrive whole in 2 s") == 2,
              "the session lines say why: " + srv.text[-2000:])
    finally:
        srv.kill()


@test
def http_408_has_its_note():
    # The 408 a half-sent request gets is explained in the transcript as
    # the other statuses are, in English and in Chinese, not as "a status
    # line" of no particular meaning.
    for lang, note in (("C.UTF-8", "↳ 408 Request Timeout: the request did not arrive whole"
                                   " in time; the connection closes\n"),
                       ("zh_CN.UTF-8", "↳ 408 Request Timeout：请求未能及时完整到达；连接随之关闭\n")):
        srv = Server(BIN, "-q", "--idle", "1s", env={"LC_ALL": lang})
        try:
            h = Lines(srv.connect(srv.http))
            h.send("GET / HTTP/1.1\r\nHost: x\r\n")
            check(h.line().startswith("HTTP/1.1 408"), "a request begun: 408")
            stop_clean(srv)
            t = srv.output("transcript.txt")
            check("S: HTTP/1.1 408 Request Timeout\n" in t, "the 408 is recorded")
            check(note in t, "%s: the 408's own note: %s" % (lang, t[-1500:]))
        finally:
            srv.kill()


@test
def sessions_per_client_address():
    srv = Server(BIN, "--max-per-client", "2")
    try:
        a = Lines(srv.connect(srv.smtp))
        b = Lines(srv.connect(srv.pop3))
        check(a.line().startswith("220") and b.line().startswith("+OK"), "two are served")
        c = Lines(srv.connect(srv.smtp))
        reply = c.smtp_reply()
        check(reply.startswith("421") and "too many sessions" in reply, "third: %r" % reply)
        a.send("QUIT\r\n")
        a.smtp_reply()
        stop_clean(srv)
    finally:
        srv.kill()


@test
def refused_ones_hold_no_place():
    # Connections refused as "too many from your address" stay open until
    # their client closes; they must not count against --max-sessions, or
    # one address could lock every other one out.
    srv = Server(BIN, "--max-sessions", "4", "--max-per-client", "2")
    socks = []
    try:
        def from_(addr):
            s = socket.create_connection(("127.0.0.1", srv.smtp), timeout=30,
                                         source_address=(addr, 0))
            socks.append(s)
            return Lines(s)
        for _ in range(2):
            check(from_("127.0.0.2").line().startswith("220"), "served")
        for _ in range(6):
            reply = from_("127.0.0.2").smtp_reply()
            check(reply.startswith("421"), "refused: %r" % reply)
        other = from_("127.0.0.3").smtp_reply()
        check(other.startswith("220"), "another address is served: %r" % other)
        stop_clean(srv)
    finally:
        for s in socks:
            s.close()
        srv.kill()


def many_sessions(srv, n):
    """n SMTP sessions at once, driven by one selector; returns the
    seconds each took."""
    sel = selectors.DefaultSelector()
    script = [b"EHLO c%d\r\n", b"MAIL FROM:<alice@crepes.fr>\r\n",
              b"RCPT TO:<bob@hamburger.edu>\r\n", b"DATA\r\n",
              b"Subject: n%d\r\n\r\nmessage %d\r\n.\r\n", b"QUIT\r\n"]
    state = {}
    for i in range(n):
        s = srv.connect(srv.smtp)
        s.setblocking(False)
        state[s] = {"i": i, "step": -1, "buf": b"", "t0": time.time(), "done": None}
        sel.register(s, selectors.EVENT_READ)
    deadline = time.time() + 120
    left = n
    while left and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            data = s.recv(65536)
            if not data:
                sel.unregister(s)
                s.close()
                left -= 1
                st["done"] = time.time()
                continue
            st["buf"] += data
            while b"\r\n" in st["buf"]:
                line, st["buf"] = st["buf"].split(b"\r\n", 1)
                if line[3:4] == b"-":
                    continue
                st["step"] += 1
                if st["step"] < len(script):
                    cmd = script[st["step"]]
                    cmd = cmd % ((st["i"],) * cmd.count(b"%d"))
                    s.setblocking(True)
                    s.sendall(cmd)
                    s.setblocking(False)
    check(left == 0, "%d of %d sessions unfinished" % (left, n))
    check(all(st["step"] == len(script) for st in state.values()), "every session completed")
    return [st["done"] - st["t0"] for st in state.values()]


@test
def two_hundred_concurrent_sessions():
    # A text diagram: drawing 200 sessions as SVG under the sanitizers
    # would take most of the test's time.
    srv = Server(BIN, "--max-per-client", "300", "-q", "--format", "txt")
    try:
        many_sessions(srv, 200)
        p = poplib.POP3("127.0.0.1", srv.pop3, timeout=60)
        p.user("bob")
        p.pass_("hungry")
        count, _ = p.stat()
        p.quit()
        check(count == 200, "200 messages delivered (%d)" % count)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def short_of_memory():
    # A limit below what the server already holds: newcomers are refused,
    # each told why in its protocol, and the server goes on.
    srv = Server(BIN, "--max-memory", "1MiB")
    try:
        s = Lines(srv.connect(srv.smtp))
        reply = s.smtp_reply()
        check(reply.startswith("421") and "short of memory" in reply, "smtp: %r" % reply)
        p = Lines(srv.connect(srv.pop3))
        reply = p.line()
        check(reply.startswith("-ERR") and "short of memory" in reply, "pop3: %r" % reply)
        check(p.line() == "", "closed")
        stop_clean(srv)
        check("refused: the server is short of memory" in srv.text, "the session line says so")
    finally:
        srv.kill()


@test
def imap_idle_hears_of_new_mail():
    # RFC 2177: a client idling on INBOX is told at once of mail that a
    # real SMTP client delivers.
    srv = Server(BIN)
    try:
        i = Lines(srv.connect(srv.imap))
        check(i.line().startswith("* OK"), "greeting")
        i.send("a1 login bob hungry\r\na2 select INBOX\r\na3 idle\r\n")
        while True:
            line = i.line()
            check(line != "", "the session stays open")
            if line.startswith("+ "):
                break
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=30) as c:
            c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], "Subject: push\r\n\r\nnew\r\n")
        check(i.line() == "* 1 EXISTS", "told of the new message")
        i.send("DONE\r\na4 logout\r\n")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def garbage_on_every_port():
    # Random bytes (NULs, bare CRs, huge literals, half requests), then an
    # abrupt close, on every port: the server answers or cuts off, never
    # crashes (the sanitizer build is watching), and still serves.
    import random
    rnd = random.Random(11)
    srv = Server(BIN)
    try:
        nasty = [b"\x00\xff\r\r\n", b"a1 LOGIN {99999999}\r\n", b"GET / HTTP/1.1\r\nContent-Length: 5000000\r\n\r\nab",
                 b"DATA\r\n" * 50, b"\r\n" * 300, b"USER " + b"x" * 5000 + b"\n",
                 b"a1 APPEND INBOX {20}\r\n12345", b"POST /login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]
        for port in (srv.smtp, srv.pop3, srv.imap, srv.http):
            for k in range(6):
                c = srv.connect(port)
                data = rnd.choice(nasty) + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 3000)))
                try:
                    c.sendall(data)
                    c.settimeout(0.2)
                    c.recv(65536)
                except OSError:
                    pass
                c.close()
        with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=30) as m:
            m.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], "Subject: after\r\n\r\nstill here\r\n")
        check(body_of(pop3_retr(srv, "bob", "hungry", 1)) == [b"still here"], "still serves")
        stop_clean(srv)
    finally:
        srv.kill()


@test
def shutdown_tells_open_sessions():
    srv = Server(BIN)
    try:
        s = Lines(srv.connect(srv.imap))
        check(s.line().startswith("* OK"), "imap greeting")
        rc, text = srv.stop()
        check(rc == 0, "exit 0")
        reply = s.line()
        check(reply.startswith("* BYE") and "shutting down" in reply, "told: %r" % reply)
        check("* BYE" in srv.output("transcript.txt"), "recorded")
    finally:
        srv.kill()


@test
def second_signal_while_writing_outputs():
    # GNU timeout signals the server and then its whole process group, so a
    # second SIGTERM (or an impatient second Ctrl-C) comes while the outputs
    # are being written: it is ignored, the outputs are completed, and no
    # staging folder is left behind.
    srv = Server(BIN, "-q", "--format", "txt")
    try:
        text = "Subject: long\r\n\r\n" + "a\r\n" * 60000
        for _ in range(2):
            with smtplib.SMTP("127.0.0.1", srv.smtp, timeout=60) as c:
                c.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], text)
        srv.proc.send_signal(signal.SIGTERM)
        line = srv._line(60)
        while line is not None and "writing outputs" not in line:
            line = srv._line(60)
        check(line is not None, "the server said it writes its outputs: %s" % srv.err()[-2000:])
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.send_signal(signal.SIGINT)
        rc, out = srv.stop(sig=None)
        check(rc == 0, "exit %s after a second signal: %s %s" % (rc, srv.err()[-2000:], out[-1000:]))
        left = sorted(os.listdir(srv.out))
        check(not any(n.startswith(".mailsim-") for n in left), "staging folder left: %r" % left)
        for name in ("transcript.txt", "summary.txt", "trace.json", "report.html"):
            check(name in left, "%s written: %r" % (name, left))
    finally:
        srv.kill()


@test
def bad_command_lines():
    for args, what in ((["--smtp", "70000"], "port"), (["--duration", "soon"], "duration"),
                       (["--server", "nowhere.org"], "server"),
                       (["--listen", "not-an-address"], "listen")):
        with tempfile.TemporaryDirectory() as cwd:
            r = subprocess.run([BIN, "serve"] + args, capture_output=True, text=True,
                               timeout=60, cwd=cwd)
            # A command line that fails leaves nothing behind.
            check(os.listdir(cwd) == [], "%s: left %s" % (what, os.listdir(cwd)))
        check(r.returncode == 2, "%s: exit %d %s" % (what, r.returncode, r.stderr))
        check("mailsim:" in r.stderr, "%s: says why: %s" % (what, r.stderr))


@test
def durations_as_in_a_scenario():
    # --duration, --idle and --request-timeout read durations as a
    # scenario does: "0.05min" is 3 s, and the server stops by itself.
    # "40m" is no duration there either (minutes or a slip for "40ms"?):
    # refused, saying what was meant.
    for option in ("--duration", "--idle", "--request-timeout"):
        r = subprocess.run([BIN, "serve", option, "40m"], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 2, "%s 40m: exit %d %s" % (option, r.returncode, r.stderr))
        check("mailsim: %s: expected a duration such as 40ms or 2s, found '40m'" % option
              in r.stderr and "did you mean '40min' (minutes) or '40ms' (milliseconds)?"
              in r.stderr, "%s 40m: says why: %s" % (option, r.stderr))
    srv = Server(BIN, "-q", "--duration", "0.05min", "--idle", "1.5min",
                 "--request-timeout", "90s")
    try:
        t0 = time.time()
        rc, text = srv.stop(sig=None, timeout=60)
        took = time.time() - t0
        check(rc == 0, "stopped by itself: %s %s" % (rc, srv.err()[-2000:]))
        check(1.5 < took < 30, "after about 3 s: %.1f s" % took)
    finally:
        srv.kill()


@test
def web_mail_sent_by_http_says_so():
    """A message sent from the web-mail form carries the server's trace
    line for the HTTP hop, the client named by its address literal."""
    srv = Server(BIN)
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.http, timeout=30)
        form = urllib.parse.urlencode({"user": "bob", "password": "hungry"})
        c.request("POST", "/login", form,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        cookie = r.getheader("Set-Cookie", "").split(";")[0]
        check(r.status in (302, 303) and cookie, "logged in: %d %r" % (r.status, cookie))
        form = urllib.parse.urlencode({"to": "bob@hamburger.edu", "subject": "Web",
                                       "body": "sent from a form"})
        c.request("POST", "/send", form,
                  {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        r = c.getresponse()
        r.read()
        check(r.status == 303, "sent: %d" % r.status)
        c.close()
        lines = pop3_retr(srv, "bob", "hungry", 1)
        trace = [l for l in lines[:body_start(lines)] if l.startswith(b"Received:")]
        check(len(trace) == 1 and trace[0] == b"Received: from [127.0.0.1] ([127.0.0.1]) by "
              b"hamburger.edu with HTTP;", "the HTTP hop's trace line: %r" % lines[:4])
        check(body_of(lines) == [b"sent from a form"], "body: %r" % lines)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def web_mail_session_ids_are_not_guessable():
    """Under serve a class may share the server (--listen 0.0.0.0): a
    session cookie must not be "s1", which anyone could send by hand."""
    srv = Server(BIN, "-q")
    try:
        cookies = []
        for _ in range(2):
            c = http.client.HTTPConnection("127.0.0.1", srv.http, timeout=30)
            form = urllib.parse.urlencode({"user": "bob", "password": "hungry"})
            c.request("POST", "/login", form,
                      {"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            c.close()
            cookies.append(r.getheader("Set-Cookie", "").split(";")[0])
        for cookie in cookies:
            check(re.fullmatch(r"session=[0-9a-f]{32}", cookie), "a drawn id: %r" % cookie)
        check(cookies[0] != cookies[1], "two logins, two ids")
        for guess in ("session=s1", "session=s2"):
            c = http.client.HTTPConnection("127.0.0.1", srv.http, timeout=30)
            c.request("GET", "/inbox", headers={"Cookie": guess})
            r = c.getresponse()
            r.read()
            c.close()
            check(r.status == 302 and r.getheader("Location") == "/",
                  "%s opens nothing: %d" % (guess, r.status))
        c = http.client.HTTPConnection("127.0.0.1", srv.http, timeout=30)
        c.request("GET", "/inbox", headers={"Cookie": cookies[1]})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 200, "the drawn id opens the inbox: %d" % r.status)
        stop_clean(srv)
    finally:
        srv.kill()


@test
def web_mail_in_chromium():
    import webdriver
    if webdriver.tools() is None:
        raise Skip("chromium or chromedriver is not installed (scripts/deps.sh installs"
                   " chromium and chromium-driver)")
    srv = Server(BIN)
    b = None
    try:
        b = webdriver.Browser()
        home = "http://127.0.0.1:%d" % srv.http
        b.go(home + "/")
        b.type("input[name=user]", "bob")
        b.type("input[name=password]", "hungry")
        b.click("button")
        src = b.wait_for("INBOX of bob@hamburger.edu")
        check("INBOX of bob@hamburger.edu" in src, "logged in: " + src)
        # Send to several recipients: bob here, alice on the other server.
        b.go(home + "/compose")
        b.type("input[name=to]", "bob@hamburger.edu, alice@crepes.fr")
        b.type("input[name=subject]", "Pickles")
        typed = ["Do you like pickles?", ".a line that starts with a dot", ".", "..", "end"]
        b.type("textarea", "\n".join(typed))
        b.click("form button")
        src = b.wait_for("Message sent.")
        check("Message sent." in src, "sent: " + src)
        check("Pickles" in src, "listed")
        # Retrieved over POP3 byte for byte as typed (dot-stuffing undone).
        body = body_of(pop3_retr(srv, "bob", "hungry", 1))
        check(body == [t.encode() for t in typed], "POP3 gives what was typed: %r" % body)
        # Read it in the browser.
        b.click(element=b.find_xpath("//a[text()='Pickles']"))
        b.wait_for("id=\"flag\"")
        pre = b.text("pre")
        check(pre.endswith("\n".join(typed)), "the page shows the text: %r" % pre)
        # Flag it; then create a folder, copy it there, move the original.
        b.click("#flag")
        check("[flagged]" in b.wait_for("[flagged]"), "flagged in the listing")
        b.type("input[name=name]", "Saved")
        b.click("#create")
        src = b.wait_for("Saved of bob@hamburger.edu")
        check("Saved of bob@hamburger.edu" in src, "folder created: " + src)
        b.go(home + "/message/1?folder=INBOX")
        b.click(element=b.find_xpath("//select[@id='to']/option[text()='Saved']"))
        b.click("#copy")
        src = b.wait_for("INBOX of bob@hamburger.edu")
        check("INBOX of bob@hamburger.edu" in src, "back to INBOX: " + src)
        b.go(home + "/message/1?folder=INBOX")
        src = b.wait_for("id=\"move\"")
        check("id=\"move\"" in src, "the message page again: " + src)
        b.click(element=b.find_xpath("//select[@id='to']/option[text()='Saved']"))
        b.click("#move")
        src = b.wait_for("0 messages")
        check("0 messages" in src, "INBOX empty after the move: " + src)
        b.go(home + "/inbox?folder=Saved")
        check("2 messages" in b.source(), "two in Saved: " + b.source())
        # Delete one of the two.
        b.go(home + "/message/2?folder=Saved")
        b.click("#delete")
        src = b.wait_for("1 message ")
        check("1 message " in src, "one left: " + src)
        # IMAP sees the same store: one flagged message in Saved, same text.
        m = imaplib.IMAP4("127.0.0.1", srv.imap, timeout=30)
        m.login("bob", "hungry")
        typ, data = m.select("Saved")
        check(data[0] == b"1", "IMAP: one in Saved: %r" % data)
        typ, data = m.fetch("1", "(FLAGS BODY.PEEK[TEXT])")
        check(b"\\Flagged" in data[0][0], "IMAP: flagged: %r" % data)
        check(data[0][1] == "\r\n".join(typed).encode() + b"\r\n", "IMAP body: %r" % data)
        m.logout()
        b.go(home + "/logout")
        b.close()
        b = None
        time.sleep(1)
        stop_clean(srv)
        t = srv.output("transcript.txt")
        check("C: POST /send HTTP/1.1" in t, "the browser's requests are recorded")
        check("placed in alice@crepes.fr's mailbox" in t, "relayed by SMTP to crepes.fr")
    finally:
        if b is not None:
            b.close()
        srv.kill()


def main():
    global BIN
    BIN = sys.argv[1]
    wanted = set(sys.argv[2:])
    run = failed = skipped = 0
    chosen = [fn for fn in TESTS if not wanted or fn.__name__ in wanted]
    print("MS-TESTS-PLAN total=%d" % len(chosen))
    sys.stdout.flush()
    for fn in chosen:
        t0 = time.time()
        try:
            fn()
            print("ok      serve/%s (%.1f s)" % (fn.__name__, time.time() - t0))
            run += 1
        except Skip as e:
            print("  skipped: serve/%s: %s" % (fn.__name__, e))
            run += 1
            skipped += 1
        except Exception:
            print("FAILED  serve/%s" % fn.__name__)
            traceback.print_exc(file=sys.stdout)
            run += 1
            failed += 1
        sys.stdout.flush()
    print("MS-TESTS run=%d failed=%d skipped=%d" % (run, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
