# Every feature of the language in one valid file (see docs/scenario-language.md).
scenario "Features: continuation, lists, defaults"   # a trailing comment
seed 18446744073709551615

server mail.crepes.fr domain crepes.fr
server "mx.hamburger.edu" domain hamburger.edu
agent alice-pc server mail.crepes.fr user alice@crepes.fr password "open sesame"
agent bob-pc user bob@hamburger.edu server mx.hamburger.edu password hungry

# Options in any order; a link without options takes the defaults.
link alice-pc mail.crepes.fr
link mx.hamburger.edu mail.crepes.fr loss 1% bandwidth 1.5Mbps latency 1.5s
link bob-pc mx.hamburger.edu latency 250µs loss 0.25 bandwidth 512kbit

at 0s alice-pc send to bob@hamburger.edu, alice@crepes.fr \
    cc bob@hamburger.edu bcc alice@crepes.fr,bob@hamburger.edu \
    subject "Tab\there, quote \" and \x41" \
    body "Line one\r\nLine two\\ \
still line two"
at 2min bob-pc pop3 fetch keep
at 2min bob-pc pop3 fetch
at 1.5h alice-pc pop3 fetch delete
