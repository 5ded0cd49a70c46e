# imap-two-devices: one mailbox, two devices, shared state.
#
# What it teaches: IMAP keeps the state of each message (flags such as
# \Seen and \Flagged) on the server, so every device sees the same state.
# Bob's phone selects INBOX and idles. Bob's PC reads the message (which
# sets \Seen) and flags it; the server pushes the change to the idling phone
# at once: "* 1 FETCH (UID 1 FLAGS (\Flagged \Seen \Recent))". With POP3 (see
# pop3-two-clients) each device would only know what it did itself.
scenario "IMAP: two devices share the mailbox state" zh "IMAP：两台设备共享邮箱状态"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc   user alice@crepes.fr    server crepes.fr
agent bob-pc     user bob@hamburger.edu  server hamburger.edu  password hungry
agent bob-phone  user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu     latency 2ms  bandwidth 10Mbit
link bob-phone hamburger.edu  latency 30ms bandwidth 2Mbit
at 0s bob-phone imap login
at 0s bob-phone imap select INBOX
at 0s bob-phone imap idle for 2min
at 1s alice-pc send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?"
at 10s bob-pc imap login
at 10s bob-pc imap select INBOX
at 10s bob-pc imap read 1
at 10s bob-pc imap flag 1 flagged
at 10s bob-pc imap logout
at 3min bob-phone imap logout
