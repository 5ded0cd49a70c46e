# pop3-two-clients: Bob changes client.
#
# What it teaches: POP3 keeps no state for a user across sessions or
# devices. Bob reads his mail on his PC with download-and-delete, then
# opens his laptop: the laptop finds an empty maildrop - "Bob cannot
# re-read e-mail if he changes client". Carol uses download-and-keep on
# both devices: each keeps its own copy, and nothing one device does (read,
# delete locally, file into a folder) is known to the other or the server.
# Compare with imap-two-devices, where the state lives on the server.
scenario "POP3: changing clients" zh "POP3：换一个客户端"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc      user alice@crepes.fr      server crepes.fr
agent bob-pc        user bob@hamburger.edu    server hamburger.edu  password hungry
agent bob-laptop    user bob@hamburger.edu    server hamburger.edu  password hungry
agent carol-pc      user carol@hamburger.edu  server hamburger.edu  password tarts
agent carol-laptop  user carol@hamburger.edu  server hamburger.edu  password tarts
link alice-pc crepes.fr          latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu     latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu        latency 2ms  bandwidth 10Mbit
link bob-laptop hamburger.edu    latency 5ms  bandwidth 10Mbit
link carol-pc hamburger.edu      latency 2ms  bandwidth 10Mbit
link carol-laptop hamburger.edu  latency 5ms  bandwidth 10Mbit
at 0s  alice-pc     send to bob@hamburger.edu, carol@hamburger.edu subject "Lunch" body "Lunch at noon?"
at 5s  bob-pc       pop3 fetch delete
at 5s  carol-pc     pop3 fetch keep
at 10s bob-laptop   pop3 fetch delete
at 10s carol-laptop pop3 fetch keep
