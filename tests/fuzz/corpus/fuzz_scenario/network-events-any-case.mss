server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc user alice@crepes.fr server Crepes.FR
agent bob-pc   user bob@hamburger.edu server hamburger.edu password hungry
link Alice-PC crepes.fr latency 2ms
link crepes.fr HAMBURGER.edu latency 40ms
link bob-pc Hamburger.Edu latency 2ms
at 0s link ALICE-PC Crepes.fr down for 1s
at 0s server HAMBURGER.EDU down for 10s
at 0s host BOB-pc down for 1s
at 1s alice-pc send to bob@hamburger.edu subject x body "hi"
at 20s alice-pc telnet Hamburger.EDU 25
    type QUIT
end
