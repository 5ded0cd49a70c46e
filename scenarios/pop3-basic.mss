# pop3-basic: the textbook's POP3 session.
#
# What it teaches (RFC 1939): Bob's user agent opens a TCP connection to
# port 110 of his mail server and goes through the three phases:
#   authorization  user bob / pass hungry  (+OK or -ERR)
#   transaction    list, retr 1, dele 1, retr 2, dele 2
#   update         quit: only now does the server delete the messages
#                  marked for deletion, and the session ends.
# This is "download-and-delete": afterwards the messages are only on Bob's
# computer. The server uses the textbook's wording, and the agent types
# its commands in lower case as in the book.
scenario "A POP3 session (textbook)" zh "一次 POP3 会话（教材示例）"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu  profile textbook
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry  lowercase on
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?\nHow about pickles?"
at 1s alice-pc send to bob@hamburger.edu subject "Pickles" body "Or would you rather have mustard?"
at 5s bob-pc pop3 fetch delete
