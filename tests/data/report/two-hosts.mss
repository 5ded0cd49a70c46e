# Two hosts, one link: Alice mails herself, then fetches the message with
# POP3.  tests/test_report.c works out every delay of this run by hand from
# docs/network-model.md (2 ms latency, 10 Mbit/s).
scenario "Alice mails herself"
seed 1
server crepes.fr domain crepes.fr
agent alice-pc user alice@crepes.fr server crepes.fr password secret
link alice-pc crepes.fr latency 2ms bandwidth 10Mbit
at 0s alice-pc send to alice@crepes.fr subject "Note" body "Hi"
at 1s alice-pc pop3 fetch delete
