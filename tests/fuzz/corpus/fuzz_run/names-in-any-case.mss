server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server Crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link Alice-PC crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr HAMBURGER.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s ALICE-pc send to Bob@hamburger.edu subject "Ketchup" body "hi"
at 5s Bob-PC pop3 fetch delete
at 6s server Hamburger.edu down
