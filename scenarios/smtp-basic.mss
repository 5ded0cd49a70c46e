# smtp-basic: Alice sends Bob a message (the textbook's six steps).
#
# What it teaches:
#   1. Alice's user agent (alice-pc) composes a message to bob@hamburger.edu.
#   2. It submits the message with SMTP to her mail server, crepes.fr, which
#      puts it in its outgoing message queue.
#   3. The SMTP client side of crepes.fr opens a TCP connection to port 25 of
#      Bob's mail server, hamburger.edu (direct transfer, no relay between).
#   4. It sends the message over that connection: handshake, transfer, closure.
#   5. hamburger.edu places the message in Bob's mailbox.
#   6. Bob's user agent (bob-pc) retrieves it with POP3 (a pull, not a push).
#
# Try: make the long-distance link slower (latency 200ms) and compare the
# delays in the transcript; or change `delete` to `keep`.
scenario "Alice sends Bob a message" zh "Alice 给 Bob 发一封邮件"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr   server crepes.fr
agent bob-pc    user bob@hamburger.edu server hamburger.edu  password hungry
link alice-pc crepes.fr     latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu   latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?\nHow about pickles?"
at 5s bob-pc pop3 fetch delete
