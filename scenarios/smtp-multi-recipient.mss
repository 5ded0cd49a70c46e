# smtp-multi-recipient: one message, several recipients, one of them unknown.
#
# What it teaches: the envelope has one RCPT TO per recipient and the server
# answers each one on its own. hamburger.edu accepts bob and carol (250) and
# refuses nobody (550 no such user) - for that recipient only: the message
# still goes to the other two, and crepes.fr returns a bounce (a delivery
# status notification) to Alice for the one that failed. The Cc: header
# line is not the envelope: it only shows what Alice wrote.
scenario "Several recipients, one unknown" zh "多个收件人，其中一个不存在"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr      password wonder
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
mailbox carol@hamburger.edu
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu, nobody@hamburger.edu cc carol@hamburger.edu \
    subject "Picnic" body "Picnic on Saturday?"
at 5s bob-pc pop3 fetch delete
at 6s alice-pc pop3 fetch delete
