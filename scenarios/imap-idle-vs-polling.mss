# imap-idle-vs-polling: push to the reader vs pulling on a timer.
#
# What it teaches: mail access is a pull, but IMAP IDLE (RFC 2177) lets the
# server tell an idling client at once that new mail arrived. Bob's agent
# idles: it is told within milliseconds of the delivery. Carol's agent
# polls every 5 minutes (log in, look, log out): it notices each message
# only at its next poll, minutes later. Compare the "first seen" times in
# summary.txt, and count the connections each one needs.
scenario "IMAP IDLE vs polling every 5 minutes" zh "IMAP IDLE 与每 5 分钟轮询一次"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr      server crepes.fr
agent bob-pc    user bob@hamburger.edu    server hamburger.edu  password hungry
agent carol-pc  user carol@hamburger.edu  server hamburger.edu  password tarts
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
link carol-pc hamburger.edu  latency 2ms  bandwidth 10Mbit
at 0s bob-pc   imap login
at 0s bob-pc   imap select INBOX
at 0s bob-pc   imap idle for 15min
at 0s carol-pc imap poll every 5min until 15min
at 1min alice-pc send to bob@hamburger.edu, carol@hamburger.edu subject "First" body "One."
at 7min alice-pc send to bob@hamburger.edu, carol@hamburger.edu subject "Second" body "Two."
at 16min bob-pc imap logout
