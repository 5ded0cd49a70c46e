# message-format: the message's header lines are not the SMTP envelope.
#
# What it teaches (RFC 5322): a message is header lines (From:, To:, Cc:,
# Subject:, Date:, Message-ID:), a blank line, and the body. The SMTP
# commands MAIL FROM and RCPT TO - the envelope - are separate, and the
# servers deliver by the envelope only:
#   - Carol is in Bcc: she gets the message (a RCPT TO) but no header line
#     names her, so Bob cannot see she got it;
#   - the header From: says "The Queen of Hearts", while MAIL FROM (and
#     hence Return-Path:) is still alice@crepes.fr: From: can be forged;
#   - each server adds a Received: line at the top as the message passes.
scenario "Header lines vs the SMTP envelope" zh "首部行与 SMTP 信封"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
agent carol-pc  user carol@hamburger.edu server hamburger.edu password tarts
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
link carol-pc hamburger.edu  latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu bcc carol@hamburger.edu \
    from "The Queen of Hearts <queen@wonderland.example>" subject "Off with their heads" \
    header "Reply-To: alice@crepes.fr" body "Who stole the tarts?"
at 5s bob-pc pop3 fetch delete
at 6s carol-pc pop3 fetch delete
