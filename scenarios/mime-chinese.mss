# mime-chinese: Chinese text in a 7-bit world.
#
# What it teaches: the subject "邮件测试" cannot go into a header as it is,
# so it travels as an RFC 2047 encoded-word: =?UTF-8?B?...?= (base64 of
# its UTF-8 bytes). The body is UTF-8 text, declared by
# Content-Type: text/plain; charset=UTF-8 and sent quoted-printable in the
# first message (=E4=BD=A0... for "你好") and base64 in the second. Every line on the
# wire is 7-bit ASCII; Bob's agent decodes them back to Chinese.
scenario "Chinese subject and body (RFC 2047, UTF-8)" zh "中文主题和正文（RFC 2047，UTF-8）"
seed 1
server crepes.fr      domain crepes.fr
server hamburger.edu  domain hamburger.edu
agent alice-pc  user alice@crepes.fr    server crepes.fr
agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry
link alice-pc crepes.fr      latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit
link bob-pc hamburger.edu    latency 2ms  bandwidth 10Mbit
at 0s alice-pc send to bob@hamburger.edu subject "邮件测试" \
    body "你好，Bob！\n这是一封测试邮件。" charset utf-8 encoding quoted-printable
at 1s alice-pc send to bob@hamburger.edu subject "邮件测试 (base64)" \
    body "你好，Bob！\n这是一封测试邮件。" charset utf-8 encoding base64
at 5s bob-pc pop3 fetch delete
