# http-vs-smtp: web-based e-mail - HTTP to the servers, SMTP between them.
#
# What it teaches: with web mail the user agent is an ordinary browser.
# Alice's browser sends her message to her mail server with HTTP (a POST
# of the form); the servers still move it with SMTP, a push opened by the
# sending server; Bob's browser then pulls his inbox and the message with
# HTTP GETs. In the diagram the two colours show the push (SMTP) and the
# pulls (HTTP); in summary.txt compare who opens each connection.
#
# One response per object: Alice also mails Bob a picture from her PC.
# SMTP carries it as one multipart message - text and base64 picture in
# one DATA transfer. Bob's browser gets the same message as two objects:
# GET /message/2 brings the page (text, and an <img> naming the picture),
# then GET /message/2/part/2 brings the picture itself, decoded, as
# image/jpeg with its own Content-Length - each in its own response over
# one persistent connection. The summary counts both.
scenario "Web mail: HTTP and SMTP" zh "基于 Web 的电子邮件：HTTP 与 SMTP"
seed 1
server crepes.fr      domain crepes.fr      webmail on
server hamburger.edu  domain hamburger.edu  webmail on
agent alice-browser  user alice@crepes.fr    server crepes.fr      password wonder
agent alice-pc       user alice@crepes.fr    server crepes.fr
agent bob-browser    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-browser crepes.fr  latency 2ms  bandwidth 10Mbit
link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit
link bob-browser hamburger.edu latency 2ms bandwidth 10Mbit
at 0s alice-browser web login
at 1s alice-browser web send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?\nHow about pickles?"
at 2s alice-browser web logout
at 3s alice-pc send to bob@hamburger.edu subject "Picture" \
    body "Here is a picture of us." attach files/ketchup.jpg type image/jpeg
at 5s bob-browser web login
at 6s bob-browser web inbox
at 7s bob-browser web read 1
at 8s bob-browser web read 2
at 9s bob-browser web logout
