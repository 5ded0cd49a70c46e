# smtp-try-it-yourself: "telnet servername 25", typed by hand.
#
# What it teaches: SMTP is plain text. A person on alice-pc opens a TCP
# connection to port 25 of hamburger.edu and types the commands of the
# textbook's "Try SMTP interaction for yourself": HELO, MAIL FROM, RCPT TO,
# DATA, the message, a line with ".", QUIT. Each line is sent once the
# server's reply to the previous one has arrived. The second session types
# a line ended by a bare LF (as a careless program might): see what the
# server says.
scenario "Try SMTP interaction for yourself" zh "亲自尝试 SMTP 交互"
seed 1
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@hamburger.edu  server hamburger.edu
agent bob-pc    user bob@hamburger.edu    server hamburger.edu  password hungry
link alice-pc hamburger.edu latency 20ms bandwidth 10Mbit
link bob-pc hamburger.edu   latency 2ms  bandwidth 10Mbit
at 0s alice-pc telnet hamburger.edu 25
    type "HELO crepes.fr"
    type "MAIL FROM: <alice@crepes.fr>"
    type "RCPT TO: <bob@hamburger.edu>"
    type "DATA"
    type "Do you like ketchup?"
    type "How about pickles?"
    type "."
    type "QUIT"
end
at 10s alice-pc telnet hamburger.edu 25
    type "HELO crepes.fr" lf
    type "QUIT"
end
at 20s bob-pc pop3 fetch delete
