# A client that forgets the line end after DATA and waits for ever.
# Run as: python3 mailclient.py HOST PORT
import socket
import sys

host = sys.argv[1]
port = int(sys.argv[2])


def reply(sock, f, expect):
    # An SMTP reply may span lines: "250-..." goes on, "250 ..." ends it.
    while True:
        line = f.readline()
        if not line:
            sys.exit("the server closed the connection")
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        print("S:", line)
        if len(line) < 4 or line[3] != "-":
            break
    if not line.startswith(expect):
        sys.exit("expected %s, got: %s" % (expect, line))


def send(sock, text):
    print("C:", text)
    sock.sendall((text + "\r\n").encode("utf-8"))


with socket.create_connection((host, port), timeout=None) as sock:
    f = sock.makefile("rb")
    reply(sock, f, "220")
    send(sock, "HELO crepes.fr")
    reply(sock, f, "250")
    send(sock, "MAIL FROM:<alice@crepes.fr>")
    reply(sock, f, "250")
    send(sock, "RCPT TO:<bob@hamburger.edu>")
    reply(sock, f, "250")
    sock.sendall(b"DATA")  # no CRLF: the server waits for the rest of the line
    reply(sock, f, "354")
    message = ["From: alice@crepes.fr", "To: bob@hamburger.edu",
               "Subject: Greetings from my own client", "",
               "Hello Bob,", ".. a line that starts with a dot, stuffed", "Alice"]
    for line in message:
        send(sock, line)
    send(sock, ".")
    reply(sock, f, "250")
    send(sock, "QUIT")
    reply(sock, f, "221")
