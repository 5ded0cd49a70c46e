# mime-picture: how a picture travels as 7-bit text (MIME, base64).
#
# What it teaches: SMTP carries 7-bit ASCII lines, so a JPEG picture is
# encoded with base64 (RFC 2045 6.8): every 3 bytes become 4 characters of
# A-Z a-z 0-9 + /, in lines of 76 characters. The extra header lines
# MIME-Version, Content-Type: image/jpeg and Content-Transfer-Encoding:
# base64 tell the receiving agent how to turn it back into a picture.
# Compare the picture's size (files/ketchup.jpg, 3436 bytes) with the size
# of its base64 text in the transcript: about 4/3 of it, plus a CRLF per line.
# Run with --full-bodies to see every line of the encoded picture.
scenario "A picture in a message (MIME, base64)" zh "邮件中的一张图片（MIME，base64）"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "Picture" \
    body "Here is a picture of us." attach files/ketchup.jpg type image/jpeg
at 5s bob-pc pop3 fetch delete
