# smtp-8bit: "SMTP requires 7-bit ASCII".
#
# What it teaches: classic SMTP carries 7-bit ASCII only. crepes.fr does not
# offer 8BITMIME (`8bitmime off`): Alice's agent sends raw UTF-8 text anyway
# (`raw8bit`, no MIME) and crepes.fr refuses it with 554, naming the rule.
# waffles.be offers 8BITMIME: Walter's agent says BODY=8BITMIME and the same
# kind of message is accepted. Alice's second message is proper MIME
# (quoted-printable): pure 7-bit on the wire, accepted everywhere.
#
# Then the relay's side of the rule (RFC 6152 3): pizza.it does not offer
# 8BITMIME either, and waffles.be has two 8-bit messages for Carol there.
# The one labelled with MIME (charset utf-8, 8bit) is converted to
# quoted-printable by waffles.be before it leaves; the raw one names no
# charset, cannot be converted, and comes straight back to Walter as a
# bounce, with the true reason, instead of being retried for days.
scenario "8-bit text and the 7-bit rule" zh "8 位文本与 7 位 ASCII 规则"
seed 1
server crepes.fr      domain crepes.fr      8bitmime off
server waffles.be     domain waffles.be     8bitmime on
server hamburger.edu  domain hamburger.edu
server pizza.it       domain pizza.it       8bitmime off
agent alice-pc   user alice@crepes.fr    server crepes.fr
agent walter-pc  user walter@waffles.be  server waffles.be  password belgium
agent bob-pc     user bob@hamburger.edu  server hamburger.edu  password hungry
mailbox carol@pizza.it
link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit
link walter-pc waffles.be     latency 2ms  bandwidth 10Mbit
link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit
link waffles.be hamburger.edu latency 40ms bandwidth 100Mbit
link waffles.be pizza.it      latency 30ms bandwidth 100Mbit
link bob-pc hamburger.edu     latency 2ms  bandwidth 10Mbit
at 0s alice-pc  send to bob@hamburger.edu subject "Crepes" body "Crêpes à la crème" raw8bit
at 0s walter-pc send to bob@hamburger.edu subject "Gaufres" body "Gaufres à la crème" raw8bit
at 1s alice-pc  send to bob@hamburger.edu subject "Crepes (MIME)" body "Crêpes à la crème" \
    charset utf-8 encoding quoted-printable
at 2s walter-pc send to carol@pizza.it subject "Pizza" body "Pizza à la crème" \
    charset utf-8 encoding 8bit
at 3s walter-pc send to carol@pizza.it subject "Pizza (raw)" body "Pizza à la crème" raw8bit
at 10s bob-pc pop3 fetch delete
at 10s walter-pc pop3 fetch delete
