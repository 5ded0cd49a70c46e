server a.org domain a.org retry 10000d give-up 106751d
server b.org domain b.org
agent pc user u@a.org server a.org
link pc a.org
link a.org b.org
at 0s server b.org down
at 1s pc send to x@b.org subject s body "b"
