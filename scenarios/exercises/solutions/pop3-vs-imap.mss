scenario "Bob's two devices, with POP3"
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
at 0s  alice-pc send to bob@hamburger.edu subject "Ketchup" body "Do you like ketchup?"
at 5s  bob-pc pop3 fetch delete
at 10s bob-phone pop3 fetch delete
