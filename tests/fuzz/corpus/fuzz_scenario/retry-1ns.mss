server a.org domain a.org retry 1ns
agent pc user u@a.org server a.org
link pc a.org
