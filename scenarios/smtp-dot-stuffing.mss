# smtp-dot-stuffing: how SMTP knows where a message ends (CRLF.CRLF).
#
# What it teaches: the server takes a line holding only "." as the end of
# the message. So that a message can still contain such a line, the client
# doubles every leading dot ("dot-stuffing", RFC 5321 4.5.2) and the server
# removes it again. Look at the C: lines of the message: ".." on the wire,
# "." again in Bob's mailbox. Bob's POP3 RETR shows ".." too: POP3
# byte-stuffs a multi-line response the same way (RFC 1939 3), and his
# agent removes the extra dot.
scenario "Dot-stuffing: a line that starts with a dot" zh "点填充：以点开头的行"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Dots" \
    body "A message ends with a line holding only a dot:\n.\nbut this one goes on.\n..and this line starts with two dots."
at 5s bob-pc pop3 fetch delete
