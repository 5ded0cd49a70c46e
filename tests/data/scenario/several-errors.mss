# Five mistakes, one per kind; all are reported at once.
scenario "Broken on purpose"
server crepes.fr domain crepes.fr
server hamburger.edu domain hamburger.edu
agnet alice-pc user alice@crepes.fr server crepes.fr
agent bob-pc user bob@hamburger.edu server hamburger.edu
link bob-pc hamburger.edu latency 40 bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms
at 5s bob-pc pop3 fetch
at 3s bob-pc send to carol@nowhere.org subject "Hi"
