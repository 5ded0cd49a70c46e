# smtp-bounce: a permanent failure comes back to the sender, over SMTP.
#
# What it teaches: hamburger.edu takes mail for any name at its domain and
# looks for the mailbox only when it delivers (unknown-users bounce), as
# many servers behind a gateway do. So the RCPT TO for bobby gets 250 and
# the message is accepted; only then does hamburger.edu find that it has
# no user bobby. Having accepted the message, it must tell the sender
# (RFC 5321 6.1): it writes a bounce, a delivery status notification
# (RFC 3464), and sends it to crepes.fr in a new SMTP session with the
# empty reverse path MAIL FROM:<>, so that a bounce can never bounce.
# Alice finds it in her own mailbox when she checks her mail.
# (A server that checks at RCPT TO answers 550 instead, and the sender's
# own server writes the bounce: see smtp-multi-recipient.)
scenario "Unknown recipient: the bounce" zh "收件人不存在：退信"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu  unknown-users bounce
agent alice-pc  user alice@crepes.fr  server crepes.fr  password wonder
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
at 0s alice-pc send to bobby@hamburger.edu subject "Ketchup" body "Do you like ketchup?"
at 5s alice-pc pop3 fetch delete
