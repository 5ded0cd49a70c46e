# smtp-textbook-profile: the textbook's sample SMTP interaction, word for word.
#
# What it teaches: the dialogue between the SMTP client on crepes.fr and the
# SMTP server on hamburger.edu exactly as printed in the textbook (figure
# "A sample SMTP interaction"): 220 greeting, HELO, 250 Hello ... pleased to
# meet you, MAIL FROM, RCPT TO, DATA, 354, the message, ".", 250, QUIT, 221.
# Both servers use the `textbook` profile: the same reply codes as a modern
# server, in the book's wording, with HELO and one command per reply.
#
# Compare with smtp-basic (modern wording, EHLO, pipelining, enhanced codes).
scenario "A sample SMTP interaction (textbook wording)" zh "一个 SMTP 交互示例（教材原文）"
seed 1
server crepes.fr      domain crepes.fr      profile textbook
server hamburger.edu  domain hamburger.edu  profile textbook
agent alice-pc  user alice@crepes.fr   server crepes.fr  ehlo off
agent bob-pc    user bob@hamburger.edu server hamburger.edu  password hungry  lowercase on
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu body "Do you like ketchup?\nHow about pickles?"
at 5s bob-pc pop3 fetch delete
