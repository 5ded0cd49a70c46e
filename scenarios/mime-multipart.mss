# mime-multipart: one message, several objects.
#
# What it teaches: SMTP sends all the objects of a message in ONE message,
# as the parts of a multipart body (RFC 2046), where HTTP would send each
# object in its own response. Alice's message is multipart/mixed: first a
# multipart/alternative with the same text as plain text and as HTML (the
# reader picks one), then the attached picture (base64). Each part has its
# own header lines; boundary lines separate the parts.
scenario "Text, HTML and an attachment in one message" zh "一封邮件中的文本、HTML 与附件"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Menu" \
    body-file files/menu.txt html-file files/menu.html attach files/ketchup.jpg
at 5s bob-pc pop3 fetch delete
