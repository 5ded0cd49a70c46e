# Three web steps at one instant: the browser waits for the login's
# Set-Cookie before it asks for the inbox and a message (tests/test_scenarios.c).
server hamburger.edu domain hamburger.edu webmail on
agent bob-browser user bob@hamburger.edu server hamburger.edu password hungry
mailbox carol@hamburger.edu
link bob-browser hamburger.edu latency 5ms
at 0s bob-browser web login
at 0s bob-browser web inbox
at 0s bob-browser web send to carol@hamburger.edu subject "Hi" body "Hello"
at 0s bob-browser web logout
