# pop3-delete-vs-keep: POP3's two modes.
#
# What it teaches: with "download-and-delete" (Bob) the server forgets a
# message once it was downloaded; with "download-and-keep" (Carol) the
# messages stay on the server. On the second check, after one more message
# arrived, Bob's maildrop holds only the new message; Carol's holds all
# three, and her agent uses UIDL (unique ids) to download only the one it
# has not seen yet.
scenario "POP3 download-and-delete vs download-and-keep" zh "POP3“下载并删除”与“下载并保留”"
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
at 0s  alice-pc send to bob@hamburger.edu, carol@hamburger.edu subject "One" body "First."
at 1s  alice-pc send to bob@hamburger.edu, carol@hamburger.edu subject "Two" body "Second."
at 5s  bob-pc   pop3 fetch delete
at 5s  carol-pc pop3 fetch keep
at 10s alice-pc send to bob@hamburger.edu, carol@hamburger.edu subject "Three" body "Third."
at 15s bob-pc   pop3 fetch delete
at 15s carol-pc pop3 fetch keep
