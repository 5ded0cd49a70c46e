server a domain a.org
agent pc user u@a.org server a password x
link pc a latency 1ms bandwidth 1Mbit loss 100%
at 106751d pc pop3 fetch
