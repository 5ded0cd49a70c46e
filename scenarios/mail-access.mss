# mail-access: the notes' figure "mail access protocols" - one server, three readers.
#
# What it teaches: SMTP pushes Alice's message to Bob's server; from there
# Bob reads it three ways, each a pull opened by his side: his PC
# downloads it with POP3 (download-and-keep, so the others still find it),
# his phone reads it with IMAP (it stays on the server, with its flags),
# and a browser gets it from the web-mail server with HTTP GETs. Compare
# the three pull connections in summary.txt: who opens them, round trips,
# bytes, and what stays on the server afterwards.
scenario "Mail access protocols: POP3, IMAP and HTTP" zh "邮件访问协议：POP3、IMAP 与 HTTP"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu  webmail on
agent alice-pc     user alice@crepes.fr    server crepes.fr
agent bob-pc       user bob@hamburger.edu  server hamburger.edu  password hungry
agent bob-phone    user bob@hamburger.edu  server hamburger.edu  password hungry
agent bob-browser  user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr         latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu    latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu       latency 2ms  bandwidth 10Mbit
link bob-phone hamburger.edu    latency 30ms bandwidth 2Mbit
link bob-browser hamburger.edu  latency 10ms bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?\nHow about pickles?"
at 5s bob-pc pop3 fetch keep
at 6s bob-phone imap login
at 6s bob-phone imap select INBOX
at 6s bob-phone imap read 1
at 6s bob-phone imap logout
at 7s bob-browser web login
at 8s bob-browser web inbox
at 9s bob-browser web read 1
at 10s bob-browser web logout
