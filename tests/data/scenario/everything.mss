# Every keyword of the language in one valid file (docs/scenario-language.md).
# The unit tests read it and check each value; it is not meant to be a lesson.
scenario "Everything at once"
seed 7
start "2024-02-29 23:59:30"
mss 536B
rto 1.5s

# Servers with every option; the last one takes all the defaults.
server crepes.fr domain crepes.fr profile textbook relay closed retry 10min \
    give-up 2d persistent off pipelining off 8bitmime off max-size 1MB submission 587
server hamburger.edu domain hamburger.edu profile default relay open max-size 64KiB \
    persistent on pipelining on 8bitmime on submission 25
server mx.nowhere.org domain nowhere.org

# Two devices of one user (same password), and a mailbox with no device.
agent alice-pc user alice@crepes.fr server crepes.fr password "open sesame" \
    pipelining on ehlo off lowercase on
agent bob-pc user bob@hamburger.edu server hamburger.edu password hungry
agent bob-phone user bob@hamburger.edu server hamburger.edu password hungry \
    pipelining off ehlo on lowercase off
mailbox carol@hamburger.edu password pickles
mailbox dave@nowhere.org

link alice-pc crepes.fr latency 2ms bandwidth 10Mbit
link crepes.fr hamburger.edu latency 40ms bandwidth 100Mbit loss 0.1%
link crepes.fr mx.nowhere.org
link bob-pc hamburger.edu
link bob-phone hamburger.edu latency 30ms bandwidth 2Mbit

# Sending: envelope, header, bodies from strings and files, attachments.
at 0s alice-pc send to bob@hamburger.edu, carol@hamburger.edu cc dave@nowhere.org \
    bcc alice@crepes.fr from "Alice Liddell <alice@crepes.fr>" subject "Minutes" \
    body-file files/letter.txt html-file files/page.html \
    attach files/checker.png attach "files/minutes.dat" type application/x-minutes \
    header "X-Mailer: mailsim" header "Reply-To: alice@crepes.fr" \
    charset utf-8 encoding quoted-printable count 2
at 1s alice-pc send to bob@hamburger.edu subject "Caf\xC3\xA9" body "Caf\xC3\xA9 au lait" \
    html "<p>Caf\xC3\xA9</p>" charset iso-8859-1 encoding base64
at 1s alice-pc send to bob@hamburger.edu body "\xE9\x82\xAE\xE4\xBB\xB6" raw8bit
at 1s alice-pc send to bob@hamburger.edu body "plain" encoding 8bit
at 1s alice-pc send to bob@hamburger.edu body "plain" encoding 7bit

# POP3: every form of fetch.
at 2min bob-pc pop3 fetch
at 2min bob-pc pop3 fetch delete apop
at 2min bob-pc pop3 fetch keep list-only password wrong
at 3min bob-pc pop3 fetch keep every 5min until 1h

# IMAP: one session from login to logout, and a poller.
at 3min bob-phone imap login
at 3min bob-phone imap list
at 3min bob-phone imap select INBOX
at 3min bob-phone imap examine "INBOX"
at 3min bob-phone imap fetch new
at 3min bob-phone imap read 1
at 3min bob-phone imap flag 1 flagged
at 3min bob-phone imap unflag 1 "\\Seen"
at 3min bob-phone imap create Work
at 3min bob-phone imap copy 1 Work
at 3min bob-phone imap move 2 to Work
at 3min bob-phone imap search UNSEEN FROM "Alice Liddell"
at 3min bob-phone imap expunge
at 3min bob-phone imap rename Work to Projects
at 3min bob-phone imap delete Projects
at 3min bob-phone imap idle for 10min
at 13min bob-phone imap logout
at 13min bob-phone imap login password hungry
at 14min bob-phone imap logout
at 14min bob-phone imap poll every 5min until 1h

# The network changes.
at 15min link crepes.fr hamburger.edu down
at 20min link hamburger.edu crepes.fr up
at 20min server hamburger.edu down for 30min
at 21min server mx.nowhere.org down
at 22min server mx.nowhere.org up
at 23min host bob-pc down
at 24min host bob-pc up
at 25min link bob-phone hamburger.edu down for 1min

# A raw dialogue typed by hand, as in "telnet servername 25".
at 30min alice-pc telnet hamburger.edu 25
    type "HELO crepes.fr"
    type "MAIL FROM: <alice@crepes.fr>" crlf
    pause 2s
    type "RCPT TO: <bob@hamburger.edu>" lf
    type "DATA" cr
    type QUIT
end
