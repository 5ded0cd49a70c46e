# More recipients than the composer keeps on its stack: 12 in To (two with
# display names), 5 in Cc and 3 in Bcc, each one RCPT TO.
scenario "Many recipients"
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
mailbox r1@hamburger.edu
mailbox r2@hamburger.edu
mailbox r3@hamburger.edu
mailbox r4@hamburger.edu
mailbox r5@hamburger.edu
mailbox r6@hamburger.edu
mailbox r7@hamburger.edu
mailbox r8@hamburger.edu
mailbox r9@hamburger.edu
mailbox r10@hamburger.edu
mailbox r11@hamburger.edu
mailbox c1@hamburger.edu
mailbox c2@hamburger.edu
mailbox c3@hamburger.edu
mailbox c4@hamburger.edu
mailbox c5@hamburger.edu
mailbox b1@hamburger.edu
mailbox b2@hamburger.edu
mailbox b3@hamburger.edu
link alice-pc crepes.fr      latency 2ms
link crepes.fr hamburger.edu latency 20ms
link bob-pc hamburger.edu    latency 2ms
at 0s alice-pc send to "Bob Smith" <bob@hamburger.edu>, r1@hamburger.edu, r2@hamburger.edu, r3@hamburger.edu, r4@hamburger.edu, r5@hamburger.edu, r6@hamburger.edu, r7@hamburger.edu, r8@hamburger.edu, r9@hamburger.edu, r10@hamburger.edu, "Reader Eleven" <r11@hamburger.edu> \
    cc c1@hamburger.edu,c2@hamburger.edu,c3@hamburger.edu,c4@hamburger.edu,c5@hamburger.edu bcc b1@hamburger.edu,b2@hamburger.edu,b3@hamburger.edu \
    subject "All of you" body "Hi"
at 5s bob-pc pop3 fetch
