# A POP3 and an IMAP session typed by hand: each phase heading comes
# before the line typed in it (tests/test_scenarios.c).
server hamburger.edu domain hamburger.edu
agent bob-pc user bob@hamburger.edu server hamburger.edu password hungry
link bob-pc hamburger.edu latency 10ms
at 0s bob-pc telnet hamburger.edu 110
    type "USER bob"
    type "PASS hungry"
    type "STAT"
    type "QUIT"
end
at 1s bob-pc telnet hamburger.edu 143
    type "a1 LOGIN bob hungry"
    type "a2 LOGOUT"
end
