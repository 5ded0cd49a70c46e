# http-vs-smtp: web-based e-mail - HTTP to the servers, SMTP between them.
#
# What it teaches: with web mail the user agent is an ordinary browser.
# Alice's browser sends her message to her mail server with HTTP (a POST
# of the form); the servers still move it with SMTP, a push opened by the
# sending server; Bob's browser then pulls his inbox and the message with
# HTTP GETs. In the diagram the two colours show the push (SMTP) and the
# pulls (HTTP); in summary.txt compare who opens each connection. Each web
# page is a separate HTTP response over one persistent connection, where
# SMTP sends the whole message in one transfer.
scenario "Web mail: HTTP and SMTP"
seed 1
server crepes.fr      domain crepes.fr      webmail on
server hamburger.edu  domain hamburger.edu  webmail on
agent alice-browser  user alice@crepes.fr    server crepes.fr      password wonder
agent bob-browser    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-browser crepes.fr  latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit
link bob-browser hamburger.edu latency 2ms bandwidth 10Mbit
at 0s alice-browser web login
at 1s alice-browser web send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?\nHow about pickles?"
at 2s alice-browser web logout
at 5s bob-browser web login
at 6s bob-browser web inbox
at 7s bob-browser web read 1
at 8s bob-browser web logout
