# Two islands: crepes.fr and its users, hamburger.edu and its users.
server crepes.fr domain crepes.fr
server hamburger.edu domain hamburger.edu
agent alice-pc user alice@crepes.fr server crepes.fr
agent bob-pc user bob@hamburger.edu server hamburger.edu password hungry
agent carol-pc user carol@crepes.fr server crepes.fr
link alice-pc crepes.fr
link bob-pc hamburger.edu
at 0s alice-pc send to bob@hamburger.edu
at 1s alice-pc send to bob@hamburger.edu
