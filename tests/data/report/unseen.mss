# A body line with a right-to-left override and a zero-width space, sent
# as 8-bit text: report.html names them (<U+202E>, <U+200B>) instead of
# letting them rearrange the page (tests/test_report_browser.py).
scenario "Unseen characters"
seed 1
server crepes.fr domain crepes.fr 8bitmime on
agent alice-pc user alice@crepes.fr server crepes.fr password secret
link alice-pc crepes.fr latency 2ms bandwidth 10Mbit
at 0s alice-pc send to alice@crepes.fr subject "Invoice" body "pay ‮fdp.exe now​" raw8bit
at 1s alice-pc pop3 fetch delete
