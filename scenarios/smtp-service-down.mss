# smtp-service-down: a port that refuses vs a host that does not answer.
#
# What it teaches: two ways a delivery attempt fails at once. On
# hamburger.edu the machine runs but its SMTP program is stopped
# (service smtp down): the SYN to port 25 is answered with a RST, and
# crepes.fr knows within one round trip that the connection is refused.
# pizza.it is down as a whole machine: nothing answers, and crepes.fr
# gives up after its connect timeout of 30 s (connect-timeout 30s; without
# it TCP would retry its SYN for about two minutes). The one message, to
# two recipients, stays in the outgoing queue (one entry per destination),
# and the first attempts after the 15 minutes deliver it to both. The
# summary counts the attempts per destination.
scenario "Refused or silent: a stopped service and a host that is down" zh "拒绝还是无应答：停止的服务与宕机的主机"
seed 1
server crepes.fr      domain crepes.fr      retry 10min connect-timeout 30s
server hamburger.edu  domain hamburger.edu
server pizza.it       domain pizza.it
agent alice-pc  user alice@crepes.fr    server crepes.fr
mailbox bob@hamburger.edu
mailbox carol@pizza.it
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link crepes.fr pizza.it      latency 60ms bandwidth 100Mbit
at 0s server hamburger.edu service smtp down for 15min
at 0s server pizza.it down for 15min
at 1s alice-pc send to bob@hamburger.edu, carol@pizza.it subject "Lunch?" body "Pizza or burgers?"
