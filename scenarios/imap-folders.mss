# imap-folders: the mail and its folders live on the server.
#
# What it teaches: unlike POP3, IMAP keeps every message on the server and
# lets the user organise them in folders there. Bob logs in, creates a
# folder "Recipes", moves the ketchup message into it and logs out. When he
# logs in again later (a new TCP connection, a new session), the folder and
# the message in it are still there: the state is kept by the server. Watch
# the IMAP states: not authenticated -> authenticated (LOGIN) -> selected
# (SELECT) -> logout.
scenario "IMAP folders on the server" zh "IMAP：服务器上的邮件文件夹"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Ketchup recipe" body "Tomatoes, vinegar, sugar."
at 1s alice-pc send to bob@hamburger.edu subject "Lunch" body "Lunch at noon?"
at 5s bob-pc imap login
at 5s bob-pc imap select INBOX
at 5s bob-pc imap fetch new
at 5s bob-pc imap create Recipes
at 5s bob-pc imap move 1 to Recipes
at 5s bob-pc imap list
at 5s bob-pc imap logout
at 60s bob-pc imap login
at 60s bob-pc imap list
at 60s bob-pc imap select Recipes
at 60s bob-pc imap read 1
at 60s bob-pc imap logout
