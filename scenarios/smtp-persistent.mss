# smtp-persistent: SMTP's persistent connection, and what it saves.
#
# What it teaches: "SMTP uses persistent connections". Alice and Walter each
# send three messages to Bob. Alice's server, crepes.fr, sends its three
# queued messages over ONE TCP connection to hamburger.edu (one handshake,
# three MAIL...DATA transactions, one QUIT). Walter's server, waffles.be, has
# `persistent off`: one connection per message, so three handshakes and three
# closures over the same 40 ms link.
#
# Look at: the number of connections to hamburger.edu:25 from each server in
# the transcript, and the time each server needs to empty its queue.
scenario "Persistent vs non-persistent SMTP connections" zh "SMTP 持续连接与非持续连接"
seed 1
server crepes.fr      domain crepes.fr      persistent on
server waffles.be     domain waffles.be     persistent off
server hamburger.edu  domain hamburger.edu
agent alice-pc   user alice@crepes.fr    server crepes.fr
agent walter-pc  user walter@waffles.be  server waffles.be
agent bob-pc     user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit
link walter-pc waffles.be     latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit
link waffles.be hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu     latency 2ms  bandwidth 10Mbit
at 0s alice-pc  send to bob@hamburger.edu subject "From Alice" body "Hello Bob." count 3
at 0s walter-pc send to bob@hamburger.edu subject "From Walter" body "Hello Bob." count 3
at 10s bob-pc pop3 fetch delete
