# smtp-server-down-retry: the outgoing queue at work.
#
# What it teaches: a mail server keeps a message in its outgoing queue until
# the receiving server takes it. hamburger.edu is down for the first 50
# minutes. crepes.fr's first attempt gets no answer to its SYN (the TCP
# connection times out after its retransmissions), the message stays
# queued, and crepes.fr tries again every 20 minutes (`retry 20min`); the
# attempt after hamburger.edu comes back delivers it. Every attempt is in
# the transcript and in trace.json ("queue" records).
scenario "Receiving server down: queue and retry" zh "接收方服务器宕机：排队与重试"
seed 1
server crepes.fr      domain crepes.fr      retry 20min give-up 5d
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s server hamburger.edu down for 50min
at 1s alice-pc send to bob@hamburger.edu subject "Are you there?" body "Ping."
at 70min bob-pc pop3 fetch delete
