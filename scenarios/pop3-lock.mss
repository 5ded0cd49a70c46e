# pop3-lock: one POP3 session per maildrop at a time, and failed logins.
#
# What it teaches (RFC 1939 4): when a client logs in, the server locks the
# maildrop for the whole session. Bob's PC and phone check the mailbox at
# the same moment: the PC (closer to the server) logs in first; the phone's
# PASS is answered with -ERR, maildrop already locked. The phone tries again
# later and succeeds. At 20 s the phone types a wrong password: -ERR, it
# stays in the authorization phase, and its agent gives up with QUIT;
# the retry at 25 s with the right password works.
scenario "POP3 maildrop lock and failed logins" zh "POP3 邮箱锁与登录失败"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc   user alice@crepes.fr    server crepes.fr
agent bob-pc     user bob@hamburger.edu  server hamburger.edu  password hungry
agent bob-phone  user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
link bob-phone hamburger.edu latency 3ms  bandwidth 1Mbit
at 0s  alice-pc  send to bob@hamburger.edu subject "Hello" body "Hello Bob." count 2
at 5s  bob-pc    pop3 fetch keep
at 5s  bob-phone pop3 fetch keep
at 10s bob-phone pop3 fetch keep
at 20s bob-phone pop3 fetch keep password wrong
at 25s bob-phone pop3 fetch keep
