# reply-forward: Bob replies to Alice and forwards her message to Carol.
#
# What it teaches: a reply is a new message that names the one it answers.
# Its In-Reply-To: field holds the original's Message-ID, and References:
# the whole thread so far (RFC 5322 3.6.4), so a mail reader can show the
# messages as one conversation; its Subject: is the original's with one
# "Re: " in front, and it goes to the original's Reply-To:, or its From:
# when there is none (3.6.3). A forward goes to someone new: "Fwd: ..."
# with the original inside, whole, as a message/rfc822 part (RFC 2046
# 5.2.1) - headers, Received: lines and all.
#   0 s  Alice asks Bob about ketchup.
#   5 s  Bob downloads it with POP3; at 10 s he replies, at 11 s he
#        forwards it to Carol.
#  20 s  Alice downloads the reply; at 25 s she answers it: the subject
#        stays "Re: Ketchup" (never "Re: Re:") and References: now names
#        both earlier messages. At 30 s Carol reads the forward; at 35 s Bob
#        reads Alice's answer.
#
# Try: reply before Bob's fetch has finished (at 5s), or to a subject he
# never got, and read what `mailsim check` and the transcript say.
scenario "Reply and forward" zh "回复与转发"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr      server crepes.fr      password tarts
agent bob-pc    user bob@hamburger.edu    server hamburger.edu  password hungry
agent carol-pc  user carol@hamburger.edu  server hamburger.edu  password pickles
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
link carol-pc hamburger.edu  latency 2ms  bandwidth 10Mbit
at 0s  alice-pc send to "Bob" <bob@hamburger.edu> from "Alice" <alice@crepes.fr> \
           subject "Ketchup" body "Do you like ketchup?"
at 5s  bob-pc   pop3 fetch
at 10s bob-pc   reply "Ketchup" body "Yes, with fries."
at 11s bob-pc   forward 1 to carol@hamburger.edu body "Carol, Alice asks about ketchup."
at 20s alice-pc pop3 fetch
at 25s alice-pc reply "Re: Ketchup" body "Then come for lunch."
at 30s carol-pc pop3 fetch
at 35s bob-pc   pop3 fetch
