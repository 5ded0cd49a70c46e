# pop3-stat-rset: STAT, and RSET undoing the deletion marks (RFC 1939 5).
#
# What it teaches: STAT answers in one line how many messages the maildrop
# holds and how many octets they take. DELE only marks a message; the
# server removes it in the UPDATE state after QUIT. At 5 s Bob downloads
# both messages, marks them with DELE, changes his mind and sends RSET:
# the marks are gone, QUIT removes nothing. At 10 s his STAT still counts
# two messages, and this time the session ends with them deleted.
scenario "POP3 STAT and RSET" zh "POP3 的 STAT 与 RSET"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr      server crepes.fr
agent bob-pc    user bob@hamburger.edu    server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s  alice-pc send to bob@hamburger.edu subject "One" body "First."
at 1s  alice-pc send to bob@hamburger.edu subject "Two" body "Second."
at 5s  bob-pc   pop3 fetch stat rset
at 10s bob-pc   pop3 fetch stat delete
