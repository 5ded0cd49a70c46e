# smtp-bounce: a permanent failure comes back to the sender.
#
# What it teaches: when the receiving server answers 550 (no such user),
# the sending server does not retry; it returns the message to its sender
# as a bounce: a delivery status notification (RFC 3464) sent with the
# empty reverse path MAIL FROM:<> so that a bounce can never bounce. Alice
# finds it in her own mailbox when she checks her mail.
scenario "Unknown recipient: the bounce"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr  server crepes.fr  password wonder
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
at 0s alice-pc send to bobby@hamburger.edu subject "Ketchup" body "Do you like ketchup?"
at 5s alice-pc pop3 fetch delete
